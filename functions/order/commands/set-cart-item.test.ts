import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFunctions, useTestDatabase } from '../../runtime/testing.js';
import { aCustomer, eur, givenCart, givenItem, orderRegistry, useTestCatalog } from '../test-support.js';

// This file tests Catalog failures one at a time; the breaker (catalog.test.ts) must not open here.
process.env.CATALOG_BREAKER_VOLUME = '1000';

const db = useTestDatabase(['order']);
const shop = useTestCatalog();
const api = startFunctions(orderRegistry);

let customer: { id: string; token: string };
beforeAll(async () => {
  customer = await aCustomer();
});
afterEach(async () => {
  shop.catalog.delayMs = 0;
  shop.catalog.failWith = undefined;
  await shop.catalog.start();
  delete process.env.CATALOG_TIMEOUT_MS;
});

const put = (cartId: string, productId: string, quantity: number, token = customer.token, headers?: Record<string, string>) =>
  api.request('PUT', `/orders/carts/${cartId}/items/${productId}`, { token, body: { quantity }, ...(headers ? { headers } : {}) });
const remove = (cartId: string, productId: string, token = customer.token) => api.request('DELETE', `/orders/carts/${cartId}/items/${productId}`, { token });
const storedCart = async (id: string) =>
  (await db.query<{ items: unknown[]; version: number }>('SELECT items, version FROM "order".carts WHERE id = $1', [id]))[0];

