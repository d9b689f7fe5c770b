// The kn commands of `npm run deploy -- <env> --kn` (scripts/deploy.ts), one builder per kind:
// each renders a resource of the overlay into `kn ... create|update` with every field it has, plus
// a `kubectl patch` for what kn has no flag for, or refuses the resource naming what kn cannot set.
import type { Command, Rendered } from '../deploy.js';
import { SECURITY_CONTEXT } from './generate.js';

// Fully qualified: OpenShift Pipelines also has a `triggers` resource.
export const RESOURCE = {
  Service: 'services.serving.knative.dev',
  Broker: 'brokers.eventing.knative.dev',
  Trigger: 'triggers.eventing.knative.dev',
  PingSource: 'pingsources.sources.knative.dev',
  SinkBinding: 'sinkbindings.sources.knative.dev',
} as const;
export type KnKind = keyof typeof RESOURCE;

type Ref = { ref?: { apiVersion?: string; kind?: string; name?: string; namespace?: string }; uri?: string; audience?: string };

/** A kn `--sink` / `--dl-sink` for a destination. */
const sinkOf = (where: string, dest: Ref | undefined): string => {
  if (dest?.uri && !dest.ref) return dest.uri;
  const ref = dest?.ref;
  const prefix = ref?.kind === 'Service' && ref.apiVersion === 'serving.knative.dev/v1' ? 'ksvc' : ref?.kind === 'Broker' ? 'broker' : undefined;
  if (!ref?.name || !prefix) throw new Error(`${where}: kn cannot express the destination ${JSON.stringify(dest)}`);
  return `${prefix}:${ref.name}${ref.namespace ? `:${ref.namespace}` : ''}`;
};

const keyValues = (record: Record<string, string> | undefined): string[] =>
  Object.entries(record ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);

const only = (where: string, value: object, allowed: readonly string[]): void => {
  const extra = Object.keys(value).filter((k) => !allowed.includes(k));
  if (extra.length > 0) throw new Error(`${where} has ${extra.join(', ')}, which the kn commands do not set: deploy it with kubectl (no --kn)`);
};

type Delivery = { retry?: number; backoffPolicy?: string; backoffDelay?: string; timeout?: string; deadLetterSink?: Ref };

/**
 * `kn broker create|update`, and the `kn broker update --dl-sink` that follows once the Services
 * exist: kn resolves a `ksvc:` sink by reading the Service, so the Broker's dead-letter sink (a
 * function) can only be set after the functions are created.
 */
export const brokerCommands = (doc: Rendered, namespace: string, exists: boolean): { first: Command; deadLetters: Command[] } => {
  const name = doc.metadata.name;
  const spec = (doc.spec ?? {}) as { config?: { kind?: string; name?: string; namespace?: string }; delivery?: Delivery };
  only(`Broker ${name} spec`, spec, ['config', 'delivery']);
  const delivery = spec.delivery ?? {};
  only(`Broker ${name} delivery`, delivery, ['retry', 'backoffPolicy', 'backoffDelay', 'timeout', 'deadLetterSink']);
  const dls = delivery.deadLetterSink && sinkOf(`Broker ${name} deadLetterSink`, delivery.deadLetterSink);
  const deferred = dls !== undefined && !delivery.deadLetterSink?.uri;
  const deliveryFlags = [
    ...(delivery.retry !== undefined ? ['--retry', String(delivery.retry)] : []),
    ...(delivery.backoffPolicy ? ['--backoff-policy', delivery.backoffPolicy] : []),
    ...(delivery.backoffDelay ? ['--backoff-delay', delivery.backoffDelay] : []),
    ...(delivery.timeout ? ['--timeout', delivery.timeout] : []),
    ...(dls && !deferred ? ['--dl-sink', dls] : []),
  ];
  // kn sets no audience: a patch after the sink is set adds the dead-letter sink's (sender identity).
  const audience = delivery.deadLetterSink?.audience;
  const deadLetters: Command[] = [
    ...(deferred ? [['kn', 'broker', 'update', name, '-n', namespace, '--dl-sink', dls]] : []),
    ...(audience ? patchCommand('Broker', name, namespace, { spec: { delivery: { deadLetterSink: { audience } } } }) : []),
  ];
  // The class and the config of a Broker are immutable: `kn broker update` sets delivery only.
  if (exists) return { first: ['kn', 'broker', 'update', name, '-n', namespace, ...deliveryFlags], deadLetters };
  const brokerClass = doc.metadata.annotations?.['eventing.knative.dev/broker.class'];
  const config = spec.config;
  if (config && config.kind !== 'ConfigMap') throw new Error(`Broker ${name}: kn cannot express the config ${JSON.stringify(config)}`);
  const first: Command = [
    'kn',
    'broker',
    'create',
    name,
    '-n',
    namespace,
    ...(brokerClass ? ['--class', brokerClass] : []),
    ...(config?.name ? ['--broker-config', `cm:${config.name}${config.namespace ? `:${config.namespace}` : ''}`] : []),
    ...deliveryFlags,
  ];
  return { first, deadLetters };
};

