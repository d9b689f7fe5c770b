// What a context needs from the process that serves it, beyond its requests. At start: work that
// must be done once before the first request (Customer's first admin account). At stop: work a
// function started that outlives its request (Notification's sends after a commit), which a process
// that is stopping (SIGTERM, as when Knative scales a revision down) waits for before it closes its
// pools, so a send is not cut off between its claim and its outcome.
import type { Logger } from './log.js';

type Drain = () => Promise<void>;
type StartHook = (log: Logger) => Promise<void>;

const drains = new Set<Drain>();
const starts = new Map<string, StartHook>();

/** Registers work to wait for when the process stops (registering the same function twice is one). */
export const onStop = (drain: Drain): void => {
  drains.add(drain);
};

/** Registers work to run once the migrations are applied, before the first request; one per name. */
export const onStart = (name: string, hook: StartHook): void => {
  starts.set(name, hook);
};

/** Runs every start hook in the order registered; the first that fails fails the start. */
export const startAll = async (log: Logger): Promise<void> => {
  for (const [name, hook] of starts) await hook(log.child({ hook: name }));
};

/** Waits for every registered drain, at most `timeoutMs`; true when all of them finished in time. */
export const drainAll = async (timeoutMs: number): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([Promise.allSettled([...drains].map((drain) => drain())).then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
};
