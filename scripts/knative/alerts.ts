// The alerts of an environment, as one PrometheusRule in its namespace (user-workload monitoring
// evaluates it against that namespace's series only, so no expression names a namespace). Each
// alert links to its section of knative/RUNBOOK.md and carries the series that make it fire and
// the series that must leave it quiet: scripts/knative/observability.test.ts runs them through
// `promtool test rules`, so an alert is tested with the data it is about.
import type { Manifest } from './generate.js';

export const RUNBOOK_URL = 'https://github.com/gotuto/gotuto-functions/blob/main/knative/RUNBOOK.md';
export const RULE_NAME = 'gotuto-alerts';

/** Series fed to promtool, in its notation (`0+1x10`: from 0, one more per interval, 10 times). */
export interface SeriesSample {
  series: string;
  values: string;
}

export interface AlertCase {
  /** What the case shows, for the test's name. */
  title: string;
  series: readonly SeriesSample[];
  /** When to evaluate, after the first sample (the samples are a minute apart). */
  at: string;
  /** The labels of every alert firing then (besides `alertname` and `severity`); empty: quiet. */
  fires: readonly Record<string, string>[];
}

export interface Alert {
  alert: string;
  expr: string;
  for: string;
  severity: 'warning' | 'critical';
  summary: string;
  description: string;
  /** The heading's anchor in knative/RUNBOOK.md. */
  runbook: string;
  cases: readonly AlertCase[];
}

const step = (step: string) => ({ step });

