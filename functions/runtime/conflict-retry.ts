// A command's transaction that loses to a concurrent one (SQLSTATE 40001, a serialization failure,
// or 40P01, a deadlock) is run again whole, as PostgreSQL advises for both: nothing of the lost
// attempt was kept, and the next one starts from a fresh snapshot. PostgreSQL may refuse the COMMIT
// itself (a deferred constraint, SERIALIZABLE's check), so the whole attempt is what is retried,
// never a statement. An event handler needs none of this: its 409 makes the broker deliver again.

/** How many times a command's transaction is tried before the conflict is answered (409). */
export const CONFLICT_ATTEMPTS = 3;

const CONFLICT_CODES = new Set(['40001', '40P01']);

/** Whether `error` is PostgreSQL's refusal of a transaction that met a concurrent one. */
export const isConcurrencyConflict = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && CONFLICT_CODES.has((error as { code?: unknown }).code as string);

// Random and growing: two requests that deadlocked each other should not collide again in step.
const pause = (attempt: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));

/**
 * Runs `attempt` (one whole transaction) until it does not end in a concurrency conflict, at most
 * CONFLICT_ATTEMPTS times; the last conflict is thrown as is, which the error table answers with 409.
 */
export const retryingConflicts = <T>(attempt: () => Promise<T>, tried = 1): Promise<T> =>
  attempt().catch((error: unknown) =>
    tried < CONFLICT_ATTEMPTS && isConcurrencyConflict(error) ? pause(tried).then(() => retryingConflicts(attempt, tried + 1)) : Promise.reject(error),
  );
