import { createHash } from 'node:crypto';
import { awsError, JsonProtocolDouble, startJsonProtocolDouble } from '../json-protocol-double';
import type { LocalQueue } from './local-queue';

/** One StartExecution as Step Functions received it. */
export interface StartedExecution {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: any;
  readonly executionArn: string;
}

export interface SqsAndSfnDouble {
  /** AWS_ENDPOINT_URL_SQS and AWS_ENDPOINT_URL_SFN */
  readonly url: string;
  readonly server: JsonProtocolDouble;
  /** Executions started, one per distinct name (a repeated identical start is not a second one). */
  readonly executions: StartedExecution[];
  /** StartExecution calls answered ExecutionAlreadyExists. */
  readonly refusedStarts: Array<{ name: string; input: any }>;
  /** Every StartExecution answers this exception until cleared (undefined). */
  setStartExecutionFault(type: string | undefined): void;
  stop(): Promise<void>;
}

/**
 * SQS (SendMessage, ReceiveMessage, DeleteMessage, ChangeMessageVisibility, GetQueueAttributes) over LocalQueues, and Step Functions StartExecution
 * with its name rules: a name already used with the same input returns the same execution, with
 * another input ExecutionAlreadyExists (Standard workflows).
 */
export async function startSqsAndSfnDouble(queues: LocalQueue[], stateMachineArns: string[]): Promise<SqsAndSfnDouble> {
  const byUrl = new Map(queues.map((queue) => [queue.options.url, queue]));
  const executions: StartedExecution[] = [];
  const refusedStarts: Array<{ name: string; input: any }> = [];
  let startExecutionFault: string | undefined;
  const queueOf = (url: string): LocalQueue => {
    const queue = byUrl.get(url);
    if (!queue) throw awsError('AWS.SimpleQueueService.NonExistentQueue', `The specified queue does not exist: ${url}`);
    return queue;
  };

  const server = await startJsonProtocolDouble({
    'AmazonSQS.SendMessage': (body) => {
      const message = queueOf(body.QueueUrl).send(body.MessageBody, body.MessageAttributes ?? {});
      return { MessageId: message.messageId, MD5OfMessageBody: createHash('md5').update(body.MessageBody).digest('hex') };
    },
    'AmazonSQS.ChangeMessageVisibility': (body) => {
      if (!(Number.isInteger(body.VisibilityTimeout) && body.VisibilityTimeout >= 0 && body.VisibilityTimeout <= 43_200)) {
        throw awsError('InvalidParameterValue', `VisibilityTimeout must be 0-43200 (given ${body.VisibilityTimeout})`);
      }
      if (!queueOf(body.QueueUrl).changeVisibility(body.ReceiptHandle, body.VisibilityTimeout)) {
        throw awsError('ReceiptHandleIsInvalid', `The receipt handle ${body.ReceiptHandle} is not valid`);
      }
      return {};
    },
    'AmazonSQS.ReceiveMessage': (body) => {
      const max = body.MaxNumberOfMessages ?? 1;
      if (!(Number.isInteger(max) && max >= 1 && max <= 10)) throw awsError('InvalidParameterValue', `MaxNumberOfMessages must be 1-10 (given ${max})`);
      const records = queueOf(body.QueueUrl).receive(max, body.VisibilityTimeout);
      return {
        Messages: records.map((record) => ({
          MessageId: record.messageId,
          ReceiptHandle: record.receiptHandle,
          Body: record.body,
          MD5OfBody: createHash('md5').update(record.body).digest('hex'),
          Attributes: { ApproximateReceiveCount: record.attributes.ApproximateReceiveCount, SentTimestamp: record.attributes.SentTimestamp },
        })),
      };
    },
    'AmazonSQS.DeleteMessage': (body) => {
      if (!queueOf(body.QueueUrl).deleteMessage(body.ReceiptHandle)) {
        throw awsError('ReceiptHandleIsInvalid', `The receipt handle ${body.ReceiptHandle} is not valid`);
      }
      return {};
    },
    'AmazonSQS.GetQueueAttributes': (body) => {
      const { visible, notVisible } = queueOf(body.QueueUrl).counts();
      return { Attributes: { ApproximateNumberOfMessages: String(visible), ApproximateNumberOfMessagesNotVisible: String(notVisible) } };
    },
    'AWSStepFunctions.StartExecution': (body) => {
      if (startExecutionFault !== undefined) throw awsError(startExecutionFault, `${startExecutionFault} scripted in the test`);
      if (!stateMachineArns.includes(body.stateMachineArn)) {
        throw awsError('StateMachineDoesNotExist', `State machine does not exist: ${body.stateMachineArn}`);
      }
      if (!/^[A-Za-z0-9_-]{1,80}$/.test(body.name ?? '')) throw awsError('InvalidName', `Invalid name ${body.name}`);
      const input = JSON.parse(body.input ?? '{}');
      const earlier = executions.find((execution) => execution.stateMachineArn === body.stateMachineArn && execution.name === body.name);
      if (earlier) {
        if (JSON.stringify(earlier.input) === JSON.stringify(input)) return { executionArn: earlier.executionArn, startDate: 0 };
        refusedStarts.push({ name: body.name, input });
        throw awsError('ExecutionAlreadyExists', `Execution already exists: ${body.name}`);
      }
      const executionArn = `${body.stateMachineArn.replace(':stateMachine:', ':execution:')}:${body.name}`;
      executions.push({ stateMachineArn: body.stateMachineArn, name: body.name, input, executionArn });
      return { executionArn, startDate: Date.now() / 1000 };
    },
  });
  return {
    url: server.url,
    server,
    executions,
    refusedStarts,
    setStartExecutionFault: (type) => void (startExecutionFault = type),
    stop: () => server.stop(),
  };
}
