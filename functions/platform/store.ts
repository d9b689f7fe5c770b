// SQL of the platform's dead-letter store.
import type { Queryable } from '../runtime/db.js';

export interface DeadLetter {
  id: string;
  eventId: string;
  type: string;
  source: string;
  subject: string | null;
  correlationId: string | null;
  event: Record<string, unknown>;
  destination: string;
  subscriber: string;
  status: number | null;
  error: string | null;
  failures: number;
  state: 'dead' | 'replayed' | 'discarded';
  firstFailedAt: string;
  lastFailedAt: string;
  replayedAt: string | null;
  discardedAt: string | null;
  discardReason: string | null;
}

const COLUMNS = `id, event_id AS "eventId", type, source, subject, correlation_id AS "correlationId", event,
  destination, subscriber, status, error, failures, state, first_failed_at AS "firstFailedAt",
  last_failed_at AS "lastFailedAt", replayed_at AS "replayedAt", discarded_at AS "discardedAt",
  discard_reason AS "discardReason"`;

export interface NewDeadLetter {
  id: string;
  eventId: string;
  type: string;
  source: string;
  subject: string | undefined;
  correlationId: string | undefined;
  event: Record<string, unknown>;
  destination: string;
  subscriber: string;
  status: number | undefined;
  error: string | undefined;
}

/** Records a failure; the same event failing again at the same destination updates its row. */
export const recordDeadLetter = async (db: Queryable, d: NewDeadLetter): Promise<void> => {
  await db.query(
    `INSERT INTO platform.dead_letters (id, event_id, type, source, subject, correlation_id, event, destination, subscriber, status, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
     ON CONFLICT (event_id, source, destination) DO UPDATE SET
       status = EXCLUDED.status, error = EXCLUDED.error, failures = platform.dead_letters.failures + 1,
       state = 'dead', last_failed_at = now()`,
    [d.id, d.eventId, d.type, d.source, d.subject ?? null, d.correlationId ?? null, JSON.stringify(d.event),
      d.destination, d.subscriber, d.status ?? null, d.error ?? null],
  );
};

export interface DeadLetterFilter {
  state?: string;
  subscriber?: string;
  type?: string;
  limit: number;
}

export const listDeadLetters = async (db: Queryable, f: DeadLetterFilter): Promise<DeadLetter[]> => {
  const { rows } = await db.query<DeadLetter & Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM platform.dead_letters
     WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR subscriber = $2) AND ($3::text IS NULL OR type = $3)
     ORDER BY last_failed_at, id LIMIT $4`,
    [f.state ?? null, f.subscriber ?? null, f.type ?? null, f.limit],
  );
  return rows;
};

export const getDeadLetter = async (db: Queryable, id: string): Promise<DeadLetter | undefined> => {
  const { rows } = await db.query<DeadLetter & Record<string, unknown>>(`SELECT ${COLUMNS} FROM platform.dead_letters WHERE id = $1`, [id]);
  return rows[0];
};

export const markReplayed = async (db: Queryable, id: string): Promise<void> => {
  await db.query(`UPDATE platform.dead_letters SET state = 'replayed', replayed_at = now() WHERE id = $1`, [id]);
};

/** Sets a dead letter aside for good, with the operator's reason; the row is kept. */
export const markDiscarded = async (db: Queryable, id: string, reason: string): Promise<DeadLetter | undefined> => {
  const { rows } = await db.query<DeadLetter & Record<string, unknown>>(
    `UPDATE platform.dead_letters SET state = 'discarded', discarded_at = now(), discard_reason = $2
     WHERE id = $1 AND state = 'dead' RETURNING ${COLUMNS}`,
    [id, reason],
  );
  return rows[0];
};

export const countBySubscriber = async (db: Queryable): Promise<Record<string, number>> => {
  const { rows } = await db.query<{ subscriber: string; n: number }>(
    `SELECT subscriber, count(*)::int AS n FROM platform.dead_letters WHERE state = 'dead' GROUP BY subscriber`,
  );
  return Object.fromEntries(rows.map((r) => [r.subscriber, r.n]));
};
