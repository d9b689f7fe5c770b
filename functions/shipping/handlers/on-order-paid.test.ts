import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { orderPaid } from '../../../events/order.js';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { address, deliverUntilDone, eventNamesOfOrder, eventsNamed, orderPayment, payOrder, rejectedBy, shipmentsOf, startShipping } from '../test-support.js';

const db = useTestDatabase(['shipping']);
const api = startShipping(['shipping/queries/get-shipment', 'shipping/handlers/on-order-paid']);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

describe('order-paid', () => {
  it('prepares a shipment of the order, with shipment-created naming what to ship and where', async () => {
    const order = orderPayment();

    const response = await payOrder(api, order);

    expect(response.status).toBe(204);
    const [row] = await shipmentsOf(db, order.orderId);
    expect(row).toMatchObject({ status: 'preparing', version: 1 });
    const shipment = await api.request('GET', `/shipping/shipments/${row?.id}`, { token: admin });
    expect(shipment.status).toBe(200);
    expect(shipment.body).toEqual({
      id: row?.id,
      orderId: order.orderId,
      orderNumber: 'ORD-2026-000042',
      customerId: order.customerId,
      status: 'preparing',
      lines: order.lines.map(({ productId, name, quantity }) => ({ productId, name, quantity })),
      shippingAddress: address,
      carrier: null,
      trackingNumber: null,
      dispatchedAt: null,
      deliveredAt: null,
      cancelledAt: null,
      history: [{ status: 'preparing', at: shipment.body.createdAt }],
      version: 1,
      createdAt: expect.any(String),
      updatedAt: shipment.body.createdAt,
    });
    const [created] = (await eventsNamed('shipment-created')).filter((e) => e.data.orderId === order.orderId);
    expect(created).toMatchObject({ subject: row?.id, partitionkey: row?.id, source: '/gotuto/shipping' });
    expect(created?.data).toEqual({
      shipmentId: row?.id,
      orderId: order.orderId,
      customerId: order.customerId,
      lines: order.lines.map(({ productId, quantity }) => ({ productId, quantity })),
      shippingAddress: address,
    });
  });

  it('makes one shipment however often order-paid arrives: the same event again, or under other event ids', async () => {
    const order = orderPayment();
    const id = randomUUID();

    for (const eventId of [id, id, randomUUID(), randomUUID()]) {
      expect((await payOrder(api, order, eventId)).status).toBe(204);
    }

    expect(await shipmentsOf(db, order.orderId)).toHaveLength(1);
    expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created']);
  });

  it('makes one shipment when order-paid is delivered many times at once', async () => {
    const order = orderPayment();

    const results = await Promise.all(Array.from({ length: 5 }, () => deliverUntilDone(() => payOrder(api, order))));

    expect(results.map((r) => r.response.status)).toEqual([204, 204, 204, 204, 204]);
    expect(await shipmentsOf(db, order.orderId)).toHaveLength(1);
    expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created']);
  });

  it('refuses invalid data for good with 422, keeps the event with the reason, and ships nothing', async () => {
    const id = randomUUID();
    const order = orderPayment({ shippingAddress: { ...address, country: 'France' } });

    const response = await payOrder(api, order, id);

    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/shippingAddress/country']);
    const rejected = (await rejectedBy(db, 'shipping-on-order-paid')).filter((r) => r.event_id === id);
    expect(rejected).toEqual([{ event_id: id, type: orderPaid.type, reason: expect.stringContaining('/shippingAddress/country') }]);
    expect(await shipmentsOf(db, order.orderId)).toEqual([]);
  });

  it('refuses an order without lines for good (422): there is nothing to ship', async () => {
    const id = randomUUID();
    const order = orderPayment({ lines: [] });

    const response = await payOrder(api, order, id);

    expect(response.status).toBe(422);
    expect((await rejectedBy(db, 'shipping-on-order-paid')).map((r) => r.event_id)).toContain(id);
    expect(await shipmentsOf(db, order.orderId)).toEqual([]);
    expect(await eventNamesOfOrder(order.orderId)).toEqual([]);
  });
});
