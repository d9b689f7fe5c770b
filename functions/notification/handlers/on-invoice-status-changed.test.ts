import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../runtime/testing.js';
import {
  cancelOrder,
  changeInvoiceStatus,
  eur,
  givenClient,
  givenCustomer,
  invoiceStatusChange,
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
const api = startNotification([
  'notification/handlers/on-customer-registered',
  'notification/handlers/on-client-created',
  'notification/handlers/on-order-cancelled',
  'notification/handlers/on-invoice-status-changed',
]);

describe('invoice-status-changed', () => {
  it("emails a sent invoice to the client's contact: its number, amount and due date", async () => {
    const client = await givenClient(api, { name: 'Acme Ltd' });
    const id = randomUUID();

    const response = await changeInvoiceStatus(
      api,
      invoiceStatusChange(client.clientId, { number: 'INV-2026-000123', total: eur(12_345), dueDate: '2026-12-31' }),
      { id },
    );
    await settled();

    expect(response.status).toBe(204);
    const notification = await notificationOf(db, id);
    expect(notification).toMatchObject({ kind: 'invoice-sent', status: 'sent', to_address: client.email });
    const [mail] = smtp.withMessageId(messageIdOf(notification.id));
    expect(mail?.envelopeTo).toEqual([client.email]);
    expect(mail?.subject).toBe('Invoice INV-2026-000123 from GoTuto');
    for (const part of [mail?.text, mail?.html]) {
      expect(part).toContain('INV-2026-000123');
      expect(part).toContain('123.45 EUR');
      expect(part).toContain('2026-12-31');
    }
    expect(mail?.text).toMatch(/^Hello Acme Ltd,/);
  });

  it('emails a reminder when the invoice becomes overdue, with what is outstanding', async () => {
    const client = await givenClient(api);
    const id = randomUUID();

    await changeInvoiceStatus(
      api,
      invoiceStatusChange(client.clientId, { number: 'INV-2026-000124', from: 'sent', to: 'overdue', total: eur(10_000), paidAmount: eur(2_500) }),
      { id },
    );
    await settled();

    const notification = await notificationOf(db, id);
    expect(notification).toMatchObject({ kind: 'invoice-overdue', status: 'sent' });
    const [mail] = smtp.withMessageId(messageIdOf(notification.id));
    expect(mail?.subject).toBe('Invoice INV-2026-000124 is overdue');
    expect(mail?.text).toContain('Amount: 100.00 EUR');
    expect(mail?.text).toContain('Outstanding: 75.00 EUR');
  });

  it("goes to the customer's own client: a client Billing made with the customer's id", async () => {
    const customer = await givenCustomer(api);
    const client = await givenClient(api, { clientId: customer.customerId, email: customer.email, name: 'Ann Smith' });
    const id = randomUUID();

    await changeInvoiceStatus(api, invoiceStatusChange(client.clientId), { id });

    expect((await notificationOf(db, id)).to_address).toBe(customer.email);
  });

  it.each(['paid', 'cancelled', 'refunded'])('sends nothing when the invoice becomes %s', async (to) => {
    const client = await givenClient(api);
    const id = randomUUID();

    expect((await changeInvoiceStatus(api, invoiceStatusChange(client.clientId, { from: 'sent', to }), { id })).status).toBe(204);

    expect(await notificationsOf(db, id)).toEqual([]);
  });

  it('sends nothing about the invoice of an order whose cancellation it has handled', async () => {
    const customer = await givenCustomer(api);
    const client = await givenClient(api);
    const cancellation = orderCancellation(customer.customerId);
    await cancelOrder(api, cancellation);
    const id = randomUUID();

    await changeInvoiceStatus(api, invoiceStatusChange(client.clientId, { orderId: cancellation.orderId }), { id });

    expect(await notificationsOf(db, id)).toEqual([]);
  });

  it("answers 404 (retried) while the client's contact is unknown, recording nothing", async () => {
    const id = randomUUID();

    expect((await changeInvoiceStatus(api, invoiceStatusChange(randomUUID()), { id })).status).toBe(404);
    expect(await notificationsOf(db, id)).toEqual([]);
  });
});
