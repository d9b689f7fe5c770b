// The Knative manifests: knative/base is exactly what the registry generates; the base and every
// overlay, as `kubectl kustomize` renders them, satisfy the Knative CRD schemas; and what those
// schemas cannot check (references, legal values, visibility, secrets, migration Jobs) holds too.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { definitionOf, type EventDefinition } from '../../events/index.js';
import { registry } from '../../functions/index.js';
import { config } from '../../functions/runtime/config.js';
import type { RegisteredFunction } from '../../functions/runtime/definition.js';
import { migratedContexts } from '../../functions/runtime/migrate.js';
import {
  BASE_DIR,
  COMPONENT_LABEL,
  CONFIG_DEFAULTS,
  DEAD_LETTER_SINK,
  DEFAULT_DELIVERY,
  HEADER,
  IMAGE,
  KAFKA_DEFAULTS,
  MIGRATION_COMPONENT,
  MIGRATION_JOB,
  SECURITY_CONTEXT,
  assertCron,
  buildManifests,
  durationSeconds,
  listFiles,
  manifestFiles,
  type Manifest,
} from './generate.js';
import { coreSchemaErrors, schemaErrors } from './schema-testing.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const knativeDir = join(root, 'knative');
/** Contexts with functions/<context>/migrations: each has a migration Job. */
const contexts = migratedContexts(join(root, 'functions'));
const generated = () => manifestFiles(registry, { migrations: contexts });
const OVERLAYS = ['dev', 'staging', 'prod'] as const;
const NAMESPACES: Record<(typeof OVERLAYS)[number], string> = { dev: 'gotuto-dev', staging: 'gotuto-staging', prod: 'gotuto-prod' };

type Doc = Manifest & { metadata: Manifest['metadata'] & { namespace?: string } };
type Ref = { ref?: { apiVersion?: string; kind?: string; name?: string }; uri?: string; audience?: string };
type Delivery = { retry?: number; backoffPolicy?: string; backoffDelay?: string; timeout?: string; deadLetterSink?: Ref };
type Container = {
  name?: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  readinessProbe?: { httpGet?: { path?: string } };
  securityContext?: Record<string, unknown>;
};
type ServiceSpec = {
  template: { metadata: { annotations?: Record<string, string> }; spec: { containers: Container[]; containerConcurrency?: number; timeoutSeconds?: number } };
};
type JobSpec = {
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
  template: { metadata?: { labels?: Record<string, string> }; spec: { restartPolicy?: string; containers: Container[] } };
};

// --- rendering ------------------------------------------------------------------------------

