// The schema compiler: ajv with the project's one configuration. It compiles the validators a build
// puts in a bundle (events/validation-standalone.ts) and, at run time, any schema that has no
// precompiled validator (every schema, when the runtime runs from source). A bundle evaluates this
// module, and ajv's code generator with it, only when such a schema first comes up
// (scripts/build-validators.ts), never at start.
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Code, ValidateFunction } from 'ajv';
import common from '../schemas/common.json' with { type: 'json' };
import { formats } from './formats.js';

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

let strictAjv: Ajv2020 | undefined;
let coercingAjv: Ajv2020 | undefined;

/** Compiles `schema` by one ajv instance per process and mode, which keeps what it compiled. */
export const compileSchema = (schema: object, coerce: boolean): ValidateFunction => {
  const ajv = coerce ? (coercingAjv ??= makeAjv(true)) : (strictAjv ??= makeAjv(false));
  const id = (schema as { $id?: string }).$id;
  return (id && ajv.getSchema(id)) || ajv.compile(schema);
};
