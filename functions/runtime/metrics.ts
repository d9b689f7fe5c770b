// The platform's metrics, as OpenTelemetry instruments (names and units are what the dashboards and
// alerts of knative/ read; Prometheus sees them with unit suffixes, e.g. gotuto_orders_placed_total).
// Without an SDK the instruments are no-ops; they are made again when a meter provider is set, since
// a meter taken before that would stay a no-op.
import { metrics, type Attributes, type Counter, type Histogram, type MeterProvider } from '@opentelemetry/api';
import { existingPool } from './db.js';
import { table } from './outbox.js';
import { observeInvocations } from './telemetry.js';

/** Bucket bounds in seconds: a function's work, a saga's steps, an order's way to confirmation. */
const FAST_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const SLOW_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86_400];

export interface Instruments {
  ordersPlaced: Counter;
  ordersConfirmed: Counter;
  ordersCancelled: Counter;
  orderConfirmationDuration: Histogram;
  sagaStepDuration: Histogram;
  sagaDeadlinesExpired: Counter;
  eventsDelivered: Counter;
  eventsRetried: Counter;
  eventsDeadLettered: Counter;
  inboxDuplicates: Counter;
  emailsSent: Counter;
  emailsFailed: Counter;
  invokeDuration: Histogram;
  errors: Counter;
  coldStarts: Counter;
}

/** The contexts whose outbox this process reports (the contexts of the functions it serves). */
const outboxes = new Set<string>();

/** Reports a context's outbox backlog and the age of its oldest unpublished event from now on. */
export const observeOutbox = (context: string): void => {
  outboxes.add(context);
};

/** PostgreSQL's undefined_table: a context without an outbox (the platform's own functions). */
const UNDEFINED_TABLE = '42P01';

/** Backlog and oldest age of each observed outbox, on pools that exist already (never one made for this). */
const readOutboxes = async (): Promise<{ context: string; backlog: number; age: number }[]> => {
  const found = await Promise.all(
    [...outboxes].map(async (context) => {
      const pool = existingPool(context);
      if (!pool) return undefined;
      try {
        // The partial index of unpublished rows answers this without reading the published ones.
        const { rows } = await pool.query<{ backlog: number; age: number }>(
          `SELECT count(*)::int AS backlog, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age
           FROM ${table(context, 'outbox')} WHERE published_at IS NULL`,
        );
        return { context, backlog: rows[0]?.backlog ?? 0, age: rows[0]?.age ?? 0 };
      } catch (error) {
        if ((error as { code?: string }).code === UNDEFINED_TABLE) outboxes.delete(context);
        return undefined;
      }
    }),
  );
  return found.filter((entry) => entry !== undefined);
};

const make = (provider: MeterProvider): Instruments => {
  const meter = provider.getMeter('gotuto-functions');
  const counter = (name: string, unit: string, description: string) => meter.createCounter(name, { unit, description });
  const histogram = (name: string, description: string, bounds: number[]) =>
    meter.createHistogram(name, { unit: 's', description, advice: { explicitBucketBoundaries: bounds } });
  const backlog = meter.createObservableGauge('gotuto.outbox.backlog', { unit: '{event}', description: 'events stored in an outbox and not yet published' });
  const oldest = meter.createObservableGauge('gotuto.outbox.oldest_age', { unit: 's', description: 'age of the oldest unpublished event of an outbox' });
  meter.addBatchObservableCallback(
    async (result) => {
      for (const { context, backlog: count, age } of await readOutboxes()) {
        result.observe(backlog, count, { context });
        result.observe(oldest, age, { context });
      }
    },
    [backlog, oldest],
  );
  return {
    ordersPlaced: counter('gotuto.orders.placed', '{order}', 'orders placed'),
    ordersConfirmed: counter('gotuto.orders.confirmed', '{order}', 'orders confirmed (stock reserved and invoiced)'),
    ordersCancelled: counter('gotuto.orders.cancelled', '{order}', 'orders cancelled, by reason'),
    orderConfirmationDuration: histogram('gotuto.order.confirmation.duration', 'from checkout to confirmed', SLOW_SECONDS),
    sagaStepDuration: histogram('gotuto.saga.step.duration', 'how long an order spent in a saga step', SLOW_SECONDS),
    sagaDeadlinesExpired: counter('gotuto.saga.deadlines.expired', '{deadline}', 'saga steps that ran past their deadline'),
    eventsDelivered: counter('gotuto.events.delivered', '{event}', 'deliveries a subscriber took (2xx)'),
    eventsRetried: counter('gotuto.events.retried', '{event}', 'delivery attempts that failed and will be retried'),
    eventsDeadLettered: counter('gotuto.events.dead_lettered', '{event}', 'deliveries given up, handed to the dead-letter sink'),
    inboxDuplicates: counter('gotuto.inbox.duplicates', '{event}', 'redelivered events an inbox dropped'),
    emailsSent: counter('gotuto.emails.sent', '{email}', 'emails the SMTP server accepted'),
    emailsFailed: counter('gotuto.emails.failed', '{email}', 'email sends that failed'),
    invokeDuration: histogram('faas.invoke_duration', 'duration of a function invocation', FAST_SECONDS),
    errors: counter('faas.errors', '{error}', 'invocations that failed (5xx or no answer)'),
    coldStarts: counter('faas.coldstarts', '{coldstart}', 'first invocations of a function in its process'),
  };
};

let made: { provider: MeterProvider; instruments: Instruments } | undefined;

/** The instruments of the current meter provider (no-ops without an SDK). */
export const instruments = (): Instruments => {
  const provider = metrics.getMeterProvider();
  if (made?.provider !== provider) made = { provider, instruments: make(provider) };
  return made.instruments;
};

/** Adds one to a counter with `attributes`. */
export const count = (pick: (all: Instruments) => Counter, attributes?: Attributes): void => pick(instruments()).add(1, attributes);

observeInvocations((fn, trigger, coldStart, seconds, failed) => {
  const all = instruments();
  const attributes = { 'faas.name': fn.name, 'faas.trigger': trigger };
  all.invokeDuration.record(seconds, attributes);
  if (failed) all.errors.add(1, attributes);
  if (coldStart) all.coldStarts.add(1, attributes);
});
