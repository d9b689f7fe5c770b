// The dashboards, described once and written twice: as ConfigMaps the OpenShift console shows
// (Observe > Dashboards, in both perspectives) and as GrafanaDashboards for the Grafana Operator.
// Both carry the same panels and the same PromQL, so the two cannot drift. Every query reads one
// namespace (the `namespace` variable: one environment), the metrics of the telemetry contract
// (scripts/knative/telemetry-names.ts) and, for replicas, kube-state-metrics.

export interface Query {
  expr: string;
  legend: string;
}

export interface Panel {
  title: string;
  /** `stat`: one number (the console's singlestat); `series`: a graph over time. */
  kind: 'stat' | 'series';
  /** Grafana's unit id: `short`, `s`, `percentunit`, `reqps`. */
  unit: string;
  queries: readonly Query[];
  description: string;
}

export interface Dashboard {
  /** File and uid: `gotuto-<id>`. */
  id: string;
  title: string;
  panels: readonly Panel[];
}

const NS = 'namespace="$namespace"';
const rate = (series: string, by = '', window = '5m') => `sum${by ? ` by (${by})` : ''} (rate(${series}{${NS}}[${window}]))`;
const increase = (series: string, by: string, window: string) => `sum by (${by}) (increase(${series}{${NS}}[${window}]))`;
const quantile = (q: number, histogram: string, by = '') =>
  `histogram_quantile(${q}, sum by (le${by ? `, ${by}` : ''}) (rate(${histogram}_bucket{${NS}}[5m])))`;
const series = (title: string, unit: string, description: string, ...queries: Query[]): Panel => ({ title, kind: 'series', unit, queries, description });
const stat = (title: string, unit: string, description: string, query: Query): Panel => ({ title, kind: 'stat', unit, queries: [query], description });
const q = (expr: string, legend: string): Query => ({ expr, legend });

export const DASHBOARDS: readonly Dashboard[] = [
  {
    id: 'shop',
    title: 'GoTuto / Shop',
    panels: [
      stat('Orders placed, last 24 h', 'short', 'Checkouts that became orders.', q(`sum(increase(gotuto_orders_placed_total{${NS}}[24h]))`, 'placed')),
      stat(
        'Orders confirmed, last 24 h',
        'short',
        'Orders whose saga ended confirmed.',
        q(`sum(increase(gotuto_orders_confirmed_total{${NS}}[24h]))`, 'confirmed'),
      ),
      series(
        'Orders per minute',
        'short',
        'Placed, confirmed and cancelled orders per minute.',
        q(`${rate('gotuto_orders_placed_total')} * 60`, 'placed'),
        q(`${rate('gotuto_orders_confirmed_total')} * 60`, 'confirmed'),
        q(`${rate('gotuto_orders_cancelled_total')} * 60`, 'cancelled'),
      ),
      series(
        'Cancellations by reason',
        'short',
        'Orders cancelled per minute, by reason.',
        q(`${rate('gotuto_orders_cancelled_total', 'reason')} * 60`, '{{reason}}'),
      ),
      series(
        'Checkout to confirmed',
        's',
        'Time from checkout until the order is confirmed.',
        q(quantile(0.5, 'gotuto_order_confirmation_duration_seconds'), 'p50'),
        q(quantile(0.95, 'gotuto_order_confirmation_duration_seconds'), 'p95'),
        q(quantile(0.99, 'gotuto_order_confirmation_duration_seconds'), 'p99'),
      ),
      series(
        'Emails',
        'short',
        'Emails sent and failed per minute, by kind.',
        q(`${rate('gotuto_emails_sent_total', 'kind')} * 60`, 'sent {{kind}}'),
        q(`${rate('gotuto_emails_failed_total', 'kind')} * 60`, 'failed {{kind}}'),
      ),
    ],
  },
  {
    id: 'saga',
    title: 'GoTuto / Order saga',
    panels: [
      series(
        'Step duration, p95',
        's',
        'How long each step of the saga takes, 95th percentile.',
        q(quantile(0.95, 'gotuto_saga_step_duration_seconds', 'step'), '{{step}}'),
      ),
      series(
        'Step duration, p50',
        's',
        'How long each step of the saga takes, median.',
        q(quantile(0.5, 'gotuto_saga_step_duration_seconds', 'step'), '{{step}}'),
      ),
      series('Steps per minute', 'short', 'Saga steps completed per minute.', q(`${rate('gotuto_saga_step_duration_seconds_count', 'step')} * 60`, '{{step}}')),
      series(
        'Deadlines expired, per hour',
        'short',
        'Orders cancelled because a step missed its deadline (alert GotutoSagaDeadlinesExpiring).',
        q(increase('gotuto_saga_deadlines_expired_total', 'step', '1h'), '{{step}}'),
      ),
    ],
  },
  {
    id: 'eventing',
    title: 'GoTuto / Eventing',
    panels: [
      series(
        'Delivered per Trigger',
        'short',
        'Events delivered per minute, by Trigger.',
        q(`${rate('gotuto_events_delivered_total', 'trigger')} * 60`, '{{trigger}}'),
      ),
      series(
        'Retried per Trigger',
        'short',
        'Delivery attempts retried per minute, by Trigger.',
        q(`${rate('gotuto_events_retried_total', 'trigger')} * 60`, '{{trigger}}'),
      ),
      series(
        'Dead-lettered per Trigger, per hour',
        'short',
        'Events that exhausted their retries (alert GotutoDeadLetters).',
        q(increase('gotuto_events_dead_lettered_total', 'trigger, type', '1h'), '{{trigger}} {{type}}'),
      ),
      series(
        'Outbox backlog',
        'short',
        'Events written but not yet published, by context.',
        q(`sum by (context) (gotuto_outbox_backlog{${NS}})`, '{{context}}'),
      ),
      series(
        'Oldest outbox event',
        's',
        'Age of the oldest unpublished event, by context.',
        q(`max by (context) (gotuto_outbox_oldest_age_seconds{${NS}})`, '{{context}}'),
      ),
      series(
        'Inbox duplicates dropped',
        'short',
        'Redelivered events a handler had already applied, per minute.',
        q(`${rate('gotuto_inbox_duplicates_total', 'handler')} * 60`, '{{handler}}'),
      ),
    ],
  },
  {
    id: 'functions',
    title: 'GoTuto / Functions',
    panels: [
      series('Invocations', 'reqps', 'Invocations per second, by function.', q(rate('faas_invoke_duration_seconds_count', 'faas_name'), '{{faas_name}}')),
      series(
        'Duration, p95',
        's',
        'Invocation duration, 95th percentile, by function.',
        q(quantile(0.95, 'faas_invoke_duration_seconds', 'faas_name'), '{{faas_name}}'),
      ),
      series(
        'Error ratio',
        'percentunit',
        'Share of invocations that failed (alert GotutoFunctionErrors above 5%).',
        q(`${rate('faas_errors_total', 'faas_name')} / ${rate('faas_invoke_duration_seconds_count', 'faas_name')}`, '{{faas_name}}'),
      ),
      series(
        'Cold starts, per hour',
        'short',
        'Invocations that started an instance.',
        q(increase('faas_coldstarts_total', 'faas_name', '1h'), '{{faas_name}}'),
      ),
      series(
        'Instances',
        'short',
        'Running instances of each function (0 when scaled to zero), from its revision Deployments.',
        q(
          `sum by (function) (label_replace(kube_deployment_status_replicas_available{${NS},deployment=~".+-[0-9]{5}-deployment"}, "function", "$1", "deployment", "(.+)-[0-9]{5}-deployment"))`,
          '{{function}}',
        ),
      ),
    ],
  },
];

