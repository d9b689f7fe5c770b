import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import {
  changeInvoiceStatus,
  confirmOrder,
  givenClient,
  givenCustomer,
  invoiceStatusChange,
  notificationOf,
  orderConfirmation,
  settled,
  startNotification,
  useSmtpServer,
} from '../test-support.js';

const db = useTestDatabase(['notification']);
useSmtpServer();
const api = startNotification([
  'notification/queries/list-notifications',
  'notification/handlers/on-customer-registered',
  'notification/handlers/on-client-created',
  'notification/handlers/on-order-confirmed',
  'notification/handlers/on-invoice-status-changed',
]);

let admin: string;
let customer: { customerId: string; email: string };
let welcome: string;
let confirmed: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
  customer = await givenCustomer(api);
  const eventId = randomUUID();
  await confirmOrder(api, orderConfirmation(customer.customerId), { id: eventId });
  await settled();
  confirmed = (await notificationOf(db, eventId)).id;
  welcome = (
    await db.query<{ id: string }>(`SELECT id FROM notification.notifications WHERE recipient_id = $1 AND kind = 'welcome'`, [customer.customerId])
  )[0]!.id;
  // Someone else's emails.
  const other = await givenCustomer(api);
  await confirmOrder(api, orderConfirmation(other.customerId));
  const client = await givenClient(api);
  await changeInvoiceStatus(api, invoiceStatusChange(client.clientId));
  await settled();
});

describe('GET /notifications', () => {
  it("lists a recipient's emails, newest first, as JSON", async () => {
    const response = await api.request('GET', `/notifications?recipient=${customer.customerId}`, { token: admin });

    expect(response.status).toBe(200);
    expect(response.body.nextCursor).toBeNull();
    expect(response.body.items.map((n: { id: string }) => n.id)).toEqual([confirmed, welcome]);
    expect(response.body.items[0]).toEqual({
      id: confirmed,
      eventId: expect.any(String),
      eventType: 'com.gotuto.order.order-confirmed.v1',
      kind: 'order-confirmed',
      recipientId: customer.customerId,
      to: customer.email,
      subject: 'Your order ORD-2026-000042 is confirmed',
      status: 'sent',
      attempts: 1,
      sentAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      version: 3,
      createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      updatedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
    });
  });

  it('finds a recipient by email address, in any case', async () => {
    const response = await api.request('GET', `/notifications?recipient=${encodeURIComponent(customer.email.toUpperCase())}`, { token: admin });

    expect(response.status).toBe(200);
    expect(response.body.items.map((n: { id: string }) => n.id)).toEqual([confirmed, welcome]);
  });

  it('filters by status, and lists everyone’s without a recipient', async () => {
    await db.query(`UPDATE notification.notifications SET status = 'failed', sent_at = NULL, last_error = '550 no such mailbox' WHERE id = $1`, [welcome]);

    const failed = await api.request('GET', '/notifications?status=failed', { token: admin });
    const all = await api.request('GET', '/notifications', { token: admin });

    expect(failed.body.items).toEqual([expect.objectContaining({ id: welcome, status: 'failed', lastError: '550 no such mailbox' })]);
    expect(failed.body.items[0]).not.toHaveProperty('sentAt');
    expect(all.body.items.length).toBeGreaterThanOrEqual(5);
    await db.query(`UPDATE notification.notifications SET status = 'sent', sent_at = now(), last_error = NULL WHERE id = $1`, [welcome]);
  });

  it('pages with limit and an opaque cursor, each email once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/notifications?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await api.request('GET', query, { token: admin });
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((n: { id: string }) => n.id));
      cursor = page.body.nextCursor;
    } while (cursor);

    const all = await db.query<{ id: string }>('SELECT id FROM notification.notifications ORDER BY created_at DESC, id DESC');
    expect(seen).toEqual(all.map((r) => r.id));
  });

  it('refuses a recipient that is neither an id nor an address, and a cursor it did not make (422)', async () => {
    const recipient = await api.request('GET', '/notifications?recipient=somebody', { token: admin });
    const cursor = await api.request('GET', '/notifications?cursor=bm9wZQ', { token: admin });

    expect(recipient.status).toBe(422);
    expect(recipient.body.errors).toContainEqual(expect.objectContaining({ pointer: '/query/recipient' }));
    expect(cursor.status).toBe(422);
  });

  it('is for admins: 401 without a token, 403 for a customer', async () => {
    expect((await api.request('GET', '/notifications')).status).toBe(401);
    expect((await api.request('GET', '/notifications', { token: await tokenFor('customer', customer.customerId) })).status).toBe(403);
  });
});
