// Login throttling per email: after `maxFailures` failed attempts within a sliding window of
// `windowSeconds`, the email is locked until the oldest of those attempts leaves the window.
// Pure arithmetic over the attempts' times; the store keeps them.

export interface LockoutPolicy {
  maxFailures: number;
  windowSeconds: number;
}

export type LoginGate = { status: 'open' } | { status: 'locked'; retryAfterSeconds: number };

/** Failures at or before this instant no longer count. */
export const windowStart = (now: Date, policy: LockoutPolicy): Date => new Date(now.getTime() - policy.windowSeconds * 1000);

/** Whether an attempt may go ahead, given the times of the email's failed attempts. */
export const loginGate = (failures: readonly Date[], now: Date, policy: LockoutPolicy): LoginGate => {
  const start = windowStart(now, policy).getTime();
  const counted = failures
    .map((at) => at.getTime())
    .filter((at) => at > start)
    .sort((a, b) => a - b);
  if (counted.length < policy.maxFailures) return { status: 'open' };
  // One more attempt is let through once all but maxFailures - 1 of them have left the window.
  const leaving = counted[counted.length - policy.maxFailures] as number;
  const waitMs = leaving + policy.windowSeconds * 1000 - now.getTime();
  return { status: 'locked', retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
};