const kustomize = (dir: string): Doc[] => {
  const run = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (run.error) {
    const code = (run.error as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? 'kubectl is not on PATH: these tests render knative/ with `kubectl kustomize` (kubectl 1.32 or later); install it'
        : `kubectl kustomize ${dir} could not run: ${run.error.message}`,
    );
  }
  if (run.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${run.stderr}`);
  return parseAllDocuments(run.stdout)
    .map((doc) => doc.toJS() as Doc | null)
    .filter((doc): doc is Doc => doc !== null);
};

// Rendered on first use, so that the tests which need no kubectl run without it.
const rendered = new Map<string, Doc[]>();
const docsOf = (target: string): Doc[] => {
  let docs = rendered.get(target);
  if (!docs) {
    docs = kustomize(target === 'base' ? BASE_DIR : join(knativeDir, 'overlays', target));
    rendered.set(target, docs);
  }
  return docs;
};
const ofKind = (docs: Doc[], kind: string): Doc[] => docs.filter((d) => d.kind === kind);

// --- what the schemas cannot check ----------------------------------------------------------

const COUNT = /^(0|[1-9]\d*)$/;

/** Problems with references and values in one rendered set of manifests. */
const semanticProblems = (docs: Doc[]): string[] => {
  const problems: string[] = [];
  const services = new Set(ofKind(docs, 'Service').map((d) => d.metadata.name));
  const brokers = new Set(ofKind(docs, 'Broker').map((d) => d.metadata.name));
  const serviceRef = (where: string, dest: Ref | undefined) => {
    const ref = dest?.ref;
    if (!ref) return problems.push(`${where} has no ref`);
    if (ref.apiVersion !== 'serving.knative.dev/v1' || ref.kind !== 'Service') problems.push(`${where} is not a Knative Service`);
    if (!ref.name || !services.has(ref.name)) problems.push(`${where} names Service "${ref.name}", which does not exist`);
    // Sender identity: the function verifies tokens for its own name.
    if (dest?.audience !== ref.name) problems.push(`${where} audience "${dest?.audience}" is not the function's name`);
    return 0;
  };
  const delivery = (where: string, d: Delivery | undefined, needsTimeout: boolean) => {
    if (!d) return problems.push(`${where} has no delivery`);
    if (!Number.isInteger(d.retry) || (d.retry as number) < 0) problems.push(`${where}.retry ${d.retry} is not a non-negative integer`);
    if (d.backoffPolicy !== 'exponential' && d.backoffPolicy !== 'linear') problems.push(`${where}.backoffPolicy "${d.backoffPolicy}"`);
    for (const key of ['backoffDelay', ...(needsTimeout ? ['timeout'] : [])] as const) {
      const value = d[key as 'backoffDelay' | 'timeout'];
      try {
        if (value === undefined) throw new Error('missing');
        durationSeconds(value);
      } catch (error) {
        problems.push(`${where}.${key}: ${(error as Error).message}`);
      }
    }
    serviceRef(`${where}.deadLetterSink`, d.deadLetterSink);
    return 0;
  };

  for (const broker of ofKind(docs, 'Broker')) {
    if (broker.metadata.annotations?.['eventing.knative.dev/broker.class'] !== 'Kafka') problems.push(`Broker ${broker.metadata.name} is not Kafka-class`);
    const cfg = broker.spec?.config as { kind?: string; name?: string } | undefined;
    if (cfg?.kind !== 'ConfigMap' || !docs.some((d) => d.kind === 'ConfigMap' && d.metadata.name === cfg.name)) {
      problems.push(`Broker ${broker.metadata.name} config names a ConfigMap that does not exist`);
    }
    delivery(`Broker ${broker.metadata.name} delivery`, broker.spec?.delivery as Delivery, false);
  }
  for (const trigger of ofKind(docs, 'Trigger')) {
    const name = `Trigger ${trigger.metadata.name}`;
    const spec = trigger.spec as { broker?: string; filter?: { attributes?: Record<string, string> }; subscriber?: Ref; delivery?: Delivery };
    if (!spec.broker || !brokers.has(spec.broker)) problems.push(`${name} names Broker "${spec.broker}", which does not exist`);
    const type = spec.filter?.attributes?.type;
    if (!type || !/^com\.gotuto\.[a-z]+\.[a-z0-9-]+\.v\d+$/.test(type)) problems.push(`${name} does not filter on one exact event type`);
    serviceRef(`${name} subscriber`, spec.subscriber);
    delivery(`${name} delivery`, spec.delivery, true);
    const order = trigger.metadata.annotations?.['kafka.eventing.knative.dev/delivery.order'];
    if (order !== 'ordered' && order !== 'unordered') problems.push(`${name} delivery.order "${order}"`);
  }
  for (const ping of ofKind(docs, 'PingSource')) {
    const spec = ping.spec as { schedule: string; data?: string; contentType?: string; sink?: Ref };
    try {
      assertCron(spec.schedule);
    } catch (error) {
      problems.push(`PingSource ${ping.metadata.name}: ${(error as Error).message}`);
    }
    if (spec.contentType !== 'application/json' || spec.data === undefined) problems.push(`PingSource ${ping.metadata.name} sends no JSON`);
    else JSON.parse(spec.data);
    serviceRef(`PingSource ${ping.metadata.name} sink`, spec.sink);
  }
  for (const binding of ofKind(docs, 'SinkBinding')) {
    const spec = binding.spec as { subject?: { kind?: string; selector?: { matchLabels?: Record<string, string> } }; sink?: Ref };
    if (spec.subject?.kind !== 'Service' || spec.subject.selector?.matchLabels?.['app.kubernetes.io/part-of'] !== 'gotuto') {
      problems.push(`SinkBinding ${binding.metadata.name} does not select every function`);
    }
    if (spec.sink?.ref?.kind !== 'Broker' || !brokers.has(spec.sink.ref.name ?? ''))
      problems.push(`SinkBinding ${binding.metadata.name} sink is not the Broker`);
  }
  for (const svc of ofKind(docs, 'Service')) {
    const name = `Service ${svc.metadata.name}`;
    const spec = svc.spec as ServiceSpec;
    const annotations = spec.template.metadata.annotations ?? {};
    const min = annotations['autoscaling.knative.dev/min-scale'];
    const max = annotations['autoscaling.knative.dev/max-scale'];
    const target = annotations['autoscaling.knative.dev/target'];
    if (!min || !COUNT.test(min) || !max || !COUNT.test(max)) problems.push(`${name} min-scale "${min}" / max-scale "${max}" are not counts`);
    else if (Number(max) < 1 || Number(min) > Number(max)) problems.push(`${name} min-scale ${min} > max-scale ${max}`);
    if (!target || !COUNT.test(target) || Number(target) < 1) problems.push(`${name} target "${target}"`);
    const [container, ...others] = spec.template.spec.containers;
    if (!container || others.length > 0) {
      problems.push(`${name} has ${spec.template.spec.containers.length} containers`);
      continue;
    }
    if (container.env?.find((e) => e.name === 'FUNCTION_TARGET')?.value !== svc.metadata.name) problems.push(`${name} FUNCTION_TARGET is not its name`);
    for (const e of container.env ?? []) if (/SECRET|PASSWORD|DATABASE_URL/.test(e.name)) problems.push(`${name} sets ${e.name} in the manifest`);
    const from = (container.envFrom ?? []).map((e) => e.configMapRef?.name ?? e.secretRef?.name);
    if (!from.includes('gotuto-config') || !from.includes('gotuto-secrets')) problems.push(`${name} does not read gotuto-config and gotuto-secrets`);
    if (container.readinessProbe?.httpGet?.path !== '/healthz') problems.push(`${name} has no /healthz readiness probe`);
    const sc = container.securityContext ?? {};
    if (sc.runAsNonRoot !== true || sc.allowPrivilegeEscalation !== false) problems.push(`${name} may run as root or escalate`);
  }
  return problems;
};

