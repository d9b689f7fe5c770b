// The transactional outbox of a context, its publisher and its relay.
// Events are stored with the state change that caused them; after commit they are published to
// K_SINK (the broker ingress), or, when OUTBOX_KAFKA_TOPIC is set, straight to that Kafka topic for
// a KafkaSource to feed the broker. A crash between the two leaves the rows unpublished, and the relay sends them later.
// No transaction is held open while publishing: rows are claimed (a lease), committed, published,
// then marked.
import type pg from 'pg';
import type { ReceivedEvent } from '../../events/index.js';
import { config } from './config.js';
import { inTransaction, type Queryable } from './db.js';
import { rootLogger } from './log.js';
import { postEvent } from './post.js';
import { eventTraceHeaders, stampTrace } from './telemetry.js';
import { publisherHeaders } from './token-source.js';

const IDENT = /^[a-z][a-z0-9_]*$/;

/** The schema-qualified name of a context's table; the context name is checked, never user input. */
/** A context's schema as an SQL identifier, quoted: a context may be named like a keyword (`order`). */
export const schemaName = (context: string): string => {
  if (!IDENT.test(context)) throw new Error(`invalid context name "${context}"`);
  return `"${context}"`;
};

export const table = (context: string, name: string): string => `${schemaName(context)}.${name}`;

export interface StoredEvent {
  seq: number;
  event: ReceivedEvent<unknown>;
}

/**
 * Inserts events into the outbox inside the caller's transaction. When a sink is configured the
 * rows are leased to this process, which publishes them right after commit; the relay leaves
 * them alone until the lease runs out.
 */
export const storeEvents = async (tx: Queryable, context: string, events: ReceivedEvent<unknown>[]): Promise<StoredEvent[]> => {
  if (events.length === 0) return [];
  // The outbox keeps the trace of the span that wrote the event; the relay publishes it under that parent.
  stampTrace(events);
  const lease = publishTarget(context) ? config.outboxLeaseSeconds() : null;
  const { rows } = await tx.query<{ seq: number }>(
    `INSERT INTO ${table(context, 'outbox')} (id, type, subject, event, claimed_until)
     SELECT e.id::uuid, e.type, e.subject, e.event,
            CASE WHEN $2::int IS NULL THEN NULL ELSE now() + make_interval(secs => $2::int) END
     FROM jsonb_to_recordset($1::jsonb) AS e(id text, type text, subject text, event jsonb)
     RETURNING seq`,
    [JSON.stringify(events.map((event) => ({ id: event.id, type: event.type, subject: event.subject, event }))), lease],
  );
  return rows.map((row, i) => ({ seq: row.seq, event: events[i] as ReceivedEvent<unknown> }));
};

type Target = { kafkaTopic: string } | { sink: string };

/** Where a context's events go: a Kafka topic (OUTBOX_KAFKA_TOPIC and KAFKA_BROKERS), else K_SINK. */
export const publishTarget = (context: string): Target | undefined => {
  const topic = config.outboxKafkaTopic(context);
  if (topic && config.kafkaBrokers().length > 0) return { kafkaTopic: topic };
  const sink = config.sink();
  return sink ? { sink } : undefined;
};

/**
 * Sends one event to the sink in CloudEvents binary mode, with the publisher token the broker
 * admits (PUBLISHER_TOKEN_FILE); throws unless the sink answers 2xx.
 */
export const publish = async (sink: string, event: ReceivedEvent<unknown>): Promise<void> => {
  // The trace rides as the HTTP header (what Knative's broker reads) beside the CloudEvents extension.
  const answer = await postEvent(sink, event, AbortSignal.timeout(config.publishTimeoutMs()), { ...eventTraceHeaders(event), ...publisherHeaders() });
  if (answer.status < 200 || answer.status >= 300) throw new Error(`sink answered ${answer.status}`);
};

const markPublished = (db: Queryable, context: string, seqs: number[]) =>
  seqs.length === 0
    ? Promise.resolve()
    : db.query(`UPDATE ${table(context, 'outbox')} SET published_at = now(), claimed_until = NULL, last_error = NULL WHERE seq = ANY($1)`, [seqs]);

const releaseFailed = (db: Queryable, context: string, seqs: number[], error: string) =>
  seqs.length === 0
    ? Promise.resolve()
    : db.query(`UPDATE ${table(context, 'outbox')} SET claimed_until = NULL, last_error = $2 WHERE seq = ANY($1)`, [seqs, error]);

/**
 * Publishes stored events in order, per aggregate: after a failure, later events of the same
 * aggregate wait for the relay. Returns how many were published.
 */
