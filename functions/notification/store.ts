// Notification's SQL: every statement that reads or writes the notification schema, parameterised.
//
// Sending holds no transaction open across SMTP. Each step is one statement, committed on its own:
// claim one pending email (pending -> sending, with a lease and a claim id; FOR UPDATE SKIP LOCKED,
// so two senders never take the same row), send it, then record the outcome under that claim id.
// A row left `sending` past its lease is marked unknown and never claimed again.
import type { Queryable } from '../runtime/db.js';
import type { EmailKind } from './email.js';
import type { AfterFailure, ContactKind, Notification, NotificationStatus, Recipient } from './notification.js';

import { cursorAt, isUuid, encodeCursor, decodeCursor, limitOf, type PageRequest, type Page } from '../runtime/paging.js';
export { DEFAULT_LIMIT, MAX_LIMIT, isUuid, type PageRequest, type Page } from '../runtime/paging.js';

const CURSOR_COLUMN = `${cursorAt('n.created_at')} AS cursor_at`;

// ---- contacts ----------------------------------------------------------------------------------

export interface ContactData {
  kind: ContactKind;
  id: string;
  email: string;
  name: string;
}

/**
 * Records a contact as an event of time `asOf` describes it. An event older than the one the
 * contact comes from (a late or reordered delivery) changes nothing.
 */
const upsertContact = async (tx: Queryable, contact: ContactData, asOf: Date, now: Date): Promise<void> => {
  await tx.query(
    `INSERT INTO notification.contacts AS c (kind, id, email, name, as_of, created_at, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6)
     ON CONFLICT (kind, id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, as_of = EXCLUDED.as_of, updated_at = EXCLUDED.updated_at
     WHERE c.as_of <= EXCLUDED.as_of`,
    [contact.kind, contact.id, contact.email, contact.name, asOf, now],
  );
};

const findContact = async (db: Queryable, kind: ContactKind, id: string): Promise<Recipient | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<{ email: string; name: string }>('SELECT email, name FROM notification.contacts WHERE kind = $1 AND id = $2', [kind, id]);
  const row = rows[0];
  return row && { kind, id, email: row.email, name: row.name };
};

export const contacts = {
  upsert: upsertContact,
  find: findContact,
};

// ---- notifications -----------------------------------------------------------------------------

type NotificationRow = {
  id: string;
  event_id: string;
  event_type: string;
  kind: EmailKind;
  about: string;
  recipient_kind: ContactKind;
  recipient_id: string;
  to_address: string;
  to_name: string;
  subject: string;
  text_body: string;
  html_body: string;
  status: NotificationStatus;
  attempts: number;
  next_attempt_at: Date | null;
  claim_id: string | null;
  claimed_until: Date | null;
  last_error: string | null;
  sent_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
};

const COLUMNS = `n.id, n.event_id, n.event_type, n.kind, n.about, n.recipient_kind, n.recipient_id, n.to_address,
  n.to_name, n.subject, n.text_body, n.html_body, n.status, n.attempts, n.next_attempt_at, n.claim_id, n.claimed_until,
  n.last_error, n.sent_at, n.version, n.created_at, n.updated_at`;

const inconsistent = (row: NotificationRow): Error => new Error(`notification ${row.id} is ${row.status} without its fields`);

