// The cluster's one public door, generated from the registry like the Services: a Gateway API
// Gateway, and an HTTPRoute per command and query (its method and path) that rewrites the host to
// the function's cluster-local name and sends the request to Knative's cluster-local ingress, which
// routes on that host. `POST /broker` goes to the Broker's ingress. Every Knative Service is
// cluster-local, so nothing else is reachable from outside. Also the namespace's NetworkPolicies.
//
// The namespace is not known here (the overlay sets it): hosts and the Broker's path name it
// NAMESPACE_PLACEHOLDER, which each overlay's `replacements` swap for the Broker's namespace.
import type { RegisteredFunction } from '../../functions/runtime/definition.js';
import { parseRoute } from '../../functions/runtime/route.js';
import { pathMatches, type RoutePath } from './paths.js';
import type { Manifest } from './generate.js';

export const GATEWAY = 'gotuto';
/** The GatewayClass of OpenShift's Gateway API support (OpenShift 4.19 and later; knative/openshift/gateway). */
export const GATEWAY_CLASS = 'openshift-default';
export const GATEWAY_LISTENER = 'https';
/** The Secret (type kubernetes.io/tls) the listener terminates TLS with, made per namespace. */
export const GATEWAY_TLS_SECRET = 'gotuto-gateway-tls';
export const NAMESPACE_PLACEHOLDER = 'set-in-overlay';
/** Knative Serving's cluster-local ingress on OpenShift Serverless (Kourier): it routes on the Host header. */
export const CLUSTER_LOCAL_INGRESS = { namespace: 'knative-serving-ingress', name: 'kourier-internal', port: 80 } as const;
/** The Kafka Broker's ingress: it takes `/<namespace>/<broker>`. */
export const BROKER_INGRESS = { namespace: 'knative-eventing', name: 'kafka-broker-ingress', port: 80 } as const;
export const BROKER_ROUTE = 'gotuto-broker';
/** The Broker's paths at the door: where a publisher outside the namespace posts CloudEvents. */
export const BROKER_PUBLIC_PATH = '/broker';
export const GATEWAY_COMPONENT = 'gateway';
/** The label Gateway API implementations put on the pods they run for a Gateway. */
export const GATEWAY_POD_LABEL = 'gateway.networking.k8s.io/gateway-name';
export const NETWORK_COMPONENT = 'network';

/** The cluster-local host of a Knative Service, the namespace still a placeholder. */
export const clusterLocalHost = (service: string): string => `${service}.${NAMESPACE_PLACEHOLDER}.svc.cluster.local`;

const parentRefs = () => [{ name: GATEWAY, sectionName: GATEWAY_LISTENER }];

const routeOf = (fn: RegisteredFunction): RoutePath | undefined => {
  if (fn.definition.kind === 'handler') return undefined;
  const { method, pattern } = parseRoute(fn.definition.route);
  return { method, pattern };
};

/** The Gateway, the Broker's route and an HTTPRoute per command and query of `functions`. */
export const gatewayManifests = (
  functions: readonly RegisteredFunction[],
  labelsOf: (fn: RegisteredFunction) => Record<string, string>,
  partOf: string,
  broker: string,
): Manifest[] => {
  const routed = functions.flatMap((fn) => {
    const route = routeOf(fn);
    return route ? [{ fn, route }] : [];
  });
  const all = routed.map((r) => r.route);
  const taken = routed.find(({ route }) => route.method === 'POST' && route.pattern.replace(/\/+$/, '') === BROKER_PUBLIC_PATH);
  if (taken) throw new Error(`${taken.fn.name} takes POST ${BROKER_PUBLIC_PATH}, the Broker's public path at the Gateway`);
  const labels = { 'app.kubernetes.io/component': GATEWAY_COMPONENT, 'app.kubernetes.io/part-of': partOf };
  const gateway: Manifest = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: GATEWAY, labels },
    spec: {
      gatewayClassName: GATEWAY_CLASS,
      listeners: [
        {
          name: GATEWAY_LISTENER,
          protocol: 'HTTPS',
          port: 443,
          tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: GATEWAY_TLS_SECRET }] },
          allowedRoutes: { namespaces: { from: 'Same' } },
        },
      ],
    },
  };
  const brokerRoute: Manifest = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: BROKER_ROUTE, labels },
    spec: {
      parentRefs: parentRefs(),
      rules: [
        {
          matches: [
            { method: 'POST', path: { type: 'Exact', value: BROKER_PUBLIC_PATH } },
            { method: 'POST', path: { type: 'Exact', value: `${BROKER_PUBLIC_PATH}/` } },
          ],
          filters: [{ type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: `/${NAMESPACE_PLACEHOLDER}/${broker}` } } }],
          backendRefs: [{ ...BROKER_INGRESS }],
        },
      ],
    },
  };
  const routes = routed.map(({ fn, route }): Manifest => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: fn.name, labels: { ...labelsOf(fn), 'app.kubernetes.io/component': GATEWAY_COMPONENT } },
    spec: {
      parentRefs: parentRefs(),
      rules: [
        {
          matches: pathMatches(route, all).map((path) => ({ method: route.method, path })),
          filters: [{ type: 'URLRewrite', urlRewrite: { hostname: clusterLocalHost(fn.name) } }],
          backendRefs: [{ ...CLUSTER_LOCAL_INGRESS }],
        },
      ],
    },
  }));
  return [gateway, brokerRoute, ...routes];
};