export const bindingCommand = (doc: Rendered, namespace: string, exists: boolean): Command => {
  const name = doc.metadata.name;
  const spec = doc.spec as { subject?: { apiVersion?: string; kind?: string; name?: string; selector?: { matchLabels?: Record<string, string> } }; sink?: Ref };
  only(`SinkBinding ${name} spec`, spec, ['subject', 'sink']);
  const subject = spec.subject;
  const target = subject?.name ?? keyValues(subject?.selector?.matchLabels).join(',');
  if (!subject?.kind || !subject.apiVersion || !target) throw new Error(`SinkBinding ${name}: kn cannot express the subject ${JSON.stringify(subject)}`);
  return [
    'kn',
    'source',
    'binding',
    exists ? 'update' : 'create',
    name,
    '-n',
    namespace,
    '--subject',
    `${subject.kind}:${subject.apiVersion}:${target}`,
    '--sink',
    sinkOf(`SinkBinding ${name} sink`, spec.sink),
  ];
};

type Container = {
  name?: string;
  image?: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: { httpGet?: { path?: string; port?: unknown; host?: string; scheme?: string } } & Record<string, unknown>;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: object[];
};
export type ServiceSpec = {
  template: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: { containers: Container[]; containerConcurrency?: number; timeoutSeconds?: number; serviceAccountName?: string; volumes?: object[] };
  };
};

const VISIBILITY = 'networking.knative.dev/visibility';
const SCALE_FLAGS: Record<string, string> = {
  'autoscaling.knative.dev/min-scale': '--scale-min',
  'autoscaling.knative.dev/max-scale': '--scale-max',
  'autoscaling.knative.dev/target': '--scale-target',
};

