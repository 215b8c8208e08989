import { Ajv, type ValidateFunction } from 'ajv';
import { compileSafeRegex } from './safe-regex.js';

/** JSON Schema `pattern`s run on the linear-time engine too: a schema cannot stall a worker either. */
const re2Engine = Object.assign((pattern: string) => compileSafeRegex(pattern), { code: 're2js' });

/**
 * Compiles a JSON Schema (draft-07) with ajv, refusing a schema that is not one: a
 * wrong type name or an unknown keyword (a typo such as "propertiez" would otherwise
 * make the schema accept everything) is an error where the schema is given. Schemas
 * that are merely loose (no "type" beside "properties", "required" naming a property
 * not described) are fine, as the JSON Schema standard has them.
 * Throws an Error naming the problem.
 */
export function compileJsonSchema(schema: object): ValidateFunction {
  const ajv = new Ajv({
    strictSchema: true,
    strictNumbers: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
    code: { regExp: re2Engine },
  });
  if (!ajv.validateSchema(schema)) {
    throw new Error(`not a JSON Schema: ${ajv.errorsText(ajv.errors, { dataVar: 'schema' })}`);
  }
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw new Error(
      `not a usable JSON Schema: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** What is wrong with `value` according to a compiled schema, in one line. */
export function describeSchemaErrors(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .map((e) => `${e.instancePath || '(the value)'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}
