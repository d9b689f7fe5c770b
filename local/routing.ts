// The broker's routing, read from the same Trigger and PingSource manifests a cluster applies:
// Knative's `filter.attributes` (exact) and the `filters` dialects exact, prefix, suffix, all,
// any and not; delivery specs with the Broker's defaults; and PingSource schedules.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { ReceivedEvent } from '../events/index.js';

export interface Filter {
  exact?: Record<string, string>;
  prefix?: Record<string, string>;
  suffix?: Record<string, string>;
  all?: Filter[];
  any?: Filter[];
  not?: Filter;
}

export interface Destination {
  /** A Knative Service of the platform, by name. */
  service?: string;
  /** Any URL (tests); with `service`, a path and query relative to the Service's URL (`/?trigger=t`). */
  uri?: string;
  /** Knative's `audience` of the destination (sender identity); a Service's defaults to its name. */
  audience?: string;
}

export interface DeliverySpec {
  retry: number;
  backoffPolicy: 'exponential' | 'linear';
  backoffDelayMs: number;
  timeoutMs: number;
  deadLetterSink?: Destination;
}

export interface TriggerSpec {
  name: string;
  /** `filter.attributes`: every attribute must equal. */
  attributes?: Record<string, string>;
  /** `filters`: when present, `attributes` is ignored, as in Knative. */
  filters?: Filter[];
  subscriber: Destination;
  delivery: DeliverySpec;
  ordered: boolean;
}

export interface PingSpec {
  name: string;
  schedule: string;
  data: string;
  sink: Destination;
}

/** ISO 8601 durations as Knative takes them (`PT0.5S`, `PT1M`, `P1D`), in milliseconds. */
export const parseDuration = (value: string): number => {
  const m = /^P(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value);
  if (!m || value === 'P' || value.endsWith('T')) throw new Error(`"${value}" is not an ISO 8601 duration`);
  const [, d, h, min, s] = m.map((x) => (x === undefined ? 0 : Number(x)));
  return Math.round(((((d ?? 0) * 24 + (h ?? 0)) * 60 + (min ?? 0)) * 60 + (s ?? 0)) * 1000);
};

/** The value of a CloudEvents attribute (core or extension) of an event, as a string. */
export const attributeOf = (event: ReceivedEvent<unknown>, name: string): string | undefined => {
  const core = (event as unknown as Record<string, unknown>)[name];
  if (name !== 'data' && name !== 'extensions' && typeof core === 'string') return core;
  if (name === 'specversion') return '1.0';
  if (name === 'datacontenttype') return 'application/json';
  return event.extensions?.[name];
};

const eachAttribute = (
  map: Record<string, string> | undefined,
  test: (actual: string | undefined, expected: string) => boolean,
  event: ReceivedEvent<unknown>,
) => Object.entries(map ?? {}).every(([name, expected]) => test(attributeOf(event, name), expected));

export const matchesFilter = (filter: Filter, event: ReceivedEvent<unknown>): boolean =>
  eachAttribute(filter.exact, (a, e) => a === e, event) &&
  eachAttribute(filter.prefix, (a, e) => a !== undefined && a.startsWith(e), event) &&
  eachAttribute(filter.suffix, (a, e) => a !== undefined && a.endsWith(e), event) &&
  (filter.all ?? []).every((f) => matchesFilter(f, event)) &&
  (filter.any === undefined || filter.any.length === 0 || filter.any.some((f) => matchesFilter(f, event))) &&
  (filter.not === undefined || !matchesFilter(filter.not, event));

export const matchesTrigger = (trigger: TriggerSpec, event: ReceivedEvent<unknown>): boolean => {
  if (trigger.filters && trigger.filters.length > 0) return trigger.filters.every((f) => matchesFilter(f, event));
  // An empty attribute value matches anything, as in Knative.
  return Object.entries(trigger.attributes ?? {}).every(([name, expected]) => expected === '' || attributeOf(event, name) === expected);
};

type Manifest = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
};

const destinationOf = (value: unknown): Destination | undefined => {
  const d = value as { ref?: { kind?: string; name?: string }; uri?: string; audience?: string } | undefined;
  if (!d) return undefined;
  const audience = d.audience ? { audience: d.audience } : {};
  if (d.ref?.name) return d.uri ? { service: d.ref.name, uri: d.uri, ...audience } : { service: d.ref.name, ...audience };
  if (d.uri) return { uri: d.uri, ...audience };
  return undefined;
};

