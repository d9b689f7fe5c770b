import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFunctions, useTestDatabase } from '../../runtime/testing.js';
import {
  aCustomer,
  address,
  eur,
  eventNamesAbout,
  eventsNamed,
  givenOrder,
  givenOrderAt,
  orderOf,
  orderRegistry,
  sagaEvents,
  useTestCatalog,
} from '../test-support.js';

useTestDatabase(['order']);
const shop = useTestCatalog();
const api = startFunctions(orderRegistry);
const saga = sagaEvents(api);

let customer: { id: string; token: string };
beforeAll(async () => {
  customer = await aCustomer();
});

describe('invoice-status-changed', () => {
  it('makes a confirmed order processing when its invoice is paid: order-paid with lines and shipping address, for Shipping', async () => {
    const { orderId, number, invoiceId } = await givenOrderAt(api, shop, customer, 'confirmed');

    const response = await saga.invoiceStatusChanged(orderId, invoiceId, 'sent', 'paid');

    expect(response.status).toBe(204);
    const paid = (await eventsNamed('order-paid')).filter((e) => e.subject === orderId);
    expect(paid.map((e) => e.data)).toEqual([
      {
        orderId,
        orderNumber: number,
        customerId: customer.id,
        invoiceId,
        total: eur(28_600),
        lines: [
          { productId: shop.espresso.id, name: 'Espresso machine', quantity: 1, unitPrice: eur(24_900) },
          { productId: shop.beans.id, name: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850) },
        ],
        shippingAddress: address,
      },
    ]);
    expect(await orderOf(api, customer.token, orderId)).toMatchObject({
      status: 'processing',
      saga: { step: 'awaiting-shipment' },
      history: [{ status: 'pending' }, { status: 'confirmed' }, { status: 'processing' }],
    });
  });

  it('does nothing for any other change, for an invoice of no order, or for another invoice of the order', async () => {
    const { orderId, invoiceId } = await givenOrderAt(api, shop, customer, 'confirmed');

    for (const [from, to] of [
      ['draft', 'sent'],
      ['sent', 'overdue'],
      ['sent', 'cancelled'],
    ] as const) {
      expect((await saga.invoiceStatusChanged(orderId, invoiceId, from, to)).status).toBe(204);
    }
    expect((await saga.invoiceStatusChanged(undefined, invoiceId, 'sent', 'paid')).status).toBe(204);
    expect((await saga.invoiceStatusChanged(orderId, randomUUID(), 'sent', 'paid')).status).toBe(204);

    expect((await orderOf(api, customer.token, orderId)).status).toBe('confirmed');
    expect(await eventNamesAbout(orderId)).not.toContain('order-paid');
  });

  it('answers 404 to a payment before the order is confirmed, then applies it when redelivered', async () => {
    const { orderId } = await givenOrder(api, shop, customer);
    const invoiceId = randomUUID();
    const id = randomUUID();

    expect((await saga.invoiceStatusChanged(orderId, invoiceId, 'sent', 'paid', id)).status).toBe(404);
    await saga.stockReserved(orderId);
    expect((await saga.invoiceStatusChanged(orderId, invoiceId, 'sent', 'paid', id)).status).toBe(404);
    await saga.invoiceCreated(orderId, invoiceId);

    expect((await saga.invoiceStatusChanged(orderId, invoiceId, 'sent', 'paid', id)).status).toBe(204);
    expect((await orderOf(api, customer.token, orderId)).status).toBe('processing');
  });

  it('has no second effect for a duplicate; a late payment of a cancelled order does nothing', async () => {
    const { orderId, invoiceId } = await givenOrderAt(api, shop, customer, 'processing');
    expect((await saga.invoiceStatusChanged(orderId, invoiceId, 'overdue', 'paid')).status).toBe(204);
    expect(await eventNamesAbout(orderId)).toEqual(['order-placed', 'invoice-requested', 'order-confirmed', 'order-paid']);

    const other = await givenOrderAt(api, shop, customer, 'confirmed');
    await api.request('POST', `/orders/${other.orderId}/cancel`, { token: customer.token });
    expect((await saga.invoiceStatusChanged(other.orderId, other.invoiceId, 'sent', 'paid')).status).toBe(204);
    expect((await orderOf(api, customer.token, other.orderId)).status).toBe('cancelled');
  });
});
