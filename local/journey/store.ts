// What the journey page reads from the local broker's own tables (local/migrations): which order a
// search names, and the events flowing now. The embedded broker's log, or the trace the
// Kafka-backed broker writes beside Kafka (it may trail Kafka by a moment).
import { order } from '../../events/index.js';
import { config } from '../../functions/runtime/config.js';
import type { Queryable } from '../../functions/runtime/db.js';

const EMBEDDED = { events: 'platform.broker_events', deliveries: 'platform.broker_deliveries', join: 'd.event_seq = e.seq' };
const KAFKA = { events: 'platform.kafka_broker_events', deliveries: 'platform.kafka_broker_deliveries', join: 'd.accept_id = e.accept_id' };
const log = () => (config.kafkaBrokers().length > 0 ? KAFKA : EMBEDDED);

export interface PlacedOrder {
  orderId: string;
  number: string | null;
  correlationId: string | null;
}

/**
 * The order whose `order-placed` the search names: by the order's id, its number, or a correlation
 * id: the checkout's, or a later request's (a payment, a dispatch) whose events name the order as subject.
 */
export const findPlacedOrder = async (db: Queryable, search: string): Promise<PlacedOrder | undefined> => {
  const { rows } = await db.query<{ order_id: string | null; number: string | null; correlation_id: string | null; subject: string | null }>(
    `SELECT e.event->'data'->>'orderId' AS order_id, e.event->'data'->>'orderNumber' AS number, e.correlation_id, e.subject
     FROM ${log().events} e
     WHERE e.type = $1
       AND (e.subject = $2 OR e.correlation_id = $2 OR e.event->'data'->>'orderNumber' = $2
         OR e.subject IN (SELECT c.subject FROM ${log().events} c WHERE c.correlation_id = $2))
     ORDER BY e.seq DESC LIMIT 1`,
    [order.orderPlaced.type, search],
  );
  const row = rows[0];
  const orderId = row?.order_id ?? row?.subject;
  return row && orderId ? { orderId, number: row.number, correlationId: row.correlation_id } : undefined;
};

export interface TypeFlow {
  type: string;
  events: number;
  lastMinute: number;
  lastAcceptedAt: string;
}

export interface TriggerFlow {
  type: string;
  trigger: string;
  subscriber: string;
  delivered: number;
  pending: number;
  dead: number;
  /** Deliveries that took more than one attempt. */
  retried: number;
  /** Attempts that did not succeed: every attempt of a dead or pending delivery, all but the last of a delivered one. */
  failedAttempts: number;
  lastError: string | null;
  lastStatus: number | null;
}

export interface Flow {
  windowSeconds: number;
  types: TypeFlow[];
  triggers: TriggerFlow[];
}

/** The events accepted in the last `seconds`, by type, and their deliveries by Trigger. */
export const flowOf = async (db: Queryable, seconds: number): Promise<Flow> => {
  const { events, deliveries, join } = log();
  const since = `now() - make_interval(secs => $1)`;
  const types = await db.query<{ type: string; events: string; last_minute: string; last_at: Date }>(
    `SELECT type, count(*) AS events, count(*) FILTER (WHERE accepted_at > now() - interval '1 minute') AS last_minute, max(accepted_at) AS last_at
     FROM ${events} WHERE accepted_at > ${since} GROUP BY type ORDER BY count(*) DESC, type`,
    [seconds],
  );
  const triggers = await db.query<Record<string, string | number | null>>(
    `SELECT e.type, d.trigger, d.subscriber,
       count(*) FILTER (WHERE d.state = 'delivered') AS delivered,
       count(*) FILTER (WHERE d.state = 'pending') AS pending,
       count(*) FILTER (WHERE d.state = 'dead') AS dead,
       count(*) FILTER (WHERE d.attempts > 1) AS retried,
       coalesce(sum(CASE WHEN d.state = 'delivered' THEN greatest(d.attempts - 1, 0) ELSE d.attempts END), 0) AS failed_attempts,
       (array_agg(d.last_error ORDER BY d.updated_at DESC) FILTER (WHERE d.last_error IS NOT NULL))[1] AS last_error,
       (array_agg(d.last_status ORDER BY d.updated_at DESC) FILTER (WHERE d.last_status IS NOT NULL))[1] AS last_status
     FROM ${events} e JOIN ${deliveries} d ON ${join}
     WHERE e.accepted_at > ${since}
     GROUP BY e.type, d.trigger, d.subscriber ORDER BY e.type, d.trigger`,
    [seconds],
  );
  return {
    windowSeconds: seconds,
    types: types.rows.map((r) => ({
      type: r.type,
      events: Number(r.events),
      lastMinute: Number(r.last_minute),
      lastAcceptedAt: new Date(r.last_at).toISOString(),
    })),
    triggers: triggers.rows.map((r) => ({
      type: String(r.type),
      trigger: String(r.trigger),
      subscriber: String(r.subscriber),
      delivered: Number(r.delivered),
      pending: Number(r.pending),
      dead: Number(r.dead),
      retried: Number(r.retried),
      failedAttempts: Number(r.failed_attempts),
      lastError: r.last_error === null ? null : String(r.last_error),
      lastStatus: r.last_status === null ? null : Number(r.last_status),
    })),
  };
};
