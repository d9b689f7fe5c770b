import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { UNKNOWN_ID, eur, eventsNamed, givenCategory, givenProduct, startCatalog } from '../test-support.js';

const db = useTestDatabase(['catalog']);
const api = startCatalog([
  'catalog/commands/create-category',
  'catalog/commands/create-product',
  'catalog/commands/change-price',
  'catalog/commands/delete-product',
]);
let admin: string;
let categoryId: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
  categoryId = (await givenCategory(api, admin)).id;
});

const put = (id: string, price: unknown, headers?: Record<string, string>) =>
  api.request('PUT', `/catalog/products/${id}/price`, { token: admin, body: { price }, ...(headers ? { headers } : {}) });
const storedPrice = async (id: string) => (await db.query('SELECT price_amount, currency, version FROM catalog.products WHERE id = $1', [id]))[0];

describe('PUT /catalog/products/{id}/price', () => {
  it('sets the price: 200, the product at version 2, and price-changed with the old and the new price', async () => {
    const product = await givenProduct(api, admin, categoryId, { price: eur(2490) });

    const response = await put(product.id, eur(2790));

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...product, price: eur(2790), version: 2, updatedAt: expect.any(String) });
    expect(response.headers.get('etag')).toBe('"2"');
    const events = (await eventsNamed('price-changed')).filter((e) => e.subject === product.id);
    expect(events.map((e) => e.data)).toEqual([{ productId: product.id, oldPrice: eur(2490), newPrice: eur(2790) }]);
    expect((await eventsNamed('product-updated')).filter((e) => e.subject === product.id)).toEqual([]);
  });

  it('changes nothing and says nothing for the same price', async () => {
    const product = await givenProduct(api, admin, categoryId, { price: eur(2490) });

    const response = await put(product.id, eur(2490));

    expect(response.status).toBe(200);
    expect(response.body).toEqual(product);
    expect((await eventsNamed('price-changed')).filter((e) => e.subject === product.id)).toEqual([]);
  });

  it('answers 422 to a price that is not a strictly positive whole number of minor units, and keeps the price', async () => {
    const product = await givenProduct(api, admin, categoryId, { price: eur(2490) });

    for (const price of [eur(0), eur(-5), eur(0.5), { amount: 1 }, 'free']) {
      expect((await put(product.id, price)).status, JSON.stringify(price)).toBe(422);
    }
    expect((await api.request('PUT', `/catalog/products/${product.id}/price`, { token: admin, body: { price: eur(1), extra: 1 } })).status).toBe(422);
    expect(await storedPrice(product.id)).toEqual({ price_amount: 2490, currency: 'EUR', version: 1 });
  });

  it('answers 412 to a stale If-Match and keeps the price', async () => {
    const product = await givenProduct(api, admin, categoryId, { price: eur(2490) });
    await put(product.id, eur(2590));

    const response = await put(product.id, eur(2690), { 'if-match': '"1"' });

    expect(response.status).toBe(412);
    expect(await storedPrice(product.id)).toEqual({ price_amount: 2590, currency: 'EUR', version: 2 });
    expect((await eventsNamed('price-changed')).filter((e) => e.subject === product.id)).toHaveLength(1);
  });

  it('answers 404 to a deleted or unknown product', async () => {
    const product = await givenProduct(api, admin, categoryId);
    await api.request('DELETE', `/catalog/products/${product.id}`, { token: admin });

    expect((await put(product.id, eur(100))).status).toBe(404);
    expect((await put(UNKNOWN_ID, eur(100))).status).toBe(404);
  });

  it('is for admins', async () => {
    const product = await givenProduct(api, admin, categoryId);

    expect((await api.request('PUT', `/catalog/products/${product.id}/price`, { body: { price: eur(1) } })).status).toBe(401);
    expect((await api.request('PUT', `/catalog/products/${product.id}/price`, { token: await tokenFor('customer'), body: { price: eur(1) } })).status).toBe(
      403,
    );
  });
});
