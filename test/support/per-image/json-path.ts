/**
 * The small part of JSONPath that the per-image definition uses outside the states
 * aws-local-stepfunctions runs: `$.a.b` on the state, `$$.a.b` on the context object, and
 * payload templates whose keys end in `.$`.
 */
export function readPath(path: string, input: unknown, context: unknown = {}): unknown {
  const [root, rest] = path.startsWith('$$') ? [context, path.slice(2)] : [input, path.slice(1)];
  if (rest === '') return root;
  if (!rest.startsWith('.')) throw new Error(`unsupported JSONPath ${path}`);
  let value: any = root;
  for (const part of rest.slice(1).split('.')) {
    if (value === null || typeof value !== 'object' || !(part in value)) {
      throw Object.assign(new Error(`JSONPath ${path} matched nothing`), { name: 'States.Runtime' });
    }
    value = value[part];
  }
  return value;
}

export function resolvePayload(template: Record<string, unknown>, input: unknown, context: unknown = {}): Record<string, unknown> {
  return Object.fromEntries(Object.entries(template).map(([key, value]) => (key.endsWith('.$')
    ? [key.slice(0, -2), readPath(String(value), input, context)]
    : [key, value && typeof value === 'object' && !Array.isArray(value) ? resolvePayload(value as Record<string, unknown>, input, context) : value])));
}
