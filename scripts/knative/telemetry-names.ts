// The metrics the functions push over OTLP, as the project's telemetry contract names them, and
// the names Prometheus gives them after the collector's OTLP translation (dots to underscores, the
// unit as a suffix, `_total` on counters, `_bucket`/`_sum`/`_count` on histograms). Every
// dashboard and alert is checked against these, so a renamed metric fails a test instead of
// leaving an empty panel or an alert that can never fire.

export type Instrument = 'counter' | 'histogram' | 'gauge';

export interface Metric {
  /** The OpenTelemetry instrument name. */
  name: string;
  instrument: Instrument;
  /** UCUM unit; a `{annotation}` unit is a count and adds no suffix. */
  unit: string;
  /** Attributes the metric carries (as Prometheus labels: dots become underscores). */
  attributes: readonly string[];
}

const TRIGGER_TYPE = ['trigger', 'type'] as const;

export const METRICS: readonly Metric[] = [
  { name: 'gotuto.orders.placed', instrument: 'counter', unit: '{order}', attributes: [] },
  { name: 'gotuto.orders.confirmed', instrument: 'counter', unit: '{order}', attributes: [] },
  { name: 'gotuto.orders.cancelled', instrument: 'counter', unit: '{order}', attributes: ['reason'] },
  { name: 'gotuto.order.confirmation.duration', instrument: 'histogram', unit: 's', attributes: [] },
  { name: 'gotuto.saga.step.duration', instrument: 'histogram', unit: 's', attributes: ['step'] },
  { name: 'gotuto.saga.deadlines.expired', instrument: 'counter', unit: '{deadline}', attributes: ['step'] },
  { name: 'gotuto.outbox.backlog', instrument: 'gauge', unit: '{event}', attributes: ['context'] },
  { name: 'gotuto.outbox.oldest_age', instrument: 'gauge', unit: 's', attributes: ['context'] },
  { name: 'gotuto.events.delivered', instrument: 'counter', unit: '{event}', attributes: TRIGGER_TYPE },
  { name: 'gotuto.events.retried', instrument: 'counter', unit: '{event}', attributes: TRIGGER_TYPE },
  { name: 'gotuto.events.dead_lettered', instrument: 'counter', unit: '{event}', attributes: TRIGGER_TYPE },
  { name: 'gotuto.inbox.duplicates', instrument: 'counter', unit: '{event}', attributes: ['handler'] },
  { name: 'gotuto.emails.sent', instrument: 'counter', unit: '{email}', attributes: ['kind'] },
  { name: 'gotuto.emails.failed', instrument: 'counter', unit: '{email}', attributes: ['kind'] },
  { name: 'faas.invoke_duration', instrument: 'histogram', unit: 's', attributes: ['faas.name', 'faas.trigger'] },
  { name: 'faas.errors', instrument: 'counter', unit: '{error}', attributes: ['faas.name', 'faas.trigger'] },
  { name: 'faas.coldstarts', instrument: 'counter', unit: '{coldstart}', attributes: ['faas.name', 'faas.trigger'] },
];

const UNIT_SUFFIX: Record<string, string> = { s: 'seconds', ms: 'milliseconds', By: 'bytes', '1': 'ratio' };

/** A label's Prometheus name: `faas.name` is `faas_name`. */
export const promLabel = (attribute: string): string => attribute.replace(/[^a-zA-Z0-9_]/g, '_');

/** The series names Prometheus holds for `metric` (a histogram has three). */
export const promNames = (metric: Metric): string[] => {
  const suffix = metric.unit.startsWith('{') ? undefined : UNIT_SUFFIX[metric.unit];
  const base = [promLabel(metric.name), suffix].filter(Boolean).join('_');
  switch (metric.instrument) {
    case 'counter':
      return [`${base}_total`];
    case 'histogram':
      return [`${base}_bucket`, `${base}_sum`, `${base}_count`];
    case 'gauge':
      return [base];
    default: {
      const never: never = metric.instrument;
      throw new Error(`unknown instrument ${String(never)}`);
    }
  }
};

/**
 * Series that come from the platform rather than the functions, and where: the dashboards show
 * how many instances each function runs, which only Kubernetes knows.
 */
export const PLATFORM_METRICS: Readonly<Record<string, string>> = {
  kube_deployment_status_replicas_available: 'kube-state-metrics (OpenShift platform monitoring)',
};

/** Every series name a dashboard or an alert may use. */
export const knownSeries = (): Set<string> => new Set([...METRICS.flatMap(promNames), ...Object.keys(PLATFORM_METRICS)]);

/** The labels a series carries: its metric's attributes, Prometheus-named, plus `le` on buckets. */
export const labelsOf = (series: string): string[] | undefined => {
  const metric = METRICS.find((m) => promNames(m).includes(series));
  if (!metric) return undefined;
  return [...metric.attributes.map(promLabel), ...(series.endsWith('_bucket') ? ['le'] : [])];
};
