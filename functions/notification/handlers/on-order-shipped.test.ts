import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../runtime/testing.js';
import {
  givenCustomer,
  messageIdOf,
  notificationOf,
  notificationsOf,
  orderShipment,
  settled,
  shipOrder,
  startNotification,
  useSmtpServer,
} from '../test-support.js';

const db = useTestDatabase(['notification']);
const smtp = useSmtpServer();
const api = startNotification(['notification/handlers/on-customer-registered', 'notification/handlers/on-order-shipped']);

describe('order-shipped', () => {
  it('emails the customer that their order left, with the carrier and the tracking number', async () => {
    const customer = await givenCustomer(api);
    const id = randomUUID();

    const response = await shipOrder(
      api,
      orderShipment(customer.customerId, { orderNumber: 'ORD-2026-000044', carrier: 'Colissimo', trackingNumber: '6A12345678901' }),
      { id },
    );
    await settled();

    expect(response.status).toBe(204);
    const notification = await notificationOf(db, id);
    expect(notification).toMatchObject({ kind: 'order-shipped', status: 'sent', to_address: customer.email });
    const [mail] = smtp.withMessageId(messageIdOf(notification.id));
    expect(mail?.envelopeTo).toEqual([customer.email]);
    expect(mail?.subject).toBe('Your order ORD-2026-000044 is on its way');
    expect(mail?.text).toContain('Carrier: Colissimo');
    expect(mail?.text).toContain('Tracking number: 6A12345678901');
    expect(mail?.html).toContain('6A12345678901');
  });

  it('names the order by its id when the event carries no number', async () => {
    const customer = await givenCustomer(api);
    const shipment = orderShipment(customer.customerId);
    delete (shipment as Partial<typeof shipment>).orderNumber;
    const id = randomUUID();

    await shipOrder(api, shipment, { id });

    expect((await notificationOf(db, id)).subject).toBe(`Your order ${shipment.orderId} is on its way`);
  });

  it('answers 404 while the customer is unknown, recording nothing', async () => {
    const id = randomUUID();

    expect((await shipOrder(api, orderShipment(randomUUID()), { id })).status).toBe(404);
    expect(await notificationsOf(db, id)).toEqual([]);
  });
});