/** Problems with the migration Jobs of one rendered set of manifests. */
const jobProblems = (docs: Doc[]): string[] => {
  const problems: string[] = [];
  const serviceImages = new Set(ofKind(docs, 'Service').map((s) => (s.spec as ServiceSpec).template.spec.containers[0]?.image));
  for (const job of ofKind(docs, 'Job')) {
    const name = `Job ${job.metadata.name}`;
    const spec = job.spec as JobSpec;
    if (job.metadata.labels?.[COMPONENT_LABEL] !== MIGRATION_COMPONENT) problems.push(`${name} is not labelled ${COMPONENT_LABEL}=${MIGRATION_COMPONENT}`);
    if (!Number.isInteger(spec.backoffLimit) || (spec.backoffLimit as number) < 0) problems.push(`${name} backoffLimit ${spec.backoffLimit}`);
    if (!Number.isInteger(spec.ttlSecondsAfterFinished) || (spec.ttlSecondsAfterFinished as number) < 0)
      problems.push(`${name} ttlSecondsAfterFinished ${spec.ttlSecondsAfterFinished}`);
    if (!Number.isInteger(spec.activeDeadlineSeconds) || (spec.activeDeadlineSeconds as number) < 1)
      problems.push(`${name} activeDeadlineSeconds ${spec.activeDeadlineSeconds}`);
    if (spec.template.spec.restartPolicy !== 'OnFailure') problems.push(`${name} restartPolicy ${spec.template.spec.restartPolicy}`);
    const [container, ...others] = spec.template.spec.containers;
    if (!container || others.length > 0) {
      problems.push(`${name} has ${spec.template.spec.containers.length} containers`);
      continue;
    }
    // `node dist/migrate.js up <context>`, for a context that has migrations, named after it.
    const [node, script, direction, context, ...more] = container.command ?? [];
    if (node !== 'node' || script !== 'dist/migrate.js' || direction !== 'up' || more.length > 0 || container.args !== undefined) {
      problems.push(`${name} command ${JSON.stringify(container.command)} is not \`node dist/migrate.js up <context>\``);
    } else if (!context || !contexts.includes(context)) problems.push(`${name} migrates "${context}", which has no functions/${context}/migrations`);
    else if (job.metadata.name !== `migrate-${context}` || job.metadata.labels?.['gotuto.dev/context'] !== context)
      problems.push(`${name} is not named after ${context}`);
    if (!container.image || !serviceImages.has(container.image) || serviceImages.size !== 1)
      problems.push(`${name} image ${container.image} is not the functions' image`);
    for (const e of container.env ?? []) if (/SECRET|PASSWORD|DATABASE_URL/.test(e.name)) problems.push(`${name} sets ${e.name} in the manifest`);
    const from = (container.envFrom ?? []).map((e) => e.configMapRef?.name ?? e.secretRef?.name);
    if (!from.includes('gotuto-config') || !from.includes('gotuto-secrets')) problems.push(`${name} does not read gotuto-config and gotuto-secrets`);
    if (JSON.stringify(container.securityContext) !== JSON.stringify(SECURITY_CONTEXT))
      problems.push(`${name} securityContext is not the Services' restricted one`);
  }
  return problems;
};

