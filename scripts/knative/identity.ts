// Sender identity in the cluster, generated from the registry beside the Services: who publishes to
// the Broker, and with which token.
//
// - One ServiceAccount per bounded context that publishes (a context with an outbox relay),
//   `gotuto-<context>`, set on that context's commands and event handlers (queries never emit). A
//   context's outbox holds only its own events and its relay publishes all of them, so an identity
//   per function would not narrow what may be published; per context, the Broker's EventPolicy can
//   admit each identity for its own context's event types only.
// - Each publishing function mounts a projected service-account token for the Broker's audience
//   (refreshed by the kubelet) and finds it through PUBLISHER_TOKEN_FILE.
// - An EventPolicy per publishing context admits that ServiceAccount to the Broker, for events whose
//   type and source are the context's own.
// - The dead-letter replay functions run as `gotuto-platform-replay`, which may ask the TokenRequest
//   API for tokens of its own (for the audience of the subscriber a letter is replayed to), nothing else.
//
// The namespace is not known here: subjects and the Broker's audience name NAMESPACE_PLACEHOLDER,
// which each overlay's `replacements` swap for the Broker's namespace (as for the Gateway's hosts).
import type { RegisteredFunction } from '../../functions/runtime/definition.js';
import { NAMESPACE_PLACEHOLDER } from './gateway.js';
import type { Manifest } from './generate.js';

/** `app.kubernetes.io/component` of the identity resources: scripts/deploy.ts applies them before the functions. */
export const IDENTITY_COMPONENT = 'identity';
/** Where a publishing function finds its token for the Broker (PUBLISHER_TOKEN_FILE). */
export const PUBLISHER_TOKEN_DIR = '/var/run/secrets/gotuto/publisher';
export const PUBLISHER_TOKEN_FILE = `${PUBLISHER_TOKEN_DIR}/token`;
export const PUBLISHER_TOKEN_VOLUME = 'publisher-token';
/** The label of a Service that publishes to the Broker (and mounts the token). */
export const PUBLISHER_LABEL = 'gotuto.dev/publisher';
/** The kubelet renews a projected token at 80% of its life, so an hour keeps a leaked one short-lived. */
export const PUBLISHER_TOKEN_SECONDS = 3600;
/** The ServiceAccount of the dead-letter replay functions, and those functions. */
export const REPLAY_ACCOUNT = 'gotuto-platform-replay';
export const REPLAY_FUNCTIONS: readonly string[] = ['platform-replay-dead-letter', 'platform-replay-dead-letters'];

export const publisherAccount = (context: string): string => `gotuto-${context}`;
/** Knative's OIDC audience of a Broker. */
export const brokerAudience = (broker: string, namespace = NAMESPACE_PLACEHOLDER): string => `eventing.knative.dev/broker/${namespace}/${broker}`;
/** The `sub` of a ServiceAccount's tokens, as an EventPolicy names it. */
export const accountSubject = (account: string, namespace = NAMESPACE_PLACEHOLDER): string => `system:serviceaccount:${namespace}:${account}`;

/** Contexts whose functions publish to the Broker: those with an outbox relay, sorted. */
export const publishingContexts = (functions: readonly RegisteredFunction[]): string[] =>
  [...new Set(functions.filter((fn) => fn.definition.kind === 'handler' && fn.definition.relay).map((fn) => fn.context))].sort();

/** The ServiceAccount a function runs as, or undefined for the namespace's default (queries, and contexts that never publish). */
export const accountOf = (fn: RegisteredFunction, publishing: ReadonlySet<string>): string | undefined => {
  if (REPLAY_FUNCTIONS.includes(fn.name)) return REPLAY_ACCOUNT;
  return fn.definition.kind !== 'query' && publishing.has(fn.context) ? publisherAccount(fn.context) : undefined;
};

type PodSpec = { containers: { env?: { name: string; value: string }[]; volumeMounts?: object[] }[]; serviceAccountName?: string; volumes?: object[] };

/** `service` (a function's Knative Service) with its ServiceAccount and, when it publishes, the Broker token. */
export const withIdentity = (service: Manifest, fn: RegisteredFunction, publishing: ReadonlySet<string>, broker: string): Manifest => {
  const account = accountOf(fn, publishing);
  if (!account) return service;
  const copy = structuredClone(service);
  const pod = (copy.spec as { template: { spec: PodSpec } }).template.spec;
  const ordered = { serviceAccountName: account, ...pod };
  if (account !== REPLAY_ACCOUNT) {
    // The label lets an overlay's replacements find the Services whose token names the namespace.
    const labels = { ...copy.metadata.labels, [PUBLISHER_LABEL]: 'true' };
    copy.metadata.labels = Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    const [container] = ordered.containers;
    if (!container) throw new Error(`${fn.name}: a Service without a container`);
    container.env = [...(container.env ?? []), { name: 'PUBLISHER_TOKEN_FILE', value: PUBLISHER_TOKEN_FILE }];
    container.volumeMounts = [{ name: PUBLISHER_TOKEN_VOLUME, mountPath: PUBLISHER_TOKEN_DIR, readOnly: true }];
    ordered.volumes = [
      {
        name: PUBLISHER_TOKEN_VOLUME,
        projected: {
          sources: [{ serviceAccountToken: { audience: brokerAudience(broker), expirationSeconds: PUBLISHER_TOKEN_SECONDS, path: 'token' } }],
        },
      },
    ];
  }
  (copy.spec as { template: { spec: PodSpec } }).template.spec = ordered;
  return copy;
};

/** The ServiceAccounts, the Broker's EventPolicies, and the replay functions' Role and RoleBinding. */
export const identityManifests = (functions: readonly RegisteredFunction[], broker: string, partOf: string): Manifest[] => {
  const labels = (context: string, name: string) => ({
    'app.kubernetes.io/component': IDENTITY_COMPONENT,
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/part-of': partOf,
    'gotuto.dev/context': context,
  });
  const publishers = publishingContexts(functions).flatMap((context): Manifest[] => {
    const name = publisherAccount(context);
    return [
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, labels: labels(context, name) } },
      {
        apiVersion: 'eventing.knative.dev/v1alpha1',
        kind: 'EventPolicy',
        metadata: { name, labels: labels(context, name) },
        spec: {
          to: [{ ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: broker } }],
          from: [{ sub: accountSubject(name) }],
          // Only the context's own events (events/: type com.gotuto.<context>.*, source /gotuto/<context>).
          filters: [{ all: [{ prefix: { type: `com.gotuto.${context}.` } }, { exact: { source: `/gotuto/${context}` } }] }],
        },
      },
    ];
  });
  const replayers = functions.filter((fn) => REPLAY_FUNCTIONS.includes(fn.name));
  if (replayers.length === 0) return publishers;
  const contexts = [...new Set(replayers.map((fn) => fn.context))];
  if (contexts.length !== 1) throw new Error(`the replay functions ${REPLAY_FUNCTIONS.join(', ')} must share one context`);
  const replay = labels(contexts[0] as string, REPLAY_ACCOUNT);
  return [
    ...publishers,
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: REPLAY_ACCOUNT, labels: replay } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: REPLAY_ACCOUNT, labels: replay },
      // Its own tokens only: TokenRequest is `create` on the ServiceAccount's `token` subresource.
      rules: [{ apiGroups: [''], resources: ['serviceaccounts/token'], resourceNames: [REPLAY_ACCOUNT], verbs: ['create'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: REPLAY_ACCOUNT, labels: replay },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: REPLAY_ACCOUNT },
      subjects: [{ kind: 'ServiceAccount', name: REPLAY_ACCOUNT }],
    },
  ] as Manifest[];
};
