import type { S3Client } from '@aws-sdk/client-s3';
import { putText } from './s3';

/**
 * Writes what a Distributed Map's ResultWriter exports, in the documented layout and shapes
 * (Step Functions developer guide, "ResultWriter"): `<Prefix>/<map run id>/manifest.json` listing
 * result files by status, each file holding one record per child execution. A succeeded child
 * is its output with Transformation COMPACT, else the full execution record; a failed child is
 * always the full record (Input and Output as JSON strings, Error, Cause).
 */
export interface ChildExecution {
  readonly input: unknown;
  readonly status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}

export interface ResultWriterOptions {
  readonly bucket: string;
  readonly prefix: string;
  readonly mapRunId: string;
  readonly outputType?: 'JSON' | 'JSONL';
  readonly transformation?: 'NONE' | 'COMPACT';
  readonly stateMachineArn?: string;
}

export interface ResultWriterDetails {
  readonly Bucket: string;
  readonly Key: string;
}

export async function writeResultWriterOutput(s3: S3Client, executions: ChildExecution[], options: ResultWriterOptions): Promise<ResultWriterDetails> {
  const outputType = options.outputType ?? 'JSONL';
  const transformation = options.transformation ?? 'COMPACT';
  const stateMachineArn = options.stateMachineArn ?? 'arn:aws:states:us-east-1:111122223333:stateMachine:PerImage/Images';
  const folder = `${options.prefix}/${options.mapRunId}`;
  const byStatus = new Map<string, unknown[]>();
  executions.forEach((execution, index) => {
    const status = execution.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'FAILED';
    const record = execution.status === 'SUCCEEDED' && transformation === 'COMPACT'
      ? execution.output
      : {
        ExecutionArn: `${stateMachineArn.replace(':stateMachine:', ':express:')}:${options.mapRunId}:${index}`,
        Input: JSON.stringify(execution.input),
        InputDetails: { Included: true },
        Name: `${options.mapRunId}-${index}`,
        ...(execution.status === 'SUCCEEDED'
          ? { Output: JSON.stringify(execution.output), OutputDetails: { Included: true } }
          : { Error: execution.error ?? 'States.TaskFailed', Cause: execution.cause ?? '' }),
        StartDate: '2026-05-01T10:00:00.000Z',
        StateMachineArn: stateMachineArn,
        Status: execution.status,
        StopDate: '2026-05-01T10:00:10.000Z',
      };
    byStatus.set(status, [...byStatus.get(status) ?? [], record]);
  });

  const resultFiles: Record<string, Array<{ Key: string; Size: number }>> = { FAILED: [], PENDING: [], SUCCEEDED: [] };
  for (const [status, records] of byStatus) {
    const key = `${folder}/${status}_0.json`;
    const body = outputType === 'JSONL' ? records.map((record) => `${JSON.stringify(record)}\n`).join('') : JSON.stringify(records);
    await putText(s3, options.bucket, key, body);
    resultFiles[status].push({ Key: key, Size: Buffer.byteLength(body) });
  }
  const manifestKey = `${folder}/manifest.json`;
  await putText(s3, options.bucket, manifestKey, JSON.stringify({
    DestinationBucket: options.bucket,
    MapRunArn: `${stateMachineArn.replace(':stateMachine:', ':mapRun:')}:${options.mapRunId}`,
    ResultFiles: resultFiles,
  }));
  return { Bucket: options.bucket, Key: manifestKey };
}
