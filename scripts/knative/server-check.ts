// `npm run knative -- --server-check`: every overlay, every component (on top of overlays/prod) and
// every kustomization under knative/openshift and knative/gitops, rendered with `kubectl kustomize`
// and sent to a real kube-apiserver with Knative's admission webhooks as `kubectl apply
// --dry-run=server`. Prints what each refused; exits 1 on a refusal. Builds what it runs first when
// missing (server-build.ts), and stops everything it started.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

const kustomizationDirs = (dir: string): string[] =>
  !existsSync(dir)
    ? []
    : [
        ...(existsSync(join(dir, 'kustomization.yaml')) ? [dir] : []),
        ...readdirSync(dir, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .flatMap((e) => kustomizationDirs(join(dir, e.name))),
      ];

// A component cannot be rendered alone: a kustomization in the cache puts it on an overlay (kustomize
// wants the paths relative).
const componentOnOverlay = (component: string): string => {
  const dir = join(CACHE_DIR, 'kustomize', component);
  mkdirSync(dir, { recursive: true });
  const content = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    namespace: `gotuto-${COMPONENT_BASE}`,
    resources: [relative(dir, join(KNATIVE_DIR, 'overlays', COMPONENT_BASE))],
    components: [relative(dir, join(KNATIVE_DIR, 'components', component))],
  };
  writeFileSync(join(dir, 'kustomization.yaml'), stringify(content));
  return dir;
};

/** What is checked: every overlay, every component on overlays/prod, knative/openshift and knative/gitops (each kustomization in them). */
export const targets = (): Target[] => {
  const folders = (sub: string): string[] => (existsSync(join(KNATIVE_DIR, sub)) ? readdirSync(join(KNATIVE_DIR, sub)).sort() : []);
  return [
    ...folders('overlays').map((env) => ({ name: `overlays/${env}`, dir: join(KNATIVE_DIR, 'overlays', env) })),
    ...folders('components').map((c) => ({ name: `components/${c} on overlays/${COMPONENT_BASE}`, dir: componentOnOverlay(c) })),
    ...['openshift', 'gitops'].flatMap((sub) => kustomizationDirs(join(KNATIVE_DIR, sub)).map((dir) => ({ name: relative(KNATIVE_DIR, dir), dir }))),
  ];
};

/** `kubectl kustomize dir`, and the namespaces its objects live in or create. */
export const render = (dir: string): { yaml: string; objects: number; namespaces: string[] } => {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (run.error) throw new Error(`kubectl could not run (kubectl 1.32 on PATH): ${run.error.message}`);
  if (run.status !== 0) throw new Error(`kubectl kustomize ${relative(root, dir)} failed:\n${run.stderr}`);
  const docs = parseAllDocuments(run.stdout)
    .map((d) => d.toJSON() as { kind?: string; metadata?: { name?: string; namespace?: string } } | null)
    .filter((d) => d !== null);
  const namespaces = docs.flatMap((d) => [d.metadata?.namespace, d.kind === 'Namespace' ? d.metadata?.name : undefined]).filter((n): n is string => Boolean(n));
  return { yaml: run.stdout, objects: docs.length, namespaces };
};

/** Renders and dry-runs each target (the namespaces they use are made first); a render that fails counts as a refusal. */
export const checkTargets = (cluster: Cluster, list: Target[] = targets()): TargetResult[] => {
  const rendered = list.map((t) => {
    try {
      return { target: t, ...render(t.dir) };
    } catch (error) {
      return { target: t, error: (error as Error).message };
    }
  });
  cluster.ensureNamespaces(rendered.flatMap((r) => ('namespaces' in r ? r.namespaces : [])));
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
