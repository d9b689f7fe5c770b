import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { productCreated } from '../../../events/catalog.js';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { createProduct, eventNamesAbout, eventsNamed, productCreation, rejectedBy, startInventory, stockOf } from '../test-support.js';

const db = useTestDatabase(['inventory']);
const api = startInventory(['inventory/queries/get-item', 'inventory/commands/receive-stock', 'inventory/handlers/on-product-created']);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

describe('product-created', () => {
  it('gives the new product an item with nothing on hand, and stock-adjusted (created)', async () => {
    const productId = randomUUID();

    const response = await createProduct(api, productCreation(productId));

    expect(response.status).toBe(204);
    const item = await api.request('GET', `/inventory/items/${productId}`);
    expect(item.body).toMatchObject({ productId, onHand: 0, reserved: 0, available: 0, version: 1 });
    const [created] = (await eventsNamed('stock-adjusted')).filter((e) => e.subject === productId);
    expect(created?.data).toEqual({ productId, onHand: 0, reserved: 0, available: 0, change: 0, reason: 'created' });
    expect(created).toMatchObject({ source: '/gotuto/inventory', partitionkey: productId });
  });

  it('has no second effect when the same event, or another creation of the product, comes again', async () => {
    const productId = randomUUID();
    const id = randomUUID();
    await createProduct(api, productCreation(productId), id);
    await api.request('POST', `/inventory/items/${productId}/receipts`, { token: admin, body: { quantity: 5 } });

    expect((await createProduct(api, productCreation(productId), id)).status).toBe(204);
    expect((await createProduct(api, productCreation(productId))).status).toBe(204);

    expect(await stockOf(db, productId)).toEqual({ on_hand: 5, reserved: 0 });
    expect(await eventNamesAbout(productId)).toEqual(['stock-adjusted', 'stock-adjusted']);
  });

  it('creates one item when two creations of the product arrive at the same time', async () => {
    const productId = randomUUID();

    const responses = await Promise.all([createProduct(api, productCreation(productId)), createProduct(api, productCreation(productId))]);

    expect(responses.map((r) => r.status)).toEqual([204, 204]);
    expect(await eventNamesAbout(productId)).toEqual(['stock-adjusted']);
  });

  it('refuses invalid data for good with 422 and keeps the event with the reason', async () => {
    const id = randomUUID();
    const productId = randomUUID();

    const response = await createProduct(api, { productId, name: '', sku: 'X' }, id);

    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer)).toContain('/name');
    const rejected = (await rejectedBy(db, 'inventory-on-product-created')).filter((r) => r.event_id === id);
    expect(rejected).toEqual([{ event_id: id, type: productCreated.type, reason: expect.stringContaining('/name') }]);
    expect(await stockOf(db, productId)).toBeUndefined();
  });
});
