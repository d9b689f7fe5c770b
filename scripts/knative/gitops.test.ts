// knative/gitops: the AppProject and ApplicationSet satisfy Argo CD's schemas; the Applications
// the ApplicationSet makes deploy each environment's overlay into its namespace, which the project
// allows; what Argo CD applies is what `npm run deploy` applies; the sync waves order a deploy
// (config, migrations as PreSync hooks under fixed names, Services, then Triggers, sources and
// routes); and the health checks, run in a real Lua VM, read Knative's Ready condition.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LuaFactory } from 'wasmoon';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ENVS, deployCommands, overlayDir, renderOverlay, type Env, type Rendered } from '../deploy.js';
import { HOOK, HOOK_DELETE_POLICY, SYNC_WAVE } from './waves.js';
import { schemaErrors } from './schema-testing.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const kustomize = (dir: string): Rendered[] => {
  const run = spawnSync('kubectl', ['kustomize', dir], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${run.stderr ?? run.error?.message}`);
  return parseAllDocuments(run.stdout).map((d) => d.toJS() as Rendered);
};
const gitops = kustomize('knative/gitops');
const one = (kind: string) => gitops.find((d) => d.kind === kind) as Rendered;

type AppSpec = { project: string; source: { repoURL: string; targetRevision: string; path: string }; destination: { server: string; namespace: string } };
type Application = Rendered & { spec: AppSpec };

/** The Applications of the ApplicationSet's list generator: its template with each element's `{{key}}` filled in. */
const applications = (): Application[] => {
  const spec = one('ApplicationSet').spec as { generators: { list: { elements: Record<string, string>[] } }[]; template: object };
  const elements = spec.generators.flatMap((g) => g.list.elements);
  return elements.map((element) => {
    const text = JSON.stringify(spec.template).replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
      if (element[key] === undefined) throw new Error(`the template names {{${key}}}, which an element lacks`);
      return element[key];
    });
    return { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', ...JSON.parse(text) } as Application;
  });
};
const appOf = (env: Env) => applications().find((a) => a.spec.source.path === overlayDir(env)) as Application;

const rendered = new Map<Env, Rendered[]>();
const docsOf = (env: Env): Rendered[] => {
  let docs = rendered.get(env);
  if (!docs) rendered.set(env, (docs = renderOverlay(env)));
  return docs;
};
const key = (d: Rendered) => `${d.kind}/${d.metadata.namespace ?? ''}/${d.metadata.name}`;

describe('knative/gitops', () => {
  it("satisfies Argo CD's schemas, and makes one Application per environment", () => {
    expect(schemaErrors(gitops)).toEqual({ checked: gitops.map((d) => `${d.kind}/${d.metadata.name}`), errors: [] });
    expect(schemaErrors(applications()).errors).toEqual([]);
    expect(
      applications()
        .map((a) => a.spec.source.path)
        .sort(),
    ).toEqual(ENVS.map(overlayDir).sort());
    for (const d of gitops) expect(d.metadata.namespace).toBe('openshift-gitops');
  });

  it.each(ENVS)('deploys %s into the namespace of its overlay, which the project allows, from a repository it allows', (env) => {
    const app = appOf(env);
    const project = one('AppProject').spec as {
      sourceRepos: string[];
      destinations: { server: string; namespace: string }[];
      namespaceResourceWhitelist: { group: string; kind: string }[];
    };
    const namespace = docsOf(env)[0]?.metadata.namespace;
    expect(app.spec.destination.namespace).toBe(namespace);
    expect(app.spec.project).toBe(one('AppProject').metadata.name);
    expect(project.sourceRepos).toContain(app.spec.source.repoURL);
    expect(project.destinations).toContainEqual(app.spec.destination);
    // Every kind of the overlay may be deployed by the project.
    for (const d of docsOf(env)) {
      const group = d.apiVersion.includes('/') ? d.apiVersion.split('/')[0] : '';
      expect(project.namespaceResourceWhitelist, `${d.kind} ${d.metadata.name}`).toContainEqual({ group, kind: d.kind });
    }
  });

  it.each(ENVS)('%s: Argo CD applies the objects npm run deploy applies', (env) => {
    // npm run deploy applies `kubectl apply -k <overlay>` (after the same overlay's first steps).
    const applied = deployCommands(env, docsOf(env))
      .filter((c) => c[1] === 'apply')
      .map((c) => c[3]);
    expect(new Set(applied)).toEqual(new Set([overlayDir(env)]));
    // Argo CD renders the Application's path with kustomize, with no options of its own.
    const argo = kustomize(appOf(env).spec.source.path);
    const byKey = (docs: Rendered[]) => new Map(docs.map((d) => [key(d), d]));
    expect([...byKey(argo).keys()].sort()).toEqual([...byKey(docsOf(env)).keys()].sort());
    expect(byKey(argo)).toEqual(byKey(docsOf(env)));
    expect(Object.keys(appOf(env).spec.source).sort()).toEqual(['path', 'repoURL', 'targetRevision']);
  });

  it.each(ENVS)('%s: syncs config, then migrations (PreSync hooks under fixed names), then Services, then what sends them traffic', (env) => {
    const docs = docsOf(env);
    const wave = (d: Rendered) => Number(d.metadata.annotations?.[SYNC_WAVE]);
    const hook = (d: Rendered) => d.metadata.annotations?.[HOOK];
    for (const d of docs) expect(Number.isInteger(wave(d)), key(d)).toBe(true);
    const waves = (kind: string) => [...new Set(docs.filter((d) => d.kind === kind).map(wave))];
    const preSync = docs.filter((d) => hook(d) === 'PreSync');
    expect(new Set(preSync.map((d) => d.kind))).toEqual(new Set(['ConfigMap', 'Job']));
    for (const d of preSync) expect(d.metadata.annotations?.[HOOK_DELETE_POLICY], key(d)).toBe('BeforeHookCreation');
    for (const job of docs.filter((d) => d.kind === 'Job')) expect(job.metadata.name, 'a fixed name, not generateName').toMatch(/^migrate-[a-z]+$/);
    const [config] = waves('ConfigMap');
    const [jobs] = waves('Job');
    expect([waves('ConfigMap'), waves('Job')].map((w) => w.length)).toEqual([1, 1]);
    expect(config as number).toBeLessThan(jobs as number);
    const [services, ...moreServiceWaves] = waves('Service');
    expect(moreServiceWaves).toEqual([]);
    for (const kind of ['NetworkPolicy', 'Broker', 'SinkBinding', 'Gateway', 'ServiceAccount', 'Role', 'RoleBinding', 'EventPolicy'])
      for (const w of waves(kind)) expect(w, kind).toBeLessThan(services as number);
    for (const kind of ['Trigger', 'PingSource', 'HTTPRoute']) for (const w of waves(kind)) expect(w, kind).toBeGreaterThan(services as number);
  });
});

describe('the manual gate for prod', () => {
  type Window = { kind: string; schedule: string; duration: string; applications?: string[]; manualSync?: boolean };
  const windows = (): Window[] => (one('AppProject').spec as { syncWindows?: Window[] }).syncWindows ?? [];
  // Argo CD matches `applications` as globs; these name Applications exactly.
  const windowsOf = (app: string) => windows().filter((w) => w.applications?.includes(app));
  /** A Go duration (`1h`, `90m`, `1h30m`) in minutes. */
  const minutes = (duration: string): number => {
    const match = /^(?:(\d+)h)?(?:(\d+)m)?$/.exec(duration);
    if (!match || duration === '') throw new Error(`duration ${duration}`);
    return Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
  };

  it('keeps Argo CD from syncing gotuto-prod by itself at any time, and lets a person sync it', () => {
    const prod = appOf('prod').metadata.name;
    const gates = windowsOf(prod).filter((w) => w.kind === 'deny');
    expect(gates).toHaveLength(1);
    const [gate] = gates as [Window];
    // Starting every minute and lasting at least a minute, the window never closes.
    expect(gate.schedule).toBe('* * * * *');
    expect(minutes(gate.duration)).toBeGreaterThanOrEqual(1);
    expect(gate.manualSync).toBe(true);
  });

  it('leaves dev and staging to sync on their own', () => {
    for (const env of ['dev', 'staging'] as const) expect(windowsOf(appOf(env).metadata.name), env).toEqual([]);
    for (const env of ENVS) expect((appOf(env).spec as { syncPolicy?: { automated?: object } }).syncPolicy?.automated, env).toBeDefined();
  });
});

describe('knative/gitops/argocd-health.yaml', () => {
  const checks = (
    parse(readFileSync(join(root, 'knative/gitops/argocd-health.yaml'), 'utf8')) as {
      spec: { resourceHealthChecks: { group: string; kind: string; check: string }[] };
    }
  ).spec.resourceHealthChecks;

  const health = async (check: string, obj: object): Promise<{ status: string; message: string }> => {
    const lua = await new LuaFactory().createEngine();
    try {
      lua.global.set('obj', obj);
      return (await lua.doString(`local function check()\n${check}\nend\nreturn check()`)) as { status: string; message: string };
    } finally {
      lua.global.close();
    }
  };
  const ready = (status: string, generation = 3, observed: number | undefined = 3) => ({
    metadata: { generation },
    status: {
      observedGeneration: observed,
      conditions: [
        { type: 'ConfigurationsReady', status: 'True' },
        { type: 'Ready', status, reason: status === 'False' ? 'RevisionFailed' : undefined, message: 'm' },
      ],
    },
  });

  it('covers every Knative kind the overlays and components deploy', () => {
    expect(checks.map((c) => `${c.group}/${c.kind}`).sort()).toEqual(
      [
        'serving.knative.dev/Service',
        'eventing.knative.dev/Broker',
        'eventing.knative.dev/Trigger',
        'sources.knative.dev/PingSource',
        'sources.knative.dev/SinkBinding',
        'sources.knative.dev/KafkaSource',
        'eventing.knative.dev/EventPolicy',
      ].sort(),
    );
  });

  it('is Healthy when Ready is True for the current generation, Degraded when False, else Progressing', async () => {
    for (const { kind, check } of checks) {
      expect((await health(check, ready('True'))).status, kind).toBe('Healthy');
      expect(await health(check, ready('False')), kind).toEqual({ status: 'Degraded', message: 'RevisionFailed: m' });
      expect((await health(check, ready('Unknown'))).status, kind).toBe('Progressing');
      expect((await health(check, ready('True', 4, 3))).status, kind).toBe('Progressing');
      expect((await health(check, { metadata: { generation: 1 } })).status, kind).toBe('Progressing');
    }
  });
});
