// Login throttling as OWASP's authentication guidance describes it, instead of a fixed lock that
// any stranger can set off: per account, a delay that doubles with each failure past the first
// few (the right password waits it out too, but only for seconds to minutes, and the owner is
// mailed); per source (a client address), a cap on failures across all accounts in a sliding
// window. Pure arithmetic over the failures' times; the store keeps them.

export interface ThrottlePolicy {
  /** Failures of one email that cost nothing. */
  freeFailures: number;
  /** The delay after the first failure past the free ones; it doubles with each further one. */
  delaySeconds: number;
  maxDelaySeconds: number;
  /** Failures from one source, on any email, within the window. */
  sourceMaxFailures: number;
  /** How long a failure counts. */
  windowSeconds: number;
  /** The failure count at which the owner of the account is mailed. */
  alertAfter: number;
}

export type LoginGate = { status: 'open' } | { status: 'throttled'; retryAfterSeconds: number };

/** Failures at or before this instant no longer count. */
export const windowStart = (now: Date, policy: Pick<ThrottlePolicy, 'windowSeconds'>): Date => new Date(now.getTime() - policy.windowSeconds * 1000);

const counted = (failures: readonly Date[], now: Date, policy: ThrottlePolicy): number[] => {
  const start = windowStart(now, policy).getTime();
  return failures
    .map((at) => at.getTime())
    .filter((at) => at > start)
    .sort((a, b) => a - b);
};

const wait = (untilMs: number, now: Date): LoginGate =>
  untilMs > now.getTime() ? { status: 'throttled', retryAfterSeconds: Math.max(1, Math.ceil((untilMs - now.getTime()) / 1000)) } : { status: 'open' };

/** The delay an account owes after `failures` counted failures, in seconds (0 while they are free). */
export const delayAfter = (failures: number, policy: ThrottlePolicy): number =>
  failures < policy.freeFailures ? 0 : Math.min(policy.delaySeconds * 2 ** Math.min(failures - policy.freeFailures, 30), policy.maxDelaySeconds);

/** Whether an attempt on an account may go ahead, given the times of the email's failed attempts. */
export const accountGate = (failures: readonly Date[], now: Date, policy: ThrottlePolicy): LoginGate => {
  const times = counted(failures, now, policy);
  const last = times[times.length - 1];
  if (last === undefined) return { status: 'open' };
  return wait(last + delayAfter(times.length, policy) * 1000, now);
};

/** Whether an attempt from a source may go ahead, given the times of its failed attempts on any email. */
export const sourceGate = (failures: readonly Date[], now: Date, policy: ThrottlePolicy): LoginGate => {
  const times = counted(failures, now, policy);
  if (times.length < policy.sourceMaxFailures) return { status: 'open' };
  // One more attempt is let through once all but sourceMaxFailures - 1 of them have left the window.
  const leaving = times[times.length - policy.sourceMaxFailures] as number;
  return wait(leaving + policy.windowSeconds * 1000, now);
};
