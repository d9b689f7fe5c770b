import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { orderCancelled } from '../../../events/order.js';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import {
  cancelOrder,
  deliverUntilDone,
  eventNamesAbout,
  eventsNamed,
  givenItem,
  orderCancellation,
  orderPlacement,
  orderShipment,
  placeOrder,
  rejectedBy,
  reservationsOf,
  shipOrder,
  startInventory,
  stockOf,
} from '../test-support.js';

const db = useTestDatabase(['inventory']);
const api = startInventory([
  'inventory/commands/receive-stock',
  'inventory/handlers/on-product-created',
  'inventory/handlers/on-order-placed',
  'inventory/handlers/on-order-cancelled',
  'inventory/handlers/on-order-shipped',
]);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const tombstoneOf = (orderId: string) => db.query<{ reason: string }>('SELECT reason FROM inventory.cancelled_orders WHERE order_id = $1', [orderId]);

/** Two products with 10 and 5 on hand, and an order holding 3 and 5 of them. */
const aReservedOrder = async () => {
  const beans = await givenItem(api, admin, 10);
  const mugs = await givenItem(api, admin, 5);
  const order = orderPlacement([
    { productId: beans, quantity: 3 },
    { productId: mugs, quantity: 5 },
  ]);
  expect((await placeOrder(api, order)).status).toBe(204);
  expect(await eventNamesAbout(order.orderId)).toEqual(['stock-reserved']);
  return { beans, mugs, order };
};