const isClusterLocal = (svc: Doc): boolean => svc.metadata.labels?.['networking.knative.dev/visibility'] === 'cluster-local';

// --- the tests ------------------------------------------------------------------------------

describe('knative/base', () => {
  it('is exactly what `npm run knative` generates from the registry', () => {
    const files = generated();
    const onDisk = listFiles(BASE_DIR);
    expect.soft(onDisk, 'files in knative/base (run `npm run knative`)').toEqual([...files.keys()]);
    for (const [path, content] of files) {
      expect.soft(readFileSync(join(BASE_DIR, path), 'utf8'), `knative/base/${path} (run \`npm run knative\`)`).toBe(content);
      expect(content.startsWith(HEADER)).toBe(true);
    }
  });

  it('does not depend on the order of the registry', () => {
    const shuffled = [...registry].reverse();
    expect(manifestFiles(shuffled, { migrations: [...contexts].reverse() })).toEqual(generated());
  });

  it('has min-scale "0" on every Service and no namespace on any resource', () => {
    const base = docsOf('base');
    for (const svc of ofKind(base, 'Service')) {
      expect((svc.spec as ServiceSpec).template.metadata.annotations?.['autoscaling.knative.dev/min-scale'], svc.metadata.name).toBe('0');
    }
    expect(base.filter((d) => d.metadata.namespace !== undefined).map((d) => d.metadata.name)).toEqual([]);
  });

  it('gives every handler with an event a Trigger on exactly that type, ordered only where the handler asks', () => {
    const triggers = new Map(ofKind(docsOf('base'), 'Trigger').map((t) => [t.metadata.name, t]));
    const consumers = registry.filter(
      (fn) => fn.definition.kind === 'handler' && fn.definition.event && !fn.definition.schedule && !fn.definition.anyType && fn.name !== DEAD_LETTER_SINK,
    );
    expect([...triggers.keys()].sort()).toEqual(consumers.map((fn) => fn.name).sort());
    for (const fn of consumers) {
      const def = fn.definition as { event: EventDefinition<unknown>; delivery?: { ordered?: boolean } };
      const trigger = triggers.get(fn.name) as Doc;
      expect((trigger.spec as { filter: { attributes: Record<string, string> } }).filter.attributes).toEqual({ type: def.event.type });
      expect(trigger.metadata.annotations?.['kafka.eventing.knative.dev/delivery.order'], fn.name).toBe(
        def.delivery?.ordered === true ? 'ordered' : 'unordered',
      );
    }
    expect(triggers.has(DEAD_LETTER_SINK)).toBe(false);
  });

  it('consumes only event types that some context defines', () => {
    const consumed = registry.flatMap((fn) => (fn.definition.kind === 'handler' && fn.definition.event ? [fn.definition.event.type] : []));
    expect(consumed.filter((type) => definitionOf(type) === undefined)).toEqual([]);
  });

  it('registers the dead-letter sink that the Broker and every Trigger name', () => {
    expect(
      registry.some((fn) => fn.name === DEAD_LETTER_SINK),
      `the function ${DEAD_LETTER_SINK}`,
    ).toBe(true);
  });

  it('keeps gotuto-config equal to the runtime defaults', () => {
    const defaults: Record<string, () => unknown> = {
      BODY_LIMIT_BYTES: config.bodyLimit,
      JWT_AUDIENCE: config.jwtAudience,
      JWT_ISSUER: config.jwtIssuer,
      MESSAGING_RETENTION_DAYS: config.retentionDays,
      OUTBOX_LEASE_SECONDS: config.outboxLeaseSeconds,
      OUTBOX_RELAY_BATCH: config.relayBatch,
      PG_POOL_MAX: config.poolMax,
      PUBLISH_TIMEOUT_MS: config.publishTimeoutMs,
    };
    const saved = Object.fromEntries(Object.keys(defaults).map((name) => [name, process.env[name]]));
    try {
      for (const name of Object.keys(defaults)) delete process.env[name];
      for (const [name, read] of Object.entries(defaults)) expect(CONFIG_DEFAULTS[name], name).toBe(String(read()));
    } finally {
      for (const [name, value] of Object.entries(saved)) if (value !== undefined) process.env[name] = value;
    }
  });
});

