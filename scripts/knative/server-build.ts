// Builds what `npm run knative -- --server-check` runs: etcd, kube-apiserver and Knative's Serving and
// Eventing admission webhooks, each from the Go module proxy, each only when its binary is missing.
// Everything lands under .cache/cluster-check/ (binaries, and the Go module and build caches, so the
// CRDs and webhook configurations of Knative's modules are read from a known place), or under
// CLUSTER_CHECK_BUILD_CACHE when set: a directory outside the clone that CI keeps between runs, as a
// CI system caches a build (.ci/run points it at the user's cache). None of these
// can be built with a plain `go install` (replace directives, staging modules, a refused version list),
// so each is a scratch module that requires the released modules and builds the command from them.
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CACHE_DIR = join(root, '.cache', 'cluster-check');
/** Where what is built (binaries, Go caches, scratch modules, build logs) is kept. */
const BUILD_DIR = process.env.CLUSTER_CHECK_BUILD_CACHE ? resolve(process.env.CLUSTER_CHECK_BUILD_CACHE) : CACHE_DIR;
export const BIN_DIR = join(BUILD_DIR, 'bin');
const GO_DIR = join(BUILD_DIR, 'go');
export const GOMODCACHE = join(GO_DIR, 'mod');
const LOG_DIR = join(BUILD_DIR, 'logs');

export const VERSIONS = {
  etcd: 'v3.5.36',
  kubernetes: 'v1.32.13',
  serving: 'v0.49.1', // Knative Serving 1.22.1
  eventing: 'v0.49.2', // Knative Eventing 1.22.2
} as const;

/** The environment of every go command: caches under BUILD_DIR, the machine's toolchain, two cores at most. */
export const goEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  GOMODCACHE,
  GOCACHE: join(GO_DIR, 'build'),
  GOPATH: join(GO_DIR, 'path'),
  GOTOOLCHAIN: 'local',
  // -modcacherw: the cache can be deleted with a plain rm -rf.
  GOFLAGS: '-buildvcs=false -mod=mod -modcacherw',
  GOMAXPROCS: process.env.GOMAXPROCS ?? '2',
  GOPROXY: process.env.GOPROXY ?? 'https://proxy.golang.org',
});