/** The `namespace` variable: the environments that report invocations. */
const namespaceVariable = (datasource?: unknown) => ({
  name: 'namespace',
  label: 'Environment',
  type: 'query',
  query: 'label_values(faas_invoke_duration_seconds_count, namespace)',
  definition: 'label_values(faas_invoke_duration_seconds_count, namespace)',
  refresh: 2,
  includeAll: false,
  multi: false,
  ...(datasource ? { datasource } : {}),
});

type Target = 'console' | 'grafana';

const panelJson = (panel: Panel, index: number, target: Target, datasource?: unknown) => {
  // Two stats side by side, then graphs two to a row (24 columns in Grafana, 12 in the console's span).
  const width = panel.kind === 'stat' ? 6 : 12;
  const height = panel.kind === 'stat' ? 4 : 8;
  const type = target === 'console' ? (panel.kind === 'stat' ? 'singlestat' : 'graph') : panel.kind === 'stat' ? 'stat' : 'timeseries';
  return {
    id: index + 1,
    title: panel.title,
    description: panel.description,
    type,
    span: width / 2,
    gridPos: { h: height, w: width, x: (index * width) % 24, y: Math.floor((index * width) / 24) * height },
    ...(datasource ? { datasource } : {}),
    ...(target === 'console'
      ? { format: panel.unit, yaxes: [{ format: panel.unit }, { format: 'short' }] }
      : { fieldConfig: { defaults: { unit: panel.unit }, overrides: [] } }),
    targets: panel.queries.map((query, i) => ({ expr: query.expr, legendFormat: query.legend, refId: String.fromCharCode(65 + i) })),
  };
};

/** The dashboard's JSON model for the console or for Grafana. */
export const dashboardJson = (dashboard: Dashboard, target: Target): Record<string, unknown> => {
  const datasource = target === 'grafana' ? { type: 'prometheus', uid: '${datasource}' } : undefined;
  const variables =
    target === 'grafana'
      ? [{ name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus' }, namespaceVariable(datasource)]
      : [namespaceVariable()];
  return {
    uid: `gotuto-${dashboard.id}`,
    title: dashboard.title,
    tags: ['gotuto'],
    editable: false,
    refresh: '30s',
    schemaVersion: 39,
    time: { from: 'now-6h', to: 'now' },
    templating: { list: variables },
    panels: dashboard.panels.map((panel, i) => panelJson(panel, i, target, datasource)),
  };
};

/** Every PromQL expression of every dashboard, with where it is. */
export const dashboardQueries = (): { where: string; expr: string }[] =>
  DASHBOARDS.flatMap((d) => d.panels.flatMap((p) => p.queries.map((query) => ({ where: `${d.title} / ${p.title}`, expr: query.expr }))));
