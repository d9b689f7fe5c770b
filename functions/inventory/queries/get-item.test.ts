import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { givenItem, orderPlacement, placeOrder, startInventory } from '../test-support.js';

useTestDatabase(['inventory']);
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

describe('GET /inventory/items/{productId}', () => {
  it('answers anyone, without a token, with the counters, what is available and the ETag', async () => {
    const productId = await givenItem(api, admin, 10);
    expect((await placeOrder(api, orderPlacement([{ productId, quantity: 3 }]))).status).toBe(204);

    const response = await api.request('GET', `/inventory/items/${productId}`);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: productId,
      productId,
      onHand: 10,
      reserved: 3,
      available: 7,
      version: 3,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(response.headers.get('etag')).toBe('"3"');
  });

  it('answers a customer too', async () => {
    const productId = await givenItem(api, admin);

    const response = await api.request('GET', `/inventory/items/${productId}`, { token: await tokenFor('customer') });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ onHand: 0, reserved: 0, available: 0, version: 1 });
  });

  it('answers 404 for a product Inventory has no item for, and for an id that is not a UUID', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', "1' OR '1'='1"]) {
      const response = await api.request('GET', `/inventory/items/${encodeURIComponent(id)}`);
      expect(response.status, id).toBe(404);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });
});