export const ALERTS: readonly Alert[] = [
  {
    alert: 'GotutoDeadLetters',
    expr: 'sum by (trigger, type) (increase(gotuto_events_dead_lettered_total[10m])) > 0',
    for: '0m',
    severity: 'warning',
    summary: 'Events of {{ $labels.type }} went to the dead letters of Trigger {{ $labels.trigger }}',
    description:
      '{{ $value | humanize }} events of type {{ $labels.type }} exhausted their retries on Trigger {{ $labels.trigger }} in the last 10 minutes. They are kept by platform-dead-letters and wait for a replay or a discard.',
    runbook: 'dead-letters-appearing',
    cases: [
      {
        title: 'a dead letter fires at once, naming the Trigger and the type',
        series: [
          { series: 'gotuto_events_dead_lettered_total{trigger="billing-on-order-placed",type="gotuto.order.placed"}', values: '0 0 0 1 1 1' },
          { series: 'gotuto_events_dead_lettered_total{trigger="shipping-on-invoice-paid",type="gotuto.invoice.paid"}', values: '0 0 0 0 0 0' },
        ],
        at: '5m',
        fires: [{ trigger: 'billing-on-order-placed', type: 'gotuto.order.placed' }],
      },
      {
        title: 'no new dead letter for ten minutes is quiet',
        series: [{ series: 'gotuto_events_dead_lettered_total{trigger="billing-on-order-placed",type="gotuto.order.placed"}', values: '3x20' }],
        at: '20m',
        fires: [],
      },
    ],
  },
  {
    alert: 'GotutoOutboxBacklogGrowing',
    expr: 'sum by (context) (gotuto_outbox_backlog) > 100 and sum by (context) (delta(gotuto_outbox_backlog[15m])) > 0',
    for: '15m',
    severity: 'warning',
    summary: 'The {{ $labels.context }} outbox is not draining',
    description:
      '{{ $labels.context }} has {{ $value | humanize }} events waiting in its outbox and the number has grown for 15 minutes: its relay does not publish them as fast as they are written.',
    runbook: 'outbox-backlog-growing',
    cases: [
      {
        title: 'a backlog above 100 that keeps growing for 15 minutes fires for its context',
        series: [
          { series: 'gotuto_outbox_backlog{context="order"}', values: '90+10x40' },
          { series: 'gotuto_outbox_backlog{context="billing"}', values: '0x40' },
        ],
        at: '35m',
        fires: [{ context: 'order' }],
      },
      {
        title: 'a large backlog that is draining is quiet',
        series: [{ series: 'gotuto_outbox_backlog{context="order"}', values: '500-5x40' }],
        at: '35m',
        fires: [],
      },
    ],
  },
  {
    alert: 'GotutoOutboxEventsOld',
    expr: 'max by (context) (gotuto_outbox_oldest_age_seconds) > 300',
    for: '5m',
    severity: 'critical',
    summary: 'An event has waited more than 5 minutes in the {{ $labels.context }} outbox',
    description:
      'The oldest unpublished event of {{ $labels.context }} is {{ $value | humanizeDuration }} old: its relay is not running, or every publish fails.',
    runbook: 'outbox-backlog-growing',
    cases: [
      {
        title: 'an event older than five minutes for five minutes fires',
        series: [{ series: 'gotuto_outbox_oldest_age_seconds{context="shipping"}', values: '0+60x20' }],
        at: '15m',
        fires: [{ context: 'shipping' }],
      },
      {
        title: 'events published within seconds are quiet',
        series: [{ series: 'gotuto_outbox_oldest_age_seconds{context="shipping"}', values: '2x20' }],
        at: '15m',
        fires: [],
      },
    ],
  },
  {
    alert: 'GotutoSagaDeadlinesExpiring',
    expr: 'sum by (step) (increase(gotuto_saga_deadlines_expired_total[15m])) > 0',
    for: '0m',
    severity: 'warning',
    summary: 'Orders are cancelled because the {{ $labels.step }} step missed its deadline',
    description:
      '{{ $value | humanize }} orders waited longer than SAGA_STEP_TIMEOUT for the {{ $labels.step }} step in the last 15 minutes and were cancelled: the context answering that step is slow, down, or its events are not delivered.',
    runbook: 'saga-deadlines-expiring',
    cases: [
      {
        title: 'an expired deadline fires for its step',
        series: [
          { series: 'gotuto_saga_deadlines_expired_total{step="reserving-stock"}', values: '0 0 2 2 2' },
          { series: 'gotuto_saga_deadlines_expired_total{step="invoicing"}', values: '0 0 0 0 0' },
        ],
        at: '4m',
        fires: [step('reserving-stock')],
      },
    ],
  },
  {
    alert: 'GotutoFunctionErrors',
    expr:
      'sum by (faas_name) (rate(faas_errors_total[5m])) / sum by (faas_name) (rate(faas_invoke_duration_seconds_count[5m])) > 0.05' +
      ' and sum by (faas_name) (rate(faas_invoke_duration_seconds_count[5m])) > 0.01',
    for: '10m',
    severity: 'warning',
    summary: 'More than 5% of the invocations of {{ $labels.faas_name }} fail',
    description: '{{ $value | humanizePercentage }} of the invocations of {{ $labels.faas_name }} ended in an error over the last 5 minutes, for 10 minutes.',
    runbook: 'function-error-rate',
    cases: [
      {
        title: 'one failure in five invocations for ten minutes fires for that function',
        series: [
          { series: 'faas_invoke_duration_seconds_count{faas_name="order-checkout",faas_trigger="http"}', values: '0+60x30' },
          { series: 'faas_errors_total{faas_name="order-checkout",faas_trigger="http"}', values: '0+12x30' },
          { series: 'faas_invoke_duration_seconds_count{faas_name="catalog-get-product",faas_trigger="http"}', values: '0+60x30' },
          { series: 'faas_errors_total{faas_name="catalog-get-product",faas_trigger="http"}', values: '0x30' },
        ],
        at: '25m',
        fires: [{ faas_name: 'order-checkout' }],
      },
      {
        title: 'a single failure of a function called twice an hour is quiet',
        series: [
          { series: 'faas_invoke_duration_seconds_count{faas_name="platform-discard-dead-letter",faas_trigger="http"}', values: '0x10 1x10 2x10' },
          { series: 'faas_errors_total{faas_name="platform-discard-dead-letter",faas_trigger="http"}', values: '0x10 1x20' },
        ],
        at: '25m',
        fires: [],
      },
    ],
  },
];

/** The PrometheusRule of an environment (the overlay gives it its namespace). */
export const prometheusRule = (labels: Record<string, string>): Manifest => ({
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: RULE_NAME, labels },
  spec: {
    groups: [
      {
        name: 'gotuto',
        rules: ALERTS.map((a) => ({
          alert: a.alert,
          expr: a.expr,
          for: a.for,
          labels: { severity: a.severity },
          annotations: { summary: a.summary, description: a.description, runbook_url: `${RUNBOOK_URL}#${a.runbook}` },
        })),
      },
    ],
  },
});

/** A `promtool test rules` file for the rules in `rulesFile`: every case of every alert. */
export const promtoolTests = (rulesFile: string): unknown => ({
  rule_files: [rulesFile],
  evaluation_interval: '1m',
  tests: ALERTS.flatMap((a) =>
    a.cases.map((c) => ({
      name: `${a.alert}: ${c.title}`,
      interval: '1m',
      input_series: c.series.map((s) => ({ series: s.series, values: s.values })),
      alert_rule_test: [
        {
          eval_time: c.at,
          alertname: a.alert,
          exp_alerts: c.fires.map((labels) => ({
            exp_labels: { ...labels, severity: a.severity },
          })),
        },
      ],
    })),
  ),
});