describe('order-cancelled', () => {
  it('releases what the order holds: reservations released, reserved counts down, stock-released with the reason, stock-adjusted per product', async () => {
    const { beans, mugs, order } = await aReservedOrder();

    const response = await cancelOrder(api, orderCancellation(order.orderId, { reason: 'cancelled by an admin', cancelledBy: 'admin' }));

    expect(response.status).toBe(204);
    expect((await reservationsOf(db, order.orderId)).map((r) => r.status)).toEqual(['released', 'released']);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await stockOf(db, mugs)).toEqual({ on_hand: 5, reserved: 0 });
    expect(await eventNamesAbout(order.orderId)).toEqual(['stock-reserved', 'stock-released']);
    const [released] = (await eventsNamed('stock-released')).filter((e) => e.subject === order.orderId);
    expect(released?.data.orderId).toBe(order.orderId);
    expect(released?.data.reason).toBe('cancelled by an admin');
    expect(released?.data.lines).toEqual(
      expect.arrayContaining([
        { productId: beans, quantity: 3 },
        { productId: mugs, quantity: 5 },
      ]),
    );
    expect(released?.data.lines).toHaveLength(2);
    const adjusted = (await eventsNamed('stock-adjusted')).filter((e) => e.data.orderId === order.orderId && e.data.reason === 'released');
    expect(adjusted.map((e) => e.data).sort((a, b) => a.productId.localeCompare(b.productId))).toEqual(
      [
        { productId: beans, onHand: 10, reserved: 0, available: 10, change: -3, reason: 'released', orderId: order.orderId },
        { productId: mugs, onHand: 5, reserved: 0, available: 5, change: -5, reason: 'released', orderId: order.orderId },
      ].sort((a, b) => a.productId.localeCompare(b.productId)),
    );
    expect(await tombstoneOf(order.orderId)).toEqual([{ reason: 'cancelled by an admin' }]);
  });

  it('makes released stock reservable by another order', async () => {
    const { mugs, order } = await aReservedOrder();
    const waiting = orderPlacement([{ productId: mugs, quantity: 5 }]);
    await placeOrder(api, waiting);
    expect(await eventNamesAbout(waiting.orderId)).toEqual(['stock-reservation-failed']);

    await cancelOrder(api, orderCancellation(order.orderId));
    const next = orderPlacement([{ productId: mugs, quantity: 5 }]);
    await placeOrder(api, next);

    expect(await eventNamesAbout(next.orderId)).toEqual(['stock-reserved']);
    expect(await stockOf(db, mugs)).toEqual({ on_hand: 5, reserved: 5 });
  });

  it('has no second effect when the same event, or another cancellation of the order, comes again', async () => {
    const { beans, order } = await aReservedOrder();
    const id = randomUUID();
    await cancelOrder(api, orderCancellation(order.orderId, { reason: 'first' }), id);

    expect((await cancelOrder(api, orderCancellation(order.orderId, { reason: 'first' }), id)).status).toBe(204);
    expect((await cancelOrder(api, orderCancellation(order.orderId, { reason: 'second' }))).status).toBe(204);

    expect(await stockOf(db, beans)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await eventNamesAbout(order.orderId)).toEqual(['stock-reserved', 'stock-released']);
    expect(await tombstoneOf(order.orderId)).toEqual([{ reason: 'first' }]);
  });

  it('keeps only the tombstone for an order that holds nothing (its reservation failed), and emits nothing', async () => {
    const beans = await givenItem(api, admin, 1);
    const order = orderPlacement([{ productId: beans, quantity: 2 }]);
    await placeOrder(api, order);

    expect((await cancelOrder(api, orderCancellation(order.orderId, { reason: 'reservation failed', cancelledBy: 'saga' }))).status).toBe(204);

    expect(await eventNamesAbout(order.orderId)).toEqual(['stock-reservation-failed']);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 1, reserved: 0 });
    expect(await tombstoneOf(order.orderId)).toEqual([{ reason: 'reservation failed' }]);
  });

  it('cancelled before placed (reordered): nothing is ever reserved for the order, even by redeliveries', async () => {
    const beans = await givenItem(api, admin, 10);
    const order = orderPlacement([{ productId: beans, quantity: 3 }]);

    expect((await cancelOrder(api, orderCancellation(order.orderId))).status).toBe(204);
    const id = randomUUID();
    for (const response of [await placeOrder(api, order, id), await placeOrder(api, order, id), await placeOrder(api, order)]) {
      expect(response.status).toBe(204);
    }

    expect(await reservationsOf(db, order.orderId)).toEqual([]);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await eventNamesAbout(order.orderId)).toEqual([]);
  });

  it('never leaves stock held for a cancelled order when its placement and its cancellation arrive at the same time', async () => {
    const beans = await givenItem(api, admin, 30);
    const orders = Array.from({ length: 5 }, () => orderPlacement([{ productId: beans, quantity: 2 }]));

    const responses = await Promise.all(
      orders.flatMap((order) => [deliverUntilDone(() => placeOrder(api, order)), deliverUntilDone(() => cancelOrder(api, orderCancellation(order.orderId)))]),
    );

    expect(responses.map((r) => r.response.status)).toEqual(Array(10).fill(204));
    for (const order of orders) {
      const names = await eventNamesAbout(order.orderId);
      expect([[], ['stock-reserved', 'stock-released']]).toContainEqual(names);
      expect((await reservationsOf(db, order.orderId)).filter((r) => r.status === 'reserved')).toEqual([]);
    }
    expect(await stockOf(db, beans)).toEqual({ on_hand: 30, reserved: 0 });
  });

  it('releases nothing once the order has shipped: that stock has left', async () => {
    const { beans, order } = await aReservedOrder();
    await shipOrder(api, orderShipment(order.orderId, [{ productId: beans, quantity: 3 }]));

    expect((await cancelOrder(api, orderCancellation(order.orderId))).status).toBe(204);

    expect((await reservationsOf(db, order.orderId)).map((r) => r.status)).toEqual(['shipped', 'shipped']);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 7, reserved: 0 });
    expect(await eventNamesAbout(order.orderId)).toEqual(['stock-reserved']);
  });

  it('refuses invalid data for good with 422 and keeps the event with the reason', async () => {
    const id = randomUUID();
    const orderId = randomUUID();

    const response = await cancelOrder(api, { orderId, customerId: randomUUID(), reason: '', completedSteps: ['teleported'] }, id);

    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/completedSteps/0', '/reason']);
    const rejected = (await rejectedBy(db, 'inventory-on-order-cancelled')).filter((r) => r.event_id === id);
    expect(rejected).toEqual([{ event_id: id, type: orderCancelled.type, reason: expect.stringContaining('/reason') }]);
    expect(await tombstoneOf(orderId)).toEqual([]);
  });
});
