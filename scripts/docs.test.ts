// The docs a newcomer reads say what the code does: every environment variable the code reads is
// in a README's table of variables, and every variable such a table names is read somewhere.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

const walk = (dir: string): string[] =>
  readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (entry === 'node_modules' || entry.startsWith('.')) return [];
    return statSync(path).isDirectory() ? walk(path) : [path];
  });

/** Code that runs for a user: tests and their helpers set variables rather than read them. */
const isTestCode = (path: string) => /\.test\.ts$|\/testing\.ts$|\/test-support\.ts$/.test(path);

/** Read by the platform's environment, not configuration of this project. */
const NOT_OURS = new Set(['PATH', 'HOME', 'JAVA_HOME', 'K_SERVICE', 'EUID', 'BASH_SOURCE']);

const NAME = '[A-Z][A-Z0-9_]+';
/** Patterns by which code reads a variable: `process.env.X`, `process.env['X']`, `env.X` of a passed environment, schedules' `env: 'X'`. */
const READS = [
  new RegExp(`process\\.env\\.(${NAME})`, 'g'),
  new RegExp(`\\benv\\.(${NAME})`, 'g'),
  new RegExp(`process\\.env\\[['"](${NAME})['"]\\]`, 'g'),
  new RegExp(`env: '(${NAME})'`, 'g'),
];
/** Settings helpers, `const int = (name: string, ...) => ... process.env[name]`, wherever they are defined. */
const helpersIn = (text: string): string[] => [...text.matchAll(/const (\w+) = \(name: string/g)].map(([, helper]) => helper as string);
/** Each `int('X', ...)` reads X, in the helper's own file or in one that imports it. */
const helperReads = (text: string, helpers: string[]): string[] => helpers.flatMap((helper) => matches(text, new RegExp(`\\b${helper}\\('(${NAME})'`, 'g')));
/** Shell: a variable with a default (`${X:-25}`) is one a user may set. */
const SHELL_READS = new RegExp(`\\$\\{(${NAME}):-`, 'g');

const matches = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m[1] as string);

export const variablesRead = (): Map<string, string> => {
  const read = new Map<string, string>();
  const add = (names: string[], path: string) => {
    for (const name of names) if (!read.has(name)) read.set(name, relative(root, path));
  };
  const sources = ['functions', 'events', 'local', 'scripts'].flatMap((dir) => walk(join(root, dir)).filter((p) => p.endsWith('.ts') && !isTestCode(p)));
  const texts = sources.map((path) => ({ path, text: readFileSync(path, 'utf8') }));
  const helpers = [...new Set(texts.flatMap(({ text }) => helpersIn(text)))];
  for (const { path, text } of texts) {
    for (const pattern of READS) add(matches(text, pattern), path);
    add(helperReads(text, helpers), path);
    if (text.includes('_DATABASE_URL`]')) add(['<CONTEXT>_DATABASE_URL'], path);
  }
  for (const path of ['.ci/run', 'scripts/entrypoint.sh'].map((p) => join(root, p))) {
    const text = readFileSync(path, 'utf8');
    add(matches(text, SHELL_READS), path);
  }
  for (const name of NOT_OURS) read.delete(name);
  return read;
};

/** READMEs a user reads for settings: the top one, the folders', each context's. */
const readmes = (): string[] =>
  [
    'README.md',
    'scripts/README.md',
    'scripts/kafka/README.md',
    'local/README.md',
    'knative/README.md',
    ...walk(join(root, 'functions'))
      .filter((p) => p.endsWith('README.md'))
      .map((p) => relative(root, p)),
  ].filter((p) => existsSync(join(root, p)));

/** The names in the first column of every table whose first header is `variable`. */
export const variablesDocumented = (): Map<string, string> => {
  const documented = new Map<string, string>();
  for (const file of readmes()) {
    let inTable = false;
    for (const line of readFileSync(join(root, file), 'utf8').split('\n')) {
      if (/^\|\s*variable\s*\|/.test(line)) inTable = true;
      else if (!line.startsWith('|')) inTable = false;
      else if (inTable) {
        const first = line.split('|')[1] ?? '';
        for (const [, name] of first.matchAll(/`(<CONTEXT>_DATABASE_URL|[A-Z][A-Z0-9_]+)`/g)) {
          if (!documented.has(name as string)) documented.set(name as string, file);
        }
      }
    }
  }
  return documented;
};

describe('environment variables', () => {
  const read = variablesRead();
  const documented = variablesDocumented();

  it('every variable the code reads is documented in a table of variables', () => {
    const missing = [...read].filter(([name]) => !documented.has(name)).map(([name, where]) => `${name} (read in ${where})`);
    expect(missing).toEqual([]);
  });

  it('every documented variable is read by the code', () => {
    const unread = [...documented].filter(([name]) => !read.has(name)).map(([name, where]) => `${name} (documented in ${where})`);
    expect(unread).toEqual([]);
  });

  it('the scan finds what it must (a broken pattern would find nothing)', () => {
    for (const name of ['DATABASE_URL', 'PG_POOL_MAX', 'OVERDUE_SCHEDULE', 'BENCH_COLD_RUNS', 'CI_BUDGET_MINUTES', '<CONTEXT>_DATABASE_URL']) {
      expect(read.has(name), name).toBe(true);
    }
    expect(documented.has('GOTUTO_DATA_DIR')).toBe(true);
  });
});
