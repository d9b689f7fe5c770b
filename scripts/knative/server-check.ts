// `npm run knative -- --server-check`: every kustomization under knative/ (every overlay, every
// component on top of overlays/prod, knative/openshift, knative/gitops), rendered with `kubectl kustomize`
// and sent to a real kube-apiserver with Knative's admission webhooks as `kubectl apply
// --dry-run=server`. Prints what each refused; exits 1 on a refusal. Builds what it runs first when
// missing (server-build.ts), and stops everything it started.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { CACHE_DIR, buildAll } from './server-build.js';
import { type Cluster, startCluster } from './server-cluster.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const KNATIVE_DIR = join(root, 'knative');
/** The overlay the components are checked on top of. */
const COMPONENT_BASE = 'prod';

export interface Target {
  /** As shown: the folder under knative/, or `<component> on overlays/prod`. */
  name: string;
  /** A folder with a kustomization.yaml. */
  dir: string;
}

export interface TargetResult {
  name: string;
  objects: number;
  refusals: string[];
}

/** Folders under knative/ left out: base/ is checked through the overlays, schemas/ holds no manifests. */
const NOT_TARGETS = new Set(['base', 'schemas']);

const kustomizationDirs = (dir: string): string[] => [
  ...(existsSync(join(dir, 'kustomization.yaml')) ? [dir] : []),
  ...readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !(dir === KNATIVE_DIR && NOT_TARGETS.has(e.name)))
    .flatMap((e) => kustomizationDirs(join(dir, e.name))),
];

const isComponent = (dir: string): boolean => /^kind:\s*Component\s*$/m.test(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'));

// A component cannot be rendered alone: a kustomization in the cache puts it on an overlay (kustomize
// wants the paths relative).
const componentOnOverlay = (component: string): string => {
  const dir = join(CACHE_DIR, 'kustomize', component.replace(/\//g, '_'));
  mkdirSync(dir, { recursive: true });
  const content = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: `gotuto-${COMPONENT_BASE}`,
    resources: [relative(dir, join(KNATIVE_DIR, 'overlays', COMPONENT_BASE))],
    components: [relative(dir, join(KNATIVE_DIR, component))],
  };
  writeFileSync(join(dir, 'kustomization.yaml'), stringify(content));
  return dir;
};

/**
 * What is checked: every kustomization under knative/ (the overlays, openshift/, gitops/ and any
 * folder added later), a Component on top of overlays/prod; not base/ on its own.
 */
export const targets = (): Target[] =>
  kustomizationDirs(KNATIVE_DIR)
    .map((dir) => relative(KNATIVE_DIR, dir))
    .sort()
    .map((name) =>
      isComponent(join(KNATIVE_DIR, name))
        ? { name: `${name} on overlays/${COMPONENT_BASE}`, dir: componentOnOverlay(name) }
        : { name, dir: join(KNATIVE_DIR, name) },
    );

/** `kubectl kustomize dir`, the namespaces its objects live in or create, and its ServiceAccounts. */
export const render = (dir: string): { yaml: string; objects: number; namespaces: string[]; serviceAccounts: Array<{ name: string; namespace: string }> } => {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.error) throw new Error(`kubectl could not run (kubectl 1.32 on PATH): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${relative(root, dir)} failed:\n${run.stderr}`);
  const docs = parseAllDocuments(run.stdout)
    .map((d) => d.toJSON() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null)
    .filter((d) => d !== null);
  const namespaces = docs.flatMap((d) => [d.metadata?.namespace, d.kind === 'Namespace' ? d.metadata?.name : undefined]).filter((n): n is string => Boolean(n));
  const serviceAccounts = docs
    .filter((d) => d.kind === 'ServiceAccount' && d.metadata?.name && d.metadata.namespace)
    .map((d) => ({ name: d.metadata?.name as string, namespace: d.metadata?.namespace as string }));
  return { yaml: run.stdout, objects: docs.length, namespaces, serviceAccounts };
};

/**
 * Renders and dry-runs each target; a render that fails counts as a refusal. The namespaces they use
 * and their ServiceAccounts are made first, for real: an apply creates a ServiceAccount before the
 * Services that run as it (kustomize orders it first), but a dry run keeps nothing, and Serving's
 * webhook refuses a Service whose account it cannot find.
 */
export const checkTargets = (cluster: Cluster, list: Target[] = targets()): TargetResult[] => {
  const rendered = list.map((t) => {
    try {
      return { target: t, ...render(t.dir) };
    } catch (error) {
      return { target: t, error: (error as Error).message };
    }
  });
  cluster.ensureNamespaces(rendered.flatMap((r) => ('namespaces' in r ? r.namespaces : [])));
  cluster.ensureServiceAccounts(rendered.flatMap((r) => ('serviceAccounts' in r ? r.serviceAccounts : [])));
  return rendered.map((r) => {
    if (!('yaml' in r)) return { name: r.target.name, objects: 0, refusals: [r.error] };
    const { refusals } = cluster.dryRun(r.yaml);
    return { name: r.target.name, objects: r.objects, refusals };
  });
};

export const main = async (): Promise<number> => {
  const say = (line: string): void => console.log(`server-check: ${line}`);
  const started = Date.now();
  await buildAll(say);
  const cluster = await startCluster(say);
  try {
    const results = checkTargets(cluster);
    for (const r of results) {
      console.log(`${r.refusals.length === 0 ? 'accepted' : 'REFUSED '}  ${r.name} (${r.objects} objects)`);
      for (const line of r.refusals) console.log(`    ${line}`);
    }
    const refused = results.filter((r) => r.refusals.length > 0).length;
    say(`${results.length - refused} of ${results.length} accepted in ${Math.round((Date.now() - started) / 1000)} s`);
    return refused === 0 ? 0 : 1;
  } finally {
    await cluster.stop();
    rmSync(join(CACHE_DIR, 'kustomize'), { recursive: true, force: true });
  }
};
