import type { NotificationNotification } from '../../events/schemas.generated.js';
// One email Notification was asked to send, and where its sending stands. At most one email per
// event: a notification is created once per (event, kind), and the only way from `sending` back
// to `pending` is a failure that proves the SMTP server did not accept the message. Pure: time
// and ids come in as arguments.
import type { Email, EmailKind } from './email.js';

export type NotificationStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'not-sent' | 'unknown';

export type ContactKind = 'customer' | 'client';

export interface Recipient {
  kind: ContactKind;
  id: string;
  email: string;
  name: string;
}

interface Fields {
  id: string;
  eventId: string;
  eventType: string;
  kind: EmailKind;
  /** The customer, order or invoice the email is about. */
  about: string;
  recipient: Recipient;
  email: Email;
  attempts: number;
  lastError: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type Notification = Fields &
  (
    | { status: 'pending'; nextAttemptAt: Date }
    | { status: 'sending'; claimId: string; claimedUntil: Date }
    | { status: 'sent'; sentAt: Date }
    | { status: 'failed' | 'not-sent' | 'unknown' }
  );

export interface NewNotification {
  eventId: string;
  eventType: string;
  kind: EmailKind;
  about: string;
  recipient: Recipient;
  email: Email;
}

/** A notification waiting to be sent, due at once. */
export const createNotification = (input: NewNotification, id: string, now: Date): Notification => ({
  ...input,
  id,
  status: 'pending',
  nextAttemptAt: now,
  attempts: 0,
  lastError: null,
  version: 1,
  createdAt: now,
  updatedAt: now,
});

/** How a send that did not succeed failed, as far as the SMTP exchange tells. */
export type SendFailure =
  /** The server answered with a refusal: it did not take the message. 5xx (but 503) is for good. */
  | { kind: 'rejected'; permanent: boolean; message: string }
  /** No message was handed over: no connection, no greeting, authentication or TLS failed. */
  | { kind: 'not-delivered'; message: string }
  /** The exchange broke off with no answer: the server may have accepted the message. */
  | { kind: 'ambiguous'; message: string };

export interface RetryPolicy {
  maxAttempts: number;
  backoffSeconds: number;
  maxBackoffSeconds: number;
}

/** What becomes of a notification after the failed attempt number `attempts`. */
export type AfterFailure = { status: 'pending'; nextAttemptAt: Date; lastError: string } | { status: 'failed' | 'unknown'; lastError: string };

/** The wait before the attempt after attempt number `attempts`: doubling from the base, capped. */
export const backoff = (attempts: number, policy: RetryPolicy): number =>
  Math.min(policy.backoffSeconds * 2 ** Math.max(attempts - 1, 0), policy.maxBackoffSeconds);

/**
 * Decides what a failed attempt leaves. Only a failure that proves the message was not accepted is
 * tried again (until `maxAttempts`); one that may have been accepted is `unknown`, for an operator:
 * an email sent twice is worse than one an operator has to look at.
 */
export const afterFailure = (attempts: number, failure: SendFailure, policy: RetryPolicy, now: Date): AfterFailure => {
  switch (failure.kind) {
    case 'ambiguous':
      return { status: 'unknown', lastError: `${failure.message} (the SMTP server may have accepted it; not sent again)` };
    case 'rejected':
    case 'not-delivered': {
      if (failure.kind === 'rejected' && failure.permanent) return { status: 'failed', lastError: failure.message };
      if (attempts >= policy.maxAttempts) {
        return { status: 'failed', lastError: `${failure.message} (gave up after ${attempts} attempts)` };
      }
      return {
        status: 'pending',
        nextAttemptAt: new Date(now.getTime() + backoff(attempts, policy) * 1000),
        lastError: failure.message,
      };
    }
    default: {
      const unknown: never = failure;
      throw new Error(`unknown failure ${JSON.stringify(unknown)}`);
    }
  }
};

/** Why a notification still `sending` after its lease is marked unknown rather than sent again. */
export const LEASE_EXPIRED = 'the sender stopped while sending (its lease expired); the SMTP server may have accepted it, so it is not sent again';

export const NO_SMTP = 'no SMTP configured (SMTP_URL is not set)';

/** A notification as the answers carry it (schemas/notification/notification.json). */
export type NotificationView = NotificationNotification;

/** The JSON of a notification; a customer's own view leaves out the SMTP server's error text. */
export const notificationView = (n: Notification, audience: 'admin' | 'recipient' = 'admin'): NotificationView => ({
  id: n.id,
  eventId: n.eventId,
  eventType: n.eventType,
  kind: n.kind,
  recipientId: n.recipient.id,
  to: n.recipient.email,
  subject: n.email.subject,
  status: n.status,
  attempts: n.attempts,
  ...(n.lastError !== null && audience === 'admin' ? { lastError: n.lastError } : {}),
  ...(n.status === 'sent' ? { sentAt: n.sentAt.toISOString() } : {}),
  version: n.version,
  createdAt: n.createdAt.toISOString(),
  updatedAt: n.updatedAt.toISOString(),
});
