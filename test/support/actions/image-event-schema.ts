import Ajv from 'ajv';
import { join } from 'node:path';

// ajv comes through aws-local-stepfunctions, as in ../event-schema.ts.
const schema = require(join(__dirname, '..', '..', '..', 'docs', 'image-flagged-event-schema.json'));
const validate = new Ajv({ strict: true, allErrors: true }).compile(schema);

/** The schema's complaints about an image event's detail; empty when it conforms. */
export function imageEventSchemaErrors(detail: unknown): string[] {
  return validate(detail) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
}
