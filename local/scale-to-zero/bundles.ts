// The built bundles the scale-to-zero mode runs (`npm run build`: dist/functions/<name>.js, what a
// container runs for FUNCTION_TARGET=<name>), built again when missing or older than the sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What the bundles are made of: a change under these folders makes them stale. */
const SOURCES = ['functions', 'events', 'schemas'];

/** The folder `npm run build` writes by default. */
export const DEFAULT_BUNDLES_DIR = join(root, 'dist');

export const bundlePath = (dir: string, name: string): string => join(dir, 'functions', `${name}.js`);

const newestIn = (dir: string): number => {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
};

/** Why the bundles of `names` in `dir` must be built (one is missing, or older than a source), or undefined. */
export const staleBundles = (dir: string, names: string[]): string | undefined => {
  const missing = names.filter((name) => !existsSync(bundlePath(dir, name)));
  if (missing.length > 0) return `${missing.length} bundle(s) missing, e.g. ${missing[0]}`;
  if (names.length === 0) return undefined;
  const oldest = Math.min(...names.map((name) => statSync(bundlePath(dir, name)).mtimeMs));
  const sources = Math.max(...SOURCES.map((d) => newestIn(join(root, d))));
  return oldest < sources ? 'the sources changed since they were built' : undefined;
};

/** Builds every function's bundle into `dir` when those of `names` are missing or stale; says why. */
export const ensureBundles = async (dir: string, names: string[], say: (line: string) => void = () => undefined): Promise<void> => {
  const why = staleBundles(dir, names);
  if (!why) return;
  say(`building the function bundles into ${dir} (${why})`);
  const { build } = await import('../../scripts/build.js');
  await build({ outdir: dir, quiet: true });
};
