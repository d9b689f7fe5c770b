import { describe, expect, it } from 'vitest';
import { accountGate, delayAfter, sourceGate, type ThrottlePolicy } from './throttle.js';

const policy: ThrottlePolicy = { freeFailures: 3, delaySeconds: 1, maxDelaySeconds: 60, sourceMaxFailures: 4, windowSeconds: 900, alertAfter: 10 };
const t0 = new Date('2026-12-04T10:00:00Z');
const at = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

describe('account delay', () => {
  it('costs nothing for the first failures, then doubles up to the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 9, 20].map((n) => delayAfter(n, policy))).toEqual([0, 0, 0, 1, 2, 4, 8, 60, 60]);
  });

  it('lets the attempt through once the delay since the last failure has passed, never locking for long', () => {
    const failures = [at(0), at(1), at(2), at(3), at(4)]; // five: a delay of 4 s after the last
    expect(accountGate(failures, at(5), policy)).toEqual({ status: 'throttled', retryAfterSeconds: 3 });
    expect(accountGate(failures, at(8), policy)).toEqual({ status: 'open' });
  });

  it('forgets failures that have left the window', () => {
    const old = Array.from({ length: 10 }, (_, i) => at(i));
    expect(accountGate(old, at(905), policy)).toEqual({ status: 'open' });
  });
});

describe('source limit', () => {
  it('refuses a source with too many failures across accounts until the oldest leaves the window', () => {
    const failures = [at(0), at(10), at(20), at(30)];
    expect(sourceGate(failures.slice(0, 3), at(31), policy)).toEqual({ status: 'open' });
    expect(sourceGate(failures, at(31), policy)).toEqual({ status: 'throttled', retryAfterSeconds: 869 });
    expect(sourceGate(failures, at(901), policy)).toEqual({ status: 'open' });
  });
});
