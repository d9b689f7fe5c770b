import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { eventNamesAbout, eventsNamed, givenItem, orderPlacement, placeOrder, startInventory, stockOf } from '../test-support.js';

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

const count = (productId: string, body: unknown, headers?: Record<string, string>, token = admin) =>
  api.request('PUT', `/inventory/items/${productId}`, { token, body, ...(headers ? { headers } : {}) });

/** An item with 10 on hand, 4 of them reserved by an order. */
const aHeldItem = async () => {
  const productId = await givenItem(api, admin, 10);
  expect((await placeOrder(api, orderPlacement([{ productId, quantity: 4 }]))).status).toBe(204);
  return productId;
};

describe('PUT /inventory/items/{productId}', () => {
  it('sets what was counted on hand: 200 with the item and stock-adjusted (stock-take) with the difference', async () => {
    const productId = await aHeldItem();

    const response = await count(productId, { onHand: 6 });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ productId, onHand: 6, reserved: 4, available: 2, version: 4 });
    expect(response.headers.get('etag')).toBe('"4"');
    const last = (await eventsNamed('stock-adjusted')).filter((e) => e.subject === productId).at(-1);
    expect(last?.data).toEqual({ productId, onHand: 6, reserved: 4, available: 2, change: -4, reason: 'stock-take' });
  });

  it('answers 409 to a count below what orders hold, and changes nothing', async () => {
    const productId = await aHeldItem();
    const events = (await eventNamesAbout(productId)).length;

    const response = await count(productId, { onHand: 3 });

    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/4 reserved/);
    expect(await stockOf(db, productId)).toEqual({ on_hand: 10, reserved: 4 });
    expect(await eventNamesAbout(productId)).toHaveLength(events);
  });

  it('may count exactly what orders hold, or nothing at all on an item nobody holds', async () => {
    const held = await aHeldItem();
    const free = await givenItem(api, admin, 5);

    expect((await count(held, { onHand: 4 })).body).toMatchObject({ onHand: 4, reserved: 4, available: 0 });
    expect((await count(free, { onHand: 0 })).body).toMatchObject({ onHand: 0, reserved: 0, available: 0 });
  });

  it('keeps the version and emits nothing when the count is what was on hand', async () => {
    const productId = await givenItem(api, admin, 5);
    const events = (await eventNamesAbout(productId)).length;

    const response = await count(productId, { onHand: 5 });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ onHand: 5, version: 2 });
    expect(await eventNamesAbout(productId)).toHaveLength(events);
  });

  it('answers 412 to a stale If-Match, which a reservation made in between also makes stale', async () => {
    const productId = await givenItem(api, admin, 10);
    const read = await api.request('GET', `/inventory/items/${productId}`);
    await placeOrder(api, orderPlacement([{ productId, quantity: 1 }]));

    const stale = await count(productId, { onHand: 8 }, { 'if-match': read.headers.get('etag') as string });
    const current = await count(productId, { onHand: 8 }, { 'if-match': '"3"' });

    expect(stale.status).toBe(412);
    expect(current.status).toBe(200);
    expect(await stockOf(db, productId)).toEqual({ on_hand: 8, reserved: 1 });
  });

  it('answers 422 to a count that is not a whole number of zero or more', async () => {
    const productId = await givenItem(api, admin, 5);

    for (const body of [{ onHand: -1 }, { onHand: 2.5 }, { onHand: null }, {}, { onHand: 1, reserved: 0 }]) {
      expect((await count(productId, body)).status, JSON.stringify(body)).toBe(422);
    }
    expect(await stockOf(db, productId)).toEqual({ on_hand: 5, reserved: 0 });
  });

  it('answers 404 for a product without an item; 401 without a token; 403 for a customer', async () => {
    const productId = await givenItem(api, admin, 5);

    expect((await count(randomUUID(), { onHand: 1 })).status).toBe(404);
    expect((await api.request('PUT', `/inventory/items/${productId}`, { body: { onHand: 1 } })).status).toBe(401);
    expect((await count(productId, { onHand: 1 }, undefined, await tokenFor('customer'))).status).toBe(403);
    expect(await stockOf(db, productId)).toEqual({ on_hand: 5, reserved: 0 });
  });
});