const deliveryOf = (spec: Record<string, unknown> | undefined, defaults: DeliverySpec): DeliverySpec => {
  const d = (spec ?? {}) as { retry?: number; backoffPolicy?: string; backoffDelay?: string; timeout?: string; deadLetterSink?: unknown };
  return {
    retry: d.retry ?? defaults.retry,
    backoffPolicy: d.backoffPolicy === 'linear' ? 'linear' : d.backoffPolicy === 'exponential' ? 'exponential' : defaults.backoffPolicy,
    backoffDelayMs: d.backoffDelay ? parseDuration(d.backoffDelay) : defaults.backoffDelayMs,
    timeoutMs: d.timeout ? parseDuration(d.timeout) : defaults.timeoutMs,
    deadLetterSink: destinationOf(d.deadLetterSink) ?? defaults.deadLetterSink,
  };
};

const yamlFiles = (dir: string): string[] =>
  readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/.test(entry) && entry !== 'kustomization.yaml' ? [path] : [];
    });

/** The Kafka topic settings of the Broker's config ConfigMap (`default.topic.*`). */
export interface TopicSpec {
  partitions: number;
  replicationFactor: number;
}

export interface Routing {
  triggers: TriggerSpec[];
  pings: PingSpec[];
  topic: TopicSpec;
  /** The Broker's name and namespace (a manifest without one lands in Kubernetes' `default`). */
  broker: { name: string; namespace: string };
}

const positiveInt = (value: string | undefined, fallback: number, what: string): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, not "${value}"`);
  return n;
};

const BASE_DELIVERY: DeliverySpec = { retry: 0, backoffPolicy: 'exponential', backoffDelayMs: 500, timeoutMs: 30_000 };

/** Reads every Trigger and PingSource (and the Broker's delivery defaults) under `dir`. */
export const loadRouting = (dir: string): Routing => {
  const manifests: Manifest[] = yamlFiles(dir).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8'))
      .map((doc) => doc.toJS() as Manifest)
      .filter(Boolean),
  );
  const broker = manifests.find((m) => m.kind === 'Broker');
  const defaults = deliveryOf(broker?.spec?.delivery as Record<string, unknown> | undefined, BASE_DELIVERY);
  const triggers = manifests
    .filter((m) => m.kind === 'Trigger')
    .map((m): TriggerSpec => {
      const spec = m.spec ?? {};
      const subscriber = destinationOf(spec.subscriber);
      if (!subscriber) throw new Error(`Trigger ${m.metadata?.name} has no subscriber`);
      return {
        name: m.metadata?.name ?? 'unnamed',
        attributes: (spec.filter as { attributes?: Record<string, string> } | undefined)?.attributes,
        filters: spec.filters as Filter[] | undefined,
        subscriber,
        delivery: deliveryOf(spec.delivery as Record<string, unknown> | undefined, defaults),
        ordered: m.metadata?.annotations?.['kafka.eventing.knative.dev/delivery.order'] === 'ordered',
      };
    });
  const pings = manifests
    .filter((m) => m.kind === 'PingSource')
    .map((m): PingSpec => {
      const spec = m.spec as { schedule: string; data?: string; sink?: unknown };
      const sink = destinationOf(spec.sink);
      if (!sink) throw new Error(`PingSource ${m.metadata?.name} has no sink`);
      return { name: m.metadata?.name ?? 'unnamed', schedule: spec.schedule, data: spec.data ?? '', sink };
    });
  const configRef = (broker?.spec?.config as { kind?: string; name?: string } | undefined) ?? {};
  const brokerConfig = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata?.name === configRef.name)?.data ?? {};
  const topic = {
    partitions: positiveInt(brokerConfig['default.topic.partitions'], 3, 'default.topic.partitions'),
    replicationFactor: positiveInt(brokerConfig['default.topic.replication.factor'], 1, 'default.topic.replication.factor'),
  };
  return { triggers, pings, topic, broker: { name: broker?.metadata?.name ?? 'default', namespace: broker?.metadata?.namespace ?? 'default' } };
};
