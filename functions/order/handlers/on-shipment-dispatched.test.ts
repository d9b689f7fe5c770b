import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFunctions, useTestDatabase } from '../../runtime/testing.js';
import { aCustomer, eventNamesAbout, eventsNamed, givenOrderAt, orderOf, orderRegistry, sagaEvents, useTestCatalog } from '../test-support.js';

useTestDatabase(['order']);
const shop = useTestCatalog();
const api = startFunctions(orderRegistry);
const saga = sagaEvents(api);

let customer: { id: string; token: string };
beforeAll(async () => {
  customer = await aCustomer();
});

describe('shipment-dispatched', () => {
  it('ships a processing order: order-shipped with carrier, tracking number and the lines, for Inventory', async () => {
    const { orderId, number, shipmentId } = await givenOrderAt(api, shop, customer, 'processing');

    const response = await saga.dispatched(orderId, shipmentId);

    expect(response.status).toBe(204);
    const shipped = (await eventsNamed('order-shipped')).filter((e) => e.subject === orderId);
    expect(shipped.map((e) => e.data)).toEqual([
      {
        orderId,
        orderNumber: number,
        customerId: customer.id,
        shipmentId,
        carrier: 'DHL',
        trackingNumber: 'JD014600006281',
        lines: [
          { productId: shop.espresso.id, quantity: 1 },
          { productId: shop.beans.id, quantity: 2 },
        ],
      },
    ]);
    expect(await orderOf(api, customer.token, orderId)).toMatchObject({
      status: 'shipped',
      shipment: { shipmentId, carrier: 'DHL', trackingNumber: 'JD014600006281' },
      saga: { step: 'in-transit' },
    });
  });

  it('answers 404 before the order is paid, and has no second effect for a duplicate', async () => {
    const { orderId, invoiceId, shipmentId } = await givenOrderAt(api, shop, customer, 'confirmed');
    const id = randomUUID();

    expect((await saga.dispatched(orderId, shipmentId, id)).status).toBe(404);
    await saga.invoiceStatusChanged(orderId, invoiceId, 'sent', 'paid');
    expect((await saga.dispatched(orderId, shipmentId, id)).status).toBe(204);
    expect((await saga.dispatched(orderId, shipmentId, id)).status).toBe(204);
    expect((await saga.dispatched(orderId, shipmentId)).status).toBe(204);

    expect((await eventNamesAbout(orderId)).filter((name) => name === 'order-shipped')).toHaveLength(1);
  });

  it('does nothing for a cancelled order', async () => {
    const { orderId, shipmentId } = await givenOrderAt(api, shop, customer, 'processing');
    await api.request('POST', `/orders/${orderId}/cancel`, { token: customer.token });

    expect((await saga.dispatched(orderId, shipmentId)).status).toBe(204);
    expect((await orderOf(api, customer.token, orderId)).status).toBe('cancelled');
  });
});

describe('shipment-delivered', () => {
  it('delivers a shipped order: order-delivered, and the saga is completed', async () => {
    const { orderId, number, shipmentId } = await givenOrderAt(api, shop, customer, 'shipped');

    const response = await saga.delivered(orderId, shipmentId);

    expect(response.status).toBe(204);
    const delivered = (await eventsNamed('order-delivered')).filter((e) => e.subject === orderId);
    expect(delivered.map((e) => e.data)).toEqual([{ orderId, orderNumber: number, customerId: customer.id, shipmentId }]);
    const order = await orderOf(api, customer.token, orderId);
    expect(order).toMatchObject({ status: 'delivered', saga: { step: 'completed' }, version: 7 });
    expect(order.history.map((h: { status: string }) => h.status)).toEqual(['pending', 'confirmed', 'processing', 'shipped', 'delivered']);
  });

  it('answers 404 before the dispatch is handled (reordered), then delivers when redelivered; duplicates do nothing', async () => {
    const { orderId, shipmentId } = await givenOrderAt(api, shop, customer, 'processing');
    const id = randomUUID();

    expect((await saga.delivered(orderId, shipmentId, id)).status).toBe(404);
    await saga.dispatched(orderId, shipmentId);
    expect((await saga.delivered(orderId, shipmentId, id)).status).toBe(204);
    expect((await saga.delivered(orderId, shipmentId)).status).toBe(204);

    expect(await eventNamesAbout(orderId)).toEqual(['order-placed', 'invoice-requested', 'order-confirmed', 'order-paid', 'order-shipped', 'order-delivered']);
  });
});
