// The embedded broker's log, in the platform's database: accepted events, one delivery row per
// matching Trigger, and the claims a worker holds on them. Reading, claiming and committing only;
// what a delivery does is the engine's.
import type pg from 'pg';
import type { ReceivedEvent } from '../events/index.js';
import type { TriggerSpec } from './routing.js';

/** A delivery claimed for one attempt. */
export interface Claimed {
  event_seq: number;
  trigger: string;
  /** The number of this attempt (from 1). */
  attempts: number;
  event: ReceivedEvent<unknown>;
}

/** An event to store with the Triggers it is delivered to. */
export interface Entry {
  event: ReceivedEvent<unknown>;
  targets: TriggerSpec[];
}

export type Ending =
  | { state: 'delivered'; status: number }
  | { state: 'pending'; status: number | null; error: string; delayMs: number }
  | { state: 'dead'; status: number | null; error: string };

/**
 * Stores events and their deliveries in one statement (atomic on its own, no BEGIN/COMMIT): all of
 * them or, when it fails, none. Sequence numbers follow the order of `entries`.
 */
export const store = async (pool: pg.Pool, entries: Entry[]): Promise<void> => {
  if (entries.length === 0) return;
  const items = entries.map(({ event, targets }) => ({
    event,
    partitionKey: event.partitionkey ?? event.subject ?? '',
    deliveries: targets.map((t) => ({ trigger: t.name, subscriber: t.subscriber.service ?? t.subscriber.uri, ordered: t.ordered })),
  }));
  await pool.query(
    `WITH input AS MATERIALIZED (
       SELECT a.item, nextval(pg_get_serial_sequence('platform.broker_events', 'seq')) AS seq
       FROM (SELECT x.item, x.n FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS x(item, n) ORDER BY x.n) AS a
     ), accepted AS (
       INSERT INTO platform.broker_events (seq, id, source, type, subject, correlation_id, event)
       SELECT seq, item->'event'->>'id', item->'event'->>'source', item->'event'->>'type',
              NULLIF(item->'event'->>'subject', ''), item->'event'->>'correlationid', item->'event'
       FROM input
     ), deliveries AS (
       INSERT INTO platform.broker_deliveries (event_seq, trigger, subscriber, partition_key, ordered)
       SELECT input.seq, d.trigger, d.subscriber, input.item->>'partitionKey', d.ordered
       FROM input, jsonb_to_recordset(input.item->'deliveries') AS d(trigger text, subscriber text, ordered boolean)
     )
     SELECT count(*) FROM input`,
    [JSON.stringify(items)],
  );
};

/**
 * Claims up to `limit` deliveries that are due, for `leaseMs`: not one of an ordered Trigger while
 * an older event of its partition key is pending for it.
 */
export const claim = async (pool: pg.Pool, limit: number, leaseMs: number): Promise<Claimed[]> => {
  const { rows } = await pool.query<Claimed>(
    `UPDATE platform.broker_deliveries d
     SET claimed_until = now() + make_interval(secs => $2::double precision), attempts = d.attempts + 1, updated_at = now()
     FROM (
       SELECT c.event_seq, c.trigger FROM platform.broker_deliveries c
       WHERE c.state = 'pending' AND c.next_attempt_at <= now()
         AND (c.claimed_until IS NULL OR c.claimed_until < now())
         AND (NOT c.ordered OR NOT EXISTS (
           SELECT 1 FROM platform.broker_deliveries e
           WHERE e.trigger = c.trigger AND e.partition_key = c.partition_key AND e.state = 'pending' AND e.event_seq < c.event_seq))
       ORDER BY c.event_seq
       LIMIT $1
       FOR UPDATE SKIP LOCKED
     ) AS picked, platform.broker_events ev
     WHERE d.event_seq = picked.event_seq AND d.trigger = picked.trigger AND ev.seq = d.event_seq
     RETURNING d.event_seq, d.trigger, d.attempts, ev.event`,
    [limit, leaseMs / 1000],
  );
  return rows.map((r) => ({ ...r, event_seq: Number(r.event_seq) })).sort((a, b) => a.event_seq - b.event_seq);
};

/** Keeps the claims of deliveries still in flight (a dead-letter sink that takes its time). */
export const renew = async (pool: pg.Pool, claimed: Pick<Claimed, 'event_seq' | 'trigger'>[], leaseMs: number): Promise<void> => {
  if (claimed.length === 0) return;
  await pool.query(
    `UPDATE platform.broker_deliveries d SET claimed_until = now() + make_interval(secs => $2::double precision)
     FROM jsonb_to_recordset($1::jsonb) AS k(event_seq bigint, trigger text)
     WHERE d.event_seq = k.event_seq AND d.trigger = k.trigger AND d.state = 'pending'`,
    [JSON.stringify(claimed.map((c) => ({ event_seq: c.event_seq, trigger: c.trigger }))), leaseMs / 1000],
  );
};

/** Records how an attempt ended and releases the claim. */
export const commit = async (pool: pg.Pool, c: Claimed, ending: Ending): Promise<void> => {
  const error = ending.state === 'delivered' ? null : ending.error;
  const delayMs = ending.state === 'pending' ? ending.delayMs : 0;
  await pool.query(
    `UPDATE platform.broker_deliveries SET state = $3, last_status = $4, last_error = $5, claimed_until = NULL,
       next_attempt_at = now() + make_interval(secs => $6::double precision), updated_at = now()
     WHERE event_seq = $1 AND trigger = $2`,
    [c.event_seq, c.trigger, ending.state, ending.status, error, delayMs / 1000],
  );
};

/** Voids the claims of a process that stopped: this process is the broker now. */
export const voidClaims = async (pool: pg.Pool): Promise<void> => {
  await pool.query(`UPDATE platform.broker_deliveries SET claimed_until = NULL WHERE state = 'pending' AND claimed_until IS NOT NULL`);
};

/** How many deliveries are due within a second (a longer backoff does not count as work to wait for). */
export const dueSoon = async (pool: pg.Pool): Promise<number> => {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM platform.broker_deliveries WHERE state = 'pending' AND next_attempt_at <= now() + interval '1 second'`,
  );
  return rows[0]?.n ?? 0;
};
