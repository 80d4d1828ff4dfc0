import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An S3 error as S3 sends it (REST-XML). */
export interface S3Fault {
  readonly status: number;
  readonly code: string;
  readonly message?: string;
}

export interface S3FaultProxy {
  /** http://127.0.0.1:<port>: an S3 endpoint that forwards to the real server unless a fault is due. */
  readonly url: string;
  /** The next `count` requests matching `matches` (method and path-style path) get `fault`. */
  failNext(matches: (method: string, path: string) => boolean, fault: S3Fault, count: number): void;
  /** Faults answered so far. */
  readonly answered: Array<{ method: string; path: string; code: string }>;
  stop(): Promise<void>;
}

/** A pass-through proxy in front of s3rver that answers chosen requests with S3 errors (s3rver has no fault injection). */
export async function startS3FaultProxy(target: string): Promise<S3FaultProxy> {
  const upstream = new URL(target);
  const rules: Array<{ matches: (method: string, path: string) => boolean; fault: S3Fault; left: number }> = [];
  const answered: S3FaultProxy['answered'] = [];
  const server = createServer((incoming, outgoing) => {
    const method = incoming.method ?? 'GET';
    const path = decodeURIComponent((incoming.url ?? '/').split('?')[0]);
    const rule = rules.find((candidate) => candidate.left > 0 && candidate.matches(method, path));
    if (rule) {
      rule.left -= 1;
      answered.push({ method, path, code: rule.fault.code });
      incoming.resume();
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${rule.fault.code}</Code><Message>${rule.fault.message ?? 'injected'}</Message><RequestId>proxy</RequestId></Error>`;
      outgoing.writeHead(rule.fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
      outgoing.end(body);
      return;
    }
    const forward = request({
      host: upstream.hostname, port: upstream.port, method, path: incoming.url, headers: { ...incoming.headers, host: upstream.host },
    }, (response) => {
      outgoing.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(outgoing);
    });
    forward.on('error', (error) => outgoing.destroy(error));
    incoming.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    failNext: (matches, fault, count) => void rules.push({ matches, fault, left: count }),
    answered,
    stop: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}
