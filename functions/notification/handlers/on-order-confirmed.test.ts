import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../runtime/testing.js';
import {
  cancelOrder,
  confirmOrder,
  customerRegistration,
  eur,
  givenCustomer,
  messageIdOf,
  notificationOf,
  notificationsOf,
  orderCancellation,
  orderConfirmation,
  registerCustomer,
  settled,
  startNotification,
  useSmtpServer,
} from '../test-support.js';

const db = useTestDatabase(['notification']);
const smtp = useSmtpServer();
const api = startNotification([
  'notification/handlers/on-customer-registered',
  'notification/handlers/on-order-confirmed',
  'notification/handlers/on-order-cancelled',
]);

describe('order-confirmed', () => {
  it('emails the customer their confirmed order: number, total and invoice', async () => {
    const customer = await givenCustomer(api, { name: 'Ann Smith' });
    const id = randomUUID();

    const response = await confirmOrder(api, orderConfirmation(customer.customerId, { orderNumber: 'ORD-2026-000042', total: eur(4_990) }), { id });
    await settled();

    expect(response.status).toBe(204);
    const notification = await notificationOf(db, id);
    expect(notification).toMatchObject({ kind: 'order-confirmed', status: 'sent', to_address: customer.email });
    const [mail] = smtp.withMessageId(messageIdOf(notification.id));
    expect(mail?.envelopeTo).toEqual([customer.email]);
    expect(mail?.subject).toBe('Your order ORD-2026-000042 is confirmed');
    for (const part of [mail?.text, mail?.html]) {
      expect(part).toContain('ORD-2026-000042');
      expect(part).toContain('49.90 EUR');
      expect(part).toContain('INV-2026-000017');
    }
  });

  it('answers 404 (retried by the broker) while the customer’s contact is unknown, then sends once it is known', async () => {
    const customer = customerRegistration();
    const id = randomUUID();
    const confirmation = orderConfirmation(customer.customerId);

    const early = await confirmOrder(api, confirmation, { id });

    expect(early.status).toBe(404);
    expect(await notificationsOf(db, id)).toEqual([]);

    await registerCustomer(api, customer);
    const retried = await confirmOrder(api, confirmation, { id });
    await settled();

    expect(retried.status).toBe(204);
    expect((await notificationOf(db, id)).status).toBe('sent');
    expect(smtp.to(customer.email).filter((m) => m.subject.includes('is confirmed'))).toHaveLength(1);
  });

  it('sends nothing about an order whose cancellation it has handled (a late confirmation)', async () => {
    const customer = await givenCustomer(api);
    const cancellation = orderCancellation(customer.customerId);
    await cancelOrder(api, cancellation);
    const id = randomUUID();

    const response = await confirmOrder(api, orderConfirmation(customer.customerId, { orderId: cancellation.orderId }), { id });
    await settled();

    expect(response.status).toBe(204);
    expect(await notificationsOf(db, id)).toEqual([]);
    expect(smtp.to(customer.email).map((m) => m.subject)).not.toContainEqual(expect.stringContaining('is confirmed'));
  });
});