describe.each(['base', ...OVERLAYS])('kubectl kustomize %s', (target) => {
  it('satisfies the Knative CRD schemas', () => {
    const docs = docsOf(target);
    const { checked, errors } = schemaErrors(docs);
    expect(errors).toEqual([]);
    // Every Knative, Gateway API and telemetry resource has a schema: none slipped through unchecked.
    const knative = docs
      .filter((d) => /knative\.dev|gateway\.networking\.k8s\.io|opentelemetry\.io|monitoring\.coreos\.com/.test(d.apiVersion))
      .map((d) => `${d.kind}/${d.metadata.name}`);
    expect(checked.sort()).toEqual(knative.sort());
    expect(checked.filter((c) => c.startsWith('Service/'))).toHaveLength(registry.length);
  });

  it('references only what exists, with legal values', () => {
    expect(semanticProblems(docsOf(target))).toEqual([]);
  });

  it("has one migration Job per context with migrations, on the functions' image, with no secret in it", () => {
    const docs = docsOf(target);
    expect(contexts.length, 'contexts with functions/<context>/migrations').toBeGreaterThan(0);
    expect(
      ofKind(docs, 'Job')
        .map((j) => j.metadata.name)
        .sort(),
    ).toEqual(contexts.map((c) => `migrate-${c}`).sort());
    expect(jobProblems(docs)).toEqual([]);
  });

  it('satisfies the Kubernetes schemas of its core kinds (ConfigMap, Job, NetworkPolicy, ServiceAccount, Role, RoleBinding)', async () => {
    const core = docsOf(target).filter((d) => !d.apiVersion.includes('.') || /^(networking|rbac\.authorization)\.k8s\.io\//.test(d.apiVersion));
    expect(new Set(core.map((d) => d.kind))).toEqual(new Set(['ConfigMap', 'Job', 'NetworkPolicy', 'ServiceAccount', 'Role', 'RoleBinding']));
    expect(await coreSchemaErrors(core)).toEqual([]);
  });

  it('has one Service per function, every one cluster-local: the Gateway is the only public door', () => {
    const services = ofKind(docsOf(target), 'Service');
    expect(services.map((s) => s.metadata.name).sort()).toEqual(registry.map((fn) => fn.name).sort());
    for (const fn of registry) {
      const svc = services.find((s) => s.metadata.name === fn.name) as Doc;
      expect(isClusterLocal(svc), fn.name).toBe(true);
      expect(svc.metadata.labels?.['gotuto.dev/kind']).toBe(fn.definition.kind);
      expect(svc.metadata.labels?.['gotuto.dev/context']).toBe(fn.context);
    }
  });

  if (target !== 'base') {
    it('sets its namespace, its image and the Kafka bootstrap servers', () => {
      const docs = docsOf(target);
      const namespace = NAMESPACES[target as (typeof OVERLAYS)[number]];
      expect(docs.filter((d) => d.metadata.namespace !== namespace).map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([]);
      for (const svc of ofKind(docs, 'Service')) {
        const image = (svc.spec as ServiceSpec).template.spec.containers[0]?.image ?? '';
        expect(image, svc.metadata.name).not.toBe(IMAGE);
        expect(image, svc.metadata.name).toMatch(/\/gotuto-functions(:[\w.-]+|@sha256:[0-9a-f]{64})$/);
      }
      for (const job of ofKind(docs, 'Job')) {
        // kustomize `images:` rewrites a Job's containers as it does a Service's.
        const image = (job.spec as JobSpec).template.spec.containers[0]?.image ?? '';
        expect(image, job.metadata.name).toBe((ofKind(docs, 'Service')[0]?.spec as ServiceSpec).template.spec.containers[0]?.image);
      }
      const kafka = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'kafka-broker-config');
      expect(kafka?.data?.['bootstrap.servers']).not.toBe(KAFKA_DEFAULTS['bootstrap.servers']);
      expect(kafka?.data?.['bootstrap.servers']).toMatch(/^[a-z0-9.-]+:\d+(,[a-z0-9.-]+:\d+)*$/);
    });
  }
});

describe('overlays', () => {
  const maxScale = (target: string, trigger: string): (string | undefined)[] => [
    ...new Set(
      ofKind(docsOf(target), 'Service')
        .filter((s) => s.metadata.labels?.['gotuto.dev/trigger'] === trigger)
        .map((s) => (s.spec as ServiceSpec).template.metadata.annotations?.['autoscaling.knative.dev/max-scale']),
    ),
  ];

  it('scale dev down and prod up; scheduled functions keep one instance', () => {
    expect(maxScale('dev', 'http')).toEqual(['2']);
    expect(Number(maxScale('prod', 'http')[0])).toBeGreaterThan(Number(maxScale('base', 'http')[0]));
    expect(Number(maxScale('prod', 'event')[0])).toBeGreaterThan(Number(maxScale('base', 'event')[0]));
    for (const target of ['base', ...OVERLAYS]) expect(maxScale(target, 'schedule')).toEqual(['1']);
  });

  it('give dev its Kafka, and prod 10 partitions replicated three times', () => {
    const kafka = (target: string) => docsOf(target).find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'kafka-broker-config')?.data;
    expect(kafka('dev')?.['bootstrap.servers']).toBe('my-cluster-kafka-bootstrap.kafka:9092');
    expect(kafka('prod')).toMatchObject({ 'default.topic.partitions': '10', 'default.topic.replication.factor': '3' });
  });
});

