// Generates knative/base from the function registry: a Knative Service per function (every one
// cluster-local), the Kafka-class Broker, a Trigger per event handler, a SinkBinding that gives every
// function K_SINK, a PingSource per schedule, the shared ConfigMap, a migration Job per context that
// has migrations (functions/<context>/migrations), and from gateway.ts the Gateway, an HTTPRoute per
// command and query and the NetworkPolicies; from identity.ts the ServiceAccounts, the Broker's
// EventPolicies and each publishing function's Broker token; waves.ts adds Argo CD's sync waves to all of them. The cluster's routing and the local platform's routing are both
// read from these files, so they cannot drift from the code.
//
//   npm run knative              regenerate knative/base (writes changed files, deletes stale ones)
//   npm run knative -- --check   exit 1 when knative/base differs from the registry
//   npm run knative -- --server-check   dry-run every overlay, component and OpenShift resource on a real
//                                       kube-apiserver with Knative's webhooks (server-check.ts)
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import type { HandlerDefinition, RegisteredFunction } from '../../functions/runtime/definition.js';
import { functionRoutes } from '../../functions/runtime/registry.js';
import { HEADER, drift, writeFiles } from './files.js';
import { clusterLocalHost, gatewayManifests, networkPolicies } from './gateway.js';
import { identityManifests, publishingContexts, withIdentity } from './identity.js';
import { assertCron, durationSeconds } from './values.js';
import { withSyncWave } from './waves.js';
import { DASHBOARDS_DIR, OTEL_CONFIG, dashboardFiles, observabilityManifests } from './observability.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BASE_DIR = join(root, 'knative', 'base');

export { HEADER, drift, listFiles, writeFiles, type WriteResult } from './files.js';
export { assertCron, durationSeconds } from './values.js';

export const PART_OF = 'gotuto';
export const BROKER = 'gotuto';
export const DEAD_LETTER_SINK = 'platform-dead-letters';
export const CONFIG_MAP = 'gotuto-config';
export const SECRET = 'gotuto-secrets';
export const KAFKA_CONFIG_MAP = 'kafka-broker-config';
/** The image name overlays replace with kustomize `images:` (Services and migration Jobs alike). */
export const IMAGE = 'gotuto-functions';

/**
 * `app.kubernetes.io/component` of what is applied before the functions: the ConfigMaps (`config`)
 * and the migration Jobs (`migration`). scripts/deploy.ts selects them with it.
 */
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const CONFIG_COMPONENT = 'config';
export const MIGRATION_COMPONENT = 'migration';

/**
 * A migration Job's bounds: a few retries with the pod restarted in place, a deadline so that a
 * migration stuck on a lock fails instead of blocking a deploy, and removal an hour after it ends
 * (a Job's pod template is immutable: scripts/deploy.ts deletes the previous Jobs before applying).
 */
export const MIGRATION_JOB = { backoffLimit: 3, activeDeadlineSeconds: 600, ttlSecondsAfterFinished: 3600 } as const;

/** The command of the migration Job of `context`; the image holds dist/migrate.js and functions/<context>/migrations. */
export const migrationCommand = (context: string): string[] => ['node', 'dist/migrate.js', 'up', context];

/** The migration Job of `context`. */
export const migrationJobName = (context: string): string => `migrate-${context}`;

/** What every container runs with: the restricted Pod Security Standard. */
export const SECURITY_CONTEXT = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ['ALL'] },
  runAsNonRoot: true,
  seccompProfile: { type: 'RuntimeDefault' },
} as const;

const RESOURCES = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } } as const;

/** Trigger delivery when a handler does not say otherwise. */
export const DEFAULT_DELIVERY = { retry: 5, backoffPolicy: 'exponential', backoffDelay: 'PT0.5S', timeout: 'PT30S' } as const;

/**
 * Non-secret settings every function reads (the defaults of functions/runtime/config.ts and of the
 * contexts). Secrets (DATABASE_URL, <CONTEXT>_DATABASE_URL, JWT_SECRET) live in the Secret gotuto-secrets.
 */
