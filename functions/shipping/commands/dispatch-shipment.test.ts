import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import {
  ALL,
  cancelOrder,
  deliverShipment,
  dispatchShipment,
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

/** The shipment is still as order-paid made it: preparing, version 1, and only shipment-created. */
const expectUntouched = async (order: { orderId: string }) => {
  expect(await shipmentsOf(db, order.orderId)).toEqual([expect.objectContaining({ status: 'preparing', version: 1, carrier: null })]);
  expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created']);
};

describe('POST /shipping/shipments/{id}/dispatch', () => {
  it('hands a preparing shipment to the carrier: 200 with the shipment, its new version as ETag, and shipment-dispatched', async () => {
    const { order, shipmentId } = await givenShipment(api);

    const response = await dispatchShipment(api, admin, shipmentId, { carrier: ' DHL ', trackingNumber: 'JD014600006281230704' });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      id: shipmentId,
      orderId: order.orderId,
      status: 'dispatched',
      carrier: 'DHL',
      trackingNumber: 'JD014600006281230704',
      dispatchedAt: expect.any(String),
      deliveredAt: null,
      version: 2,
    });
    expect(response.body.history.map((h: { status: string }) => h.status)).toEqual(['preparing', 'dispatched']);
    expect(response.headers.get('etag')).toBe('"2"');
    expect((await api.request('GET', `/shipping/shipments/${shipmentId}`, { token: admin })).body).toEqual(response.body);
    const [dispatched] = (await eventsNamed('shipment-dispatched')).filter((e) => e.subject === shipmentId);
    expect(dispatched?.data).toEqual({
      shipmentId,
      orderId: order.orderId,
      customerId: order.customerId,
      carrier: 'DHL',
      trackingNumber: 'JD014600006281230704',
    });
    expect(dispatched).toMatchObject({ partitionkey: shipmentId, correlationid: expect.any(String) });
  });

  it('answers 409 to a shipment that is not being prepared (dispatched, delivered, cancelled), and changes nothing', async () => {
    const dispatched = await givenDispatched(api, admin);
    const delivered = await givenDispatched(api, admin);
    await deliverShipment(api, admin, delivered.shipmentId);
    const cancelled = await givenShipment(api);
    await cancelOrder(api, orderCancellation(cancelled.order.orderId));

    for (const [given, status, version] of [
      [dispatched, 'dispatched', 2],
      [delivered, 'delivered', 3],
      [cancelled, 'cancelled', 2],
    ] as const) {
      const response = await dispatchShipment(api, admin, given.shipmentId, { carrier: 'UPS', trackingNumber: '1Z999' });
      expect(response.status, status).toBe(409);
      expect(response.body.detail).toMatch(new RegExp(`is ${status}; it cannot become dispatched`));
      expect(await shipmentsOf(db, given.order.orderId)).toEqual([expect.objectContaining({ status, version })]);
    }
    expect((await eventsNamed('shipment-dispatched')).filter((e) => e.data.carrier === 'UPS')).toEqual([]);
  });

  it('takes If-Match: a stale version is 412 and changes nothing, the current one is applied', async () => {
    const { order, shipmentId } = await givenShipment(api);

    const stale = await dispatchShipment(api, admin, shipmentId, undefined, { 'if-match': '"7"' });
    expect(stale.status).toBe(412);
    expect(stale.body.detail).toBe('the current version is 1, not 7');
    await expectUntouched(order);

    const current = await dispatchShipment(api, admin, shipmentId, undefined, { 'if-match': '"1"' });
    expect(current.status).toBe(200);
  });

  it('honours Idempotency-Key: a retried dispatch is answered again, not refused nor emitted twice', async () => {
    const { order, shipmentId } = await givenShipment(api);
    const key = { 'idempotency-key': randomUUID() };

    const first = await dispatchShipment(api, admin, shipmentId, undefined, key);
    const again = await dispatchShipment(api, admin, shipmentId, undefined, key);

    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created', 'shipment-dispatched']);
  });

  it('answers 422 to a body that fails the schema, naming the fields, and changes nothing', async () => {
    const { order, shipmentId } = await givenShipment(api);

    for (const [body, pointer] of [
      [{}, '/carrier'],
      [{ carrier: 'DHL' }, '/trackingNumber'],
      [{ carrier: '', trackingNumber: 'X1' }, '/carrier'],
      [{ carrier: '   ', trackingNumber: 'X1' }, '/carrier'],
      [{ carrier: 'DHL\u0000', trackingNumber: 'X1' }, '/carrier'],
      [{ carrier: 'DHL', trackingNumber: 'JD01\n4600' }, '/trackingNumber'],
      [{ carrier: 'DHL', trackingNumber: 42 }, '/trackingNumber'],
      [{ carrier: 'DHL', trackingNumber: 'X'.repeat(101) }, '/trackingNumber'],
      [{ carrier: 'DHL', trackingNumber: 'X1', status: 'delivered' }, '/status'],
    ] as const) {
      const response = await dispatchShipment(api, admin, shipmentId, body);
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect(response.body.errors.map((e: { pointer: string }) => e.pointer).join(' '), JSON.stringify(body)).toContain(pointer);
    }
    await expectUntouched(order);
  });

  it('answers 400 to a body that is not JSON, 415 to one that is not declared JSON, and changes nothing', async () => {
    const { order, shipmentId } = await givenShipment(api);
    const url = `/shipping/shipments/${shipmentId}/dispatch`;

    const malformed = await api.request('POST', url, { token: admin, rawBody: '{"carrier": "DHL",', contentType: 'application/json' });
    const form = 'application/x-www-form-urlencoded';
    const notJson = await api.request('POST', url, { token: admin, rawBody: 'carrier=DHL&trackingNumber=X1', contentType: form });

    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(notJson.status).toBe(415);
    await expectUntouched(order);
  });

  it('answers 404 to an unknown shipment and to an id that is not a UUID', async () => {
    expect((await dispatchShipment(api, admin, randomUUID())).status).toBe(404);
    expect((await dispatchShipment(api, admin, 'not-a-uuid')).status).toBe(404);
  });

  it('is for admins: 401 without a token, 403 for a customer, and nothing changes', async () => {
    const { order, shipmentId } = await givenShipment(api);
    const customer = await tokenFor('customer', order.customerId);

    const anonymous = await api.request('POST', `/shipping/shipments/${shipmentId}/dispatch`, { body: { carrier: 'DHL', trackingNumber: 'X1' } });
    const asCustomer = await dispatchShipment(api, customer, shipmentId);

    expect(anonymous.status).toBe(401);
    expect(asCustomer.status).toBe(403);
    await expectUntouched(order);
  });
});
