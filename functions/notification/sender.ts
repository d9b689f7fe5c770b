// Sends the emails that handlers recorded, never inside a transaction and never one twice.
//
// A handler only records its email (pending) in the transaction of its event; the runtime commits
// that transaction after `handle` returns, so nothing in `handle` can talk to the SMTP server after
// the commit. Sending is therefore its own step, `sendPending`, which per email:
//   1. claims it: pending -> sending with a lease and a claim id, one statement, committed;
//   2. sends it over SMTP, the notification id as Message-ID;
//   3. records the outcome under its claim id: sent; or, when the exchange proves the server did
//      not take it (a refusal, no connection), pending again with a backoff until the attempts
//      run out (failed); or, when the server may have taken it (the connection broke off with no
//      answer), unknown.
// A row found still sending after its lease (the process died mid-send, perhaps after the server
// accepted) becomes unknown for an operator: never sent again. At most once beats at least once
// for email.
//
// Who runs it: the handler that recorded an email starts it in the background, once its own
// transaction has committed (`sendAfterCommit` waits for the transaction id to commit, so it
// works on real PostgreSQL and on the embedded one alike); the scheduled send-pending function
// runs it every minute for whatever is left (retries, a process that stopped); the local platform
// or a test may call `sendPending` itself. Concurrent runs are safe: each email is claimed once.
import { randomUUID } from 'node:crypto';
import type { Queryable } from '../runtime/db.js';
import { poolFor } from '../runtime/db.js';
import { onStop } from '../runtime/lifecycle.js';
import { rootLogger, type Logger } from '../runtime/log.js';
import { count } from '../runtime/metrics.js';
import { deferredClientSpan } from '../runtime/telemetry.js';
import { classifyFailure, smtpMailer, type Mailer } from './mailer.js';
import { afterFailure, LEASE_EXPIRED, NO_SMTP, type RetryPolicy } from './notification.js';
import { settings } from './settings.js';
import { notifications } from './store.js';

/** Notification's pool (`poolFor('notification')`): never a client inside a transaction. */
export type NotificationPool = Awaited<ReturnType<typeof poolFor>>;

export interface SendPendingOptions {
  /** Default `SMTP_URL`; without one every pending email is recorded not-sent. */
  smtpUrl?: string;
  /** Default `SMTP_FROM`. */
  from?: string;
  now?: () => Date;
  log?: Logger;
  /** Defaults from the environment (see settings.ts). */
  leaseSeconds?: number;
  retry?: Partial<RetryPolicy>;
  /** Emails sent at most in this run. */
  batch?: number;
}

export interface SendReport {
  sent: number;
  /** Failed attempts that will be tried again. */
  retrying: number;
  failed: number;
  /** Possibly accepted by the server, or found still sending after the lease: not sent again. */
  unknown: number;
  notSent: number;
}

/**
 * Sends what is pending and due, one email at a time, each claimed and committed before SMTP and
 * its outcome recorded after. Safe to run at any time, from any number of processes.
 */
