// SQL of the platform's dead-letter store. A row is one event that one subscriber never took: kept
// with what Knative told about the failure until an operator replays it (state `replayed`) or sets
// it aside with a reason (`discarded`). A replay the subscriber refuses leaves the row `dead` with
// the new status and error, one failure more.
import type { PlatformDeadLetter } from '../../events/schemas.generated.js';
import type { Queryable } from '../runtime/db.js';
import { cursorAt, decodeCursor, limitOf, pageOf, type Page, type PageRequest } from '../runtime/paging.js';

// A letter as the answers carry it: the type generated from schemas/platform/dead-letter.json.
export type DeadLetter = PlatformDeadLetter;
export type DeadLetterState = DeadLetter['state'];

type Row = DeadLetter & { cursor_at: string };

const COLUMNS = `id, event_id AS "eventId", type, source, subject, correlation_id AS "correlationId", event,
  destination, subscriber, trigger, status, error, failures, state, first_failed_at AS "firstFailedAt",
  last_failed_at AS "lastFailedAt", replayed_at AS "replayedAt", discarded_at AS "discardedAt",
  discard_reason AS "discardReason", ${cursorAt('first_failed_at')} AS cursor_at`;

const toLetter = ({ cursor_at: _at, ...letter }: Row): DeadLetter => ({
  ...letter,
  firstFailedAt: new Date(letter.firstFailedAt).toISOString(),
  lastFailedAt: new Date(letter.lastFailedAt).toISOString(),
  replayedAt: letter.replayedAt && new Date(letter.replayedAt).toISOString(),
  discardedAt: letter.discardedAt && new Date(letter.discardedAt).toISOString(),
});

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
  trigger: string;
  status: number | undefined;
  error: string | undefined;
}

/** Records a failure; the same event failing again at the same destination updates its row. */
export const recordDeadLetter = async (db: Queryable, d: NewDeadLetter): Promise<void> => {
  await db.query(
    `INSERT INTO platform.dead_letters (id, event_id, type, source, subject, correlation_id, event, destination, subscriber, trigger, status, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (event_id, source, destination) DO UPDATE SET
       status = EXCLUDED.status, error = EXCLUDED.error, failures = platform.dead_letters.failures + 1,
       state = 'dead', last_failed_at = now(), discarded_at = NULL, discard_reason = NULL`,
    [
      d.id,
      d.eventId,
      d.type,
      d.source,
      d.subject ?? null,
      d.correlationId ?? null,
      JSON.stringify(d.event),
      d.destination,
      d.subscriber,
      d.trigger,
      d.status ?? null,
      d.error ?? null,
    ],
  );
};

export interface DeadLetterFilter {
  state?: DeadLetterState;
  subscriber?: string;
  type?: string;
}

/** Dead letters in the order they first failed, a page at a time. */
export const listDeadLetters = async (db: Queryable, filter: DeadLetterFilter, page: PageRequest): Promise<Page<DeadLetter>> => {
  const limit = limitOf(page);
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const { rows } = await db.query<Row & Record<string, unknown>>(
    `SELECT ${COLUMNS} FROM platform.dead_letters
     WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR subscriber = $2) AND ($3::text IS NULL OR type = $3)
       AND ($4::timestamptz IS NULL OR (first_failed_at, id) > ($4::timestamptz, $5::uuid))
     ORDER BY first_failed_at, id LIMIT $6`,
    [filter.state ?? null, filter.subscriber ?? null, filter.type ?? null, after?.at ?? null, after?.id ?? null, limit + 1],
  );
  return pageOf(rows, limit, toLetter);
};

export const getDeadLetter = async (db: Queryable, id: string): Promise<DeadLetter | undefined> => {
  const { rows } = await db.query<Row & Record<string, unknown>>(`SELECT ${COLUMNS} FROM platform.dead_letters WHERE id = $1`, [id]);
  return rows[0] && toLetter(rows[0]);
};

/** What a replay came to: the subscriber took the event, or refused it again. */
export type ReplayOutcome = { delivered: true; status: number } | { delivered: false; status: number | null; error: string };

/** Records a replay's outcome on a letter that is still dead; undefined when it is not (any more). */
export const recordReplay = async (db: Queryable, id: string, outcome: ReplayOutcome): Promise<DeadLetter | undefined> => {
  const { rows } = outcome.delivered
    ? await db.query<Row & Record<string, unknown>>(
        `UPDATE platform.dead_letters SET state = 'replayed', replayed_at = now(), status = $2, error = NULL
         WHERE id = $1 AND state = 'dead' RETURNING ${COLUMNS}`,
        [id, outcome.status],
      )
    : await db.query<Row & Record<string, unknown>>(
        `UPDATE platform.dead_letters SET status = $2, error = $3, failures = failures + 1, last_failed_at = now()
         WHERE id = $1 AND state = 'dead' RETURNING ${COLUMNS}`,
        [id, outcome.status, outcome.error],
      );
  return rows[0] && toLetter(rows[0]);
};

/** Sets a dead letter aside for good, with the operator's reason; the row is kept. */
export const markDiscarded = async (db: Queryable, id: string, reason: string): Promise<DeadLetter | undefined> => {
  const { rows } = await db.query<Row & Record<string, unknown>>(
    `UPDATE platform.dead_letters SET state = 'discarded', discarded_at = now(), discard_reason = $2
     WHERE id = $1 AND state = 'dead' RETURNING ${COLUMNS}`,
    [id, reason],
  );
  return rows[0] && toLetter(rows[0]);
};

/** Dead letters still waiting, by subscriber (the function table shows them). */
export const countBySubscriber = async (db: Queryable): Promise<Record<string, number>> => {
  const { rows } = await db.query<{ subscriber: string; n: number }>(
    `SELECT subscriber, count(*)::int AS n FROM platform.dead_letters WHERE state = 'dead' GROUP BY subscriber`,
  );
  return Object.fromEntries(rows.map((r) => [r.subscriber, r.n]));
};
