// Validation against the project's JSON Schemas (event data and request bodies), by one ajv
// configuration (events/validation-compile.ts). A function's bundle carries its context's validators
// compiled when it was built (scripts/build.ts hands them over through `usePrecompiled`), so its
// first request compiles nothing; any other schema is compiled once, on first use, and kept.
import type { ErrorObject, ValidateFunction } from 'ajv';
import { compileSchema } from './validation-compile.js';

export interface SchemaViolation {
  pointer: string;
  message: string;
}

/** Where a precompiled validator is kept: the schema's `$id`, and whether it coerces. */
export const validatorKey = (id: string, coerce: boolean): string => (coerce ? `${id}#coerce` : id);

let precompiled: Readonly<Record<string, ValidateFunction>> = {};

/** Validators compiled ahead of time, by `validatorKey`; used instead of compiling their schemas. */
export const usePrecompiled = (validators: Readonly<Record<string, ValidateFunction>>): void => {
  precompiled = { ...precompiled, ...validators };
};

const compiled = new WeakMap<object, ValidateFunction>();
const compiledCoercing = new WeakMap<object, ValidateFunction>();

const compile = (schema: object, coerce: boolean): ValidateFunction => {
  const cache = coerce ? compiledCoercing : compiled;
  let fn = cache.get(schema);
  if (!fn) {
    const id = (schema as { $id?: string }).$id;
    fn = (id ? precompiled[validatorKey(id, coerce)] : undefined) ?? compileSchema(schema, coerce);
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
