// One ajv configuration for every JSON Schema of the project (event data and request bodies). A
// function's bundle carries its context's validators compiled when it was built (scripts/build.ts
// hands them over through `usePrecompiled`), so its first request compiles nothing; any other schema
// is compiled once, on first use, and kept, by one ajv instance per process.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Code, ErrorObject, Format, ValidateFunction } from 'ajv';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import common from '../schemas/common.json' with { type: 'json' };

export interface SchemaViolation {
  pointer: string;
  message: string;
}

// PostgreSQL holds no year 0000 (it counts 1 BC instead): a date or time in it would pass the
// schema and fail the query with a 500, so the schema refuses it.
const NOT_YEAR_ZERO = /^(?!0000)/;

type DateFormat = { validate: (value: string) => boolean; compare: (a: string, b: string) => number | undefined };
const withoutYearZero = (standard: DateFormat): Format => ({
  type: 'string',
  validate: (value: string) => NOT_YEAR_ZERO.test(value) && standard.validate(value),
  compare: standard.compare,
});

/** The string formats the schemas use (ajv-formats' full ones); precompiled validators read them from here. */
export const formats: Record<string, Format> = {
  uuid: fullFormats.uuid,
  email: fullFormats.email,
  uri: fullFormats.uri,
  date: withoutYearZero(fullFormats.date as DateFormat),
  'date-time': withoutYearZero(fullFormats['date-time'] as DateFormat),
};

/**
 * The project's ajv: `coerceTypes` for query strings. With `source`, it keeps each validator's code
 * for standalone modules, whose formats come from `formats` (the build passes the code reaching it).
 */
export const makeAjv = (coerceTypes: boolean, source?: { formats: Code }): Ajv2020 => {
  const code = source ? { source: true, formats: source.formats } : {};
  const ajv = new Ajv2020({ allErrors: true, strict: true, coerceTypes, useDefaults: false, code });
  for (const [name, format] of Object.entries(formats)) ajv.addFormat(name, format);
  ajv.addSchema(common);
  return ajv;
};

/** Where a precompiled validator is kept: the schema's `$id`, and whether it coerces. */
export const validatorKey = (id: string, coerce: boolean): string => (coerce ? `${id}#coerce` : id);

let precompiled: Readonly<Record<string, ValidateFunction>> = {};

/** Validators compiled ahead of time, by `validatorKey`; used instead of compiling their schemas. */
export const usePrecompiled = (validators: Readonly<Record<string, ValidateFunction>>): void => {
  precompiled = { ...precompiled, ...validators };
};

let strictAjv: Ajv2020 | undefined;
let coercingAjv: Ajv2020 | undefined;
const compiled = new WeakMap<object, ValidateFunction>();
const compiledCoercing = new WeakMap<object, ValidateFunction>();

const compile = (schema: object, coerce: boolean): ValidateFunction => {
  const cache = coerce ? compiledCoercing : compiled;
  let fn = cache.get(schema);
  if (!fn) {
    const id = (schema as { $id?: string }).$id;
    fn = id ? precompiled[validatorKey(id, coerce)] : undefined;
    if (!fn) {
      const ajv = coerce ? (coercingAjv ??= makeAjv(true)) : (strictAjv ??= makeAjv(false));
      fn = (id && ajv.getSchema(id)) || ajv.compile(schema);
    }
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
