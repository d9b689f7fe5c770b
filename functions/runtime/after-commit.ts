// Work that must happen once per change that stuck, never for one that rolled back: a transaction
// retried after a conflict runs its body twice, but commits once. Counters of what was decided
// (orders placed, confirmed, cancelled) are recorded here rather than inside the body.
import { rootLogger } from './log.js';

export interface AfterCommit {
  /** Queues `work` to run once the transaction has committed. */
  add(work: () => void): void;
  /** Runs what was queued, once; a failing piece is logged and does not stop the others or the answer. */
  run(): void;
}

/** A fresh queue for one transaction. */
export const afterCommit = (): AfterCommit => {
  const queued: (() => void)[] = [];
  return {
    add: (work) => {
      queued.push(work);
    },
    run: () => {
      for (const work of queued.splice(0)) {
        try {
          work();
        } catch (error) {
          rootLogger.warn('after-commit work failed', { error: (error as Error)?.stack ?? String(error) });
        }
      }
    },
  };
};
