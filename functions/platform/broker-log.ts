// SQL of the local broker's trace, read for GET /broker/events: every event the broker accepted,
// oldest first, with each Trigger's delivery state. The tables are the local platform's own
// (local/migrations): the embedded broker's log, or, when Kafka backs the broker, the trace it
// writes beside Kafka (which may trail Kafka by a moment).
import type { PlatformBrokerEventPageDelivery, PlatformBrokerEventPageEvent } from '../../events/schemas.generated.js';
import type { Queryable } from '../runtime/db.js';
import { config } from '../runtime/config.js';
import { decodeSeqCursor, encodeSeqCursor, limitOf, type Page, type PageRequest } from '../runtime/paging.js';

// As the answers carry them (schemas/platform/broker-event-page.json).
export type DeliveryState = PlatformBrokerEventPageDelivery;
export type BrokerEvent = PlatformBrokerEventPageEvent;

export interface EventFilter {
  type?: string;
  subject?: string;
  correlationid?: string;
}

const EMBEDDED = { events: 'platform.broker_events', deliveries: 'platform.broker_deliveries', join: 'd.event_seq = e.seq' };
const KAFKA = { events: 'platform.kafka_broker_events', deliveries: 'platform.kafka_broker_deliveries', join: 'd.accept_id = e.accept_id' };

const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;

export const listBrokerEvents = async (db: Queryable, filter: EventFilter, page: PageRequest): Promise<Page<BrokerEvent>> => {
  const log = config.kafkaBrokers().length > 0 ? KAFKA : EMBEDDED;
  const limit = limitOf({ limit: page.limit ?? DEFAULT_LIMIT }, MAX_LIMIT);
  const after = page.cursor === undefined ? 0 : decodeSeqCursor(page.cursor);
  const { rows } = await db.query<{ seq: string; event: BrokerEvent['event']; accepted_at: Date; deliveries: DeliveryState[] | null }>(
    `SELECT e.seq, e.event, e.accepted_at,
       (SELECT json_agg(json_build_object('trigger', d.trigger, 'subscriber', d.subscriber, 'state', d.state,
          'attempts', d.attempts, 'lastStatus', d.last_status, 'lastError', d.last_error, 'updatedAt', d.updated_at) ORDER BY d.trigger)
        FROM ${log.deliveries} d WHERE ${log.join}) AS deliveries
     FROM ${log.events} e
     WHERE ($1::text IS NULL OR e.type = $1) AND ($2::text IS NULL OR e.subject = $2)
       AND ($3::text IS NULL OR e.correlation_id = $3) AND e.seq > $4
     ORDER BY e.seq LIMIT $5`,
    [filter.type ?? null, filter.subject ?? null, filter.correlationid ?? null, after, limit + 1],
  );
  const items = rows.slice(0, limit).map((r) => ({
    seq: Number(r.seq),
    event: r.event,
    acceptedAt: new Date(r.accepted_at).toISOString(),
    deliveries: r.deliveries ?? [],
  }));
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeSeqCursor(last.seq) : null };
};
