import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../runtime/testing.js';
import {
  deliverOrder,
  givenCustomer,
  messageIdOf,
  notificationOf,
  notificationsOf,
  orderDelivery,
  settled,
  startNotification,
  useSmtpServer,
} from '../test-support.js';

const db = useTestDatabase(['notification']);
const smtp = useSmtpServer();
const api = startNotification(['notification/handlers/on-customer-registered', 'notification/handlers/on-order-delivered']);

describe('order-delivered', () => {
  it('emails the customer that their order was delivered', async () => {
    const customer = await givenCustomer(api);
    const id = randomUUID();

    const response = await deliverOrder(api, orderDelivery(customer.customerId, { orderNumber: 'ORD-2026-000045' }), { id });
    await settled();

    expect(response.status).toBe(204);
    const notification = await notificationOf(db, id);
    expect(notification).toMatchObject({ kind: 'order-delivered', status: 'sent' });
    const [mail] = smtp.withMessageId(messageIdOf(notification.id));
    expect(mail?.envelopeTo).toEqual([customer.email]);
    expect(mail?.subject).toBe('Your order ORD-2026-000045 was delivered');
    expect(mail?.text).toContain('Order: ORD-2026-000045');
  });

  it('sends one email however often the same event comes', async () => {
    const customer = await givenCustomer(api);
    const id = randomUUID();
    const delivery = orderDelivery(customer.customerId);

    await Promise.all([1, 2, 3].map(() => deliverOrder(api, delivery, { id })));
    await settled();

    expect(await notificationsOf(db, id)).toHaveLength(1);
    expect(smtp.to(customer.email).filter((m) => m.subject.includes('was delivered'))).toHaveLength(1);
  });

  it('answers 404 while the customer is unknown, recording nothing', async () => {
    const id = randomUUID();

    expect((await deliverOrder(api, orderDelivery(randomUUID()), { id })).status).toBe(404);
    expect(await notificationsOf(db, id)).toEqual([]);
  });
});
