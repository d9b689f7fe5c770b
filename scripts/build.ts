// Bundles every function of the registry into its own self-contained file, dist/functions/<name>.js,
// which is what a container runs for FUNCTION_TARGET=<name>: only that function's code, no
// node_modules. Also bundles the migration runner (dist/migrate.js) so that the same image can
// migrate the database.
//
//   npm run build                         every function, into dist/ (or BUILD_OUTDIR)
//   npx tsx scripts/build.ts --outdir /tmp/out billing-create-invoice   some functions elsewhere
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RegisteredFunction } from '../functions/runtime/definition.js';
import { VALIDATORS, lazyCompilerPlugin, validatorsPlugin } from './build-validators.js';
import { nodeOnlyPlugin } from './build-node-only.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// Lets bundled CommonJS dependencies `require` node builtins from an ES module.
const banner = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";

// PGlite is imported only when DATABASE_URL is unset, which never happens in a container;
// pg-native is an optional driver that pg never loads unless asked.
const external = ['@electric-sql/pglite', '@electric-sql/pglite/*', 'pg-native'];

const common: esbuild.BuildOptions = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  banner: { js: banner },
  external,
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: 'eof',
  metafile: true,
  absWorkingDir: root,
  logLevel: 'warning',
};

export interface BuildOptions {
  /** Output root: bundles go to `<outdir>/functions/`, the migration runner to `<outdir>/migrate.js`. */
  outdir?: string;
  /** Only these functions (by name); all of them when empty. */
  only?: string[];
  /** Print the size summary (default true). */
  quiet?: boolean;
}

export interface BuiltBundle {
  name: string;
  file: string;
  bytes: number;
  /** Bytes of output per npm package (or `(project)` for this repository's code). */
  packages: Record<string, number>;
}

export interface BuildResult {
  outdir: string;
  functions: BuiltBundle[];
  migrate: BuiltBundle | undefined;
  ms: number;
}

/** The module that starts one function: its precompiled validators, its definition handed to the runtime's server. */
export const entrySource = (fn: RegisteredFunction): string => {
  const { name, context, path } = fn;
  return [
    `import definition from ${JSON.stringify(`./functions/${path}.ts`)};`,
    `import strict from ${JSON.stringify(`${VALIDATORS}:${name}/strict`)};`,
    `import coercing from ${JSON.stringify(`${VALIDATORS}:${name}/coercing`)};`,
    `import { usePrecompiled } from './events/validation.ts';`,
    `import { serveFunction } from './functions/runtime/serve.ts';`,
    `usePrecompiled({ ...strict, ...coercing });`,
    `await serveFunction({ name: ${JSON.stringify(name)}, context: ${JSON.stringify(context)}, path: ${JSON.stringify(path)}, definition });`,
    '',
  ].join('\n');
};

/** Fails early, with the function's name, when the registry and the source files disagree. */
const checkEntry = async (fn: RegisteredFunction): Promise<void> => {
  const source = join(root, 'functions', `${fn.path}.ts`);
  if (!existsSync(source)) throw new Error(`${fn.name}: no source file functions/${fn.path}.ts`);
  const module = (await import(pathToFileURL(source).href)) as { default?: unknown };
  if (module.default !== fn.definition) {
    throw new Error(`${fn.name}: functions/${fn.path}.ts must default-export the definition that functions/index.ts registers`);
  }
};

const packageOf = (input: string): string => {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return '(project)';
  const parts = input.slice(at + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? '?');
};

const summarise = (name: string, file: string, metafile: esbuild.Metafile): BuiltBundle => {
  const key = relative(root, file).split('\\').join('/');
  const output = metafile.outputs[key];
  if (!output) throw new Error(`${name}: esbuild wrote no ${key}`);
  const packages: Record<string, number> = {};
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const pkg = packageOf(input);
    packages[pkg] = (packages[pkg] ?? 0) + bytesInOutput;
  }
  return { name, file, bytes: output.bytes, packages };
};

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

const printSummary = (result: BuildResult): void => {
  const all = [...result.functions, ...(result.migrate ? [result.migrate] : [])];
  const width = Math.max(8, ...all.map((b) => relative(result.outdir, b.file).length));
  console.log(`\n${'bundle'.padEnd(width)}  ${'size'.padStart(10)}`);
  for (const b of all) console.log(`${relative(result.outdir, b.file).padEnd(width)}  ${kb(b.bytes).padStart(10)}`);
  const total = all.reduce((sum, b) => sum + b.bytes, 0);
  console.log(`${'total'.padEnd(width)}  ${kb(total).padStart(10)}`);
  const largest = [...result.functions].sort((a, b) => b.bytes - a.bytes)[0];
  if (largest) {
    const top = Object.entries(largest.packages)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 8);
    console.log(`\nlargest bundle ${largest.name}, by package: ${top.map(([p, n]) => `${p} ${kb(n)}`).join(', ')}`);
  }
  console.log(`\n${result.functions.length} function bundle(s)${result.migrate ? ' and migrate.js' : ''} in ${result.outdir} (${result.ms} ms)`);
};

// Each function's entry module is virtual (`gotuto-entry:<name>`, resolved from the repository
// root), so that one esbuild run parses the shared code once and writes every bundle, each
// complete on its own (no code splitting). Several times faster than one build per function.
const ENTRY = 'gotuto-entry';

