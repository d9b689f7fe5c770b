import { describe, expect, it } from 'vitest';
import { loginGate, windowStart, type LockoutPolicy } from './lockout.js';

const policy: LockoutPolicy = { maxFailures: 5, windowSeconds: 900 };
const now = new Date('2026-03-01T12:00:00.000Z');
const secondsAgo = (...seconds: number[]) => seconds.map((s) => new Date(now.getTime() - s * 1000));

describe('windowStart', () => {
  it('is the window length before now', () => {
    expect(windowStart(now, policy)).toEqual(new Date('2026-03-01T11:45:00.000Z'));
  });
});

describe('loginGate', () => {
  it('is open below the limit', () => {
    expect(loginGate([], now, policy)).toEqual({ status: 'open' });
    expect(loginGate(secondsAgo(1, 2, 3, 4), now, policy)).toEqual({ status: 'open' });
  });

  it('locks at the limit until the oldest failure leaves the window', () => {
    expect(loginGate(secondsAgo(100, 80, 60, 40, 20), now, policy)).toEqual({ status: 'locked', retryAfterSeconds: 800 });
  });

  it('does not care in which order the failures come', () => {
    expect(loginGate(secondsAgo(20, 100, 40, 60, 80), now, policy)).toEqual({ status: 'locked', retryAfterSeconds: 800 });
  });

  it('counts only failures inside the window: one exactly at its start has expired', () => {
    expect(loginGate(secondsAgo(900, 901, 4000, 1, 2, 3, 4), now, policy)).toEqual({ status: 'open' });
    expect(loginGate(secondsAgo(899, 1, 2, 3, 4), now, policy)).toEqual({ status: 'locked', retryAfterSeconds: 1 });
  });

  it('with more failures than the limit (concurrent attempts), waits until enough have left', () => {
    // Seven failures: three must leave before one more attempt fits; the third oldest is 500 s old.
    expect(loginGate(secondsAgo(700, 600, 500, 400, 300, 200, 100), now, policy)).toEqual({ status: 'locked', retryAfterSeconds: 400 });
  });

  it('rounds the wait up to whole seconds, and never says 0', () => {
    const justNow = [0.2, 0.3, 0.4, 0.5, 0.6].map((s) => new Date(now.getTime() - s * 1000));
    expect(loginGate(justNow, now, { maxFailures: 5, windowSeconds: 2 })).toEqual({ status: 'locked', retryAfterSeconds: 2 });
    const almostGone = [1.999, 1.5, 1.4, 1.3, 1.2].map((s) => new Date(now.getTime() - s * 1000));
    expect(loginGate(almostGone, now, { maxFailures: 5, windowSeconds: 2 })).toEqual({ status: 'locked', retryAfterSeconds: 1 });
  });

  it('follows the policy it is given', () => {
    expect(loginGate(secondsAgo(10), now, { maxFailures: 1, windowSeconds: 60 })).toEqual({ status: 'locked', retryAfterSeconds: 50 });
    expect(loginGate(secondsAgo(10, 5), now, { maxFailures: 3, windowSeconds: 60 })).toEqual({ status: 'open' });
  });
});
