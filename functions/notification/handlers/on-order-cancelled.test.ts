import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../runtime/testing.js';
import {
  cancelOrder,
  givenCustomer,
  messageIdOf,
  notificationOf,
  notificationsOf,
  orderCancellation,
  settled,
  startNotification,
  useSmtpServer,
} from '../test-support.js';

const db = useTestDatabase(['notification']);
const smtp = useSmtpServer();
const api = startNotification(['notification/handlers/on-customer-registered', 'notification/handlers/on-order-cancelled']);

describe('order-cancelled', () => {
  it('emails the customer that their order was cancelled, and why', async () => {
    const customer = await givenCustomer(api);
    const id = randomUUID();

    const response = await cancelOrder(
      api,
      orderCancellation(customer.customerId, { orderNumber: 'ORD-2026-000043', reason: 'payment not received in time' }),
      { id },
    );
    await settled();

    expect(response.status).toBe(204);
    const notification = await notificationOf(db, id);
    expect(notification).toMatchObject({ kind: 'order-cancelled', status: 'sent' });
    const [mail] = smtp.withMessageId(messageIdOf(notification.id));
    expect(mail?.envelopeTo).toEqual([customer.email]);
    expect(mail?.subject).toBe('Your order ORD-2026-000043 was cancelled');
    expect(mail?.text).toContain('Reason: payment not received in time');
    expect(mail?.html).toContain('payment not received in time');
  });

  it('escapes the reason in the HTML body', async () => {
    const customer = await givenCustomer(api);
    const id = randomUUID();

    await cancelOrder(api, orderCancellation(customer.customerId, { reason: '<b>out of stock</b> & more' }), { id });
    await settled();

    const [mail] = smtp.withMessageId(messageIdOf((await notificationOf(db, id)).id));
    expect(mail?.html).toContain('&lt;b&gt;out of stock&lt;/b&gt; &amp; more');
    expect(mail?.html).not.toContain('<b>out of stock</b>');
    expect(mail?.text).toContain('<b>out of stock</b> & more');
  });

  it('answers 404 while the customer is unknown, recording nothing', async () => {
    const id = randomUUID();

    expect((await cancelOrder(api, orderCancellation(randomUUID()), { id })).status).toBe(404);
    expect(await notificationsOf(db, id)).toEqual([]);
  });
});