const entryPlugin = (functions: RegisteredFunction[]): esbuild.Plugin => ({
  name: ENTRY,
  setup(b) {
    b.onResolve({ filter: new RegExp(`^${ENTRY}:`) }, (args) => ({ path: args.path.slice(ENTRY.length + 1), namespace: ENTRY }));
    b.onLoad({ filter: /.*/, namespace: ENTRY }, (args) => {
      const fn = functions.find((f) => f.name === args.path);
      if (!fn) return { errors: [{ text: `no function ${args.path}` }] };
      return { contents: entrySource(fn), resolveDir: root, loader: 'js' };
    });
  },
});

// The OpenTelemetry SDK and its exporters are a bundle of their own (dist/functions/telemetry-sdk.js)
// that the runtime imports only when an OTLP endpoint is set: a function without one reads none of it.
const TELEMETRY_SDK = './telemetry-sdk.js';

const telemetrySdkPlugin: esbuild.Plugin = {
  name: 'telemetry-sdk',
  setup(b) {
    b.onResolve({ filter: /^\.\/telemetry-sdk\.js$/ }, () => ({ path: TELEMETRY_SDK, external: true }));
  },
};

// Kafka too: an outbox publishes to Kafka only with OUTBOX_KAFKA_TOPIC set, and loads it then
// (`await import('./kafka.js')` in outbox.ts), so kafkajs is a bundle of its own
// (dist/functions/outbox-kafka.js) that every other function never reads at its start.
const OUTBOX_KAFKA = './outbox-kafka.js';
const OUTBOX = join(root, 'functions', 'runtime', 'outbox.ts');

const outboxKafkaPlugin: esbuild.Plugin = {
  name: 'outbox-kafka',
  setup(b) {
    b.onResolve({ filter: /^\.\/kafka\.js$/ }, (args) =>
      args.kind === 'dynamic-import' && args.importer === OUTBOX ? { path: OUTBOX_KAFKA, external: true } : undefined,
    );
  },
};

// iconv-lite's tables of legacy character sets (single-byte and East Asian, about 460 KB, half of
// what each bundle reads of it) are left out: the functions take JSON, which body-parser reads only
// as UTF-8, -16 or -32, and a body in another charset is refused with 415 before or after them
// alike (`encoding.unsupported`). Measured: a few ms of CPU off every start.
const LEGACY_CHARSETS = /^\.\/(sbcs-data-generated|dbcs-data)$/;

const legacyCharsetsPlugin: esbuild.Plugin = {
  name: 'legacy-charsets',
  setup(b) {
    b.onResolve({ filter: LEGACY_CHARSETS }, (args) =>
      /iconv-lite[\\/]encodings[\\/]index\.js$/.test(args.importer) ? { path: args.path, namespace: 'legacy-charsets' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'legacy-charsets' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

export const build = async (options: BuildOptions = {}): Promise<BuildResult> => {
  const started = performance.now();
  const outdir = resolve(root, options.outdir ?? process.env.BUILD_OUTDIR ?? 'dist');
  const { registry } = await import('../functions/index.js');
  const only = options.only?.filter(Boolean) ?? [];
  const unknown = only.filter((name) => !registry.some((fn) => fn.name === name));
  if (unknown.length > 0) throw new Error(`unknown function(s): ${unknown.join(', ')}`);
  const selected = only.length > 0 ? registry.filter((fn) => only.includes(fn.name)) : registry;
  await Promise.all(selected.map(checkEntry));

  const functionsDir = join(outdir, 'functions');
  // A full build replaces the folder, so a removed function leaves no stale bundle behind.
  if (only.length === 0) rmSync(functionsDir, { recursive: true, force: true });
  mkdirSync(functionsDir, { recursive: true });

  const migrateSource = join(root, 'scripts', 'migrate.ts');
  const withMigrate = existsSync(migrateSource);
  const entryPoints = [
    ...selected.map((fn) => ({ in: `${ENTRY}:${fn.name}`, out: `functions/${fn.name}` })),
    ...(withMigrate ? [{ in: migrateSource, out: 'migrate' }] : []),
    { in: join(root, 'functions', 'runtime', 'telemetry-sdk.ts'), out: 'functions/telemetry-sdk' },
    { in: join(root, 'functions', 'runtime', 'kafka.ts'), out: 'functions/outbox-kafka' },
  ];
  const { metafile } = await esbuild.build({
    ...common,
    entryPoints,
    outdir,
    plugins: [
      entryPlugin(selected),
      validatorsPlugin(root, selected),
      lazyCompilerPlugin(root),
      telemetrySdkPlugin,
      outboxKafkaPlugin,
      legacyCharsetsPlugin,
      nodeOnlyPlugin,
    ],
  });

  // The bundles are ES modules. Said here, beside them, because the image has no package.json of the
  // repository's: without it node would first try each bundle as CommonJS (syntax detection) at every start.
  writeFileSync(join(outdir, 'package.json'), '{ "type": "module" }\n');
  const functions = selected.map((fn) => summarise(fn.name, join(functionsDir, `${fn.name}.js`), metafile as esbuild.Metafile));
  const migrate = withMigrate ? summarise('migrate', join(outdir, 'migrate.js'), metafile as esbuild.Metafile) : undefined;
  const result: BuildResult = { outdir, functions, migrate, ms: Math.round(performance.now() - started) };
  if (!options.quiet) printSummary(result);
  return result;
};

const parseArgs = (args: string[]): BuildOptions => {
  const options: BuildOptions = { only: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--outdir') options.outdir = args[++i];
    else if (arg.startsWith('--outdir=')) options.outdir = arg.slice('--outdir='.length);
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg} (usage: build.ts [--outdir dir] [function-name...])`);
    else options.only?.push(arg);
  }
  return options;
};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  build(parseArgs(process.argv.slice(2))).catch((error: unknown) => {
    console.error(`build failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
