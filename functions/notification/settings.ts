// Notification's settings from the environment, each with its production default. Read on every
// call, not at import, so a deployment (or a test) can change them without a new build.

const number = (name: string, fallback: number, min: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number of at least ${min}, got "${raw}"`);
  return value;
};

const flag = (name: string, fallback: boolean): boolean => {
  const raw = process.env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
  if (['0', 'false', 'off', 'no'].includes(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
};

export const settings = {
  /** The SMTP server, e.g. `smtp://user:pass@mail.example:587` or `smtps://...`; none: emails are recorded, not sent. */
  smtpUrl: (): string | undefined => process.env.SMTP_URL || undefined,
  /** The From of every email. */
  smtpFrom: (): string => process.env.SMTP_FROM || 'GoTuto <no-reply@gotuto.dev>',
  /** How long connecting, the greeting, and each wait for the server's reply may take, in ms. */
  smtpTimeoutMs: () => number('SMTP_TIMEOUT_MS', 30_000, 1),
  /**
   * How long a sender owns the email it is sending. A row still `sending` after that is marked
   * `unknown`, never sent again; keep it well above what one send can take (SMTP_TIMEOUT_MS).
   */
  leaseSeconds: () => number('NOTIFICATION_SEND_LEASE_SECONDS', 300, 1),
  /** Attempts an email gets against failures that prove it was not accepted; then it is `failed`. */
  maxAttempts: () => number('NOTIFICATION_SEND_MAX_ATTEMPTS', 5, 1),
  /** The wait before the second attempt, doubling for each further one, in seconds. */
  backoffSeconds: () => number('NOTIFICATION_SEND_BACKOFF_SECONDS', 60, 0),
  /** The longest wait between two attempts, in seconds. */
  maxBackoffSeconds: () => number('NOTIFICATION_SEND_MAX_BACKOFF_SECONDS', 3600, 0),
  /** Emails one run of the sender sends at most; the rest wait for the next run. */
  batch: () => number('NOTIFICATION_SEND_BATCH', 100, 1),
  /** Whether a handler sends its email as soon as its transaction has committed (else the schedule does). */
  sendAfterCommit: () => flag('NOTIFICATION_SEND_AFTER_COMMIT', true),
};
