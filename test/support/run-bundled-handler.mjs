// Runs one bundled handler the way Lambda would load it, outside jest:
//   node run-bundled-handler.mjs <path/to/index.mjs> < event.json
// stdout carries only the handler's response as one JSON line ({"error": {...}} and exit code 1 if
// it threw); the handler's own log lines are moved to stderr so they cannot be mistaken for it.
import { pathToFileURL } from 'node:url';

const [bundle] = process.argv.slice(2);
if (!bundle) {
  console.error('usage: node run-bundled-handler.mjs <path/to/index.mjs> < event.json');
  process.exit(2);
}

const stdout = process.stdout.write.bind(process.stdout);
// Handlers write their JSON log lines straight to process.stdout (not through console): send them to stderr too.
process.stdout.write = (...args) => process.stderr.write(...args);
console.log = console.info = console.debug = (...args) => console.error(...args);

let input = '';
for await (const chunk of process.stdin) {
  input += chunk;
}

const { handler } = await import(pathToFileURL(bundle).href);
try {
  const response = await handler(JSON.parse(input));
  stdout(`${JSON.stringify(response ?? null)}\n`);
} catch (error) {
  stdout(`${JSON.stringify({ error: { name: error?.name, message: error?.message } })}\n`);
  process.exitCode = 1;
}
