// The project's lint: typescript-eslint with type information, and the architecture of
// functions/README.md ("Who may import what") as rules, so a wrong import fails `npm run lint`
// instead of waiting for a reviewer to remember it.
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const root = import.meta.dirname;

/** Every folder of functions/ but the runtime is a bounded context (platform included). */
const contexts = readdirSync(`${root}/functions`, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== 'runtime')
  .map((entry) => entry.name);

const FRAMEWORKS = {
  '@google-cloud/functions-framework': 'functions are served by the runtime (functions/runtime/serve.ts)',
  '@middy/core': 'the middleware stack is the runtime (functions/runtime/http.ts, events.ts)',
  ajv: 'schemas are compiled once, by events/validation.ts, for the runtime',
  'ajv-formats': 'schemas are compiled once, by events/validation.ts, for the runtime',
  pg: 'SQL goes through the runtime (functions/runtime/db.ts: inTransaction, poolFor)',
  jose: 'tokens are signed and verified by the runtime (functions/runtime/auth.ts)',
  kafkajs: 'Kafka is reached through the runtime (functions/runtime/kafka.ts)',
  cloudevents: 'CloudEvents are built and read by the events package (events/)',
};

const message = (name, where) => `${where}, ${name} is not imported: ${FRAMEWORKS[name]}.`;

// esquery's regex literal ends at a slash, so a scoped name's slash is matched by any character.
const dynamicImportOf = (name) => `ImportExpression[source.value=/^${name.replaceAll('.', '\\.').replace('/', '.')}($|[^\\w-])/]`;

/**
 * The rules forbidding `names` (with their subpaths, e.g. ajv/dist/2020.js), imported statically
 * (`no-restricted-imports`) or dynamically (`import('pg')`, `no-restricted-syntax`). A later config
 * object replaces the options of an earlier one, so each folder gets its full list.
 */
const forbid = (names, where) => ({
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { group: ['**/runtime/internal/**'], message: 'use the runtime public modules' },
        ...names.map((name) => ({ group: [name, `${name}/*`], message: message(name, where) })),
      ],
    },
  ],
  'no-restricted-syntax': ['error', ...names.map((name) => ({ selector: dynamicImportOf(name), message: message(name, where) }))],
});

const ALL = Object.keys(FRAMEWORKS);
const except = (...allowed) => ALL.filter((name) => !allowed.includes(name));
const dir = (name) => `./functions/${name}`;

// Tests observe the product from outside, with the tools an operator would use (a Kafka client
// reading a topic, a token's claims, a manifest checked against its CRD schema): they may use
// pg, kafkajs, jose, ajv and cloudevents. They still never serve a function by hand.
// Tests, and the modules only tests import (named *-testing.ts), observe from outside.
const TESTS = ['**/*.test.ts', '**/*-testing.ts'];
const OBSERVERS = ['pg', 'kafkajs', 'jose', 'ajv', 'ajv-formats', 'cloudevents'];

export default tseslint.config(
  { ignores: ['dist/**', '.data/**', '.cache/**', 'node_modules/**', 'knative/**', 'coverage/**', 'schemas/contracts/openapi.generated.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: root },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${root}/tsconfig.json` })] },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Type-aware: the promise and exhaustiveness rules are why type information is worth its cost.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // A caught error is `unknown`; passing it on to reject() is the point, not a mistake.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      // Noise here, off on purpose: the no-unsafe-* family flags every use of a parsed JSON body
      // (validated against its schema at the edge, and `any` in the test client's responses by
      // design: 1,900 hits, none a bug); unbound-method flags interfaces of plain functions, and
      // no code here uses `this`; require-await flags async functions that satisfy a
      // promise-returning type.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/require-await': 'off',
      ...forbid([], 'Here'),
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: root,
          zones: [
            ...contexts.map((context) => ({
              target: dir(context),
              from: ['./functions/index.ts', ...contexts.filter((other) => other !== context).map(dir)],
              message: `A context never imports another context or the registry: ${context} shares only events/ and the runtime.`,
            })),
            {
              target: './functions/runtime',
              from: ['./functions/index.ts', ...contexts.map(dir)],
              message: 'The runtime knows no context: take the functions as arguments.',
            },
            {
              target: './events',
              from: './functions',
              message: 'The events package stands alone: it imports neither the runtime nor a context.',
            },
            {
              target: './local',
              from: contexts.map(dir),
              message: 'The local platform knows no context: it reaches functions through functions/index.ts and the runtime.',
            },
          ],
        },
      ],
    },
  },
  // Plain JavaScript (the benchmarks' CommonJS fixtures) is outside the TypeScript project.
  {
    files: ['**/*.{js,cjs,mjs}'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { parserOptions: { projectService: false } },
  },
  // Who may import which framework (functions/README.md, "Who may import what").
  { files: ['functions/**/*.ts'], ignores: ['functions/runtime/**'], rules: forbid(ALL, 'In a context') },
  { files: ['events/**/*.ts'], rules: forbid(except('cloudevents'), 'In the events package') },
  // The one JSON Schema engine of the project: event data and request bodies.
  { files: ['events/validation*.ts', 'events/formats.ts'], rules: forbid(except('cloudevents', 'ajv', 'ajv-formats'), 'In the events package') },
  {
    files: ['local/**/*.ts', 'scripts/**/*.ts'],
    rules: forbid(except('pg', 'kafkajs'), 'In local/ and scripts/'),
  },
  { files: TESTS, ignores: ['functions/runtime/**'], rules: forbid(except(...OBSERVERS), 'In a test') },
  // Every answer a test receives is held to the published contract (schemas/contracts/openapi.json):
  // a test speaks to the platform through a client that checks it, never through a bare fetch.
  {
    files: ['**/*.test.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        {
          name: 'fetch',
          message:
            "In a test, call the platform with local/testing.ts's httpClient (or checkedFetch for a raw request), or a function with the runtime's startFunctions (request, requestAt), so the answer is checked against the contract",
        },
      ],
    },
  },
);