describe('buildManifests', () => {
  // Handlers that the registry may not hold yet, so that Trigger generation is checked today.
  const event = (context: string, name: string): EventDefinition<unknown> =>
    ({
      type: `com.gotuto.${context}.${name}.v1`,
      context,
      name,
      version: 1,
      source: `/gotuto/${context}`,
      dataschema: '',
      schema: { $id: '' },
    }) as unknown as EventDefinition<unknown>;
  const handlerFn = (name: string, context: string, def: Record<string, unknown>): RegisteredFunction => ({
    name,
    context,
    path: `${context}/handlers/${name.slice(context.length + 1)}`,
    definition: { kind: 'handler', handle: async () => undefined, ...def } as RegisteredFunction['definition'],
  });
  const samples = [
    handlerFn('inventory-on-order-placed', 'inventory', { event: event('order', 'order-placed') }),
    handlerFn('billing-on-customer-registered', 'billing', { event: event('customer', 'customer-registered') }),
    handlerFn('shipping-on-order-paid', 'shipping', {
      event: event('billing', 'payment-received'),
      delivery: { retry: 8, backoffDelay: 'PT1S', timeout: 'PT2M', ordered: true },
    }),
  ];
  const sample: RegisteredFunction[] = [...registry.filter((fn) => !samples.some((s) => s.name === fn.name)), ...samples];
  const manifests = buildManifests(sample) as Doc[];
  const trigger = (name: string) => manifests.find((m) => m.kind === 'Trigger' && m.metadata.name === name) as Doc;

  it('makes Triggers that satisfy the schema and reference what exists', () => {
    expect(schemaErrors(manifests).errors).toEqual([]);
    expect(semanticProblems(manifests)).toEqual([]);
  });

  it("applies the delivery defaults, a handler's own settings, and ordering", () => {
    expect(trigger('billing-on-customer-registered').spec?.delivery).toMatchObject({
      ...DEFAULT_DELIVERY,
      // Knative sends the sink the subscriber, not the Trigger: the URI under the sink's Service names it.
      deadLetterSink: { ref: { name: DEAD_LETTER_SINK }, uri: '/?trigger=billing-on-customer-registered' },
    });
    expect(trigger('billing-on-customer-registered').metadata.annotations).toEqual({
      'argocd.argoproj.io/sync-wave': '2',
      'kafka.eventing.knative.dev/delivery.order': 'unordered',
    });
    // The saga's Triggers are unordered, an Order event's too: each step's event comes once per order.
    expect(trigger('inventory-on-order-placed').metadata.annotations).toEqual({
      'argocd.argoproj.io/sync-wave': '2',
      'kafka.eventing.knative.dev/delivery.order': 'unordered',
    });
    const own = trigger('shipping-on-order-paid');
    expect(own.spec?.delivery).toMatchObject({ retry: 8, backoffDelay: 'PT1S', timeout: 'PT2M' });
    expect(own.metadata.annotations?.['kafka.eventing.knative.dev/delivery.order']).toBe('ordered');
    // The Service waits as long as the Trigger does.
    const svc = manifests.find((m) => m.kind === 'Service' && m.metadata.name === 'shipping-on-order-paid') as Doc;
    expect((svc.spec as ServiceSpec).template.spec.timeoutSeconds).toBe(120);
  });

  it('refuses delivery durations that are not ISO 8601', () => {
    const bad = handlerFn('billing-on-x', 'billing', { event: event('customer', 'x'), delivery: { timeout: '30s' } });
    expect(() => buildManifests([...registry, bad])).toThrow(/billing-on-x: delivery.timeout/);
  });

  it('makes a migration Job per context given, and none without', () => {
    expect(buildManifests(registry).filter((m) => m.kind === 'Job')).toEqual([]);
    const jobs = buildManifests(registry, { image: 'registry.example/gotuto-functions:1', migrations: ['shipping', 'billing', 'billing'] }).filter(
      (m) => m.kind === 'Job',
    ) as Doc[];
    expect(jobs.map((j) => j.metadata.name)).toEqual(['migrate-billing', 'migrate-shipping']);
    const spec = jobs[0]?.spec as JobSpec;
    expect(spec).toMatchObject({ ...MIGRATION_JOB, template: { spec: { restartPolicy: 'OnFailure' } } });
    expect(spec.template.spec.containers[0]).toMatchObject({
      image: 'registry.example/gotuto-functions:1',
      command: ['node', 'dist/migrate.js', 'up', 'billing'],
    });
    expect(() => buildManifests(registry, { migrations: ['Billing'] })).toThrow(/cannot name a Job/);
  });

  it('finds a Job that migrates an unknown context, sets a secret, or runs another image', () => {
    const docs = buildManifests(registry, { migrations: contexts }) as Doc[];
    expect(jobProblems(docs)).toEqual([]);
    const job = docs.find((d) => d.kind === 'Job') as Doc;
    const bad = structuredClone(job);
    const container = (bad.spec as JobSpec).template.spec.containers[0] as Container;
    container.command = ['node', 'dist/migrate.js', 'up', 'nowhere'];
    container.env = [{ name: 'DATABASE_URL', value: 'postgres://x' }];
    container.image = 'elsewhere/gotuto-functions:1';
    (bad.spec as JobSpec).template.spec.restartPolicy = 'Always';
    const problems = jobProblems(docs.map((d) => (d === job ? bad : d))).join('\n');
    expect(problems).toMatch(/migrates "nowhere", which has no functions\/nowhere\/migrations/);
    expect(problems).toMatch(/sets DATABASE_URL in the manifest/);
    expect(problems).toMatch(/image elsewhere\/gotuto-functions:1 is not the functions' image/);
    expect(problems).toMatch(/restartPolicy Always/);
  });

  it('refuses two functions of one name and crons without five fields', () => {
    expect(() => buildManifests([...registry, ...registry.slice(0, 1)])).toThrow(/two functions/);
    expect(() => buildManifests([handlerFn('billing-tick', 'billing', { schedule: { cron: '* * * *' } })])).toThrow(/4 fields/);
  });
});

describe('durations and crons', () => {
  it('reads ISO 8601 durations', () => {
    expect(durationSeconds('PT0.5S')).toBe(0.5);
    expect(durationSeconds('PT30S')).toBe(30);
    expect(durationSeconds('PT1M30S')).toBe(90);
    expect(durationSeconds('P1DT1H')).toBe(90_000);
    for (const bad of ['', 'P', 'PT', '30s', 'PT-1S', 'P1DT']) expect(() => durationSeconds(bad), bad).toThrow();
  });

  it('accepts five-field crons only', () => {
    for (const ok of ['* * * * *', '*/15 * * * *', '0 3 * * 1-5', '5,35 */2 1 1-12/3 0']) expect(() => assertCron(ok), ok).not.toThrow();
    for (const bad of ['* * * *', '* * * * * *', '60 * * * *', '* 24 * * *', '*/0 * * * *', '@hourly']) expect(() => assertCron(bad), bad).toThrow();
  });
});

describe('knative/', () => {
  it('holds no secret values', () => {
    const leaks: string[] = [];
    for (const path of listFiles(knativeDir)) {
      const text = readFileSync(join(knativeDir, path), 'utf8');
      if (/JWT_SECRET=\S|^\s*JWT_SECRET:\s*\S/m.test(text)) leaks.push(`${path}: JWT_SECRET with a value`);
      if (/^\s*(?:[A-Z]+_)?DATABASE_URL:\s*\S/m.test(text)) leaks.push(`${path}: a database URL in a manifest`);
      if (/postgres(?:ql)?:\/\/[^\s:@/]+:[^\s@/]+@/.test(text)) leaks.push(`${path}: a database URL with a password`);
      if (/^kind:\s*Secret\s*$/m.test(text)) leaks.push(`${path}: a Secret`);
    }
    expect(leaks).toEqual([]);
  });
});
