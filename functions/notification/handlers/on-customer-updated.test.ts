import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../runtime/testing.js';
import { confirmOrder, customerUpdate, givenCustomer, orderConfirmation, settled, startNotification, updateCustomer, useSmtpServer } from '../test-support.js';

const db = useTestDatabase(['notification']);
const smtp = useSmtpServer();
const api = startNotification([
  'notification/handlers/on-customer-registered',
  'notification/handlers/on-customer-updated',
  'notification/handlers/on-order-confirmed',
]);

const contactOf = async (customerId: string) =>
  (await db.query('SELECT email, name FROM notification.contacts WHERE kind = $1 AND id = $2', ['customer', customerId]))[0];

const secondsFromNow = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

describe('customer-updated', () => {
  it('changes the contact, and later emails go to it, under the new name; it sends nothing itself', async () => {
    const customer = await givenCustomer(api);
    await settled();
    const sentBefore = smtp.accepted.length;
    const newAddress = `ann.new.${randomUUID().slice(0, 8)}@example.test`;

    const response = await updateCustomer(api, customerUpdate(customer.customerId, { email: newAddress, name: 'Ann Jones' }), {
      time: secondsFromNow(1),
    });
    await settled();

    expect(response.status).toBe(204);
    expect(smtp.accepted).toHaveLength(sentBefore);
    expect(await contactOf(customer.customerId)).toEqual({ email: newAddress, name: 'Ann Jones' });
    await confirmOrder(api, orderConfirmation(customer.customerId));
    await settled();
    const [mail] = smtp.to(newAddress);
    expect(mail?.text).toMatch(/^Hello Ann Jones,/);
  });

  it('keeps what a later event said when an older one arrives late', async () => {
    const customer = await givenCustomer(api);

    await updateCustomer(api, customerUpdate(customer.customerId, { name: 'Newest' }), { time: secondsFromNow(20) });
    await updateCustomer(api, customerUpdate(customer.customerId, { name: 'Older' }), { time: secondsFromNow(10) });

    expect(await contactOf(customer.customerId)).toMatchObject({ name: 'Newest' });
  });

  it('makes a contact of a customer whose registration Notification has not seen', async () => {
    const customerId = randomUUID();

    expect((await updateCustomer(api, customerUpdate(customerId, { name: 'Bob' }))).status).toBe(204);

    expect(await contactOf(customerId)).toMatchObject({ name: 'Bob' });
  });
});
