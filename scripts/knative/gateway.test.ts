// The front door: for every route of the registry (what the local gateway's `GET /functions`
// lists), the HTTPRoutes each overlay renders, read by Gateway API's matching rules, send a request
// to the function the local gateway calls, on its cluster-local host through Knative's cluster-local
// ingress; no request matches two rules; every function is cluster-local; the cluster's side
// (GatewayClass, ReferenceGrants) admits exactly these routes; internal calls use cluster-local hosts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { registry } from '../../functions/index.js';
import { functionRoutes } from '../../functions/runtime/registry.js';
import { parseRoute } from '../../functions/runtime/route.js';
import { ENVS, renderOverlay, type Env, type Rendered } from '../deploy.js';
import type { RegisteredFunction } from '../../functions/runtime/definition.js';
import { BROKER, CONFIG_DEFAULTS, buildManifests } from './generate.js';
import {
  BROKER_INGRESS,
  BROKER_ROUTE,
  CLUSTER_LOCAL_INGRESS,
  GATEWAY,
  GATEWAY_CLASS,
  GATEWAY_LISTENER,
  GATEWAY_POD_LABEL,
  GATEWAY_TLS_SECRET,
} from './gateway.js';
import { candidates, routeRequest, type HttpRouteDoc } from './gateway-match.js';
import { segmentExcept } from './paths.js';
import { schemaErrors } from './schema-testing.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

const rendered = new Map<Env, Rendered[]>();
const docsOf = (env: Env): Rendered[] => {
  let docs = rendered.get(env);
  if (!docs) rendered.set(env, (docs = renderOverlay(env)));
  return docs;
};
const ofKind = (docs: readonly Rendered[], kind: string) => docs.filter((d) => d.kind === kind);
const namespaceOf = (env: Env) => ofKind(docsOf(env), 'Broker')[0]?.metadata.namespace as string;

const routed = registry.flatMap((fn) => (fn.definition.kind === 'handler' ? [] : [{ name: fn.name, route: parseRoute(fn.definition.route) }]));

/** The function the local gateway (`npm start`) calls for a request: the registry's route table resolves it. */
const table = functionRoutes(registry);
const localTarget = (method: string, path: string): string | undefined => table.resolve(method, path)?.entry.name;

/**
 * Requests to try for each route: every parameter as an ordinary value and as each literal another
 * route has at that segment (where routes compete), with and without a trailing slash.
 */
const requests = (): { method: string; path: string }[] => {
  const literals = new Map<number, Set<string>>();
  for (const { route } of routed) route.pattern.split('/').forEach((s, i) => !s.startsWith('{') && literals.set(i, (literals.get(i) ?? new Set()).add(s)));
  return routed.flatMap(({ route }) => {
    let paths = [''];
    for (const [i, segment] of route.pattern.split('/').entries()) {
      if (i === 0) continue;
      const options = segment.startsWith('{') ? ['7d1c4c2e-8f3b-4a6d-9e15-2b0f6a9c3d41', 'a.b~c', ...(literals.get(i) ?? [])] : [segment];
      paths = paths.flatMap((p) => options.map((o) => `${p}/${o}`));
    }
    return paths.flatMap((path) => [path, `${path}/`]).map((path) => ({ method: route.method, path }));
  });
};

