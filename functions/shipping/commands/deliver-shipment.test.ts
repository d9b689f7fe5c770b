import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import {
  ALL,
  cancelOrder,
  deliverShipment,
  eventNamesOfOrder,
  eventsNamed,
  givenDispatched,
  givenShipment,
  orderCancellation,
  shipmentsOf,
  startShipping,
} from '../test-support.js';

const db = useTestDatabase(['shipping']);
const api = startShipping(ALL);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

/** The shipment is still as the dispatch left it: dispatched, version 2, no shipment-delivered. */
const expectStillDispatched = async (order: { orderId: string }) => {
  expect(await shipmentsOf(db, order.orderId)).toEqual([expect.objectContaining({ status: 'dispatched', version: 2 })]);
  expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created', 'shipment-dispatched']);
};

describe('POST /shipping/shipments/{id}/deliver', () => {
  it('marks a dispatched shipment delivered: 200 with the shipment, its ETag, and shipment-delivered', async () => {
    const { order, shipmentId } = await givenDispatched(api, admin);

    const response = await deliverShipment(api, admin, shipmentId);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: shipmentId,
      status: 'delivered',
      carrier: 'DHL',
      trackingNumber: 'JD014600006281230704',
      dispatchedAt: expect.any(String),
      deliveredAt: expect.any(String),
      cancelledAt: null,
      version: 3,
    });
    expect(response.body.history.map((h: { status: string }) => h.status)).toEqual(['preparing', 'dispatched', 'delivered']);
    expect(response.headers.get('etag')).toBe('"3"');
    expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created', 'shipment-dispatched', 'shipment-delivered']);
    const [delivered] = (await eventsNamed('shipment-delivered')).filter((e) => e.subject === shipmentId);
    expect(delivered?.data).toEqual({ shipmentId, orderId: order.orderId, customerId: order.customerId });
  });

  it('accepts an empty JSON object as the body too', async () => {
    const { shipmentId } = await givenDispatched(api, admin);

    const response = await api.request('POST', `/shipping/shipments/${shipmentId}/deliver`, { token: admin, body: {} });

    expect(response.status).toBe(200);
    expect(response.body.status).toBe('delivered');
  });

  it('answers 409 until the shipment is dispatched, and once it is delivered or cancelled; nothing changes', async () => {
    const preparing = await givenShipment(api);
    const cancelled = await givenShipment(api);
    await cancelOrder(api, orderCancellation(cancelled.order.orderId));
    const delivered = await givenDispatched(api, admin);
    expect((await deliverShipment(api, admin, delivered.shipmentId)).status).toBe(200);

    for (const [given, status, version, events] of [
      [preparing, 'preparing', 1, ['shipment-created']],
      [cancelled, 'cancelled', 2, ['shipment-created', 'shipment-cancelled']],
      [delivered, 'delivered', 3, ['shipment-created', 'shipment-dispatched', 'shipment-delivered']],
    ] as const) {
      const response = await deliverShipment(api, admin, given.shipmentId);
      expect(response.status, status).toBe(409);
      expect(response.body.detail).toMatch(new RegExp(`is ${status}; it cannot become delivered`));
      expect(await shipmentsOf(db, given.order.orderId)).toEqual([expect.objectContaining({ status, version })]);
      expect(await eventNamesOfOrder(given.order.orderId)).toEqual(events);
    }
  });

  it('answers 412 to a stale If-Match (the version before the dispatch), and changes nothing', async () => {
    const { order, shipmentId } = await givenDispatched(api, admin);

    const stale = await deliverShipment(api, admin, shipmentId, { 'if-match': '"1"' });

    expect(stale.status).toBe(412);
    await expectStillDispatched(order);
    expect((await deliverShipment(api, admin, shipmentId, { 'if-match': 'W/"2"' })).status).toBe(200);
  });

  it('answers 400 to an If-Match that names no version, and to a body that is not JSON; 422 to fields; nothing changes', async () => {
    const { order, shipmentId } = await givenDispatched(api, admin);
    const url = `/shipping/shipments/${shipmentId}/deliver`;

    expect((await deliverShipment(api, admin, shipmentId, { 'if-match': 'yesterday' })).status).toBe(400);
    expect((await api.request('POST', url, { token: admin, rawBody: '{', contentType: 'application/json' })).status).toBe(400);
    const withFields = await api.request('POST', url, { token: admin, body: { deliveredAt: '2026-01-01T00:00:00Z' } });
    expect(withFields.status).toBe(422);
    expect(withFields.body.errors).toEqual([{ pointer: '/deliveredAt', message: 'is not allowed' }]);
    await expectStillDispatched(order);
  });

  it('answers 404 to an unknown shipment', async () => {
    expect((await deliverShipment(api, admin, randomUUID())).status).toBe(404);
  });

  it('is for admins: 401 without a token, 403 for a customer, even the one it is for; nothing changes', async () => {
    const { order, shipmentId } = await givenDispatched(api, admin);

    expect((await api.request('POST', `/shipping/shipments/${shipmentId}/deliver`)).status).toBe(401);
    expect((await deliverShipment(api, await tokenFor('customer', order.customerId), shipmentId)).status).toBe(403);
    await expectStillDispatched(order);
  });
});
