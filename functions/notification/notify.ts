// The two things Notification's handlers do: keep a contact as an event describes it, and record
// the email an event calls for, for the contact it goes to, once per event.
import { randomUUID } from 'node:crypto';
import type { ReceivedEvent } from '../../events/index.js';
import type { HandlerContext } from '../runtime/definition.js';
import { NotFound } from '../runtime/errors.js';
import { traceHeaders } from '../runtime/telemetry.js';
import { renderEmail, type EmailDetails } from './email.js';
import { createNotification, type ContactKind } from './notification.js';
import { sendAfterCommit } from './sender.js';
import { contacts, notifications, type ContactData } from './store.js';

/** The time an event happened (its `time`), which orders the contact data it carries. */
const eventTime = (event: ReceivedEvent<unknown>, now: Date): Date => {
  const time = new Date(event.time);
  return Number.isNaN(time.getTime()) ? now : time;
};

/** Keeps the contact as the event describes it, unless the contact comes from a later event. */
export const recordContact = async (event: ReceivedEvent<unknown>, contact: ContactData, ctx: HandlerContext): Promise<void> => {
  const now = ctx.now();
  await contacts.upsert(ctx.tx, contact, eventTime(event, now), now);
};

const SOURCE_EVENT: Record<ContactKind, string> = { customer: 'customer-registered', client: 'client-created' };

export interface EmailFor {
  recipient: { kind: ContactKind; id: string };
  /** The customer, order or invoice the email is about. */
  about: string;
  details: EmailDetails;
}

/**
 * Records the email the event calls for, for the recipient's contact, and has it sent once this
 * transaction has committed. A second email of this kind for this event is never recorded. A
 * recipient whose contact Notification does not know yet is NotFound: the broker delivers the
 * event again, by when the contact's own event has been handled.
 */
export const notify = async (event: ReceivedEvent<unknown>, { recipient, about, details }: EmailFor, ctx: HandlerContext): Promise<void> => {
  const contact = await contacts.find(ctx.tx, recipient.kind, recipient.id);
  if (!contact) {
    throw new NotFound(`no contact for ${recipient.kind} ${recipient.id} yet (its ${SOURCE_EVENT[recipient.kind]} is not handled yet)`);
  }
  const notification = createNotification(
    { eventId: event.id, eventType: event.type, kind: details.kind, about, recipient: contact, email: renderEmail(contact.name, details) },
    randomUUID(),
    ctx.now(),
  );
  // The span recording the email is the one its send continues, whichever sender run claims it.
  if (!(await notifications.insert(ctx.tx, notification, traceHeaders()))) {
    ctx.log.info('the event already has its email; nothing recorded', { eventId: event.id, kind: details.kind });
    return;
  }
  await sendAfterCommit(ctx.tx, ctx.log);
};

/**
 * Whether the order's emails are over: Notification has handled its cancellation (the tombstone),
 * so a late confirmation, shipment or invoice of it sends nothing.
 */
export const orderIsCancelled = async (orderId: string | undefined, ctx: HandlerContext): Promise<boolean> => {
  if (orderId === undefined || !(await notifications.isOrderCancelled(ctx.tx, orderId))) return false;
  ctx.log.info('the order was cancelled; no email about it any more', { orderId });
  return true;
};