export const CONFIG_DEFAULTS: Readonly<Record<string, string>> = {
  BODY_LIMIT_BYTES: '1048576',
  // Order's synchronous call: the cluster-local host of catalog-validate-products, which Knative's
  // cluster-local ingress routes on (each overlay puts its namespace in place of the placeholder).
  CATALOG_URL: `http://${clusterLocalHost('catalog-validate-products')}`,
  INVOICE_TERMS_DAYS: '14',
  JWT_AUDIENCE: 'gotuto',
  JWT_ISSUER: 'gotuto',
  LOG_LEVEL: 'info',
  MESSAGING_RETENTION_DAYS: '7',
  OUTBOX_LEASE_SECONDS: '30',
  OUTBOX_RELAY_BATCH: '200',
  PG_POOL_MAX: '4',
  PUBLISH_TIMEOUT_MS: '10000',
  ...OTEL_CONFIG,
};

/** Topic defaults of the Kafka Broker; `bootstrap.servers` is a placeholder every overlay replaces. */
export const KAFKA_DEFAULTS: Readonly<Record<string, string>> = {
  'bootstrap.servers': 'set-in-overlay:9092',
  'default.topic.partitions': '3',
  'default.topic.replication.factor': '1',
};

export type Kind = 'command' | 'query' | 'handler';
/** What starts a function: an HTTP request, a broker delivery, or a PingSource. */
export type Trigger = 'http' | 'event' | 'schedule';

interface Scale {
  maxScale: number;
  target: number;
  containerConcurrency: number;
  timeoutSeconds: number;
}

// Measured (`npm run bench -- pool`, README.md "Pool and concurrency"): an instance serves about as
// many requests a second with 10 in flight as with 50 or 100, since every request past PG_POOL_MAX
// (4) waits in the pool; more in flight only adds waiting (p99 from under 0.15 s at 10 to 0.5-1.4 s
// at 100). Commands and queries therefore scale out at a soft target of 10 and take at most 50 at
// once; the queue-proxy holds the rest. Event handlers hold one pooled connection per event for its
// whole transaction, so at most PG_POOL_MAX (4) events run at once in one instance. A scheduled run
// works alone.
const SCALE: Record<Trigger, Scale> = {
  http: { maxScale: 10, target: 10, containerConcurrency: 50, timeoutSeconds: 30 },
  event: { maxScale: 5, target: 4, containerConcurrency: 4, timeoutSeconds: 30 },
  schedule: { maxScale: 1, target: 1, containerConcurrency: 1, timeoutSeconds: 60 },
};

export interface ManifestOptions {
  /** Container image of every function (default `gotuto-functions`, the name overlays replace). */
  image?: string;
  /** The Service every Trigger and the Broker send what they give up on (default `platform-dead-letters`). */
  deadLetterSink?: string;
  /**
   * Contexts that have migrations, a Job each (`migratedContexts()` of functions/runtime/migrate.ts;
   * `npm run knative` passes it). Default none: buildManifests does no I/O.
   */
  migrations?: readonly string[];
}

export interface Metadata {
  name: string;
  /** Only on cluster resources outside knative/base (the dashboards); base leaves it to the overlay. */
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: Metadata;
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  /** RBAC: a Role's rules, a RoleBinding's role and subjects. */
  rules?: unknown[];
  roleRef?: Record<string, string>;
  subjects?: Record<string, string>[];
}

const triggerOf = (fn: RegisteredFunction): Trigger => {
  if (fn.definition.kind !== 'handler') return 'http';
  return fn.definition.schedule ? 'schedule' : 'event';
};

const sorted = (record: Record<string, string>): Record<string, string> =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const commonLabels = (fn: RegisteredFunction): Record<string, string> => ({
  'app.kubernetes.io/name': fn.name,
  'app.kubernetes.io/part-of': PART_OF,
  'gotuto.dev/context': fn.context,
  'gotuto.dev/kind': fn.definition.kind,
  'gotuto.dev/trigger': triggerOf(fn),
});

// Every destination is a function, whose deliveries carry a token for its own name (sender
// identity): a Knative Service announces no audience of its own, so the destination names it.
const serviceRef = (name: string) => ({ ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name }, audience: name });