/** Runs `command` (niced: the build shares the machine), its output appended to `log`; rejects with the log's tail. */
export const run = (command: string, args: readonly string[], options: { cwd: string; log: string; env?: NodeJS.ProcessEnv }): Promise<void> =>
  new Promise((done, fail) => {
    mkdirSync(dirname(options.log), { recursive: true });
    const out = createWriteStream(options.log, { flags: 'a' });
    out.write(`$ ${command} ${args.join(' ')}\n`);
    const child = spawn('nice', ['-n', '10', command, ...args], { cwd: options.cwd, env: options.env ?? goEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.on('error', fail);
    child.on('close', (code) => {
      out.end(() => {
        if (code === 0) return done();
        const tail = readFileSync(options.log, 'utf8').split('\n').slice(-25).join('\n');
        fail(new Error(`${command} ${args.join(' ')} exited with ${code} (log: ${options.log}):\n${tail}`));
      });
    });
  });

/** Where the Go module cache keeps `module@version` (upper-case letters escaped as `!` + lower case). */
export const moduleDir = (module: string, version: string): string => join(GOMODCACHE, `${module.replace(/[A-Z]/g, (c) => `!${c.toLowerCase()}`)}@${version}`);

interface Part {
  name: string;
  /** The Go package of the command. */
  pkg: string;
  /** `module@version` the scratch module requires (the command's module first). */
  requires: string[];
  ldflags?: string;
  /** Extra go.mod lines, from the work dir once the requirements are downloaded. */
  replaces?: (work: string, log: string) => Promise<string[]>;
}

const ETCD = `go.etcd.io/etcd`;
const KUBE_VERSION_FLAGS = ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']
  .flatMap((pkg) => {
    const [major, minor] = VERSIONS.kubernetes.slice(1).split('.');
    return [`-X ${pkg}.gitVersion=${VERSIONS.kubernetes}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`, `-X ${pkg}.gitTreeState=clean`];
  })
  .join(' ');

// k8s.io/kubernetes points its 31 staging modules at ./staging/src, which a module consumer cannot
// follow: each becomes the released v0.<minor>.<patch> of that module instead.
const stagingReplaces = async (work: string, log: string): Promise<string[]> => {
  await run('go', ['mod', 'download', `k8s.io/kubernetes@${VERSIONS.kubernetes}`], { cwd: work, log });
  const goMod = readFileSync(join(GOMODCACHE, 'cache', 'download', 'k8s.io', 'kubernetes', '@v', `${VERSIONS.kubernetes}.mod`), 'utf8');
  const staging = `v0${VERSIONS.kubernetes.slice(2)}`;
  const modules = [...goMod.matchAll(/^\s*(?:replace\s+)?(k8s\.io\/[\w.-]+)\s+=>\s+\.\/staging\//gm)].map((m) => m[1] as string);
  if (modules.length === 0) throw new Error(`no staging replaces found in k8s.io/kubernetes@${VERSIONS.kubernetes}'s go.mod`);
  return [`replace (`, ...modules.map((m) => `\t${m} => ${m} ${staging}`), `)`];
};

export const PARTS: readonly Part[] = [
  {
    name: 'etcd',
    pkg: `${ETCD}/server/v3`,
    requires: [
      ...['server', 'api', 'client/pkg', 'client', 'pkg', 'raft'].map((m) => `${ETCD}/${m}/v3@${VERSIONS.etcd}`),
      `${ETCD}/client/v2@v2.305${VERSIONS.etcd.slice(4)}`,
    ],
  },
  {
    name: 'kube-apiserver',
    pkg: 'k8s.io/kubernetes/cmd/kube-apiserver',
    requires: [`k8s.io/kubernetes@${VERSIONS.kubernetes}`],
    ldflags: KUBE_VERSION_FLAGS,
    replaces: stagingReplaces,
  },
  { name: 'serving-webhook', pkg: 'knative.dev/serving/cmd/webhook', requires: [`knative.dev/serving@${VERSIONS.serving}`] },
  { name: 'eventing-webhook', pkg: 'knative.dev/eventing/cmd/webhook', requires: [`knative.dev/eventing@${VERSIONS.eventing}`] },
];

/** The path of a part's binary; its version is in the name, so a version change builds anew. */
export const binaryPath = (name: string): string => {
  const part = PARTS.find((p) => p.name === name);
  if (!part) throw new Error(`unknown part ${name}`);
  return join(BIN_DIR, `${name}-${(part.requires[0] as string).split('@')[1]}`);
};

/** The module directories whose `config/` folders hold Knative's CRDs and webhook configurations. */
export const knativeModules = (): { serving: string; eventing: string } => ({
  serving: moduleDir('knative.dev/serving', VERSIONS.serving),
  eventing: moduleDir('knative.dev/eventing', VERSIONS.eventing),
});

const build = async (part: Part): Promise<void> => {
  const work = join(BUILD_DIR, 'src', part.name);
  const log = join(LOG_DIR, `build-${part.name}.log`);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'go.mod'), `module gotuto.local/cluster-check/${part.name}\n\ngo 1.23\n`);
  writeFileSync(join(work, 'go.sum'), '');
  const replaces = part.replaces ? await part.replaces(work, log) : [];
  if (replaces.length > 0) writeFileSync(join(work, 'go.mod'), `${readFileSync(join(work, 'go.mod'), 'utf8')}\n${replaces.join('\n')}\n`);
  const version = (part.requires[0] as string).split('@')[1] as string;
  await run('go', ['get', ...new Set([...part.requires, `${part.pkg}@${version}`])], { cwd: work, log });
  const target = binaryPath(part.name);
  const partial = `${target}.partial`;
  await run('go', ['build', '-p', '2', '-o', partial, ...(part.ldflags ? ['-ldflags', part.ldflags] : []), part.pkg], { cwd: work, log });
  renameSync(partial, target);
};

/** Whether every binary is built (and the Knative modules with their config/ folders are in the cache). */
export const built = (): boolean =>
  PARTS.every((p) => existsSync(binaryPath(p.name))) && Object.values(knativeModules()).every((d) => existsSync(join(d, 'config')));

/** Builds every missing binary, one after the other (two cores at most); `say` reports progress. */
export const buildAll = async (say: (line: string) => void): Promise<void> => {
  for (const part of PARTS) {
    if (existsSync(binaryPath(part.name))) continue;
    const started = Date.now();
    say(`building ${part.name} (${part.requires[0]}), log in ${join(LOG_DIR, `build-${part.name}.log`)}`);
    await build(part);
    say(`built ${part.name} in ${Math.round((Date.now() - started) / 1000)} s`);
  }
};
