import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { invoiceRequested, orderCancelled } from '../../../events/order.js';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import {
  eur,
  eventNamesAbout,
  eventsNamed,
  givenClient,
  givenDraft,
  givenRegistered,
  invoiceRequest,
  orderCancellation,
  registration,
  rejectedBy,
  startBilling,
} from '../test-support.js';

const db = useTestDatabase(['billing']);
const api = startBilling([
  'billing/commands/create-client',
  'billing/commands/create-invoice',
  'billing/commands/cancel-invoice',
  'billing/commands/record-payment',
  'billing/queries/get-invoice',
  'billing/handlers/on-customer-registered',
  'billing/handlers/on-invoice-requested',
  'billing/handlers/on-order-cancelled',
]);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const HANDLER = 'billing/handlers/on-order-cancelled';
const cancelOrder = (data: Record<string, unknown>, id?: string) =>
  api.deliver(HANDLER, { type: orderCancelled.type, subject: String(data.orderId), data, ...(id ? { id } : {}) });
const invoicesOf = (orderId: string) =>
  db.query<{ id: string; status: string }>('SELECT id, status FROM billing.invoices WHERE order_id = $1 ORDER BY created_at', [orderId]);
const tombstoneOf = (orderId: string) => db.query<{ reason: string }>('SELECT reason FROM billing.cancelled_orders WHERE order_id = $1', [orderId]);
const invoiceOf = async (id: string) => (await api.request('GET', `/billing/invoices/${id}`, { token: admin })).body;

/** A registered customer and an order of theirs that Billing has invoiced (sent). */
const anInvoicedOrder = async () => {
  const customer = registration();
  await givenRegistered(api, customer);
  const order = invoiceRequest(customer.customerId);
  const response = await api.deliver('billing/handlers/on-invoice-requested', { type: invoiceRequested.type, subject: order.orderId, data: order });
  expect(response.status, response.text).toBe(204);
  const [invoice] = await invoicesOf(order.orderId);
  return { customer, order, invoiceId: invoice?.id as string };
};

