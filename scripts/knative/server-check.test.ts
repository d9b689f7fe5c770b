// `npm run knative -- --server-check` against the real thing: etcd, kube-apiserver 1.32 and Knative's
// Serving and Eventing webhooks, as the command runs them. Every overlay, component and OpenShift
// resource is accepted, and objects a cluster would refuse are refused here too, by the webhook or
// the CRD schema that refuses them in a cluster.
//
// The binaries take minutes to build the first time (the command builds them; CI does so in its
// own step before the tests). Without them these tests are reported skipped, their name saying so,
// except in CI, which must run them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { built } from './server-build.js';
import { checkTargets, targets } from './server-check.js';
import { type Cluster, startCluster } from './server-cluster.js';
import { allCrds, keptSchemaCrds, openCrds } from './server-crds.js';

const ready = built();
if (!ready && process.env.CI)
  throw new Error('CI runs the server check: build its binaries first (npm run knative -- --server-check, the server-check step of .ci/run)');

const NAMESPACE = 'gotuto-check';
const meta = (name: string): Record<string, unknown> => ({ name, namespace: NAMESPACE });

const service = (name: string, template: Record<string, unknown>): Record<string, unknown> => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: meta(name),
  spec: { template: { ...template, spec: { containers: [{ image: 'quay.io/gotuto/gotuto-functions:0.1.0' }], ...(template.spec as object) } } },
});
const brokerRef = { ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: 'gotuto' } };
const serviceRef = { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'billing-on-order-placed' } };

/** Objects a cluster refuses, who refuses each, and what its answer says. */
const BROKEN: [string, Record<string, unknown>, RegExp][] = [
  ['containerConcurrency 5000 (Serving webhook)', service('too-concurrent', { spec: { containerConcurrency: 5000 } }), /containerConcurrency/],
  ['min-scale: abc (Serving webhook)', service('bad-min-scale', { metadata: { annotations: { 'autoscaling.knative.dev/min-scale': 'abc' } } }), /min-scale/],
  ['timeoutSeconds 3600 (Serving webhook)', service('too-slow', { spec: { timeoutSeconds: 3600 } }), /timeoutSeconds/],
  [
    'a bad cron (Eventing webhook)',
    { apiVersion: 'sources.knative.dev/v1', kind: 'PingSource', metadata: meta('bad-cron'), spec: { schedule: 'every minute', sink: brokerRef } },
    /schedule/,
  ],
  [
    'retry -2 (Eventing webhook)',
    {
      apiVersion: 'eventing.knative.dev/v1',
      kind: 'Trigger',
      metadata: meta('bad-retry'),
      spec: { broker: 'gotuto', subscriber: serviceRef, delivery: { retry: -2 } },
    },
    /retry/,
  ],
  [
    'backoffDelay "5 seconds" (Eventing webhook)',
    {
      apiVersion: 'eventing.knative.dev/v1',
      kind: 'Trigger',
      metadata: meta('bad-delay'),
      spec: { broker: 'gotuto', subscriber: serviceRef, delivery: { backoffDelay: '5 seconds' } },
    },
    /backoffDelay/,
  ],
  [
    'an unknown field (Serving CRD schema)',
    service('unknown-field', { spec: { containers: [{ image: 'quay.io/gotuto/gotuto-functions:0.1.0', imagePullPolicyy: 'Always' }] } }),
    /unknown field/,
  ],
  [
    'an HTTPRoute path type that is no Gateway API type (kept schema)',
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: meta('bad-path-type'),
      spec: { parentRefs: [{ name: 'gotuto' }], rules: [{ matches: [{ path: { type: 'Regex', value: '/x' } }], backendRefs: [{ name: 'x', port: 80 }] }] },
    },
    /Unsupported value: "Regex"/,
  ],
];

describe('the CRDs made from knative/schemas', () => {
  it('are structural: no additionalProperties false, one type per node, metadata left to the server', () => {
    const crds = keptSchemaCrds();
    expect(crds.length).toBeGreaterThan(20);
    const text = JSON.stringify(crds);
    expect(text).not.toContain('"additionalProperties":false');
    expect(text).not.toMatch(/"type":\[/);
    expect(text).not.toContain('$schema');
  });

  it('serve KafkaSource as v1 and v1beta1 with no conversion, stored as v1beta1', () => {
    const crd = keptSchemaCrds().find((c) => (c.metadata as { name: string }).name === 'kafkasources.sources.knative.dev');
    const versions = (crd?.spec as { versions: { name: string; storage: boolean }[] }).versions;
    expect(versions.map((v) => [v.name, v.storage])).toEqual([
      ['v1', false],
      ['v1beta1', true],
    ]);
  });

  // Knative's CRDs come from its Go modules, which the build downloads.
  it.skipIf(!ready)('are installed once each, a kept schema before an open CRD of the same kind (needs the build)', () => {
    const names = allCrds().map((c) => (c.metadata as { name: string }).name);
    expect(new Set(names).size).toBe(names.length);
    expect(allCrds().find((c) => (c.metadata as { name: string }).name === 'httproutes.gateway.networking.k8s.io')?.spec).toMatchObject({
      scope: 'Namespaced',
    });
  });

  it('open CRDs only for the kinds without a kept schema', () => {
    expect(openCrds().map((c) => (c.spec as { names: { kind: string } }).names.kind)).toContain('RateLimitPolicy');
    expect(openCrds().map((c) => (c.spec as { names: { kind: string } }).names.kind)).toContain('KnativeKafka');
  });
});

describe.skipIf(!ready)('a real kube-apiserver with Knative webhooks (needs the binaries: npm run knative -- --server-check builds them once)', () => {
  let cluster: Cluster | undefined;
  beforeAll(async () => {
    cluster = await startCluster();
    cluster.ensureNamespaces([NAMESPACE]);
  }, 240_000);
  afterAll(async () => cluster?.stop(), 60_000);

  it('accepts every overlay, every component and every OpenShift and GitOps resource', () => {
    const results = checkTargets(cluster as Cluster);
    expect(results.map((r) => r.name)).toEqual(targets().map((t) => t.name));
    expect(results.map((r) => r.name)).toEqual(expect.arrayContaining(['overlays/dev', 'overlays/staging', 'overlays/prod', 'openshift']));
    expect(results.filter((r) => r.refusals.length > 0)).toEqual([]);
    for (const r of results) expect(r.objects, r.name).toBeGreaterThan(0);
  }, 300_000);

  it.each(BROKEN)('refuses %s', (_, object, answer) => {
    const result = (cluster as Cluster).dryRun(stringify(object));
    expect(result.ok).toBe(false);
    expect(result.refusals.join('\n')).toMatch(answer);
    // The refusal names the object (a webhook's refusal of one of many says only "STDIN" in kubectl's
    // words: the check sends a file per object, named after it).
    expect(result.refusals.join('\n')).toContain((object.metadata as { name: string }).name);
  });

  it('accepts the same objects unbroken', () => {
    const fine = [
      service('fine', { spec: { containerConcurrency: 50, timeoutSeconds: 60 } }),
      { apiVersion: 'sources.knative.dev/v1', kind: 'PingSource', metadata: meta('fine'), spec: { schedule: '*/5 * * * *', sink: brokerRef } },
    ];
    const result = (cluster as Cluster).dryRun(fine.map((o) => stringify(o)).join('---\n'));
    expect(result.refusals).toEqual([]);
    expect(result.ok).toBe(true);
  });
});
