import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ConditionalPutProxy {
  /** http://127.0.0.1:<port>: s3rver, with S3's `If-None-Match: *` on PutObject. */
  readonly url: string;
  /** Paths of the PUTs refused because the key existed (412 PreconditionFailed). */
  readonly refused: string[];
  stop(): Promise<void>;
}

/**
 * s3rver ignores If-None-Match on PUT; S3 answers 412 PreconditionFailed when the key exists. This
 * pass-through proxy adds that one behaviour (a HEAD of the key first), so create-only writes
 * can be tested against the local server.
 */
export async function startConditionalPutProxy(target: string): Promise<ConditionalPutProxy> {
  const upstream = new URL(target);
  const refused: string[] = [];
  const forward = (incoming: import('node:http').IncomingMessage, outgoing: import('node:http').ServerResponse) => {
    const proxied = request({
      host: upstream.hostname, port: upstream.port, method: incoming.method, path: incoming.url, headers: { ...incoming.headers, host: upstream.host },
    }, (response) => {
      outgoing.writeHead(response.statusCode ?? 502, response.headers);
      response.pipe(outgoing);
    });
    proxied.on('error', (error) => outgoing.destroy(error));
    incoming.pipe(proxied);
  };
  const server = createServer((incoming, outgoing) => {
    const path = (incoming.url ?? '/').split('?')[0];
    const isPut = incoming.method === 'PUT' && !/[?&](uploadId|partNumber|tagging|acl)=/.test(incoming.url ?? '') && !incoming.headers['x-amz-copy-source'];
    if (!isPut || incoming.headers['if-none-match'] !== '*') {
      forward(incoming, outgoing);
      return;
    }
    incoming.pause();
    const head = request({ host: upstream.hostname, port: upstream.port, method: 'HEAD', path, headers: { host: upstream.host } }, (response) => {
      response.resume();
      if (response.statusCode === 200) {
        refused.push(decodeURIComponent(path));
        incoming.resume();
        const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message><Condition>If-None-Match</Condition></Error>';
        outgoing.writeHead(412, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
        outgoing.end(body);
        return;
      }
      forward(incoming, outgoing);
    });
    head.on('error', (error) => outgoing.destroy(error));
    head.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    refused,
    stop: () => new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((error) => (error ? reject(error) : resolve()));
    }),
  };
}