/** A delivery spec with the platform's defaults, its durations checked. */
const deliveryOf = (fn: RegisteredFunction, deadLetterSink: string) => {
  const own = fn.definition.kind === 'handler' ? fn.definition.delivery : undefined;
  const delivery = {
    retry: own?.retry ?? DEFAULT_DELIVERY.retry,
    backoffPolicy: DEFAULT_DELIVERY.backoffPolicy,
    backoffDelay: own?.backoffDelay ?? DEFAULT_DELIVERY.backoffDelay,
    timeout: own?.timeout ?? DEFAULT_DELIVERY.timeout,
    // The sink learns which Trigger gave up from its URL: Knative sends the subscriber, not the Trigger.
    deadLetterSink: { ...serviceRef(deadLetterSink), uri: `/?trigger=${fn.name}` },
  };
  if (!Number.isInteger(delivery.retry) || delivery.retry < 0) throw new Error(`${fn.name}: delivery.retry must be a non-negative integer`);
  for (const key of ['backoffDelay', 'timeout'] as const) {
    try {
      durationSeconds(delivery[key]);
    } catch (error) {
      throw new Error(`${fn.name}: delivery.${key}: ${(error as Error).message}`, { cause: error });
    }
  }
  return delivery;
};

// Every function is cluster-local: the Gateway (gateway.ts) is the only public door.
const service = (fn: RegisteredFunction, trigger: Trigger, image: string, timeoutSeconds: number): Manifest => {
  const scale = SCALE[trigger];
  const labels = commonLabels(fn);
  return {
    apiVersion: 'serving.knative.dev/v1',
    kind: 'Service',
    metadata: {
      name: fn.name,
      labels: sorted({ ...labels, 'networking.knative.dev/visibility': 'cluster-local' }),
    },
    spec: {
      template: {
        metadata: {
          labels: sorted(labels),
          annotations: {
            'autoscaling.knative.dev/max-scale': String(scale.maxScale),
            'autoscaling.knative.dev/min-scale': '0',
            'autoscaling.knative.dev/target': String(scale.target),
          },
        },
        spec: {
          containerConcurrency: scale.containerConcurrency,
          timeoutSeconds,
          containers: [
            {
              name: 'function',
              image,
              ports: [{ name: 'http1', containerPort: 8080 }],
              env: [{ name: 'FUNCTION_TARGET', value: fn.name }],
              envFrom: [{ configMapRef: { name: CONFIG_MAP } }, { secretRef: { name: SECRET } }],
              readinessProbe: { httpGet: { path: '/healthz' } },
              resources: structuredClone(RESOURCES),
              securityContext: structuredClone(SECURITY_CONTEXT),
            },
          ],
        },
      },
    },
  };
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The Job that applies the pending migrations of `context` (`node dist/migrate.js up <context>`)
 * from the functions' image, with their configuration and Secret.
 */
const migrationJob = (context: string, image: string): Manifest => {
  const name = migrationJobName(context);
  if (!DNS_LABEL.test(context) || name.length > 63)
    throw new Error(`context "${context}" cannot name a Job (lowercase letters, digits, dashes; Job name ${name})`);
  const labels = sorted({
    [COMPONENT_LABEL]: MIGRATION_COMPONENT,
    'app.kubernetes.io/name': name,
    'app.kubernetes.io/part-of': PART_OF,
    'gotuto.dev/context': context,
  });
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      backoffLimit: MIGRATION_JOB.backoffLimit,
      activeDeadlineSeconds: MIGRATION_JOB.activeDeadlineSeconds,
      ttlSecondsAfterFinished: MIGRATION_JOB.ttlSecondsAfterFinished,
      template: {
        metadata: { labels: { ...labels } },
        spec: {
          restartPolicy: 'OnFailure',
          containers: [
            {
              name: 'migrate',
              image,
              command: migrationCommand(context),
              envFrom: [{ configMapRef: { name: CONFIG_MAP } }, { secretRef: { name: SECRET } }],
              resources: structuredClone(RESOURCES),
              securityContext: structuredClone(SECURITY_CONTEXT),
            },
          ],
        },
      },
    },
  };
};

/** The event type a handler consumes through a Trigger, or undefined when it has no Trigger. */
const consumedType = (fn: RegisteredFunction, deadLetterSink: string): HandlerDefinition['event'] | undefined => {
  const def = fn.definition;
  if (def.kind !== 'handler' || def.schedule || def.anyType || fn.name === deadLetterSink) return undefined;
  return def.event;
};

