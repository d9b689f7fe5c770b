// Validators compiled ahead of time: ajv standalone code, for the build to put in a function's
// bundle (scripts/build-validators.ts). Compiled by validation-compile.ts's own `makeAjv`, so they
// answer exactly as the validators it compiles at run time; apart from it so that no bundle carries
// the standalone code generator.
import { _ } from 'ajv';
import standalone from 'ajv/dist/standalone/index.js';
import { makeAjv } from './validation-compile.js';
import { validatorKey } from './validation.js';

/**
 * A CommonJS module exporting the validators of `schemas` by `validatorKey`, for esbuild to bundle:
 * it `require`s ajv's runtime helpers and the formats of `formatsModule` (events/formats.ts).
 */
export const standaloneValidators = (schemas: readonly object[], coerce: boolean, formatsModule: string): string => {
  const ajv = makeAjv(coerce, { formats: _`require(${formatsModule}).formats` });
  const exports: Record<string, string> = {};
  for (const schema of schemas) {
    const id = (schema as { $id?: string }).$id;
    if (!id) continue;
    if (!ajv.getSchema(id)) ajv.compile(schema);
    exports[validatorKey(id, coerce)] = id;
  }
  // CommonJS: the function is both the module and its `default`.
  return standalone.default(ajv, exports);
};