describe.each(ENVS)('the front door of %s', (env) => {
  it("renders the Gateway, an HTTPRoute per command and query, and the Broker's route; all satisfy the Gateway API schemas", () => {
    const docs = docsOf(env);
    const [gateway, ...more] = ofKind(docs, 'Gateway');
    expect(more).toEqual([]);
    expect(gateway?.metadata.name).toBe(GATEWAY);
    expect(gateway?.spec).toMatchObject({
      gatewayClassName: GATEWAY_CLASS,
      listeners: [{ name: GATEWAY_LISTENER, protocol: 'HTTPS', port: 443, tls: { mode: 'Terminate', certificateRefs: [{ name: GATEWAY_TLS_SECRET }] } }],
    });
    const routes = ofKind(docs, 'HTTPRoute').map((r) => r.metadata.name);
    expect(routes.sort()).toEqual([BROKER_ROUTE, ...routed.map((r) => r.name)].sort());
    const { checked, errors } = schemaErrors(docs.filter((d) => d.apiVersion.startsWith('gateway.networking.k8s.io/')));
    expect(errors).toEqual([]);
    expect(checked).toHaveLength(routes.length + 1);
  });

  it('sends every route of the registry to the function the local gateway calls, through its cluster-local host', () => {
    const routes = ofKind(docsOf(env), 'HTTPRoute');
    const namespace = namespaceOf(env);
    const tried = requests();
    expect(tried.length).toBeGreaterThan(routed.length * 2);
    for (const { method, path } of tried) {
      const where = `${method} ${path}`;
      const local = localTarget(method, path);
      const cluster = routeRequest(routes, GATEWAY, method, path);
      expect(local, where).toBeDefined();
      expect(cluster?.host, where).toBe(`${local}.${namespace}.svc.cluster.local`);
      expect(cluster?.backend, where).toEqual({ ...CLUSTER_LOCAL_INGRESS });
      expect(cluster?.path, where).toBe(path);
      // Disjoint: whatever order a gateway gives regular expressions, one rule takes it.
      expect(candidates(routes, GATEWAY, method, path).length, where).toBe(1);
    }
  });

  it('answers nothing for a path or a method no function has', () => {
    const routes = ofKind(docsOf(env), 'HTTPRoute');
    for (const [method, path] of [
      ['GET', '/'],
      ['GET', '/functions'],
      ['GET', '/nothing/here'],
      ['DELETE', '/customers/login'],
      ['GET', '/billing/invoices/x/y/z'],
      ['GET', '/broker'],
    ]) {
      expect(localTarget(method as string, path as string), `${method} ${path}`).toBeUndefined();
      expect(routeRequest(routes, GATEWAY, method as string, path as string), `${method} ${path}`).toBeUndefined();
    }
  });

  it("sends POST /broker to the Kafka Broker's ingress of its own namespace", () => {
    const routes = ofKind(docsOf(env), 'HTTPRoute');
    expect(routeRequest(routes, GATEWAY, 'POST', '/broker')).toMatchObject({
      route: BROKER_ROUTE,
      backend: { ...BROKER_INGRESS },
      path: `/${namespaceOf(env)}/${BROKER}`,
    });
  });

  it("makes every function cluster-local, and points CATALOG_URL at Catalog's cluster-local host", () => {
    const docs = docsOf(env);
    const services = ofKind(docs, 'Service');
    expect(services).toHaveLength(registry.length);
    for (const svc of services) expect(svc.metadata.labels?.['networking.knative.dev/visibility'], svc.metadata.name).toBe('cluster-local');
    const config = ofKind(docs, 'ConfigMap').find((c) => c.metadata.name === 'gotuto-config')?.data ?? {};
    // Every setting that is a URL names a function of this namespace by its cluster-local host, but
    // the telemetry endpoint (the namespace's collector: observability.test.ts) and the issuer of
    // delivery tokens (the cluster's API server: sender-identity.test.ts).
    const isFunctionUrl = ([k, v]: [string, string]) => /^https?:\/\//.test(v) && !k.startsWith('OTEL_') && k !== 'DELIVERY_TOKEN_ISSUER';
    const urls = Object.entries(config).filter(isFunctionUrl);
    expect(urls.map(([k]) => k)).toEqual(
      Object.entries(CONFIG_DEFAULTS)
        .filter(isFunctionUrl)
        .map(([k]) => k),
    );
    for (const [key, value] of urls) {
      const [service = '', namespace, ...domain] = new URL(value).hostname.split('.');
      expect([namespace, domain.join('.')], key).toEqual([namespaceOf(env), 'svc.cluster.local']);
      expect(
        services.map((s) => s.metadata.name),
        key,
      ).toContain(service);
    }
    expect(new URL(config.CATALOG_URL ?? '').hostname.split('.')[0]).toBe(localTarget('POST', '/catalog/products/validate'));
  });
});

