import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { join } from 'node:path';

// ajv (draft-07 by default) is not a dependency of this package: it is in node_modules through
// aws-local-stepfunctions (asl-validator). If it ever goes, these tests fail to import, loudly.
const schema = require(join(__dirname, '..', '..', 'docs', 'event-schema.json'));
const ajv = new Ajv({ strict: true, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(schema);

/** The schema's complaints about a detail, as readable strings; empty when it conforms. */
export function schemaErrors(detail: unknown): string[] {
  return validate(detail) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message}`);
}
