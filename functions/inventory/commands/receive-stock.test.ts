import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { MAX_STOCK } from '../item.js';
import { eventNamesAbout, eventsNamed, givenItem, orderPlacement, placeOrder, startInventory, stockOf } from '../test-support.js';

const db = useTestDatabase(['inventory']);
const api = startInventory([
  'inventory/queries/get-item',
  'inventory/commands/receive-stock',
  'inventory/handlers/on-product-created',
  'inventory/handlers/on-order-placed',
]);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const receive = (productId: string, body: unknown, headers?: Record<string, string>, token = admin) =>
  api.request('POST', `/inventory/items/${productId}/receipts`, { token, body, ...(headers ? { headers } : {}) });

describe('POST /inventory/items/{productId}/receipts', () => {
  it('adds the quantity on hand: 200 with the item, its new version as ETag, and stock-adjusted (receipt)', async () => {
    const productId = await givenItem(api, admin, 5);
    await placeOrder(api, orderPlacement([{ productId, quantity: 2 }]));

    const response = await receive(productId, { quantity: 20 });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ productId, onHand: 25, reserved: 2, available: 23, version: 4 });
    expect(response.headers.get('etag')).toBe('"4"');
    expect(await stockOf(db, productId)).toEqual({ on_hand: 25, reserved: 2 });
    expect(await eventNamesAbout(productId)).toEqual(['stock-adjusted', 'stock-adjusted', 'stock-adjusted', 'stock-adjusted']);
    const last = (await eventsNamed('stock-adjusted')).filter((e) => e.subject === productId).at(-1);
    expect(last?.data).toEqual({ productId, onHand: 25, reserved: 2, available: 23, change: 20, reason: 'receipt' });
  });

  it('takes If-Match: the current version is applied, a stale one is 412 and changes nothing', async () => {
    const productId = await givenItem(api, admin);

    const current = await receive(productId, { quantity: 1 }, { 'if-match': '"1"' });
    const stale = await receive(productId, { quantity: 1 }, { 'if-match': '"1"' });

    expect(current.status).toBe(200);
    expect(stale.status).toBe(412);
    expect(stale.body.detail).toBe('the current version is 2, not 1');
    expect(await stockOf(db, productId)).toEqual({ on_hand: 1, reserved: 0 });
  });

  it('honours Idempotency-Key: a retried receipt is answered again, not added twice', async () => {
    const productId = await givenItem(api, admin);
    const key = { 'idempotency-key': randomUUID() };

    const first = await receive(productId, { quantity: 7 }, key);
    const again = await receive(productId, { quantity: 7 }, key);

    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await stockOf(db, productId)).toEqual({ on_hand: 7, reserved: 0 });
  });

  it('answers 422 to a quantity that is not a whole number of one or more, or to other fields', async () => {
    const productId = await givenItem(api, admin);

    for (const body of [{ quantity: 0 }, { quantity: -3 }, { quantity: 1.5 }, { quantity: '5' }, {}, { quantity: 1, note: 'x' }, { quantity: MAX_STOCK + 1 }]) {
      const response = await receive(productId, body);
      expect(response.status, JSON.stringify(body)).toBe(422);
    }
    expect(await stockOf(db, productId)).toEqual({ on_hand: 0, reserved: 0 });
  });

  it(`answers 409 when the item would hold more than ${MAX_STOCK}`, async () => {
    const productId = await givenItem(api, admin, MAX_STOCK);

    const response = await receive(productId, { quantity: 1 });

    expect(response.status).toBe(409);
    expect(await stockOf(db, productId)).toEqual({ on_hand: MAX_STOCK, reserved: 0 });
  });

  it('answers 404 for a product without an item, and creates none', async () => {
    const productId = randomUUID();

    expect((await receive(productId, { quantity: 1 })).status).toBe(404);
    expect(await stockOf(db, productId)).toBeUndefined();
  });

  it('is for admins: 401 without a token, 403 for a customer', async () => {
    const productId = await givenItem(api, admin);

    expect((await api.request('POST', `/inventory/items/${productId}/receipts`, { body: { quantity: 1 } })).status).toBe(401);
    expect((await receive(productId, { quantity: 1 }, undefined, await tokenFor('customer'))).status).toBe(403);
    expect(await stockOf(db, productId)).toEqual({ on_hand: 0, reserved: 0 });
  });
});