export const sendPending = async (pool: NotificationPool, options: SendPendingOptions = {}): Promise<SendReport> => {
  const now = options.now ?? (() => new Date());
  const log = options.log ?? rootLogger.child({ component: 'notification-sender' });
  const db: Queryable = pool;
  const report: SendReport = { sent: 0, retrying: 0, failed: 0, unknown: 0, notSent: 0 };

  const expired = await notifications.markLeaseExpired(db, now(), LEASE_EXPIRED);
  report.unknown += expired.length;
  if (expired.length > 0) log.warn('emails left sending past their lease are unknown; not sent again', { ids: expired });

  const smtpUrl = options.smtpUrl ?? settings.smtpUrl();
  if (!smtpUrl) {
    const skipped = await notifications.markAllNotSent(db, now(), NO_SMTP);
    report.notSent += skipped.length;
    if (skipped.length > 0) log.info('emails recorded, not sent: no SMTP configured', { count: skipped.length });
    return report;
  }

  const from = options.from ?? settings.smtpFrom();
  const leaseSeconds = options.leaseSeconds ?? settings.leaseSeconds();
  const policy: RetryPolicy = {
    maxAttempts: options.retry?.maxAttempts ?? settings.maxAttempts(),
    backoffSeconds: options.retry?.backoffSeconds ?? settings.backoffSeconds(),
    maxBackoffSeconds: options.retry?.maxBackoffSeconds ?? settings.maxBackoffSeconds(),
  };
  const batch = options.batch ?? settings.batch();
  let mailer: Mailer | undefined;
  // An email that fails is tried again on a later run, not at once in this one.
  const tried: string[] = [];
  try {
    for (let i = 0; i < batch; i++) {
      const claimId = randomUUID();
      const claimed = await notifications.claimNext(db, claimId, now(), leaseSeconds, tried);
      if (!claimed) break;
      tried.push(claimed.id);
      const smtp = (mailer ??= smtpMailer(smtpUrl, from, settings.smtpTimeoutMs()));
      const fields = { notificationId: claimed.id, eventId: claimed.eventId, kind: claimed.kind, attempt: claimed.attempts };
      try {
        // A child of the span that recorded the email (in the order's trace), linked to this run's.
        const attributes = { 'gotuto.email.kind': claimed.kind, 'gotuto.notification_id': claimed.id, 'peer.service': 'smtp' };
        await deferredClientSpan(claimed.recordedBy, 'smtp send', attributes, () =>
          smtp.send({
            id: claimed.id,
            eventId: claimed.eventId,
            to: { name: claimed.recipient.name, address: claimed.recipient.email },
            subject: claimed.email.subject,
            text: claimed.email.text,
            html: claimed.email.html,
          }),
        );
      } catch (error) {
        count((m) => m.emailsFailed, { kind: claimed.kind });
        const failure = classifyFailure(error);
        const after = afterFailure(claimed.attempts, failure, policy, now());
        await notifications.markFailedAttempt(db, claimed.id, claimId, after, now());
        if (after.status === 'pending') report.retrying += 1;
        else report[after.status] += 1;
        log.warn('email not sent', { ...fields, failure: failure.kind, status: after.status, error: failure.message });
        continue;
      }
      // Accepted: should this update fail, the row stays sending and becomes unknown, never resent.
      await notifications.markSent(db, claimed.id, claimId, now());
      report.sent += 1;
      count((m) => m.emailsSent, { kind: claimed.kind });
      log.info('email sent', fields);
    }
  } finally {
    mailer?.close();
  }
  return report;
};

// ---- after the handler's commit ----------------------------------------------------------------

const inFlight = new Set<Promise<void>>();
let running: Promise<void> | undefined;
let again = false;

// One run at a time per process; a request that comes while one runs makes it go round once more,
// so nothing recorded before the request is left for the schedule.
const runSender = (log: Logger): Promise<void> => {
  again = true;
  running ??= (async () => {
    try {
      while (again) {
        again = false;
        await sendPending(await poolFor('notification'), { log });
      }
    } finally {
      running = undefined;
    }
  })();
  return running;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the transaction `xid` has ended; whether it committed (false also when it took too long). */
const committed = async (db: Queryable, xid: string, timeoutMs = 60_000): Promise<boolean> => {
  const started = Date.now();
  for (let wait = 5; Date.now() - started < timeoutMs; wait = Math.min(wait * 2, 250)) {
    const { rows } = await db.query<{ status: string | null }>('SELECT pg_xact_status($1::xid8) AS status', [xid]);
    const status = rows[0]?.status;
    if (status !== 'in progress') return status === 'committed' || status === null;
    await sleep(wait);
  }
  return false;
};

/**
 * Has the sender run in the background once the caller's transaction has committed (the runtime
 * commits after `handle` returns). Failures are logged; the schedule picks up what is left.
 */
export const runSenderAfterCommit = async (tx: Queryable, log: Logger): Promise<void> => {
  const { rows } = await tx.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
  const xid = rows[0]?.xid;
  if (!xid) return;
  const task = (async () => {
    // On the embedded database the pool's one connection is the handler's until it commits, so
    // this waits; on PostgreSQL it polls the transaction's status.
    if (!(await committed(await poolFor('notification'), xid))) return;
    await runSender(log);
  })()
    .catch((error: unknown) => log.error('sending after commit failed; the schedule will retry', { error: String(error) }))
    .finally(() => inFlight.delete(task));
  inFlight.add(task);
};

/**
 * What a handler calls once it has recorded an email: the email goes out as soon as the handler's
 * transaction has committed, instead of on the next schedule. Off with
 * NOTIFICATION_SEND_AFTER_COMMIT=false (the schedule, or the caller of sendPending, sends it).
 */
export const sendAfterCommit = async (tx: Queryable, log: Logger): Promise<void> => {
  if (settings.sendAfterCommit()) await runSenderAfterCommit(tx, log);
};

/** Resolves once every send started by `sendAfterCommit` in this process has finished (tests, shutdown). */
export const backgroundSendsSettled = async (): Promise<void> => {
  while (inFlight.size > 0 || running) {
    await Promise.allSettled([...inFlight, ...(running ? [running] : [])]);
  }
};

// A function stopping (SIGTERM) finishes its sends before it closes its pools.
onStop(backgroundSendsSettled);