export const publishStored = async (db: Queryable, context: string, stored: StoredEvent[]): Promise<number> => {
  const target = publishTarget(context);
  if (!target || stored.length === 0) return 0;
  const done: number[] = [];
  const failed: number[] = [];
  let lastError = '';
  if ('kafkaTopic' in target) {
    // One produce request in outbox order: the records of an aggregate share a key, so a partition
    // keeps their order; all of them are written, or none is known to be.
    try {
      // Loaded on first use: a function that publishes to K_SINK never starts the Kafka client.
      const { publishToKafka } = await import('./kafka.js');
      await publishToKafka(
        target.kafkaTopic,
        stored.map((s) => s.event),
      );
      done.push(...stored.map((s) => s.seq));
    } catch (error) {
      lastError = (error as Error).message;
      failed.push(...stored.map((s) => s.seq));
      rootLogger.warn('publish to Kafka failed; the relay will retry', { context, topic: target.kafkaTopic, events: stored.length, error: lastError });
    }
  } else {
    const blocked = new Set<string>();
    for (const { seq, event } of stored) {
      if (blocked.has(event.subject)) {
        failed.push(seq);
        continue;
      }
      try {
        await publish(target.sink, event);
        done.push(seq);
      } catch (error) {
        lastError = (error as Error).message;
        blocked.add(event.subject);
        failed.push(seq);
        rootLogger.warn('publish failed; the relay will retry', { context, eventId: event.id, type: event.type, error: lastError });
      }
    }
  }
  await markPublished(db, context, done);
  await releaseFailed(db, context, failed, lastError);
  return done.length;
};

/**
 * Claims what is left in a context's outbox and publishes it. Safe to run concurrently: one relay
 * claims at a time (an advisory lock), claimed rows are leased, and a later event of an aggregate
 * is never claimed while an earlier one is leased elsewhere.
 */
export const relayOutbox = async (pool: pg.Pool, context: string): Promise<{ published: number; pending: number }> => {
  const outbox = table(context, 'outbox');
  const claimed = await inTransaction(pool, async (tx) => {
    const { rows: lock } = await tx.query<{ locked: boolean }>(`SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked`, [`outbox-relay:${context}`]);
    if (!lock[0]?.locked) return [];
    const { rows } = await tx.query<{ seq: number; event: ReceivedEvent<unknown> }>(
      `UPDATE ${outbox} AS o SET claimed_until = now() + make_interval(secs => $1::int), attempts = o.attempts + 1
       FROM (
         SELECT c.seq FROM ${outbox} c
         WHERE c.published_at IS NULL AND (c.claimed_until IS NULL OR c.claimed_until < now())
           AND NOT EXISTS (
             SELECT 1 FROM ${outbox} e
             WHERE e.subject = c.subject AND e.published_at IS NULL AND e.seq < c.seq AND e.claimed_until >= now())
         ORDER BY c.seq
         LIMIT $2
         FOR UPDATE SKIP LOCKED
       ) AS picked
       WHERE o.seq = picked.seq
       RETURNING o.seq, o.event`,
      [config.outboxLeaseSeconds(), config.relayBatch()],
    );
    return rows.sort((a, b) => a.seq - b.seq);
  });
  const published = await publishStored(pool, context, claimed);
  return { published, pending: claimed.length - published };
};

/** Deletes published outbox rows and inbox entries older than the retention period. */
export const pruneMessaging = async (db: Queryable, context: string, retentionDays: number): Promise<void> => {
  await db.query(`DELETE FROM ${table(context, 'outbox')} WHERE published_at < now() - make_interval(days => $1::int)`, [retentionDays]);
  await db.query(`DELETE FROM ${table(context, 'inbox')} WHERE received_at < now() - make_interval(days => $1::int)`, [retentionDays]);
};

/** SQL that creates a context's schema and its messaging tables (applied before its own migrations). */
export const messagingSchemaSql = (context: string): { up: string; down: string } => ({
  up: `
CREATE SCHEMA IF NOT EXISTS ${schemaName(context)};
-- Events wait here until published; seq orders them per aggregate (subject).
CREATE TABLE IF NOT EXISTS ${table(context, 'outbox')} (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  type text NOT NULL,
  subject text NOT NULL,
  event jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  claimed_until timestamptz,
  published_at timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX IF NOT EXISTS outbox_unpublished ON ${table(context, 'outbox')} (seq) WHERE published_at IS NULL;
-- One row per event a handler has applied: the second delivery finds it and does nothing.
CREATE TABLE IF NOT EXISTS ${table(context, 'inbox')} (
  handler text NOT NULL,
  event_id text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (handler, event_id)
);
-- Events refused for good (422), kept with the reason so nothing vanishes silently.
CREATE TABLE IF NOT EXISTS ${table(context, 'rejected_events')} (
  handler text NOT NULL,
  event_id text NOT NULL,
  type text NOT NULL,
  event jsonb NOT NULL,
  reason text NOT NULL,
  rejected_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (handler, event_id)
);`,
  down: `
DROP TABLE IF EXISTS ${table(context, 'rejected_events')};
DROP TABLE IF EXISTS ${table(context, 'inbox')};
DROP TABLE IF EXISTS ${table(context, 'outbox')};`,
});
