// Stock never goes negative and is never reserved twice, whatever the concurrency: many orders
// delivered at once, as the broker does with a Trigger's events. On PostgreSQL they really run at
// the same time (a pool large enough for all of them); on the embedded database they queue.
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { deliverUntilDone, eventsNamed, givenItem, orderPlacement, placeOrder, startInventory, stockOf, type Want } from '../test-support.js';

// Read when the pool is made, in beforeAll: enough connections for every delivery at once.
process.env.PG_POOL_MAX = '25';

const db = useTestDatabase(['inventory']);
const api = startInventory([
  'inventory/queries/get-item',
  'inventory/commands/receive-stock',
  'inventory/commands/take-stock',
  'inventory/handlers/on-product-created',
  'inventory/handlers/on-order-placed',
]);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

/** What the orders hold of a product, by its reservations; always the item's reserved count. */
const heldOf = async (productId: string) =>
  (
    await db.query<{ held: number }>(
      "SELECT coalesce(sum(quantity), 0)::int AS held FROM inventory.reservations WHERE product_id = $1 AND status = 'reserved'",
      [productId],
    )
  )[0]?.held;

/** Places every order at once; each answered 409 (a lost race) is delivered again, as the broker would, until 204. */
const placeAllAtOnce = async (orders: Array<ReturnType<typeof orderPlacement>>) =>
  Promise.all(orders.map((order) => deliverUntilDone(() => placeOrder(api, order))));

const outcomes = async (orders: Array<{ orderId: string }>) => {
  const ids = new Set(orders.map((o) => o.orderId));
  return {
    reserved: (await eventsNamed('stock-reserved')).filter((e) => ids.has(e.subject)),
    failed: (await eventsNamed('stock-reservation-failed')).filter((e) => ids.has(e.subject)),
  };
};

describe('order-placed under concurrency', () => {
  it('gives the last unit to exactly one of 20 orders wanting it at the same time', async () => {
    const productId = await givenItem(api, admin, 1);
    const orders = Array.from({ length: 20 }, () => orderPlacement([{ productId, quantity: 1 }]));

    const results = await placeAllAtOnce(orders);

    expect(results.map((r) => r.response.status)).toEqual(Array(20).fill(204));
    const { reserved, failed } = await outcomes(orders);
    expect(reserved).toHaveLength(1);
    expect(failed).toHaveLength(19);
    for (const event of failed) expect(event.data.products).toEqual([{ productId, requested: 1, available: 0 }]);
    expect(await stockOf(db, productId)).toEqual({ on_hand: 1, reserved: 1 });
    expect((await api.request('GET', `/inventory/items/${productId}`)).body).toMatchObject({ onHand: 1, reserved: 1, available: 0 });
    expect(await heldOf(productId)).toBe(1);
    const winner = reserved[0]?.subject;
    expect(await db.query('SELECT order_id FROM inventory.reservations WHERE product_id = $1', [productId])).toEqual([{ order_id: winner }]);
  });

  it('never deadlocks orders whose lines name the same products in opposite orders, and reserves exactly what there is', async () => {
    const a = await givenItem(api, admin, 10);
    const b = await givenItem(api, admin, 10);
    const orders = Array.from({ length: 20 }, (_, i) => {
      const lines: Want[] = [
        { productId: a, quantity: 1 },
        { productId: b, quantity: 1 },
      ];
      return orderPlacement(i % 2 === 0 ? lines : lines.reverse());
    });

    const results = await placeAllAtOnce(orders);

    expect(results.map((r) => r.response.status)).toEqual(Array(20).fill(204));
    // Locks are taken in product id order, so no delivery ever lost a deadlock.
    expect(results.reduce((sum, r) => sum + r.retries, 0)).toBe(0);
    const { reserved, failed } = await outcomes(orders);
    expect(reserved).toHaveLength(10);
    expect(failed).toHaveLength(10);
    for (const productId of [a, b]) {
      expect(await stockOf(db, productId)).toEqual({ on_hand: 10, reserved: 10 });
      expect(await heldOf(productId)).toBe(10);
    }
  });

  it('keeps every count true while orders, receipts and stock-takes of one product all run at once', async () => {
    const productId = await givenItem(api, admin, 5);
    const orders = Array.from({ length: 20 }, () => orderPlacement([{ productId, quantity: 1 }]));
    const receipts = Array.from({ length: 5 }, () => api.request('POST', `/inventory/items/${productId}/receipts`, { token: admin, body: { quantity: 1 } }));
    const stockTakes = Array.from({ length: 5 }, () => api.request('PUT', `/inventory/items/${productId}`, { token: admin, body: { onHand: 3 } }));

    const [placed, received, counted] = await Promise.all([placeAllAtOnce(orders), Promise.all(receipts), Promise.all(stockTakes)]);

    expect(placed.map((r) => r.response.status)).toEqual(Array(20).fill(204));
    expect(received.map((r) => r.status)).toEqual(Array(5).fill(200));
    // A stock-take below what orders hold by then is refused (409), never applied.
    for (const response of counted) expect([200, 409]).toContain(response.status);
    const { reserved, failed } = await outcomes(orders);
    expect(reserved.length + failed.length).toBe(20);
    const stock = await stockOf(db, productId);
    expect(stock?.reserved).toBe(reserved.length);
    expect(await heldOf(productId)).toBe(reserved.length);
    expect(stock?.on_hand).toBeGreaterThanOrEqual(stock?.reserved ?? 0);
    for (const event of failed) expect(event.data.products[0].available).toBeGreaterThanOrEqual(0);
    // Every change is in the product's stream, in commit order: replaying it ends on the stored counts.
    const stream = (await eventsNamed('stock-adjusted')).filter((e) => e.subject === productId).map((e) => e.data);
    for (const change of stream) {
      expect(change.reserved).toBeGreaterThanOrEqual(0);
      expect(change.available).toBeGreaterThanOrEqual(0);
    }
    expect(stream.at(-1)).toMatchObject({ onHand: stock?.on_hand, reserved: stock?.reserved });
  });
});
