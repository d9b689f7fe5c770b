import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFunctions, useTestDatabase } from '../../runtime/testing.js';
import { aCustomer, eur, eventNamesAbout, eventsNamed, givenOrder, orderOf, orderRegistry, sagaEvents, streamOf, useTestCatalog } from '../test-support.js';

const db = useTestDatabase(['order']);
const shop = useTestCatalog();
const api = startFunctions(orderRegistry);
const saga = sagaEvents(api);

let customer: { id: string; token: string };
beforeAll(async () => {
  customer = await aCustomer();
});

describe('invoice-created', () => {
  it('confirms the order with its invoice: order-confirmed, and the saga waits for the payment, without a deadline', async () => {
    const { orderId, number } = await givenOrder(api, shop, customer);
    await saga.stockReserved(orderId);
    const invoiceId = randomUUID();

    const response = await saga.invoiceCreated(orderId, invoiceId);

    expect(response.status).toBe(204);
    const confirmed = (await eventsNamed('order-confirmed')).filter((e) => e.subject === orderId);
    expect(confirmed.map((e) => e.data)).toEqual([
      { orderId, orderNumber: number, customerId: customer.id, invoiceId, invoiceNumber: null, total: eur(28_600) },
    ]);
    const order = await orderOf(api, customer.token, orderId);
    expect(order).toMatchObject({
      status: 'confirmed',
      invoiceId,
      saga: { step: 'awaiting-payment', completedSteps: ['placed', 'stock-reserved', 'invoice-requested', 'invoiced'] },
      history: [{ status: 'pending' }, { status: 'confirmed', at: expect.any(String) }],
    });
    expect(order.saga).not.toHaveProperty('deadline');
  });

  it('answers 404 while the stock reservation is not handled yet, and confirms when redelivered after it', async () => {
    const { orderId } = await givenOrder(api, shop, customer);
    const invoiceId = randomUUID();
    const id = randomUUID();

    // Reordered: the invoice arrives before Order has handled stock-reserved.
    const early = await saga.invoiceCreated(orderId, invoiceId, { id });
    expect(early.status).toBe(404);
    expect(early.body.detail).toMatch(/reserving-stock/);
    expect((await orderOf(api, customer.token, orderId)).status).toBe('pending');

    expect((await saga.stockReserved(orderId)).status).toBe(204);
    const retried = await saga.invoiceCreated(orderId, invoiceId, { id });
    expect(retried.status).toBe(204);
    expect((await orderOf(api, customer.token, orderId)).status).toBe('confirmed');
    expect(await streamOf(db, orderId)).toEqual(['order-placed', 'stock-reserved', 'invoice-requested', 'order-confirmed']);
  });

  it('has no second effect for a duplicate, and ignores invoices of no order', async () => {
    const { orderId } = await givenOrder(api, shop, customer);
    await saga.stockReserved(orderId);
    const invoiceId = randomUUID();
    const id = randomUUID();
    await saga.invoiceCreated(orderId, invoiceId, { id });

    expect((await saga.invoiceCreated(orderId, invoiceId, { id })).status).toBe(204);
    expect((await saga.invoiceCreated(orderId, invoiceId)).status).toBe(204);
    // An admin's second invoice for the order does not replace the order's invoice.
    expect((await saga.invoiceCreated(orderId, randomUUID())).status).toBe(204);
    expect((await saga.invoiceCreated(undefined, randomUUID())).status).toBe(204);

    expect(await eventNamesAbout(orderId)).toEqual(['order-placed', 'invoice-requested', 'order-confirmed']);
    expect(await orderOf(api, customer.token, orderId)).toMatchObject({ invoiceId, version: 4 });
  });

  it('does nothing for an order cancelled in the meantime (Billing cancels the invoice on order-cancelled)', async () => {
    const { orderId } = await givenOrder(api, shop, customer);
    await saga.stockReserved(orderId);
    expect((await api.request('POST', `/orders/${orderId}/cancel`, { token: customer.token })).status).toBe(200);

    expect((await saga.invoiceCreated(orderId, randomUUID())).status).toBe(204);

    expect(await orderOf(api, customer.token, orderId)).toMatchObject({ status: 'cancelled' });
    expect(await eventNamesAbout(orderId)).toEqual(['order-placed', 'invoice-requested', 'order-cancelled']);
  });
});