/** Every resource of knative/base for `registry`, in a stable order. Pure: no I/O. */
export const buildManifests = (registry: readonly RegisteredFunction[], options: ManifestOptions = {}): Manifest[] => {
  const image = options.image ?? IMAGE;
  const deadLetterSink = options.deadLetterSink ?? DEAD_LETTER_SINK;
  const names = new Set<string>();
  for (const fn of registry) {
    if (names.has(fn.name)) throw new Error(`two functions are named ${fn.name}`);
    names.add(fn.name);
  }
  const functions = [...registry].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const platform: Manifest[] = [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CONFIG_MAP, labels: { [COMPONENT_LABEL]: CONFIG_COMPONENT, 'app.kubernetes.io/part-of': PART_OF } },
      data: sorted({ ...CONFIG_DEFAULTS }),
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: KAFKA_CONFIG_MAP, labels: { [COMPONENT_LABEL]: CONFIG_COMPONENT, 'app.kubernetes.io/part-of': PART_OF } },
      data: sorted({ ...KAFKA_DEFAULTS }),
    },
    {
      apiVersion: 'eventing.knative.dev/v1',
      kind: 'Broker',
      metadata: {
        name: BROKER,
        labels: { 'app.kubernetes.io/part-of': PART_OF },
        annotations: { 'eventing.knative.dev/broker.class': 'Kafka' },
      },
      spec: {
        config: { apiVersion: 'v1', kind: 'ConfigMap', name: KAFKA_CONFIG_MAP },
        delivery: {
          retry: DEFAULT_DELIVERY.retry,
          backoffPolicy: DEFAULT_DELIVERY.backoffPolicy,
          backoffDelay: DEFAULT_DELIVERY.backoffDelay,
          deadLetterSink: serviceRef(deadLetterSink),
        },
      },
    },
    {
      apiVersion: 'sources.knative.dev/v1',
      kind: 'SinkBinding',
      metadata: { name: 'gotuto-sink', labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        subject: {
          apiVersion: 'serving.knative.dev/v1',
          kind: 'Service',
          selector: { matchLabels: { 'app.kubernetes.io/part-of': PART_OF } },
        },
        sink: { ref: { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', name: BROKER } },
      },
    },
  ];

  const perFunction = functions.flatMap((fn): Manifest[] => {
    const trigger = triggerOf(fn);
    const def = fn.definition;
    const labels = sorted(commonLabels(fn));
    if (def.kind !== 'handler') return [service(fn, trigger, image, SCALE.http.timeoutSeconds)];

    if (def.schedule) {
      assertCron(def.schedule.cron);
      return [
        service(fn, trigger, image, SCALE.schedule.timeoutSeconds),
        {
          apiVersion: 'sources.knative.dev/v1',
          kind: 'PingSource',
          metadata: { name: fn.name, labels },
          spec: { schedule: def.schedule.cron, contentType: 'application/json', data: '{}', sink: serviceRef(fn.name) },
        },
      ];
    }

    const event = consumedType(fn, deadLetterSink);
    if (!event) return [service(fn, trigger, image, SCALE.event.timeoutSeconds)];
    const delivery = deliveryOf(fn, deadLetterSink);
    // The Service must not cut a delivery short that the Trigger still waits for.
    const timeoutSeconds = Math.max(SCALE.event.timeoutSeconds, Math.ceil(durationSeconds(delivery.timeout)));
    // Ordered only where the handler asks. A Trigger carries one event type, and the saga's steps
    // each emit theirs once per order, so ordering a saga Trigger sequences nothing of one order; it
    // costs each hop the ordered consumer's poll, 140-360 ms against 20-30 ms unordered under
    // Knative's dispatcher (`npm run bench -- knative`, knative/README.md "What a shopper waits").
    const ordered = def.delivery?.ordered === true;
    return [
      service(fn, trigger, image, timeoutSeconds),
      {
        apiVersion: 'eventing.knative.dev/v1',
        kind: 'Trigger',
        metadata: {
          name: fn.name,
          labels,
          annotations: { 'kafka.eventing.knative.dev/delivery.order': ordered ? 'ordered' : 'unordered' },
        },
        spec: {
          broker: BROKER,
          filter: { attributes: { type: event.type } },
          subscriber: serviceRef(fn.name),
          delivery,
        },
      },
    ];
  });

  const contexts = [...new Set(options.migrations ?? [])].sort();
  const jobs = contexts.map((context) => migrationJob(context, image));

  const door = [...networkPolicies(PART_OF), ...gatewayManifests(functions, (fn) => sorted(commonLabels(fn)), PART_OF, BROKER)];
  const publishing = new Set(publishingContexts(functions));
  const byName = new Map(functions.map((fn) => [fn.name, fn]));
  const identified = perFunction.map((m) =>
    m.kind === 'Service' ? withIdentity(m, byName.get(m.metadata.name) as RegisteredFunction, publishing, BROKER) : m,
  );
  const identities = identityManifests(functions, BROKER, PART_OF);
  return [...platform, ...door, ...observabilityManifests(PART_OF), ...identities, ...identified, ...jobs].map(withSyncWave);
};

