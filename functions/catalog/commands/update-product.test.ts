import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { SQL_LOOKING, UNICODE, UNKNOWN_ID, eur, eventsNamed, givenCategory, givenProduct, startCatalog } from '../test-support.js';

const db = useTestDatabase(['catalog']);
const api = startCatalog([
  'catalog/commands/create-category',
  'catalog/commands/create-product',
  'catalog/commands/update-product',
  'catalog/commands/delete-product',
]);
let admin: string;
let coffee: { id: string };
let baking: { id: string };
beforeAll(async () => {
  admin = await tokenFor('admin');
  coffee = await givenCategory(api, admin, { name: 'Coffee' });
  baking = await givenCategory(api, admin, { name: 'Baking' });
});

const patch = (id: string, body: unknown, headers?: Record<string, string>) =>
  api.request('PATCH', `/catalog/products/${id}`, { token: admin, body, ...(headers ? { headers } : {}) });

describe('PATCH /catalog/products/{id}', () => {
  it('changes the given fields: 200, version 2, ETag, and product-updated with the whole product and what changed', async () => {
    const product = await givenProduct(api, admin, coffee.id, { description: 'Old' });

    const response = await patch(product.id, { name: `${UNICODE} ${SQL_LOOKING}`, description: null, categoryId: baking.id });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...product,
      name: `${UNICODE} ${SQL_LOOKING}`,
      description: null,
      categoryId: baking.id,
      version: 2,
      updatedAt: expect.any(String),
    });
    expect(response.headers.get('etag')).toBe('"2"');
    const events = (await eventsNamed('product-updated')).filter((e) => e.subject === product.id);
    expect(events.map((e) => e.data)).toEqual([
      {
        productId: product.id,
        name: `${UNICODE} ${SQL_LOOKING}`,
        sku: product.sku,
        price: eur(2490),
        categoryId: baking.id,
        changed: ['name', 'description', 'categoryId'],
      },
    ]);
  });

  it('answers 422 to an unknown category and changes nothing', async () => {
    const product = await givenProduct(api, admin, coffee.id);

    const response = await patch(product.id, { categoryId: UNKNOWN_ID });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ pointer: '/categoryId', message: expect.any(String) }]);
    expect(await db.query('SELECT category_id, version FROM catalog.products WHERE id = $1', [product.id])).toEqual([{ category_id: coffee.id, version: 1 }]);
  });

  it('answers 422 to fields it does not change here (SKU, price) and to an empty patch', async () => {
    const product = await givenProduct(api, admin, coffee.id);

    for (const body of [{}, { sku: 'NEW' }, { price: eur(1) }, { name: '' }, { categoryId: null }]) {
      expect((await patch(product.id, body)).status, JSON.stringify(body)).toBe(422);
    }
    expect(await db.query('SELECT version FROM catalog.products WHERE id = $1', [product.id])).toEqual([{ version: 1 }]);
  });

  it('answers 412 to a stale If-Match and changes nothing', async () => {
    const product = await givenProduct(api, admin, coffee.id);
    await patch(product.id, { name: 'First' });

    const response = await patch(product.id, { name: 'Second' }, { 'if-match': '"1"' });

    expect(response.status).toBe(412);
    expect(await db.query('SELECT name, version FROM catalog.products WHERE id = $1', [product.id])).toEqual([{ name: 'First', version: 2 }]);
    expect((await patch(product.id, { name: 'Third' }, { 'if-match': '"2"' })).status).toBe(200);
  });

  it('keeps the version and emits nothing when nothing changes', async () => {
    const product = await givenProduct(api, admin, coffee.id);

    const response = await patch(product.id, { name: product.name, categoryId: coffee.id });

    expect(response.body).toEqual(product);
    expect((await eventsNamed('product-updated')).filter((e) => e.subject === product.id)).toEqual([]);
  });

  it('answers 404 to a deleted, unknown or malformed product', async () => {
    const product = await givenProduct(api, admin, coffee.id);
    await api.request('DELETE', `/catalog/products/${product.id}`, { token: admin });

    expect((await patch(product.id, { name: 'x' })).status).toBe(404);
    expect((await patch(UNKNOWN_ID, { name: 'x' })).status).toBe(404);
    expect((await patch('42', { name: 'x' })).status).toBe(404);
  });

  it('is for admins', async () => {
    const product = await givenProduct(api, admin, coffee.id);

    expect((await api.request('PATCH', `/catalog/products/${product.id}`, { body: { name: 'x' } })).status).toBe(401);
    expect((await api.request('PATCH', `/catalog/products/${product.id}`, { token: await tokenFor('customer'), body: { name: 'x' } })).status).toBe(403);
  });
});