const namespaces = (...names: string[]) => ({
  namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: names }] },
});
const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: 'TCP', port }));

/**
 * Zero trust inside the cluster: the namespace's pods take traffic only from Knative's system
 * namespaces (the ingress, the activator, the Broker's dispatcher, the PingSources) and from each
 * other; they send only to the cluster's DNS, PostgreSQL (or PgBouncer), Kafka, SMTP, the Broker and
 * Knative's ingress (the calls between functions), and the API server (the service-account issuer's keys).
 */
export const networkPolicies = (partOf: string): Manifest[] => {
  const labels = { 'app.kubernetes.io/component': NETWORK_COMPONENT, 'app.kubernetes.io/part-of': partOf };
  // The functions' pods and the migration Jobs' (both carry the label); not the Gateway's own pods,
  // which take traffic from outside and talk to their controller.
  const ours = { matchLabels: { 'app.kubernetes.io/part-of': partOf } };
  return [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'gotuto-gateway', labels },
      spec: {
        // The pods the gateway controller runs for the Gateway: HTTPS from anywhere, nothing else.
        podSelector: { matchLabels: { [GATEWAY_POD_LABEL]: GATEWAY } },
        policyTypes: ['Ingress'],
        ingress: [{ ports: tcp(443) }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'gotuto-ingress', labels },
      spec: {
        podSelector: ours,
        policyTypes: ['Ingress'],
        ingress: [
          { from: [namespaces('knative-serving', 'knative-serving-ingress', 'knative-eventing'), { podSelector: {} }] },
          // User-workload monitoring scrapes queue-proxy's request metrics (ServiceMonitor gotuto-queue-proxy).
          { from: [namespaces('openshift-user-workload-monitoring')], ports: tcp(9091) },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'gotuto-egress', labels },
      spec: {
        podSelector: ours,
        policyTypes: ['Egress'],
        egress: [
          // DNS, to the cluster's resolvers only (no lookups through outside servers): OpenShift's
          // listen on 5353 behind the dns-default Service's 53 in openshift-dns; elsewhere kube-system.
          {
            to: [namespaces('openshift-dns', 'kube-system')],
            ports: [53, 5353].flatMap((port) => [
              { protocol: 'UDP', port },
              { protocol: 'TCP', port },
            ]),
          },
          // PostgreSQL, or PgBouncer in front of it (prod).
          { ports: tcp(5432, 6432) },
          // Kafka: the plain and the authenticated listener (the kafka-outbox component).
          { ports: tcp(9092, 9093) },
          // SMTP: Notification's mail server (plain, implicit TLS, submission).
          { ports: tcp(25, 465, 587) },
          // The Broker's ingress (publishing to K_SINK) and Knative's cluster-local ingress
          // (Order's call to Catalog): both in Knative's namespaces.
          { to: [namespaces('knative-eventing', 'knative-serving-ingress')] },
          // Each other (a function's own pods), and the API server, which serves the service-account
          // issuer's discovery and keys that verify delivery tokens (and TokenRequest, for the replay
          // functions). OVN-Kubernetes applies a policy after the kubernetes Service's translation to
          // the API servers' own port, 6443, so HTTPS (443) to anywhere is not opened for it.
          { to: [{ podSelector: {} }] },
          { ports: tcp(6443) },
        ],
      },
    },
  ];
};
