// Customer's settings from the environment, each with its production default. Read on every
// call, not at import, so a deployment (or a test) can change them without a new build.
import type { ThrottlePolicy } from './throttle.js';

const positiveInteger = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return value;
};

export const settings = {
  /** Login throttling (throttle.ts): per-account delay, per-source limit, owner alert. */
  throttle: (): ThrottlePolicy => ({
    freeFailures: positiveInteger('LOGIN_FREE_FAILURES', 3),
    delaySeconds: positiveInteger('LOGIN_DELAY_SECONDS', 1),
    maxDelaySeconds: positiveInteger('LOGIN_MAX_DELAY_SECONDS', 120),
    sourceMaxFailures: positiveInteger('LOGIN_SOURCE_MAX_FAILURES', 50),
    windowSeconds: positiveInteger('LOGIN_FAILURE_WINDOW_SECONDS', 900),
    alertAfter: positiveInteger('LOGIN_ALERT_FAILURES', 10),
  }),
  /** Lifetime of an access token, in seconds. */
  accessTokenTtlSeconds: () => positiveInteger('ACCESS_TOKEN_TTL', 3600),
  /** Lifetime of an email verification token, in seconds: a day. */
  emailVerificationTtlSeconds: () => positiveInteger('EMAIL_VERIFICATION_TTL_SECONDS', 86_400),
};
