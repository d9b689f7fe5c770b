import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { orderPlaced } from '../../../events/order.js';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import {
  cancelOrder,
  eventNamesAbout,
  eventsNamed,
  givenItem,
  orderCancellation,
  orderPlacement,
  placeOrder,
  rejectedBy,
  reservationsOf,
  startInventory,
  stockOf,
} from '../test-support.js';

const db = useTestDatabase(['inventory']);
const api = startInventory([
  'inventory/queries/get-item',
  'inventory/commands/receive-stock',
  'inventory/handlers/on-product-created',
  'inventory/handlers/on-order-placed',
  'inventory/handlers/on-order-cancelled',
]);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const byProduct = (a: { product_id: string }, b: { product_id: string }) => a.product_id.localeCompare(b.product_id);

describe('order-placed', () => {
  it('reserves every line: a reservation per product, reserved counts up, stock-reserved about the order, stock-adjusted per product', async () => {
    const beans = await givenItem(api, admin, 10);
    const mugs = await givenItem(api, admin, 2);
    const order = orderPlacement([
      { productId: beans, quantity: 3 },
      { productId: mugs, quantity: 2 },
    ]);

    const response = await placeOrder(api, order);

    expect(response.status).toBe(204);
    expect(await reservationsOf(db, order.orderId)).toEqual(
      [
        { product_id: beans, quantity: 3, status: 'reserved' },
        { product_id: mugs, quantity: 2, status: 'reserved' },
      ].sort(byProduct),
    );
    expect(await stockOf(db, beans)).toEqual({ on_hand: 10, reserved: 3 });
    expect(await stockOf(db, mugs)).toEqual({ on_hand: 2, reserved: 2 });
    expect((await api.request('GET', `/inventory/items/${mugs}`)).body).toMatchObject({ available: 0 });
    expect(await eventNamesAbout(order.orderId)).toEqual(['stock-reserved']);
    const [reserved] = (await eventsNamed('stock-reserved')).filter((e) => e.subject === order.orderId);
    expect(reserved?.data).toEqual({
      orderId: order.orderId,
      lines: [
        { productId: beans, quantity: 3 },
        { productId: mugs, quantity: 2 },
      ],
    });
    expect(reserved).toMatchObject({ source: '/gotuto/inventory', partitionkey: order.orderId, causationid: expect.any(String) });
    const adjusted = (await eventsNamed('stock-adjusted')).filter((e) => e.data.orderId === order.orderId);
    expect(adjusted.map((e) => e.data)).toEqual([
      { productId: beans, onHand: 10, reserved: 3, available: 7, change: 3, reason: 'reserved', orderId: order.orderId },
      { productId: mugs, onHand: 2, reserved: 2, available: 0, change: 2, reason: 'reserved', orderId: order.orderId },
    ]);
  });

  it('reserves nothing when one line is short, and stock-reservation-failed names that product with requested and available', async () => {
    const beans = await givenItem(api, admin, 10);
    const mugs = await givenItem(api, admin, 2);
    const order = orderPlacement([
      { productId: beans, quantity: 3 },
      { productId: mugs, quantity: 5 },
    ]);

    const response = await placeOrder(api, order);

    expect(response.status).toBe(204);
    expect(await reservationsOf(db, order.orderId)).toEqual([]);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await stockOf(db, mugs)).toEqual({ on_hand: 2, reserved: 0 });
    expect(await eventNamesAbout(order.orderId)).toEqual(['stock-reservation-failed']);
    const [failed] = (await eventsNamed('stock-reservation-failed')).filter((e) => e.subject === order.orderId);
    expect(failed?.data).toEqual({
      orderId: order.orderId,
      products: [{ productId: mugs, requested: 5, available: 2 }],
      reason: 'insufficient stock',
    });
    expect((await eventsNamed('stock-adjusted')).filter((e) => e.data.orderId === order.orderId)).toEqual([]);
  });

  it('counts what other orders hold: available, not on hand, is what can be reserved', async () => {
    const beans = await givenItem(api, admin, 5);
    await placeOrder(api, orderPlacement([{ productId: beans, quantity: 4 }]));
    const order = orderPlacement([{ productId: beans, quantity: 2 }]);

    await placeOrder(api, order);

    const [failed] = (await eventsNamed('stock-reservation-failed')).filter((e) => e.subject === order.orderId);
    expect(failed?.data.products).toEqual([{ productId: beans, requested: 2, available: 1 }]);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 5, reserved: 4 });
  });

  it('treats a product Inventory has no item for as none available, and reserves nothing else', async () => {
    const beans = await givenItem(api, admin, 10);
    const unknown = randomUUID();
    const order = orderPlacement([
      { productId: beans, quantity: 1 },
      { productId: unknown, quantity: 2 },
    ]);

    expect((await placeOrder(api, order)).status).toBe(204);

    const [failed] = (await eventsNamed('stock-reservation-failed')).filter((e) => e.subject === order.orderId);
    expect(failed?.data.products).toEqual([{ productId: unknown, requested: 2, available: 0 }]);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await stockOf(db, unknown)).toBeUndefined();
  });

  it('reserves the lines of one product together, as one reservation', async () => {
    const beans = await givenItem(api, admin, 5);
    const order = orderPlacement([
      { productId: beans, quantity: 2 },
      { productId: beans, quantity: 3 },
    ]);

    await placeOrder(api, order);

    expect(await reservationsOf(db, order.orderId)).toEqual([{ product_id: beans, quantity: 5, status: 'reserved' }]);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 5, reserved: 5 });
  });

  it('has no second effect when the same event, or another order-placed of the order, comes again', async () => {
    const beans = await givenItem(api, admin, 10);
    const order = orderPlacement([{ productId: beans, quantity: 3 }]);
    const id = randomUUID();

    const responses = [await placeOrder(api, order, id), await placeOrder(api, order, id), await placeOrder(api, order)];

    expect(responses.map((r) => r.status)).toEqual([204, 204, 204]);
    expect(await reservationsOf(db, order.orderId)).toEqual([{ product_id: beans, quantity: 3, status: 'reserved' }]);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 10, reserved: 3 });
    expect(await eventNamesAbout(order.orderId)).toEqual(['stock-reserved']);
  });

  it('reserves once when deliveries of one order under several event ids arrive at the same time', async () => {
    const beans = await givenItem(api, admin, 10);
    const order = orderPlacement([{ productId: beans, quantity: 3 }]);

    const responses = await Promise.all(Array.from({ length: 5 }, () => placeOrder(api, order)));

    expect(responses.map((r) => r.status)).toEqual([204, 204, 204, 204, 204]);
    expect(await reservationsOf(db, order.orderId)).toEqual([{ product_id: beans, quantity: 3, status: 'reserved' }]);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 10, reserved: 3 });
    expect(await eventNamesAbout(order.orderId)).toEqual(['stock-reserved']);
  });

  it('gives an order one answer: a failed order is not reserved by a later order-placed, even once stock arrived', async () => {
    const beans = await givenItem(api, admin, 1);
    const order = orderPlacement([{ productId: beans, quantity: 2 }]);
    await placeOrder(api, order);
    await api.request('POST', `/inventory/items/${beans}/receipts`, { token: admin, body: { quantity: 5 } });

    expect((await placeOrder(api, order)).status).toBe(204);

    expect(await reservationsOf(db, order.orderId)).toEqual([]);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 6, reserved: 0 });
    expect(await eventNamesAbout(order.orderId)).toEqual(['stock-reservation-failed']);
  });

  it('reserves nothing and emits nothing for an order whose cancellation came first', async () => {
    const beans = await givenItem(api, admin, 10);
    const order = orderPlacement([{ productId: beans, quantity: 3 }]);
    expect((await cancelOrder(api, orderCancellation(order.orderId, { reason: 'a step past its deadline' }))).status).toBe(204);

    expect((await placeOrder(api, order)).status).toBe(204);

    expect(await reservationsOf(db, order.orderId)).toEqual([]);
    expect(await stockOf(db, beans)).toEqual({ on_hand: 10, reserved: 0 });
    expect(await eventNamesAbout(order.orderId)).toEqual([]);
  });

  it('refuses invalid data for good with 422 and keeps the event with the reason', async () => {
    const id = randomUUID();
    const order = orderPlacement([{ productId: randomUUID(), quantity: 0 }]);

    const response = await placeOrder(api, order, id);

    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/lines/0/quantity']);
    const rejected = (await rejectedBy(db, 'inventory-on-order-placed')).filter((r) => r.event_id === id);
    expect(rejected).toEqual([{ event_id: id, type: orderPlaced.type, reason: expect.stringContaining('/lines/0/quantity') }]);
    expect(await eventNamesAbout(order.orderId)).toEqual([]);
  });
});