const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** `kn service create|update` with every field of the rendered Service, or an error naming what kn cannot set. */
export const serviceCommand = (doc: Rendered, namespace: string, exists: boolean): Command => {
  const name = doc.metadata.name;
  const where = `Service ${name}`;
  const spec = doc.spec as ServiceSpec;
  only(`${where} spec`, spec, ['template']);
  only(`${where} template`, spec.template, ['metadata', 'spec']);
  only(`${where} template metadata`, spec.template.metadata ?? {}, ['labels', 'annotations']);
  only(`${where} pod spec`, spec.template.spec, ['containers', 'containerConcurrency', 'timeoutSeconds', 'serviceAccountName', 'volumes']);
  const [container, ...others] = spec.template.spec.containers;
  if (!container || others.length > 0) throw new Error(`${where} has ${spec.template.spec.containers.length} containers; the kn commands deploy one`);
  only(`${where} container`, container, ['name', 'image', 'ports', 'env', 'envFrom', 'readinessProbe', 'resources', 'securityContext', 'volumeMounts']);
  if (!container.image) throw new Error(`${where} has no image`);

  const args: string[] = ['kn', 'service', exists ? 'update' : 'create', name, '-n', namespace, '--image', container.image];
  if (spec.template.spec.serviceAccountName) args.push('--service-account', spec.template.spec.serviceAccountName);
  for (const port of container.ports ?? []) args.push('--port', `${port.name ? `${port.name}:` : ''}${port.containerPort}`);
  for (const e of container.env ?? []) {
    if (e.valueFrom !== undefined || e.value === undefined) throw new Error(`${where} env ${e.name} has no plain value`);
    args.push('--env', `${e.name}=${e.value}`);
  }
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) args.push('--env-from', `cm:${from.configMapRef.name}`);
    else if (from.secretRef) args.push('--env-from', `secret:${from.secretRef.name}`);
    else throw new Error(`${where} envFrom ${JSON.stringify(from)}`);
  }

  // Labels of both the Service and its revisions with --label; the rest on the one that has them.
  const serviceLabels = Object.fromEntries(Object.entries(doc.metadata.labels ?? {}).filter(([k]) => k !== VISIBILITY));
  const revisionLabels = spec.template.metadata?.labels ?? {};
  const both = Object.fromEntries(Object.entries(serviceLabels).filter(([k, v]) => revisionLabels[k] === v));
  for (const kv of keyValues(both)) args.push('--label', kv);
  for (const kv of keyValues(Object.fromEntries(Object.entries(serviceLabels).filter(([k]) => !(k in both))))) args.push('--label-service', kv);
  for (const kv of keyValues(Object.fromEntries(Object.entries(revisionLabels).filter(([k]) => !(k in both))))) args.push('--label-revision', kv);
  for (const kv of keyValues(doc.metadata.annotations)) args.push('--annotation-service', kv);

  const annotations = spec.template.metadata?.annotations ?? {};
  for (const [key, flag] of Object.entries(SCALE_FLAGS)) if (annotations[key] !== undefined) args.push(flag, annotations[key]);
  for (const kv of keyValues(Object.fromEntries(Object.entries(annotations).filter(([k]) => !(k in SCALE_FLAGS))))) args.push('--annotation-revision', kv);
  if (spec.template.spec.containerConcurrency !== undefined) args.push('--concurrency-limit', String(spec.template.spec.containerConcurrency));
  if (spec.template.spec.timeoutSeconds !== undefined) args.push('--timeout', String(spec.template.spec.timeoutSeconds));

  const { requests, limits, ...otherResources } = container.resources ?? {};
  only(`${where} resources`, otherResources, []);
  if (requests) args.push('--request', keyValues(requests).join(','));
  if (limits) args.push('--limit', keyValues(limits).join(','));
  if (container.readinessProbe) {
    const { httpGet, ...rest } = container.readinessProbe;
    if (!httpGet?.path || Object.keys(rest).length > 0 || httpGet.port !== undefined || httpGet.host !== undefined || httpGet.scheme !== undefined) {
      throw new Error(`${where} readinessProbe ${JSON.stringify(container.readinessProbe)}: the kn commands set an HTTP path only`);
    }
    args.push('--probe-readiness', `http:::${httpGet.path}`);
  }
  // kn's `strict` is exactly the restricted securityContext of the manifests.
  if (sameJson(container.securityContext, SECURITY_CONTEXT)) args.push('--security-context', 'strict');
  else if (container.securityContext === undefined) args.push('--security-context', 'none');
  else throw new Error(`${where} securityContext ${JSON.stringify(container.securityContext)} is not kn's strict one`);

  const visibility = doc.metadata.labels?.[VISIBILITY];
  if (visibility === 'cluster-local') args.push('--cluster-local');
  else if (visibility !== undefined) throw new Error(`${where} ${VISIBILITY}: ${visibility}`);
  else if (exists) args.push('--no-cluster-local');
  return args;
};

