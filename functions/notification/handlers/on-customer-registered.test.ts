import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { customerRegistered } from '../../../events/customer.js';
import { useTestDatabase } from '../../runtime/testing.js';
import {
  customerRegistration,
  messageIdOf,
  notificationOf,
  notificationsOf,
  registerCustomer,
  settled,
  startNotification,
  useSmtpServer,
} from '../test-support.js';

const db = useTestDatabase(['notification']);
const smtp = useSmtpServer();
const api = startNotification(['notification/handlers/on-customer-registered']);

describe('customer-registered', () => {
  it('records the contact and sends the welcome email to the new customer', async () => {
    const customer = customerRegistration({ name: 'Ann Smith' });
    const id = randomUUID();

    const response = await registerCustomer(api, customer, { id });
    await settled();

    expect(response.status).toBe(204);
    const notification = await notificationOf(db, id);
    expect(notification).toMatchObject({ kind: 'welcome', status: 'sent', attempts: 1, to_address: customer.email, last_error: null });
    const [mail, ...others] = smtp.withMessageId(messageIdOf(notification.id));
    expect(others).toEqual([]);
    expect(mail?.envelopeTo).toEqual([customer.email]);
    expect(mail?.headers.to).toBe(`Ann Smith <${customer.email}>`);
    expect(mail?.headers['x-gotuto-event-id']).toBe(id);
    expect(mail?.subject).toBe('Welcome to GoTuto, Ann Smith');
    expect(mail?.text).toContain(customer.email);
    expect(mail?.html).toContain('<p>Hello Ann Smith,</p>');
    expect(await db.query('SELECT kind, email, name FROM notification.contacts WHERE id = $1', [customer.customerId])).toEqual([
      { kind: 'customer', email: customer.email, name: 'Ann Smith' },
    ]);
  });

  it('sends one email when the same event (same id) comes again', async () => {
    const customer = customerRegistration();
    const id = randomUUID();

    for (let i = 0; i < 3; i++) expect((await registerCustomer(api, customer, { id })).status).toBe(204);
    await settled();

    expect(await notificationsOf(db, id)).toHaveLength(1);
    expect(smtp.to(customer.email)).toHaveLength(1);
  });

  it('treats the same content under two event ids as two events: one email each', async () => {
    const customer = customerRegistration();

    await registerCustomer(api, customer);
    await registerCustomer(api, customer);
    await settled();

    const mails = smtp.to(customer.email);
    expect(mails).toHaveLength(2);
    expect(new Set(mails.map((m) => m.messageId)).size).toBe(2);
  });

  it('records an admin account’s contact but sends it no welcome', async () => {
    const admin = customerRegistration({ role: 'admin' });
    const id = randomUUID();

    expect((await registerCustomer(api, admin, { id })).status).toBe(204);
    await settled();

    expect(await notificationsOf(db, id)).toEqual([]);
    expect(smtp.to(admin.email)).toEqual([]);
    expect(await db.query('SELECT email FROM notification.contacts WHERE id = $1', [admin.customerId])).toEqual([{ email: admin.email }]);
  });

  it('refuses invalid data for good with 422, keeping the event with the reason', async () => {
    const id = randomUUID();

    const response = await registerCustomer(api, customerRegistration({ email: 'not an email' }), { id });

    expect(response.status).toBe(422);
    expect(await db.query('SELECT type, reason FROM notification.rejected_events WHERE event_id = $1', [id])).toEqual([
      { type: customerRegistered.type, reason: expect.stringContaining('/email') },
    ]);
  });
});
