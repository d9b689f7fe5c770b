// Prometheus' promtool, which checks the alerting rules and runs their unit tests
// (scripts/knative/observability.test.ts). Built once from the Go module proxy into
// .cache/promtool/<version>/promtool, the way scripts/kafka.ts resolves Kafka from Maven Central;
// afterwards nothing is fetched. Needs Go 1.21 or later on the PATH: with GOTOOLCHAIN=auto an
// older one fetches the toolchain Prometheus asks for from the same proxy.
//
//   npx tsx scripts/knative/promtool.ts     build it unless it is there, print its path
//
// Prometheus' go.mod has `exclude` directives, so `go install …@version` refuses it: the build
// goes through a small module that requires it instead.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The Go module version of Prometheus 3.7.3 (Prometheus tags its Go module v0.<major><minor>.<patch>). */
export const PROMTOOL_VERSION = 'v0.307.3';
const MODULE = 'github.com/prometheus/prometheus';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cacheDir = join(root, '.cache', 'promtool', PROMTOOL_VERSION);
export const PROMTOOL = join(cacheDir, 'promtool');

const go = (args: string[], cwd: string): void => {
  const run = spawnSync('go', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod -buildvcs=false', GOTOOLCHAIN: 'auto' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw new Error(`promtool is built with Go, which could not run (Go 1.21 or later on the PATH): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`go ${args.join(' ')} failed:\n${run.stderr}`);
};

/** The path of promtool, built first when it is not in the cache (minutes, once). */
export const promtool = (): string => {
  if (existsSync(PROMTOOL)) return PROMTOOL;
  const src = join(cacheDir, 'src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'go.mod'), 'module promtoolbuild\n\ngo 1.24\n');
  writeFileSync(join(src, 'tools.go'), `//go:build tools\n\npackage tools\n\nimport _ "${MODULE}/cmd/promtool"\n`);
  go(['get', `${MODULE}/cmd/promtool@${PROMTOOL_VERSION}`], src);
  go(['build', '-o', PROMTOOL, `${MODULE}/cmd/promtool`], src);
  return PROMTOOL;
};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    console.log(promtool());
  } catch (error) {
    console.error(`promtool: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
