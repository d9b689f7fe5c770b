import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import {
  changeInvoiceStatus,
  confirmOrder,
  givenClient,
  givenCustomer,
  invoiceStatusChange,
  orderConfirmation,
  settled,
  startNotification,
  useSmtpServer,
} from '../test-support.js';

const db = useTestDatabase(['notification']);
useSmtpServer();
const api = startNotification([
  'notification/queries/list-my-notifications',
  'notification/handlers/on-customer-registered',
  'notification/handlers/on-client-created',
  'notification/handlers/on-order-confirmed',
  'notification/handlers/on-invoice-status-changed',
]);

let ann: { customerId: string; email: string };
let bob: { customerId: string; email: string };
beforeAll(async () => {
  ann = await givenCustomer(api);
  bob = await givenCustomer(api);
  // Ann's client carries her id, as Billing makes it.
  await givenClient(api, { clientId: ann.customerId, email: ann.email, name: 'Ann Smith' });
  await confirmOrder(api, orderConfirmation(ann.customerId));
  await changeInvoiceStatus(api, invoiceStatusChange(ann.customerId));
  await confirmOrder(api, orderConfirmation(bob.customerId));
  await settled();
});

describe('GET /notifications/me', () => {
  it("lists the caller's own emails, newest first, their invoices included, and nobody else's", async () => {
    const response = await api.request('GET', '/notifications/me', { token: await tokenFor('customer', ann.customerId) });

    expect(response.status).toBe(200);
    expect(response.body.items.map((n: { kind: string }) => n.kind)).toEqual(['invoice-sent', 'order-confirmed', 'welcome']);
    for (const item of response.body.items) expect(item).toMatchObject({ recipientId: ann.customerId, to: ann.email, status: 'sent' });
    expect(response.body.nextCursor).toBeNull();
  });

  it("never shows the SMTP server's error text to the customer", async () => {
    await db.query(
      `UPDATE notification.notifications SET status = 'failed', sent_at = NULL, last_error = 'connect ECONNREFUSED 10.0.0.5:25' WHERE recipient_id = $1`,
      [bob.customerId],
    );

    const response = await api.request('GET', '/notifications/me', { token: await tokenFor('customer', bob.customerId) });

    expect(response.body.items).toHaveLength(2);
    for (const item of response.body.items) {
      expect(item.status).toBe('failed');
      expect(item).not.toHaveProperty('lastError');
    }
  });

  it('pages with limit and cursor', async () => {
    const token = await tokenFor('customer', ann.customerId);

    const first = await api.request('GET', '/notifications/me?limit=2', { token });
    const second = await api.request('GET', `/notifications/me?limit=2&cursor=${first.body.nextCursor}`, { token });

    expect(first.body.items.map((n: { kind: string }) => n.kind)).toEqual(['invoice-sent', 'order-confirmed']);
    expect(second.body).toEqual({ items: [expect.objectContaining({ kind: 'welcome' })], nextCursor: null });
  });

  it('is empty for a customer who was never written to', async () => {
    const response = await api.request('GET', '/notifications/me', { token: await tokenFor('customer', randomUUID()) });

    expect(response.body).toEqual({ items: [], nextCursor: null });
  });

  it('is for customers: 401 without a token, 403 for an admin', async () => {
    expect((await api.request('GET', '/notifications/me')).status).toBe(401);
    expect((await api.request('GET', '/notifications/me', { token: await tokenFor('admin') })).status).toBe(403);
  });
});