describe('the NetworkPolicies of every environment', () => {
  type Peer = { podSelector?: object; namespaceSelector?: { matchExpressions?: { key: string; values: string[] }[] } };
  type Policy = {
    podSelector: object;
    policyTypes: string[];
    ingress?: { from?: Peer[]; ports?: { protocol: string; port: number }[] }[];
    egress?: { to?: Peer[]; ports?: { protocol: string; port: number }[] }[];
  };
  const namespacesOf = (peers: Peer[] = []) => peers.flatMap((p) => p.namespaceSelector?.matchExpressions?.flatMap((e) => e.values) ?? []);

  it.each(ENVS)(
    "%s: the functions admit only Knative's namespaces, the namespace's pods and monitoring's scrape of queue-proxy, and send only to the cluster's DNS, PostgreSQL, Kafka, SMTP, the API server, the Broker and the ingress; the Gateway takes HTTPS",
    (env) => {
      const all = ofKind(docsOf(env), 'NetworkPolicy').map((p) => p.spec as unknown as Policy);
      const gateway = all.filter((p) => JSON.stringify(p.podSelector) === JSON.stringify({ matchLabels: { [GATEWAY_POD_LABEL]: GATEWAY } }));
      // The Gateway's pods: HTTPS from anywhere, nothing else.
      expect(gateway).toEqual([{ podSelector: expect.anything(), policyTypes: ['Ingress'], ingress: [{ ports: [{ protocol: 'TCP', port: 443 }] }] }]);
      const policies = all.filter((p) => !gateway.includes(p));
      const ingress = policies.filter((p) => p.policyTypes.includes('Ingress'));
      const egress = policies.filter((p) => p.policyTypes.includes('Egress'));
      // Every pod of the functions and the migration Jobs.
      for (const p of [...ingress, ...egress]) expect(p.podSelector).toEqual({ matchLabels: { 'app.kubernetes.io/part-of': 'gotuto' } });
      const pods = ofKind(docsOf(env), 'Service')
        .concat(ofKind(docsOf(env), 'Job'))
        .map((d) => (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels);
      for (const labels of pods) expect(labels['app.kubernetes.io/part-of']).toBe('gotuto');
      const from = ingress.flatMap((p) => p.ingress ?? []).flatMap((rule) => rule.from ?? []);
      expect(namespacesOf(from).sort()).toEqual(['knative-eventing', 'knative-serving', 'knative-serving-ingress', 'openshift-user-workload-monitoring']);
      const monitoring = ingress.flatMap((p) => p.ingress ?? []).filter((rule) => namespacesOf(rule.from ?? []).includes('openshift-user-workload-monitoring'));
      expect(monitoring.map((rule) => rule.ports)).toEqual([[{ protocol: 'TCP', port: 9091 }]]);
      expect(from.filter((peer) => peer.podSelector && !peer.namespaceSelector)).toEqual([{ podSelector: {} }]);
      const rules = egress.flatMap((p) => p.egress ?? []);
      const ports = rules
        .filter((r) => !r.to)
        .flatMap((r) => r.ports ?? [])
        .map((p) => `${p.protocol}/${p.port}`);
      expect(ports.sort()).toEqual(
        // SMTP, PostgreSQL and PgBouncer, the API server, Kafka: no HTTPS to anywhere.
        ['TCP/25', 'TCP/465', 'TCP/587', 'TCP/5432', 'TCP/6432', 'TCP/6443', 'TCP/9092', 'TCP/9093'].sort(),
      );
      // DNS only to the cluster's resolvers.
      const dns = rules.filter((r) => r.ports?.some((p) => p.port === 53));
      expect(dns.map((r) => [namespacesOf(r.to).sort(), (r.ports ?? []).map((p) => `${p.protocol}/${p.port}`).sort()])).toEqual([
        [
          ['kube-system', 'openshift-dns'],
          ['TCP/53', 'TCP/5353', 'UDP/53', 'UDP/5353'],
        ],
      ]);
      const others = rules.filter((r) => r.to && !dns.includes(r));
      expect(others.flatMap((r) => r.ports ?? [])).toEqual([]);
      expect(namespacesOf(others.flatMap((r) => r.to ?? [])).sort()).toEqual([BROKER_INGRESS.namespace, CLUSTER_LOCAL_INGRESS.namespace].sort());
    },
  );
});

describe('knative/openshift/gateway', () => {
  const docs = (): Rendered[] => {
    const run = spawnSync('kubectl', ['kustomize', join(root, 'knative/openshift/gateway')], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(run.stderr || String(run.error));
    return parseAllDocuments(run.stdout).map((d) => d.toJS() as Rendered);
  };

  it("is the GatewayClass the overlays name, and grants every environment's routes the backends they send to", () => {
    const all = docs();
    expect(schemaErrors(all)).toEqual({ checked: all.map((d) => `${d.kind}/${d.metadata.name}`), errors: [] });
    const [cls] = ofKind(all, 'GatewayClass');
    expect([cls?.metadata.name, cls?.spec?.controllerName]).toEqual([GATEWAY_CLASS, 'openshift.io/gateway-controller/v1']);
    const grants = ofKind(all, 'ReferenceGrant');
    for (const env of ENVS) {
      const backends = ofKind(docsOf(env), 'HTTPRoute').flatMap((r) =>
        (r.spec?.rules as { backendRefs: { name: string; namespace?: string }[] }[]).flatMap((rule) => rule.backendRefs),
      );
      for (const backend of backends) {
        const grant = grants.find((g) => g.metadata.namespace === backend.namespace);
        const spec = grant?.spec as { from: { kind: string; namespace: string }[]; to: { kind: string; name?: string }[] } | undefined;
        expect(spec?.from, `${env} -> ${backend.namespace}/${backend.name}`).toContainEqual(
          expect.objectContaining({ kind: 'HTTPRoute', namespace: namespaceOf(env) }),
        );
        expect(spec?.to, `${env} -> ${backend.namespace}/${backend.name}`).toContainEqual(expect.objectContaining({ kind: 'Service', name: backend.name }));
      }
    }
  });
});

describe('the routes generated for another registry', () => {
  const query = (name: string, route: string): RegisteredFunction => ({
    name,
    context: name.split('-')[0] as string,
    path: `${name.split('-')[0]}/queries/${name.split('-').slice(1).join('-')}`,
    definition: { kind: 'query', route, access: 'public', handle: async () => undefined } as unknown as RegisteredFunction['definition'],
  });

  it('keeps literal segments winning over parameters wherever the new routes compete', () => {
    const extra = [
      query('customer-get-customer', 'GET /customers/{id}'),
      query('customer-get-address', 'GET /customers/{id}/addresses/{addressId}'),
      query('customer-get-my-address', 'GET /customers/me/addresses/{addressId}'),
    ];
    const routes = buildManifests([...registry, ...extra]).filter((m) => m.kind === 'HTTPRoute');
    const to = (path: string) => routeRequest(routes, GATEWAY, 'GET', path)?.host?.split('.')[0];
    expect([to('/customers/me'), to('/customers/me/'), to('/customers/m'), to('/customers/mex'), to('/customers/7d1c')]).toEqual([
      'customer-get-me',
      'customer-get-me',
      'customer-get-customer',
      'customer-get-customer',
      'customer-get-customer',
    ]);
    expect([to('/customers/me/addresses/1'), to('/customers/you/addresses/1')]).toEqual(['customer-get-my-address', 'customer-get-address']);
    for (const path of ['/customers/me', '/customers/x', '/customers/me/addresses/1', '/customers/x/addresses/1'])
      expect(candidates(routes as HttpRouteDoc[], GATEWAY, 'GET', path), path).toHaveLength(1);
  });

  it("refuses two routes that take the same paths, and a function on the Broker's public path", () => {
    expect(() => buildManifests([...registry, query('customer-get-customer', 'GET /customers/{id}'), query('customer-find', 'GET /customers/{name}')])).toThrow(
      /take the same paths/,
    );
    expect(() => buildManifests([...registry, query('platform-publish', 'POST /broker')])).toThrow(/Broker's public path/);
  });
});

describe('segmentExcept', () => {
  it('takes every non-empty segment except the words given', () => {
    const words = ['carts', 'car', 'me', 'validate', 'c', 'a.b', 'x]y'];
    const re = new RegExp(`^${segmentExcept(words)}$`);
    const tried = [
      'carts',
      'car',
      'ca',
      'c',
      'cartsx',
      'cars',
      'me',
      'm',
      'mex',
      'validate',
      'valid',
      'validatex',
      'a.b',
      'axb',
      'x]y',
      'x]',
      'x',
      '7d1c4c2e',
      '',
      'a/b',
    ];
    for (const s of tried) expect(re.test(s), JSON.stringify(s)).toBe(s !== '' && !s.includes('/') && !words.includes(s));
    expect(segmentExcept([])).toBe('[^/]+');
  });
});
