// Sender identity in the cluster, as each environment renders it: who may publish to the Broker
// (EventPolicies admitting the publishing contexts' ServiceAccounts, for their own events), with
// which token (a projected token for the Broker's audience behind PUBLISHER_TOKEN_FILE), what the
// replay functions may do, the issuer the functions verify deliveries with, the operator settings
// that turn it on, and the explicit opt-out component.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import * as events from '../../events/index.js';
import { registry } from '../../functions/index.js';
import { ENVS, renderOverlay, type Env, type Rendered } from '../deploy.js';
import { BROKER, CONFIG_MAP } from './generate.js';
import { PUBLISHER_TOKEN_DIR, PUBLISHER_TOKEN_FILE, REPLAY_ACCOUNT, REPLAY_FUNCTIONS, publisherAccount, publishingContexts } from './identity.js';
import { schemaErrors } from './schema-testing.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const COMPONENT = join(root, 'knative', 'components', 'delivery-auth-network-policy');
const kustomize = (dir: string): Rendered[] => {
  const run = spawnSync('kubectl', ['kustomize', dir], { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${run.stderr ?? run.error?.message}`);
  return parseAllDocuments(run.stdout).map((d) => d.toJS() as Rendered);
};
const rendered = new Map<string, Rendered[]>();
const docsOf = (env: Env): Rendered[] => rendered.get(env) ?? (rendered.set(env, renderOverlay(env)).get(env) as Rendered[]);
const ofKind = (docs: Rendered[], kind: string) => docs.filter((d) => d.kind === kind);
const namespaceOf = (docs: Rendered[]) => ofKind(docs, 'Broker')[0]?.metadata.namespace ?? '';
const contexts = publishingContexts(registry);

type Policy = { to: { ref: { kind: string; name: string } }[]; from: { sub?: string }[]; filters: { all: Record<string, Record<string, string>>[] }[] };
type Pod = {
  serviceAccountName?: string;
  volumes?: { name: string; projected?: { sources: { serviceAccountToken?: { audience: string; path: string } }[] } }[];
  containers: { env?: { name: string; value?: string }[]; volumeMounts?: { name: string; mountPath: string }[] }[];
};

/** Every event type the events package defines, with its context and source. */
const definitions = Object.values(events)
  .flatMap((module) => (typeof module === 'object' && module !== null ? Object.values(module as object) : []))
  .filter((d): d is events.EventDefinition<unknown> => typeof d === 'object' && d !== null && 'type' in d && 'context' in d && 'source' in d);

describe.each(ENVS)('%s', (env) => {
  it("admits each publishing context's ServiceAccount to the Broker, for its own events only", () => {
    const docs = docsOf(env);
    const namespace = namespaceOf(docs);
    const policies = ofKind(docs, 'EventPolicy');
    expect(schemaErrors(policies).errors).toEqual([]);
    expect(policies.map((p) => p.metadata.name).sort()).toEqual(contexts.map(publisherAccount).sort());
    const accounts = new Set(ofKind(docs, 'ServiceAccount').map((a) => a.metadata.name));
    for (const context of contexts) {
      const spec = policies.find((p) => p.metadata.name === publisherAccount(context))?.spec as Policy;
      expect(spec.to).toEqual([{ ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: BROKER } }]);
      expect(spec.from).toEqual([{ sub: `system:serviceaccount:${namespace}:${publisherAccount(context)}` }]);
      expect(accounts.has(publisherAccount(context))).toBe(true);
      // Every event the context defines passes its filter; no other context's does.
      const [{ all }] = spec.filters as [{ all: Record<string, Record<string, string>>[] }];
      const passes = (d: events.EventDefinition<unknown>) =>
        all.every((f) => (f.prefix ? d.type.startsWith(f.prefix.type ?? '?') : d.source === f.exact?.source));
      expect(definitions.filter(passes).map((d) => d.type)).toEqual(definitions.filter((d) => d.context === context).map((d) => d.type));
    }
    expect(definitions.length).toBeGreaterThan(10);
    // Every context that defines events publishes them through an admitted account.
    expect([...new Set(definitions.map((d) => d.context))].filter((c) => !contexts.includes(c))).toEqual([]);
  });

  it('gives every publishing function its context account and a token for the Broker; queries neither', () => {
    const docs = docsOf(env);
    const audience = `eventing.knative.dev/broker/${namespaceOf(docs)}/${BROKER}`;
    const accounts = new Set(ofKind(docs, 'ServiceAccount').map((a) => a.metadata.name));
    for (const fn of registry) {
      const pod = (ofKind(docs, 'Service').find((s) => s.metadata.name === fn.name)?.spec as { template: { spec: Pod } }).template.spec;
      const [container] = pod.containers;
      const file = container?.env?.find((e) => e.name === 'PUBLISHER_TOKEN_FILE')?.value;
      const tokens = (pod.volumes ?? []).flatMap((v) =>
        (v.projected?.sources ?? []).flatMap((s) => (s.serviceAccountToken ? [{ volume: v.name, ...s.serviceAccountToken }] : [])),
      );
      if (pod.serviceAccountName) expect(accounts.has(pod.serviceAccountName), fn.name).toBe(true);
      if (REPLAY_FUNCTIONS.includes(fn.name)) {
        expect([pod.serviceAccountName, file, tokens], fn.name).toEqual([REPLAY_ACCOUNT, undefined, []]);
      } else if (fn.definition.kind !== 'query' && contexts.includes(fn.context)) {
        expect(pod.serviceAccountName, fn.name).toBe(publisherAccount(fn.context));
        expect(
          tokens.map((t) => t.audience),
          fn.name,
        ).toEqual([audience]);
        const mount = container?.volumeMounts?.find((m) => m.name === tokens[0]?.volume);
        expect([file, `${mount?.mountPath}/${tokens[0]?.path}`], fn.name).toEqual([PUBLISHER_TOKEN_FILE, `${PUBLISHER_TOKEN_DIR}/token`]);
      } else {
        expect([pod.serviceAccountName, file, tokens], fn.name).toEqual([undefined, undefined, []]);
      }
    }
  });

  it('lets the replay functions request tokens of their own account, and nothing else', () => {
    const docs = docsOf(env);
    const roles = ofKind(docs, 'Role');
    const bindings = ofKind(docs, 'RoleBinding');
    expect(roles.map((r) => [r.metadata.name, r.rules])).toEqual([
      [REPLAY_ACCOUNT, [{ apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [REPLAY_ACCOUNT], verbs: ['create'] }]],
    ]);
    expect(bindings.map((b) => [b.roleRef, b.subjects])).toEqual([
      [
        { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: REPLAY_ACCOUNT },
        [{ kind: 'ServiceAccount', name: REPLAY_ACCOUNT, namespace: namespaceOf(docs) }],
      ],
    ]);
  });

  it("verifies deliveries with the cluster's service-account issuer and knows its proxies; never opts out by itself", () => {
    const data = ofKind(docsOf(env), 'ConfigMap').find((c) => c.metadata.name === CONFIG_MAP)?.data ?? {};
    expect(new URL(data.DELIVERY_TOKEN_ISSUER ?? '').protocol).toBe('https:');
    expect(
      (data.TRUSTED_PROXIES ?? '')
        .split(',')
        .map((p) => p.trim())
        .sort(),
    ).toEqual(['10.128.0.0/14', 'loopback']);
    expect(data.DELIVERY_AUTH).toBeUndefined();
  });
});

describe('knative/components/delivery-auth-network-policy', () => {
  const dir = mkdtempSync(join(root, 'knative', 'overlays', '.opt-out-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const withOptOut = (env: Env): Rendered[] => {
    const overlay = join(dir, env);
    spawnSync('mkdir', ['-p', overlay]);
    const rel = (path: string) => relative(overlay, path);
    writeFileSync(join(overlay, 'kustomization.yaml'), `resources: [${rel(join(root, 'knative', 'overlays', env))}]\ncomponents: [${rel(COMPONENT)}]\n`);
    return kustomize(overlay);
  };

  it.each(ENVS)('on %s: sets DELIVERY_AUTH=network-policy for every function and drops the EventPolicies, nothing else', (env) => {
    const id = (d: Rendered) => `${d.kind} ${d.metadata.name}`;
    const before = docsOf(env);
    const after = withOptOut(env);
    expect(after.map(id).sort()).toEqual(
      before
        .filter((d) => d.kind !== 'EventPolicy')
        .map(id)
        .sort(),
    );
    for (const doc of after) {
      const was = before.find((d) => id(d) === id(doc));
      if (doc.kind === 'ConfigMap' && doc.metadata.name === CONFIG_MAP) expect(doc.data).toEqual({ ...was?.data, DELIVERY_AUTH: 'network-policy' });
      else expect(doc, id(doc)).toEqual(was);
    }
  });

  it('is listed by no environment overlay', () => {
    for (const env of ENVS)
      expect(readFileSync(join(root, 'knative', 'overlays', env, 'kustomization.yaml'), 'utf8')).not.toContain('delivery-auth-network-policy');
  });
});

describe('knative/openshift KnativeEventing', () => {
  it('turns sender identity on, denies what no EventPolicy admits, and encrypts transport', () => {
    const eventing = kustomize('knative/openshift').find((d) => d.kind === 'KnativeEventing') as Rendered;
    const features = (eventing.spec as { config: Record<string, Record<string, string>> }).config['config-features'];
    expect(features).toMatchObject({ 'authentication-oidc': 'enabled', 'default-authorization-mode': 'deny-all' });
    expect(['permissive', 'strict']).toContain(features?.['transport-encryption']);
  });
});