describe('PUT /orders/carts/{id}/items/{productId}', () => {
  it("adds a product at Catalog's name and price now, and sets its quantity", async () => {
    const cart = await givenCart(api, customer.token);

    const added = await put(cart.id, shop.espresso.id, 1);

    expect(added.status).toBe(200);
    expect(added.headers.get('etag')).toBe('"2"');
    expect(added.body).toMatchObject({
      status: 'open',
      items: [{ productId: shop.espresso.id, name: 'Espresso machine', quantity: 1, unitPrice: eur(24_900), total: eur(24_900) }],
      total: eur(24_900),
      version: 2,
    });
    await givenItem(api, customer.token, cart.id, shop.beans.id, 2);
    const updated = await put(cart.id, shop.beans.id, 5);
    expect(updated.body.items.map((i: { quantity: number }) => i.quantity)).toEqual([1, 5]);
    expect(updated.body.total).toEqual(eur(24_900 + 5 * 1_850));
  });

  it('captures the price of the moment: a later price change shows at the next change of that item', async () => {
    const product = shop.catalog.add({ name: 'Milk jug', price: eur(1_500) });
    const cart = await givenCart(api, customer.token);
    await givenItem(api, customer.token, cart.id, product.id, 1);

    product.price = eur(1_700);
    const unchanged = await api.request('GET', `/orders/carts/${cart.id}`, { token: customer.token });
    expect(unchanged.body.items[0].unitPrice).toEqual(eur(1_500));

    const changed = await put(cart.id, product.id, 2);
    expect(changed.body.items[0].unitPrice).toEqual(eur(1_700));
  });

  it('removes the product with a quantity of 0, without asking Catalog', async () => {
    const cart = await givenCart(api, customer.token);
    await givenItem(api, customer.token, cart.id, shop.espresso.id, 1);
    const hits = shop.catalog.hits;

    const response = await put(cart.id, shop.espresso.id, 0);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ items: [], total: null, version: 3 });
    expect(shop.catalog.hits).toBe(hits);
  });

  it('answers 422 for a product Catalog does not know or no longer sells, and the cart stays', async () => {
    const cart = await givenCart(api, customer.token);
    const withdrawn = shop.catalog.add({ name: 'Old kettle', price: eur(3_000), deleted: true });

    const unknown = await put(cart.id, randomUUID(), 1);
    expect(unknown.status).toBe(422);
    expect(unknown.body).toMatchObject({ errors: [{ pointer: '/productId', message: expect.stringMatching(/does not exist/) }] });
    const deleted = await put(cart.id, withdrawn.id, 1);
    expect(deleted.status).toBe(422);
    expect(deleted.body.detail).toMatch(/no longer sold/);

    expect(await storedCart(cart.id)).toEqual({ items: [], version: 1 });
  });

  it("answers 409 for a product priced in another currency than the cart's", async () => {
    const cart = await givenCart(api, customer.token);
    await givenItem(api, customer.token, cart.id, shop.espresso.id, 1);

    const response = await put(cart.id, shop.grinder.id, 1);

    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/USD; this cart is in EUR/);
    expect(await storedCart(cart.id)).toMatchObject({ version: 2 });
  });

  it('answers 422 for a quantity that is not a whole number from 0 to 1000', async () => {
    const cart = await givenCart(api, customer.token);
    for (const quantity of [-1, 1.5, 1001]) {
      expect((await put(cart.id, shop.espresso.id, quantity)).status, String(quantity)).toBe(422);
    }
    const missing = await api.request('PUT', `/orders/carts/${cart.id}/items/${shop.espresso.id}`, { token: customer.token, body: {} });
    expect(missing.body.errors).toEqual([{ pointer: '/quantity', message: 'is required' }]);
  });

  it("answers 404 for another customer's cart and an unknown one, and 412 for a stale If-Match", async () => {
    const cart = await givenCart(api, customer.token);
    const other = await aCustomer();

    expect((await put(cart.id, shop.espresso.id, 1, other.token)).status).toBe(404);
    expect((await remove(cart.id, shop.espresso.id, other.token)).status).toBe(404);
    expect((await put(randomUUID(), shop.espresso.id, 1)).status).toBe(404);
    expect((await put(cart.id, shop.espresso.id, 1, customer.token, { 'if-match': '"7"' })).status).toBe(412);
    expect((await put(cart.id, shop.espresso.id, 1, customer.token, { 'if-match': '"1"' })).status).toBe(200);
  });

  it('answers 503 with Retry-After when Catalog is down, and the cart is unchanged', async () => {
    const cart = await givenCart(api, customer.token);
    await givenItem(api, customer.token, cart.id, shop.espresso.id, 1);
    const before = await storedCart(cart.id);
    await shop.catalog.stop();

    const response = await put(cart.id, shop.beans.id, 2);

    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toMatch(/problem\+json/);
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(response.body).toMatchObject({ type: 'https://gotuto.dev/problems/unavailable', detail: expect.stringMatching(/Catalog/) });
    expect(await storedCart(cart.id)).toEqual(before);

    await shop.catalog.start();
    expect((await put(cart.id, shop.beans.id, 2)).status).toBe(200);
  });

  it('answers 503 when Catalog answers 5xx, or later than CATALOG_TIMEOUT_MS', async () => {
    const cart = await givenCart(api, customer.token);
    shop.catalog.failWith = 500;
    expect((await put(cart.id, shop.beans.id, 2)).status).toBe(503);
    shop.catalog.failWith = undefined;

    process.env.CATALOG_TIMEOUT_MS = '150';
    shop.catalog.delayMs = 1_000;
    const started = Date.now();
    const slow = await put(cart.id, shop.beans.id, 2);
    expect(slow.status).toBe(503);
    expect(slow.body.detail).toMatch(/did not answer within 150 ms/);
    expect(Date.now() - started).toBeLessThan(900);
    expect(await storedCart(cart.id)).toEqual({ items: [], version: 1 });
  });

  it('refuses to change a checked-out cart (409)', async () => {
    const cart = await givenCart(api, customer.token);
    await givenItem(api, customer.token, cart.id, shop.espresso.id, 1);
    const checkout = await api.request('POST', `/orders/carts/${cart.id}/checkout`, {
      token: customer.token,
      body: { shippingAddress: { line1: '1 Main St', city: 'Springfield', postalCode: '12345', country: 'US' } },
    });
    expect(checkout.status).toBe(202);

    expect((await put(cart.id, shop.beans.id, 1)).status).toBe(409);
    expect((await remove(cart.id, shop.espresso.id)).status).toBe(409);
  });
});

describe('DELETE /orders/carts/{id}/items/{productId}', () => {
  it('takes the product out and answers the cart; a product not in the cart leaves the items as they are', async () => {
    const cart = await givenCart(api, customer.token);
    await givenItem(api, customer.token, cart.id, shop.espresso.id, 1);
    await givenItem(api, customer.token, cart.id, shop.beans.id, 2);

    const response = await remove(cart.id, shop.espresso.id);

    expect(response.status).toBe(200);
    expect(response.body.items.map((i: { productId: string }) => i.productId)).toEqual([shop.beans.id]);
    const again = await remove(cart.id, shop.espresso.id);
    expect(again.status).toBe(200);
    expect(again.body.items).toHaveLength(1);
  });
});
