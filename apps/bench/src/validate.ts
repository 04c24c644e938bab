import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/** Where the JSON Schema of the report lives (the package root, next to package.json). */
export const REPORT_SCHEMA_PATH = new URL('../report.schema.json', import.meta.url);

let validator: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(REPORT_SCHEMA_PATH, 'utf8'));
    validator = new Ajv({ allErrors: true, strictTypes: false, allowUnionTypes: true }).compile(schema);
  }
  return validator;
}

/** The schema violations of a report (empty when it conforms to report.schema.json). */
export function reportSchemaErrors(report: unknown): string[] {
  const validate = compiled();
  if (validate(report)) return [];
  return (validate.errors ?? []).map(
    (e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`,
  );
}
