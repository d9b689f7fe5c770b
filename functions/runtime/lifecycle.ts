// Work a function starts that outlives its request (Notification's sends after a commit): a process
// that is stopping (SIGTERM, as when Knative scales a revision down) waits for it before it closes
// its pools, so a send is not cut off between its claim and its outcome.
type Drain = () => Promise<void>;

const drains = new Set<Drain>();

/** Registers work to wait for when the process stops (registering the same function twice is one). */
export const onStop = (drain: Drain): void => {
  drains.add(drain);
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
