import { createServer, IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for AWS services that speak the JSON protocol (Rekognition, SQS, Step Functions,
 * EventBridge...): point a real SDK v3 client at `url` (AWS_ENDPOINT_URL_<SERVICE> or `endpoint`)
 * and it signs, serialises and parses errors exactly as against AWS.
 */

/** One request as the double received it. */
export interface RecordedRequest {
  /** The X-Amz-Target header, e.g. 'RekognitionService.StartMediaAnalysisJob'. */
  readonly target: string;
  /** The operation part of the target, e.g. 'StartMediaAnalysisJob'. */
  readonly operation: string;
  readonly body: any;
  readonly headers: IncomingHttpHeaders;
}

/** Returns the response body, or an AwsErrorReply (returned or thrown) for a service error. */
export type OperationHandler = (body: any, request: RecordedRequest) => unknown;

/** A service error as the JSON protocol sends it: `{__type, message}` with a 4xx/5xx status. */
export class AwsErrorReply {
  constructor(
    public readonly type: string,
    public readonly message: string,
    public readonly status: number = defaultStatus(type),
  ) {}
}

export function awsError(type: string, message = `${type} from the test double`, status?: number): AwsErrorReply {
  return new AwsErrorReply(type, message, status);
}

/** A handler that answers with each reply in turn, then repeats the last one. */
export function inSequence(...replies: unknown[]): OperationHandler {
  let next = 0;
  return () => replies[Math.min(next++, replies.length - 1)];
}

export interface JsonProtocolDouble {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Every request received, oldest first. */
  readonly requests: RecordedRequest[];
  /** Sets (or replaces) the handler of one target. */
  handle(target: string, handler: OperationHandler): void;
  /** The requests received for one target. */
  requestsFor(target: string): RecordedRequest[];
  /** Forgets the recorded requests (handlers stay). */
  clear(): void;
  stop(): Promise<void>;
}

export async function startJsonProtocolDouble(handlers: Record<string, OperationHandler> = {}): Promise<JsonProtocolDouble> {
  const routes = new Map(Object.entries(handlers));
  const requests: RecordedRequest[] = [];

  const server = createServer((incoming, outgoing) => {
    void answer(incoming, outgoing, routes, requests);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle: (target, handler) => void routes.set(target, handler),
    requestsFor: (target) => requests.filter((request) => request.target === target),
    clear: () => void requests.splice(0),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function answer(
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  routes: Map<string, OperationHandler>,
  requests: RecordedRequest[],
): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) {
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const target = String(incoming.headers['x-amz-target'] ?? '');
  const contentType = String(incoming.headers['content-type'] ?? 'application/x-amz-json-1.1');

  let reply: unknown;
  try {
    const request: RecordedRequest = {
      target,
      operation: target.slice(target.indexOf('.') + 1),
      body: text === '' ? {} : JSON.parse(text),
      headers: incoming.headers,
    };
    requests.push(request);
    const handler = routes.get(target);
    reply = handler ? await handler(request.body, request) : awsError('UnknownOperationException', `No handler for ${JSON.stringify(target)}`);
  } catch (error) {
    reply = error instanceof AwsErrorReply ? error : awsError('InternalFailure', String(error), 500);
  }

  if (reply instanceof AwsErrorReply) {
    send(outgoing, reply.status, contentType, { __type: reply.type, message: reply.message });
  } else {
    send(outgoing, 200, contentType, reply ?? {});
  }
}

function send(outgoing: ServerResponse, status: number, contentType: string, body: unknown): void {
  const text = JSON.stringify(body);
  outgoing.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': `double-${Date.now()}`,
  });
  outgoing.end(text);
}

function defaultStatus(type: string): number {
  if (type === 'InternalServerError' || type === 'InternalFailure') return 500;
  if (type === 'ServiceUnavailable' || type === 'ServiceUnavailableException') return 503;
  return 400;
}
