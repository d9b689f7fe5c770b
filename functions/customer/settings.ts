// Customer's settings from the environment, each with its production default. Read on every
// call, not at import, so a deployment (or a test) can change them without a new build.
import type { LockoutPolicy } from './lockout.js';

const positiveInteger = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive whole number, got "${raw}"`);
  return value;
};

export const settings = {
  /** LOGIN_MAX_FAILURES failed logins within LOGIN_LOCKOUT_WINDOW_SECONDS lock an email. */
  lockout: (): LockoutPolicy => ({
    maxFailures: positiveInteger('LOGIN_MAX_FAILURES', 5),
    windowSeconds: positiveInteger('LOGIN_LOCKOUT_WINDOW_SECONDS', 900),
  }),
  /** Lifetime of an access token, in seconds. */
  accessTokenTtlSeconds: () => positiveInteger('ACCESS_TOKEN_TTL', 3600),
};
