// The validators a function's bundle carries precompiled (ajv standalone code), so that its first
// request compiles no schema: its body or query string, the event it consumes, the events it emits.
// The code comes from events/validation-standalone.ts, by events/validation-compile.ts's own ajv
// configuration, so they answer exactly as validators compiled at run time; a schema left out is
// still compiled at run time, on first use, by the compiler the bundle loads then.
import type * as esbuild from 'esbuild';
import { join } from 'node:path';
import { eventDefinitions } from '../events/core.js';
import { standaloneValidators } from '../events/validation-standalone.js';
import type { RegisteredFunction } from '../functions/runtime/definition.js';

type Schema = { $id?: string } & object;

/**
 * The schemas `fn` validates: its body (strict) and query string (coercing), the event it consumes,
 * and every event of its context, which it may emit. Nothing else: another function's body would
 * only make the bundle larger to read at every start.
 */
export const schemasOf = (fn: RegisteredFunction): { strict: Schema[]; coercing: Schema[] } => {
  const strict = new Set<Schema>();
  const coercing = new Set<Schema>();
  const def = fn.definition;
  if (def.kind === 'command' && def.body) strict.add(def.body);
  if (def.kind !== 'handler' && def.query) coercing.add(def.query);
  if (def.kind === 'handler' && def.event) strict.add(def.event.schema);
  for (const event of eventDefinitions()) if (event.context === fn.context) strict.add(event.schema);
  return { strict: [...strict], coercing: [...coercing] };
};

/** The virtual modules of precompiled validators: `gotuto-validators:<function>/strict|coercing`. */
export const VALIDATORS = 'gotuto-validators';

/** Serves each function's validator modules to esbuild; functions validating the same schemas share their sources. */
export const validatorsPlugin = (root: string, functions: readonly RegisteredFunction[]): esbuild.Plugin => ({
  name: VALIDATORS,
  setup(b) {
    const sources = new Map<string, string>();
    b.onResolve({ filter: new RegExp(`^${VALIDATORS}:`) }, (args) => ({ path: args.path.slice(VALIDATORS.length + 1), namespace: VALIDATORS }));
    b.onLoad({ filter: /.*/, namespace: VALIDATORS }, (args) => {
      const [name, kind] = args.path.split('/');
      const fn = functions.find((f) => f.name === name);
      if (!fn || (kind !== 'strict' && kind !== 'coercing')) return { errors: [{ text: `no validators ${args.path}` }] };
      const schemas = schemasOf(fn)[kind];
      const key = `${kind}:${schemas.map((s) => s.$id).join(',')}`;
      let contents = sources.get(key);
      if (contents === undefined) {
        contents = standaloneValidators(schemas, kind === 'coercing', join(root, 'events', 'formats.ts'));
        sources.set(key, contents);
      }
      return { contents, resolveDir: root, loader: 'js' };
    });
  },
});

/**
 * The compiler (events/validation-compile.ts, ajv's code generator) stays in a bundle for a schema
 * left out of its precompiled ones, but is evaluated on its first call instead of at start: what
 * events/validation.ts imports of it is replaced by a function that `require`s it then, which
 * esbuild bundles as a module initialised on demand.
 */
export const lazyCompilerPlugin = (root: string): esbuild.Plugin => {
  const validation = join(root, 'events', 'validation.ts');
  const compiler = join(root, 'events', 'validation-compile.ts');
  return {
    name: 'lazy-compiler',
    setup(b) {
      b.onResolve({ filter: /^\.\/validation-compile\.js$/ }, (args) =>
        args.importer === validation ? { path: compiler, namespace: 'lazy-compiler' } : undefined,
      );
      b.onLoad({ filter: /.*/, namespace: 'lazy-compiler' }, () => ({
        contents: `export const compileSchema = (schema, coerce) => require(${JSON.stringify(compiler)}).compileSchema(schema, coerce);`,
        resolveDir: root,
        loader: 'js',
      }));
    },
  };
};