/** The file of knative/base (relative, `/`-separated) a manifest belongs in. */
export const fileOf = (manifest: Manifest): string => {
  const context = manifest.metadata.labels?.['gotuto.dev/context'];
  if (context) return `${context}/${manifest.metadata.name}.yaml`;
  switch (manifest.kind) {
    case 'Broker':
      return 'broker.yaml';
    case 'SinkBinding':
      return 'sink-binding.yaml';
    case 'Gateway':
    case 'HTTPRoute':
      return 'gateway.yaml';
    case 'NetworkPolicy':
      return 'network-policies.yaml';
    case 'OpenTelemetryCollector':
    case 'ServiceMonitor':
    case 'PrometheusRule':
      return 'observability.yaml';
    case 'ConfigMap':
      return manifest.metadata.name === KAFKA_CONFIG_MAP ? 'broker.yaml' : 'config.yaml';
    default:
      throw new Error(`no file for ${manifest.kind} ${manifest.metadata.name}`);
  }
};

const toYaml = (value: unknown): string => stringify(value, { lineWidth: 0, indent: 2 });

/** The content of every file of knative/base, by relative path, sorted, kustomization.yaml included. */
export const manifestFiles = (registry: readonly RegisteredFunction[], options: ManifestOptions = {}): Map<string, string> => {
  // Routes that could shadow each other are refused here too, whoever composed the registry.
  functionRoutes(registry);
  const byFile = new Map<string, Manifest[]>();
  for (const manifest of buildManifests(registry, options)) {
    const file = fileOf(manifest);
    byFile.set(file, [...(byFile.get(file) ?? []), manifest]);
  }
  const paths = [...byFile.keys()].sort();
  const files = new Map<string, string>();
  for (const path of paths) files.set(path, HEADER + (byFile.get(path) ?? []).map(toYaml).join('---\n'));
  files.set('kustomization.yaml', HEADER + toYaml({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: paths }));
  return new Map([...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
};

const main = async (args: string[]): Promise<void> => {
  const unknown = args.filter((arg) => arg !== '--check' && arg !== '--server-check');
  if (unknown.length > 0) throw new Error(`unknown argument(s) ${unknown.join(' ')} (usage: generate.ts [--check | --server-check])`);
  if (args.includes('--server-check')) {
    process.exitCode = await (await import('./server-check.js')).main();
    return;
  }
  const { registry } = await import('../../functions/index.js');
  const { migratedContexts } = await import('../../functions/runtime/migrate.js');
  const files = manifestFiles(registry, { migrations: migratedContexts(join(root, 'functions')) });
  const where = relative(process.cwd(), BASE_DIR) || '.';
  const dashboards = relative(process.cwd(), DASHBOARDS_DIR);
  if (args.includes('--check')) {
    const differ = [
      ...drift(BASE_DIR, files).map((path) => `${where}/${path}`),
      ...drift(DASHBOARDS_DIR, dashboardFiles()).map((path) => `${dashboards}/${path}`),
    ];
    if (differ.length > 0) {
      console.error(`not what the registry and the dashboards' description generate: ${differ.join(', ')}\nrun \`npm run knative\``);
      process.exit(1);
    }
    console.log(`${where} matches the registry (${registry.length} functions), ${dashboards} the dashboards' description`);
    return;
  }
  for (const path of writeFiles(DASHBOARDS_DIR, dashboardFiles()).written) console.log(`wrote   ${dashboards}/${path}`);
  const result = writeFiles(BASE_DIR, files);
  for (const path of result.written) console.log(`wrote   ${where}/${path}`);
  for (const path of result.deleted) console.log(`deleted ${where}/${path}`);
  for (const path of result.foreign) console.warn(`kept    ${where}/${path}: not generated (no header); knative/base holds generated files only`);
  console.log(`${registry.length} functions, ${files.size} files in ${where} (${result.written.length} written, ${result.deleted.length} deleted)`);
};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(`knative: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