/**
 * The projected token volume of a publishing function (serviceVolumes), which kn's `--mount` cannot
 * express: a JSON patch after `kn service create|update`, which makes a second revision; the first
 * one publishes nothing its outbox does not keep (the relay publishes it once the token is there).
 */
export const serviceVolumePatch = (doc: Rendered, namespace: string): Command[] => {
  const pod = (doc.spec as ServiceSpec).template.spec;
  const mounts = pod.containers[0]?.volumeMounts;
  if (!pod.volumes && !mounts) return [];
  const ops = [
    { op: 'add', path: '/spec/template/spec/volumes', value: pod.volumes ?? [] },
    { op: 'add', path: '/spec/template/spec/containers/0/volumeMounts', value: mounts ?? [] },
  ];
  return [['kubectl', 'patch', RESOURCE.Service, doc.metadata.name, '-n', namespace, '--type', 'json', '-p', JSON.stringify(ops)]];
};

/** `kubectl patch` of what kn cannot set on a resource it created: a merge patch, or nothing. */
const patchCommand = (kind: KnKind, name: string, namespace: string, patch: { metadata?: object; spec?: object }): Command[] => {
  const body = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined && Object.keys(v).length > 0));
  if (Object.keys(body).length === 0) return [];
  return [['kubectl', 'patch', RESOURCE[kind], name, '-n', namespace, '--type', 'merge', '-p', JSON.stringify(body)]];
};

export const triggerCommands = (doc: Rendered, namespace: string, exists: boolean): Command[] => {
  const name = doc.metadata.name;
  const spec = doc.spec as { broker?: string; filter?: { attributes?: Record<string, string> }; subscriber?: Ref; delivery?: Delivery };
  only(`Trigger ${name} spec`, spec, ['broker', 'filter', 'subscriber', 'delivery']);
  if (!spec.broker) throw new Error(`Trigger ${name} has no broker`);
  const filters = keyValues(spec.filter?.attributes).flatMap((kv) => ['--filter', kv]);
  const sink = ['--sink', sinkOf(`Trigger ${name} subscriber`, spec.subscriber)];
  // kn trigger has no delivery flags: with kn alone, retry, backoff and the dead-letter sink would be
  // the Broker's delivery defaults. The patch sets the Trigger's own (its timeout, a handler's
  // retries) and its Kafka delivery order, as the manifest has them.
  return [
    exists
      ? ['kn', 'trigger', 'update', name, '-n', namespace, ...filters, ...sink]
      : ['kn', 'trigger', 'create', name, '-n', namespace, '--broker', spec.broker, ...filters, ...sink],
    ...patchCommand('Trigger', name, namespace, {
      metadata: doc.metadata.annotations && { annotations: doc.metadata.annotations },
      spec: {
        ...(spec.subscriber?.audience ? { subscriber: { audience: spec.subscriber.audience } } : {}),
        ...(spec.delivery ? { delivery: spec.delivery } : {}),
      },
    }),
  ];
};

export const pingCommands = (doc: Rendered, namespace: string, exists: boolean): Command[] => {
  const name = doc.metadata.name;
  const spec = doc.spec as { schedule?: string; data?: string; contentType?: string; sink?: Ref };
  only(`PingSource ${name} spec`, spec, ['schedule', 'data', 'contentType', 'sink']);
  return [
    [
      'kn',
      'source',
      'ping',
      exists ? 'update' : 'create',
      name,
      '-n',
      namespace,
      ...(spec.schedule ? ['--schedule', spec.schedule] : []),
      ...(spec.data !== undefined ? ['--data', spec.data] : []),
      '--sink',
      sinkOf(`PingSource ${name} sink`, spec.sink),
    ],
    // kn sets no content type (the functions read the PingSource's `{}` as JSON), nor an audience.
    ...patchCommand('PingSource', name, namespace, {
      spec: {
        ...(spec.contentType ? { contentType: spec.contentType } : {}),
        ...(spec.sink?.audience ? { sink: { audience: spec.sink.audience } } : {}),
      },
    }),
  ];
};
