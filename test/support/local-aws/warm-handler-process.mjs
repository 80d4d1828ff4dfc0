// A warm Lambda container for one bundle: loads it once, then answers one event per stdin line
// with one response line on stdout ({"error": {...}} when the handler threw). The handler's own
// log lines go to stderr.
//   node warm-handler-process.mjs <path/to/index.mjs> [export name, default handler]
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const [bundle, exportName = 'handler'] = process.argv.slice(2);
const stdout = process.stdout.write.bind(process.stdout);
// Handlers write their JSON log lines straight to process.stdout (not through console): send them to stderr too.
process.stdout.write = (...args) => process.stderr.write(...args);
console.log = console.info = console.debug = (...args) => console.error(...args);
const handler = (await import(pathToFileURL(bundle).href))[exportName];

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim() === '') continue;
  let reply;
  try {
    reply = (await handler(JSON.parse(line))) ?? null;
  } catch (error) {
    reply = { error: { name: error?.name, message: error?.message } };
  }
  stdout(`${JSON.stringify(reply)}\n`);
}
