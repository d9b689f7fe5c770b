// A replay: the kept event POSTed again to the subscriber it failed at (delivery.ts), its outcome
// recorded on the letter. No transaction is held across the delivery: the letter is read, the event
// sent, and the outcome written in one statement that only applies while the letter is still dead.
import type { PlatformReplayed } from '../../events/schemas.generated.js';
import type { Queryable } from '../runtime/db.js';
import { Conflict, NotFound } from '../runtime/errors.js';
import { getDeadLetter, recordReplay, type DeadLetter, type ReplayOutcome } from './store.js';

/** What a replay came to, and the letter after it (schemas/platform/replayed.json). */
export type Replayed = PlatformReplayed;

/** Writes what a replay of `letter` came to; a letter no longer dead (another replay won) is a conflict. */
export const settle = async (write: Queryable, letter: DeadLetter, outcome: ReplayOutcome): Promise<Replayed> => {
  const after = await recordReplay(write, letter.id, outcome);
  if (!after) throw new Conflict(`dead letter ${letter.id} was replayed or discarded meanwhile`);
  const replayed = { id: letter.id, deadLetter: after };
  return outcome.delivered
    ? { ...replayed, outcome: 'delivered', status: outcome.status, error: null }
    : { ...replayed, outcome: 'refused', status: outcome.status, error: outcome.error };
};

/** The letter `id` if it may be replayed: it exists and is still dead. */
export const replayable = async (db: Queryable, id: string): Promise<DeadLetter> => {
  const letter = await getDeadLetter(db, id);
  if (!letter) throw new NotFound(`dead letter ${id} does not exist`);
  if (letter.state !== 'dead') throw new Conflict(`dead letter ${id} is ${letter.state}: only a dead letter that is still dead is replayed`);
  return letter;
};
