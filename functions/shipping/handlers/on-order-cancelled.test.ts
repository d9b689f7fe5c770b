import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { orderCancelled } from '../../../events/order.js';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import {
  ALL,
  cancelOrder,
  deliverShipment,
  deliverUntilDone,
  dispatchShipment,
  eventNamesOfOrder,
  eventsNamed,
  givenDispatched,
  givenShipment,
  orderCancellation,
  orderPayment,
  payOrder,
  rejectedBy,
  shipmentsOf,
  startShipping,
} from '../test-support.js';

const db = useTestDatabase(['shipping']);
const api = startShipping(ALL);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const tombstoneOf = (orderId: string) => db.query<{ reason: string }>('SELECT reason FROM shipping.cancelled_orders WHERE order_id = $1', [orderId]);

describe('order-cancelled', () => {
  it('cancels a shipment being prepared, with the reason, and shipment-cancelled', async () => {
    const { order, shipmentId } = await givenShipment(api);

    const response = await cancelOrder(api, orderCancellation(order.orderId, { reason: 'cancelled by an admin', cancelledBy: 'admin' }));

    expect(response.status).toBe(204);
    const shipment = await api.request('GET', `/shipping/shipments/${shipmentId}`, { token: admin });
    expect(shipment.body).toMatchObject({ status: 'cancelled', version: 2, cancelledAt: expect.any(String), dispatchedAt: null });
    expect(shipment.body.history.map((h: { status: string }) => h.status)).toEqual(['preparing', 'cancelled']);
    expect(shipment.body.history[1].reason).toBe('cancelled by an admin');
    expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created', 'shipment-cancelled']);
    const [cancelled] = (await eventsNamed('shipment-cancelled')).filter((e) => e.subject === shipmentId);
    expect(cancelled?.data).toEqual({ shipmentId, orderId: order.orderId, customerId: order.customerId, reason: 'cancelled by an admin' });
    expect(await tombstoneOf(order.orderId)).toEqual([{ reason: 'cancelled by an admin' }]);
  });

  it('makes the cancelled shipment impossible to dispatch or deliver (409)', async () => {
    const { order, shipmentId } = await givenShipment(api);
    await cancelOrder(api, orderCancellation(order.orderId));

    expect((await dispatchShipment(api, admin, shipmentId)).status).toBe(409);
    expect((await deliverShipment(api, admin, shipmentId)).status).toBe(409);

    expect(await shipmentsOf(db, order.orderId)).toEqual([expect.objectContaining({ status: 'cancelled', version: 2 })]);
    expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created', 'shipment-cancelled']);
  });

  it('does not cancel a dispatched shipment: it stays dispatched, and nothing is emitted', async () => {
    const { order, shipmentId } = await givenDispatched(api, admin);

    const response = await cancelOrder(api, orderCancellation(order.orderId));

    expect(response.status).toBe(204);
    expect(await shipmentsOf(db, order.orderId)).toEqual([expect.objectContaining({ id: shipmentId, status: 'dispatched', version: 2 })]);
    expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created', 'shipment-dispatched']);
    expect((await deliverShipment(api, admin, shipmentId)).status).toBe(200);
  });

  it('does not touch a delivered shipment either', async () => {
    const { order, shipmentId } = await givenDispatched(api, admin);
    await deliverShipment(api, admin, shipmentId);

    expect((await cancelOrder(api, orderCancellation(order.orderId))).status).toBe(204);

    expect(await shipmentsOf(db, order.orderId)).toEqual([expect.objectContaining({ status: 'delivered', version: 3 })]);
    expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created', 'shipment-dispatched', 'shipment-delivered']);
  });

  it('has no second effect when the same event, or another cancellation of the order, comes again', async () => {
    const { order } = await givenShipment(api);
    const id = randomUUID();
    await cancelOrder(api, orderCancellation(order.orderId, { reason: 'first' }), id);

    expect((await cancelOrder(api, orderCancellation(order.orderId, { reason: 'first' }), id)).status).toBe(204);
    expect((await cancelOrder(api, orderCancellation(order.orderId, { reason: 'second' }))).status).toBe(204);

    expect(await shipmentsOf(db, order.orderId)).toEqual([expect.objectContaining({ status: 'cancelled', version: 2 })]);
    expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created', 'shipment-cancelled']);
    expect(await tombstoneOf(order.orderId)).toEqual([{ reason: 'first' }]);
  });

  it('cancelled before paid (reordered): no shipment is ever made for the order, even by redeliveries', async () => {
    const order = orderPayment();

    expect((await cancelOrder(api, orderCancellation(order.orderId, { reason: 'a step past its deadline', cancelledBy: 'saga' }))).status).toBe(204);
    const id = randomUUID();
    for (const response of [await payOrder(api, order, id), await payOrder(api, order, id), await payOrder(api, order)]) {
      expect(response.status).toBe(204);
    }

    expect(await shipmentsOf(db, order.orderId)).toEqual([]);
    expect(await eventNamesOfOrder(order.orderId)).toEqual([]);
    expect(await tombstoneOf(order.orderId)).toEqual([{ reason: 'a step past its deadline' }]);
    const listed = await api.request('GET', `/shipping/shipments?orderId=${order.orderId}`, { token: admin });
    expect(listed.body).toEqual({ items: [], nextCursor: null });
  });

  it('never leaves a preparing shipment for a cancelled order when its payment and its cancellation arrive at the same time', async () => {
    const orders = Array.from({ length: 5 }, () => orderPayment());

    const responses = await Promise.all(
      orders.flatMap((order) => [deliverUntilDone(() => payOrder(api, order)), deliverUntilDone(() => cancelOrder(api, orderCancellation(order.orderId)))]),
    );

    expect(responses.map((r) => r.response.status)).toEqual(Array(10).fill(204));
    for (const order of orders) {
      const rows = await shipmentsOf(db, order.orderId);
      // Either the cancellation came first (no shipment), or the shipment was made, then cancelled.
      expect([[], ['cancelled']]).toContainEqual(rows.map((r) => r.status));
      expect([[], ['shipment-created', 'shipment-cancelled']]).toContainEqual(await eventNamesOfOrder(order.orderId));
    }
  });

  it('when a dispatch and the cancellation race, the shipment ends either dispatched or cancelled, never both', async () => {
    const given = await Promise.all(Array.from({ length: 5 }, () => givenShipment(api)));

    const results = await Promise.all(
      given.flatMap(({ order, shipmentId }) => [
        dispatchShipment(api, admin, shipmentId),
        deliverUntilDone(() => cancelOrder(api, orderCancellation(order.orderId))).then((r) => r.response),
      ]),
    );

    for (const [i, { order }] of given.entries()) {
      const [dispatch, cancel] = [results[2 * i], results[2 * i + 1]];
      expect(cancel?.status).toBe(204);
      const [row] = await shipmentsOf(db, order.orderId);
      if (dispatch?.status === 200) {
        expect(row?.status).toBe('dispatched');
        expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created', 'shipment-dispatched']);
      } else {
        expect(dispatch?.status).toBe(409);
        expect(row?.status).toBe('cancelled');
        expect(await eventNamesOfOrder(order.orderId)).toEqual(['shipment-created', 'shipment-cancelled']);
      }
    }
  });

  it('refuses invalid data for good with 422 and keeps the event with the reason', async () => {
    const { order } = await givenShipment(api);
    const id = randomUUID();

    const response = await cancelOrder(api, { orderId: order.orderId, customerId: order.customerId, reason: '', completedSteps: ['teleported'] }, id);

    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/completedSteps/0', '/reason']);
    const rejected = (await rejectedBy(db, 'shipping-on-order-cancelled')).filter((r) => r.event_id === id);
    expect(rejected).toEqual([{ event_id: id, type: orderCancelled.type, reason: expect.stringContaining('/reason') }]);
    expect(await tombstoneOf(order.orderId)).toEqual([]);
    expect(await shipmentsOf(db, order.orderId)).toEqual([expect.objectContaining({ status: 'preparing', version: 1 })]);
  });
});
