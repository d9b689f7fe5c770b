// The trace of the Kafka-backed broker: what was accepted and how each delivery ended, for
// GET /broker/events. Kafka holds the events and the offsets; the trace is written behind it in
// batches, so the 202 waits for Kafka only, and a trace that cannot be written is logged, never in
// the way of an event.
import type pg from 'pg';
import type { ReceivedEvent } from '../events/index.js';
import type { Logger } from '../functions/runtime/log.js';

export interface TracedEvent {
  acceptId: string;
  event: ReceivedEvent<unknown>;
  deliveries: { trigger: string; subscriber: string }[];
}

export interface TracedDelivery {
  acceptId: string;
  trigger: string;
  subscriber: string;
  state: 'pending' | 'delivered' | 'dead';
  attempts: number;
  status: number | null;
  error: string | null;
}

const TRACE_LIMIT = 100_000;

/**
 * Writes the trace: accepted events and delivery outcomes, in batches (one transaction per flush;
 * a delivery cut short by a crash is delivered, and traced, again). A trace that cannot be written
 * is logged, never in the way of an event.
 */
export const createTrace = (pool: pg.Pool, topic: string, log: Logger) => {
  let accepted: TracedEvent[] = [];
  let ends = new Map<string, TracedDelivery>();
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> = Promise.resolve();

  /**
   * One statement, so one round trip and one (implicit) transaction per flush. Kafka holds the
   * events: the trace need not wait for its commit to reach the disk (a crash of PostgreSQL itself
   * may lose its last moments of trace, never an event), hence the transaction-local
   * synchronous_commit, read when the statement's transaction commits. A delivery that ended
   * within the batch is written once, ended, not first as pending.
   */
  const write = async (batchEvents: TracedEvent[], batchEnds: TracedDelivery[]) => {
    const ended = new Set(batchEnds.map((d) => `${d.acceptId} ${d.trigger}`));
    const pending = batchEvents.flatMap((e) =>
      e.deliveries
        .filter((d) => !ended.has(`${e.acceptId} ${d.trigger}`))
        .map((d) => ({ accept_id: e.acceptId, trigger: d.trigger, subscriber: d.subscriber })),
    );
    const ends = batchEnds.map((d) => ({
      accept_id: d.acceptId,
      trigger: d.trigger,
      subscriber: d.subscriber,
      state: d.state,
      attempts: d.attempts,
      status: d.status,
      error: d.error,
    }));
    await pool.query(
      `WITH accepted AS (
         INSERT INTO platform.kafka_broker_events (accept_id, topic, id, source, type, subject, correlation_id, event)
         SELECT r.accept_id::uuid, $2, r.event->>'id', r.event->>'source', r.event->>'type', NULLIF(r.event->>'subject', ''),
                r.event->>'correlationid', r.event
         FROM jsonb_to_recordset($1::jsonb) AS r(accept_id text, event jsonb)
         ON CONFLICT (accept_id) DO NOTHING
       ), pending AS (
         INSERT INTO platform.kafka_broker_deliveries (accept_id, trigger, subscriber)
         SELECT r.accept_id::uuid, r.trigger, r.subscriber FROM jsonb_to_recordset($3::jsonb) AS r(accept_id text, trigger text, subscriber text)
         ON CONFLICT (accept_id, trigger) DO NOTHING
       ), ended AS (
         INSERT INTO platform.kafka_broker_deliveries (accept_id, trigger, subscriber, state, attempts, last_status, last_error, updated_at)
         SELECT r.accept_id::uuid, r.trigger, r.subscriber, r.state, r.attempts, r.status, r.error, now()
         FROM jsonb_to_recordset($4::jsonb) AS r(accept_id text, trigger text, subscriber text, state text, attempts int, status int, error text)
         ON CONFLICT (accept_id, trigger) DO UPDATE SET state = EXCLUDED.state, attempts = EXCLUDED.attempts,
           last_status = EXCLUDED.last_status, last_error = EXCLUDED.last_error, updated_at = now()
       )
       SELECT set_config('synchronous_commit', 'off', true)`,
      [JSON.stringify(batchEvents.map((e) => ({ accept_id: e.acceptId, event: e.event }))), topic, JSON.stringify(pending), JSON.stringify(ends)],
    );
  };

  const flush = (): Promise<void> => {
    timer = undefined;
    flushing = flushing.then(async () => {
      const batchEnds = [...ends.values()];
      const batchEvents = accepted;
      ends = new Map();
      accepted = [];
      if (batchEnds.length === 0 && batchEvents.length === 0) return;
      try {
        await write(batchEvents, batchEnds);
      } catch (error) {
        log.warn('broker trace not written; Kafka still holds the events', { events: batchEvents.length, deliveries: batchEnds.length, error: String(error) });
      }
    });
    return flushing;
  };

  const schedule = () => {
    if (!timer) timer = setTimeout(() => void flush(), 25);
  };

  return {
    /** Events Kafka has taken. */
    accepted(entries: TracedEvent[]) {
      if (accepted.length < TRACE_LIMIT) accepted.push(...entries);
      schedule();
    },
    delivery(entry: TracedDelivery) {
      if (ends.size < TRACE_LIMIT) ends.set(`${entry.acceptId} ${entry.trigger}`, entry);
      schedule();
    },
    pending: () => ends.size > 0 || accepted.length > 0 || timer !== undefined,
    flush: async () => {
      if (timer) clearTimeout(timer);
      await flush();
    },
  };
};

export type Trace = ReturnType<typeof createTrace>;