describe('order-cancelled', () => {
  it("cancels the order's sent invoice with sent -> cancelled, and keeps the order's tombstone", async () => {
    const { customer, order, invoiceId } = await anInvoicedOrder();

    const response = await cancelOrder(orderCancellation(order.orderId, customer.customerId, { reason: 'out of stock' }));

    expect(response.status).toBe(204);
    expect(await invoiceOf(invoiceId)).toMatchObject({ status: 'cancelled', cancelledAt: expect.any(String), version: 3 });
    expect(await eventNamesAbout(invoiceId)).toEqual(['invoice-created', 'invoice-status-changed', 'invoice-status-changed']);
    const [, cancelled] = (await eventsNamed('invoice-status-changed')).filter((e) => e.subject === invoiceId);
    expect(cancelled?.data).toMatchObject({ invoiceId, orderId: order.orderId, from: 'sent', to: 'cancelled', total: eur(28_600) });
    expect(await tombstoneOf(order.orderId)).toEqual([{ reason: 'out of stock' }]);
  });

  it('cancels a draft an admin made for the order', async () => {
    const client = await givenClient(api, admin);
    const orderId = randomUUID();
    const draft = await givenDraft(api, admin, client.id, { orderId });

    expect((await cancelOrder(orderCancellation(orderId, randomUUID()))).status).toBe(204);

    expect(await invoiceOf(draft.id)).toMatchObject({ status: 'cancelled', number: null });
    expect(await eventNamesAbout(draft.id)).toEqual(['invoice-created', 'invoice-status-changed']);
  });

  it('refunds a paid invoice: payment-refunded with what was paid and the reason, then paid -> refunded', async () => {
    const { customer, order, invoiceId } = await anInvoicedOrder();
    const paid = await api.request('POST', `/billing/invoices/${invoiceId}/payments`, { token: admin, body: { amount: eur(28_600) } });
    expect(paid.body).toMatchObject({ status: 'paid' });

    const response = await cancelOrder(orderCancellation(order.orderId, customer.customerId, { reason: 'cancelled by an admin', cancelledBy: 'admin' }));

    expect(response.status).toBe(204);
    expect(await invoiceOf(invoiceId)).toMatchObject({ status: 'refunded', paidAmount: eur(28_600), refundedAt: expect.any(String) });
    expect((await eventNamesAbout(invoiceId)).slice(-2)).toEqual(['payment-refunded', 'invoice-status-changed']);
    const [refunded] = (await eventsNamed('payment-refunded')).filter((e) => e.subject === invoiceId);
    expect(refunded?.data).toEqual({
      invoiceId,
      clientId: customer.customerId,
      orderId: order.orderId,
      amount: eur(28_600),
      reason: 'cancelled by an admin',
    });
    const last = (await eventsNamed('invoice-status-changed')).filter((e) => e.subject === invoiceId).at(-1);
    expect(last?.data).toMatchObject({ from: 'paid', to: 'refunded', orderId: order.orderId });
  });

  it('has no second effect when the same event, or another cancellation of the order, comes again', async () => {
    const { customer, order, invoiceId } = await anInvoicedOrder();
    const id = randomUUID();
    await cancelOrder(orderCancellation(order.orderId, customer.customerId, { reason: 'first' }), id);
    const events = (await eventNamesAbout(invoiceId)).length;

    expect((await cancelOrder(orderCancellation(order.orderId, customer.customerId, { reason: 'first' }), id)).status).toBe(204);
    expect((await cancelOrder(orderCancellation(order.orderId, customer.customerId, { reason: 'second' }))).status).toBe(204);

    expect(await invoiceOf(invoiceId)).toMatchObject({ status: 'cancelled', version: 3 });
    expect(await eventNamesAbout(invoiceId)).toHaveLength(events);
    expect(await tombstoneOf(order.orderId)).toEqual([{ reason: 'first' }]);
  });

  it('leaves an invoice an admin already cancelled as it is', async () => {
    const { customer, order, invoiceId } = await anInvoicedOrder();
    expect((await api.request('POST', `/billing/invoices/${invoiceId}/cancel`, { token: admin })).status).toBe(200);
    const events = (await eventNamesAbout(invoiceId)).length;

    expect((await cancelOrder(orderCancellation(order.orderId, customer.customerId))).status).toBe(204);

    expect(await invoiceOf(invoiceId)).toMatchObject({ status: 'cancelled', version: 3 });
    expect(await eventNamesAbout(invoiceId)).toHaveLength(events);
  });

  it('keeps only the tombstone for an order without an invoice, and no invoice-requested invoices it afterwards', async () => {
    const customer = registration();
    await givenRegistered(api, customer);
    const order = invoiceRequest(customer.customerId);
    const before = (await eventsNamed('invoice-created')).length;

    expect((await cancelOrder(orderCancellation(order.orderId, customer.customerId, { reason: 'reservation failed' }))).status).toBe(204);
    expect(await tombstoneOf(order.orderId)).toEqual([{ reason: 'reservation failed' }]);

    const late = await api.deliver('billing/handlers/on-invoice-requested', { type: invoiceRequested.type, subject: order.orderId, data: order });
    expect(late.status).toBe(204);
    expect(await invoicesOf(order.orderId)).toEqual([]);
    expect(await eventsNamed('invoice-created')).toHaveLength(before);
  });

  it('never leaves a live invoice when the cancellation and the invoice request arrive at the same time', async () => {
    const customer = registration();
    await givenRegistered(api, customer);
    const orders = Array.from({ length: 3 }, () => invoiceRequest(customer.customerId));

    const responses = await Promise.all(
      orders.flatMap((order) => [
        api.deliver('billing/handlers/on-invoice-requested', { type: invoiceRequested.type, subject: order.orderId, data: order }),
        cancelOrder(orderCancellation(order.orderId, customer.customerId)),
      ]),
    );

    expect(responses.map((r) => r.status)).toEqual([204, 204, 204, 204, 204, 204]);
    for (const order of orders) {
      const statuses = (await invoicesOf(order.orderId)).map((i) => i.status);
      expect([[], ['cancelled']]).toContainEqual(statuses);
    }
  });

  it('refuses invalid data for good with 422 and keeps the event with the reason', async () => {
    const id = randomUUID();
    const orderId = randomUUID();

    const response = await cancelOrder({ orderId, customerId: randomUUID(), reason: '', completedSteps: ['teleported'] }, id);

    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/completedSteps/0', '/reason']);
    const rejected = (await rejectedBy(db, 'billing-on-order-cancelled')).filter((r) => r.event_id === id);
    expect(rejected).toEqual([{ event_id: id, type: orderCancelled.type, reason: expect.stringContaining('/reason') }]);
    expect(await tombstoneOf(orderId)).toEqual([]);
  });
});
