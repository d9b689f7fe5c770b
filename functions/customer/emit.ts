// Events that Customer emits outside ctx.inTransaction: the first admin (made at start, no
// request) and the login (whose answer, a token, must never be stored as an Idempotency-Key
// answer). The same outbox as every command: stored in the transaction, published after commit.
import { stamp, type NewEvent } from '../../events/index.js';
import { inTransaction, type Queryable, type poolFor } from '../runtime/db.js';
import { publishStored, storeEvents, type StoredEvent } from '../runtime/outbox.js';

type Pool = Awaited<ReturnType<typeof poolFor>>;

/** Runs `work` in a transaction of Customer's pool; what it emits is stored with it and published once committed. */
export const inOwnTransaction = async <T>(
  pool: Pool,
  trace: { correlationId: string; now: Date },
  work: (tx: Queryable, emit: (...events: NewEvent[]) => Promise<void>) => Promise<T>,
): Promise<T> => {
  const stored: StoredEvent[] = [];
  const result = await inTransaction(pool, (tx) =>
    work(tx, async (...events) => {
      const stamped = events.map((event) => stamp(event, { correlationId: trace.correlationId, causationId: trace.correlationId, time: trace.now }));
      stored.push(...(await storeEvents(tx, 'customer', stamped)));
    }),
  );
  await publishStored(pool, 'customer', stored);
  return result;
};
