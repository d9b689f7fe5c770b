// One ajv instance per process for every JSON Schema of the project (event data and request
// bodies); each schema is compiled once, on first use, and kept.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import common from '../schemas/common.json' with { type: 'json' };

// ajv-formats is CommonJS: its default export arrives wrapped under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020, formats: string[]) => Ajv2020;

export interface SchemaViolation {
  pointer: string;
  message: string;
}

// PostgreSQL holds no year 0000 (it counts 1 BC instead): a date or time in it would pass the
// schema and fail the query with a 500, so the schema refuses it.
const NOT_YEAR_ZERO = /^(?!0000)/;

const makeAjv = (coerceTypes: boolean): Ajv2020 => {
  const ajv = new Ajv2020({ allErrors: true, strict: true, coerceTypes, useDefaults: false });
  addFormats(ajv, ['uuid', 'email', 'date', 'date-time', 'uri']);
  for (const name of ['date', 'date-time'] as const) {
    const standard = ajv.formats[name] as { validate: (value: string) => boolean; compare: (a: string, b: string) => number | undefined };
    ajv.addFormat(name, { type: 'string', validate: (value: string) => NOT_YEAR_ZERO.test(value) && standard.validate(value), compare: standard.compare });
  }
  ajv.addSchema(common);
  return ajv;
};

let strictAjv: Ajv2020 | undefined;
let coercingAjv: Ajv2020 | undefined;
const compiled = new WeakMap<object, ValidateFunction>();
const compiledCoercing = new WeakMap<object, ValidateFunction>();

const compile = (schema: object, coerce: boolean): ValidateFunction => {
  const cache = coerce ? compiledCoercing : compiled;
  let fn = cache.get(schema);
  if (!fn) {
    const ajv = coerce ? (coercingAjv ??= makeAjv(true)) : (strictAjv ??= makeAjv(false));
    const id = (schema as { $id?: string }).$id;
    fn = (id && ajv.getSchema(id)) || ajv.compile(schema);
    cache.set(schema, fn);
  }
  return fn;
};

const describe = (error: ErrorObject): SchemaViolation => {
  let pointer = error.instancePath;
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'required') {
    pointer += `/${(error.params as { missingProperty: string }).missingProperty}`;
    message = 'is required';
  } else if (error.keyword === 'additionalProperties') {
    pointer += `/${(error.params as { additionalProperty: string }).additionalProperty}`;
    message = 'is not allowed';
  }
  return { pointer: pointer || '/', message };
};

/**
 * Validates `value` against `schema`; returns the violations (empty when valid). With `coerce`,
 * strings are converted to the schema's types in place (query strings).
 */
export const violations = (schema: object, value: unknown, coerce = false): SchemaViolation[] => {
  const validate = compile(schema, coerce);
  if (validate(value)) return [];
  return (validate.errors ?? []).map(describe);
};