const toNotification = (row: NotificationRow): Notification => {
  const fields = {
    id: row.id,
    eventId: row.event_id,
    eventType: row.event_type,
    kind: row.kind,
    about: row.about,
    recipient: { kind: row.recipient_kind, id: row.recipient_id, email: row.to_address, name: row.to_name },
    email: { subject: row.subject, text: row.text_body, html: row.html_body },
    attempts: row.attempts,
    lastError: row.last_error,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  switch (row.status) {
    case 'pending':
      if (!row.next_attempt_at) throw inconsistent(row);
      return { ...fields, status: 'pending', nextAttemptAt: row.next_attempt_at };
    case 'sending':
      if (!row.claim_id || !row.claimed_until) throw inconsistent(row);
      return { ...fields, status: 'sending', claimId: row.claim_id, claimedUntil: row.claimed_until };
    case 'sent':
      if (!row.sent_at) throw inconsistent(row);
      return { ...fields, status: 'sent', sentAt: row.sent_at };
    case 'failed':
    case 'not-sent':
    case 'unknown':
      return { ...fields, status: row.status };
    default: {
      const unknown: never = row.status;
      throw new Error(`notification ${row.id} has the unknown status ${String(unknown)}`);
    }
  }
};

/** The trace context of the span that recorded an email (W3C `traceparent`, `tracestate`). */
export interface RecordedTrace {
  traceparent?: string;
  tracestate?: string;
}

/** A notification claimed for sending, with the trace context that recorded it. */
export type ClaimedNotification = Notification & { recordedBy: RecordedTrace };

/**
 * Records a new notification unless its event already has one of its kind; whether it did.
 * `recordedBy` is the trace context of the span recording it, which its send continues.
 */
const insertNotification = async (tx: Queryable, n: Notification, recordedBy: RecordedTrace = {}): Promise<boolean> => {
  if (n.status !== 'pending') throw new Error(`a new notification is pending, not ${n.status}`);
  const { rowCount } = await tx.query(
    `INSERT INTO notification.notifications (id, event_id, event_type, kind, about, recipient_kind, recipient_id,
       to_address, to_name, subject, text_body, html_body, status, attempts, next_attempt_at, last_error, version,
       created_at, updated_at, traceparent, tracestate)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'pending', $13, $14, $15, $16, $17, $18, $19, $20)
     ON CONFLICT (event_id, kind) DO NOTHING`,
    [
      n.id,
      n.eventId,
      n.eventType,
      n.kind,
      n.about,
      n.recipient.kind,
      n.recipient.id,
      n.recipient.email,
      n.recipient.name,
      n.email.subject,
      n.email.text,
      n.email.html,
      n.attempts,
      n.nextAttemptAt,
      n.lastError,
      n.version,
      n.createdAt,
      n.updatedAt,
      recordedBy.traceparent ?? null,
      recordedBy.tracestate ?? null,
    ],
  );
  return rowCount === 1;
};

/** Whether Notification has handled the cancellation of the order (its tombstone). */
const isOrderCancelled = async (db: Queryable, orderId: string): Promise<boolean> => {
  const { rows } = await db.query<{ found: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM notification.notifications WHERE about = $1 AND kind = 'order-cancelled') AS found`,
    [orderId],
  );
  return rows[0]?.found === true;
};

export interface NotificationFilter {
  recipientId?: string;
  /** The recipient's address, in any case. */
  to?: string;
  status?: NotificationStatus;
}

/** Notifications, newest first. */
const listNotifications = async (db: Queryable, filter: NotificationFilter, page: PageRequest): Promise<Page<Notification>> => {
  const limit = limitOf(page);
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const params: unknown[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  const where: string[] = [];
  if (filter.recipientId !== undefined) where.push(`n.recipient_id = ${param(filter.recipientId)}`);
  if (filter.to !== undefined) where.push(`lower(n.to_address) = lower(${param(filter.to)})`);
  if (filter.status !== undefined) where.push(`n.status = ${param(filter.status)}`);
  if (after) where.push(`(n.created_at, n.id) < (${param(after.at)}::timestamptz, ${param(after.id)}::uuid)`);
  const { rows } = await db.query<NotificationRow & { cursor_at: string }>(
    `SELECT ${COLUMNS}, ${CURSOR_COLUMN} FROM notification.notifications n
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY n.created_at DESC, n.id DESC LIMIT ${param(limit + 1)}`,
    params,
  );
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(toNotification),
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
  };
};

const findNotification = async (db: Queryable, id: string): Promise<Notification | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<NotificationRow>(`SELECT ${COLUMNS} FROM notification.notifications n WHERE n.id = $1`, [id]);
  return rows[0] && toNotification(rows[0]);
};

/**
 * Claims the next email due (pending, its attempt time come), other than those in `tried`:
 * sending, leased to `claimId` for `leaseSeconds`, one more attempt counted. One statement,
 * committed before any SMTP.
 */
const claimNext = async (
  db: Queryable,
  claimId: string,
  now: Date,
  leaseSeconds: number,
  tried: readonly string[] = [],
): Promise<ClaimedNotification | undefined> => {
  const { rows } = await db.query<NotificationRow & { traceparent: string | null; tracestate: string | null }>(
    `UPDATE notification.notifications AS n
     SET status = 'sending', attempts = n.attempts + 1, claim_id = $1,
         claimed_until = $2::timestamptz + make_interval(secs => $3::double precision),
         next_attempt_at = NULL, version = n.version + 1, updated_at = $2
     WHERE n.id = (
       SELECT d.id FROM notification.notifications d
       WHERE d.status = 'pending' AND d.next_attempt_at <= $2 AND NOT (d.id = ANY($4::uuid[]))
       ORDER BY d.next_attempt_at, d.created_at, d.id
       LIMIT 1
       FOR UPDATE SKIP LOCKED)
     AND n.status = 'pending'
     RETURNING ${COLUMNS}, n.traceparent, n.tracestate`,
    [claimId, now, leaseSeconds, tried],
  );
  const row = rows[0];
  return row && { ...toNotification(row), recordedBy: { traceparent: row.traceparent ?? undefined, tracestate: row.tracestate ?? undefined } };
};

/** Records the claimed email as sent (also after its lease expired and it was marked unknown). */
const markSent = async (db: Queryable, id: string, claimId: string, now: Date): Promise<boolean> => {
  const { rowCount } = await db.query(
    `UPDATE notification.notifications
     SET status = 'sent', sent_at = $3, claimed_until = NULL, version = version + 1, updated_at = $3
     WHERE id = $1 AND claim_id = $2 AND status IN ('sending', 'unknown')`,
    [id, claimId, now],
  );
  return rowCount === 1;
};

/** Records what a failed attempt of the claimed email leaves. */
const markFailedAttempt = async (db: Queryable, id: string, claimId: string, after: AfterFailure, now: Date): Promise<boolean> => {
  const { rowCount } = await db.query(
    `UPDATE notification.notifications
     SET status = $3, next_attempt_at = $4, last_error = $5, claimed_until = NULL, version = version + 1, updated_at = $6
     WHERE id = $1 AND claim_id = $2 AND status IN ('sending', 'unknown')`,
    [id, claimId, after.status, after.status === 'pending' ? after.nextAttemptAt : null, after.lastError, now],
  );
  return rowCount === 1;
};

/** Emails still `sending` past their lease become unknown (never sent again); their ids. */
const markLeaseExpired = async (db: Queryable, now: Date, reason: string): Promise<string[]> => {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE notification.notifications
     SET status = 'unknown', claimed_until = NULL, last_error = $2, version = version + 1, updated_at = $1
     WHERE status = 'sending' AND claimed_until < $1
     RETURNING id`,
    [now, reason],
  );
  return rows.map((r) => r.id);
};

/** Every pending email becomes not-sent, with the reason; their ids. */
const markAllNotSent = async (db: Queryable, now: Date, reason: string): Promise<string[]> => {
  const { rows } = await db.query<{ id: string }>(
    `UPDATE notification.notifications
     SET status = 'not-sent', next_attempt_at = NULL, last_error = $2, version = version + 1, updated_at = $1
     WHERE status = 'pending'
     RETURNING id`,
    [now, reason],
  );
  return rows.map((r) => r.id);
};

export const notifications = {
  insert: insertNotification,
  find: findNotification,
  list: listNotifications,
  isOrderCancelled,
  claimNext,
  markSent,
  markFailedAttempt,
  markLeaseExpired,
  markAllNotSent,
};
