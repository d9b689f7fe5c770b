import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { SQL_LOOKING, UNICODE, UNKNOWN_ID, eur, eventsNamed, givenCategory, givenProduct, productBody, startCatalog } from '../test-support.js';

const db = useTestDatabase(['catalog']);
const api = startCatalog([
  'catalog/commands/create-category',
  'catalog/commands/delete-category',
  'catalog/commands/create-product',
  'catalog/commands/delete-product',
  'catalog/queries/get-product',
]);
let admin: string;
let categoryId: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
  categoryId = (await givenCategory(api, admin, { name: 'Coffee' })).id;
});

const create = (body: unknown, token = admin) => api.request('POST', '/catalog/products', { token, body });
const productCount = async () => (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM catalog.products'))[0]?.n;

describe('POST /catalog/products', () => {
  it('creates the product: 201, Location, ETag, the product, and product-created in the outbox', async () => {
    const body = { name: 'Burr Grinder', description: 'Conical burrs, 40 settings', sku: 'KIT-COF-003', price: eur(8900), categoryId };

    const response = await create(body);

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      ...body,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: response.body.createdAt,
    });
    expect(response.headers.get('location')).toBe(`/catalog/products/${response.body.id}`);
    expect(response.headers.get('etag')).toBe('"1"');
    const events = (await eventsNamed('product-created')).filter((e) => e.subject === response.body.id);
    expect(events.map((e) => e.data)).toEqual([{ productId: response.body.id, ...body }]);
    expect(events[0]).toMatchObject({
      type: 'com.gotuto.catalog.product-created.v1',
      source: '/gotuto/catalog',
      partitionkey: response.body.id,
      dataschema: 'https://gotuto.dev/schemas/events/catalog/product-created.v1.json',
    });
    expect((await api.request('GET', `/catalog/products/${response.body.id}`)).body).toEqual(response.body);
  });

  it('stores the SKU trimmed, and leaves the description null and out of the event when absent', async () => {
    const response = await create(productBody(categoryId, { sku: '  KIT-TRIM-001 ' }));

    expect(response.body).toMatchObject({ sku: 'KIT-TRIM-001', description: null });
    expect(await db.query('SELECT sku FROM catalog.products WHERE id = $1', [response.body.id])).toEqual([{ sku: 'KIT-TRIM-001' }]);
    const [event] = (await eventsNamed('product-created')).filter((e) => e.subject === response.body.id);
    expect(event?.data).not.toHaveProperty('description');
  });

  it('refuses a SKU a live product has, in any case and with any surrounding spaces, with 409', async () => {
    await givenProduct(api, admin, categoryId, { sku: 'DUP-001' });
    const before = (await eventsNamed('product-created')).length;

    for (const sku of ['DUP-001', 'dup-001', '  Dup-001  ']) {
      const response = await create(productBody(categoryId, { sku }));
      expect(response.status, sku).toBe(409);
      expect(response.body).toMatchObject({ status: 409, type: 'https://gotuto.dev/problems/conflict' });
    }
    expect(await db.query("SELECT sku FROM catalog.products WHERE lower(sku) = 'dup-001'")).toEqual([{ sku: 'DUP-001' }]);
    expect(await eventsNamed('product-created')).toHaveLength(before);
  });

  it('creates exactly one of 10 concurrent products whose SKUs differ only by case and spaces; the others are 409', async () => {
    const skus = ['RACE-42', 'race-42', ' RACE-42', 'RACE-42 ', 'Race-42', ' race-42 ', 'rAcE-42', '\tRACE-42', 'RACE-42\n', '  Race-42  '];
    const before = await productCount();

    const responses = await Promise.all(skus.map((sku) => create(productBody(categoryId, { sku }))));

    expect(responses.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409]);
    expect(responses.filter((r) => r.status >= 500)).toEqual([]);
    expect(await productCount()).toBe((before ?? 0) + 1);
    expect((await eventsNamed('product-created')).filter((e) => e.data.sku.toLowerCase() === 'race-42')).toHaveLength(1);
  });

  it("frees a deleted product's SKU", async () => {
    const product = await givenProduct(api, admin, categoryId, { sku: 'REUSED-1' });
    expect((await api.request('DELETE', `/catalog/products/${product.id}`, { token: admin })).status).toBe(204);

    expect((await create(productBody(categoryId, { sku: 'reused-1' }))).status).toBe(201);
  });

  it('answers 422 to an unknown category, pointing at categoryId, and stores nothing', async () => {
    const before = await productCount();

    const response = await create(productBody(UNKNOWN_ID));

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ pointer: '/categoryId', message: expect.any(String) }]);
    expect(await productCount()).toBe(before);
  });

  it('answers 422 to a category deleted before the product is created', async () => {
    const category = await givenCategory(api, admin);
    expect((await api.request('DELETE', `/catalog/categories/${category.id}`, { token: admin })).status).toBe(204);

    expect((await create(productBody(category.id))).status).toBe(422);
  });

  it('answers 422 to a price that is not a strictly positive whole number of minor units, and stores nothing', async () => {
    const before = await productCount();

    for (const price of [eur(0), eur(-1), eur(9.99), { amount: '100', currency: 'EUR' }, { amount: 100, currency: 'euro' }, { amount: 100 }, eur(1e13)]) {
      const response = await create(productBody(categoryId, { price }));
      expect(response.status, JSON.stringify(price)).toBe(422);
      expect(
        response.body.errors.every((e: { pointer: string }) => e.pointer.startsWith('/price')),
        response.text,
      ).toBe(true);
    }
    expect(await productCount()).toBe(before);
  });

  it('answers 422 with the pointers of the fields that fail the schema', async () => {
    const response = await create({ name: '', sku: 'é-unicode', price: eur(1), categoryId: 'nope', extra: 1 });

    expect(response.status).toBe(422);
    expect([...new Set(response.body.errors.map((e: { pointer: string }) => e.pointer))].sort()).toEqual(['/categoryId', '/extra', '/name', '/sku']);
    for (const sku of ['', '   ', 'x'.repeat(65), 'A\u0000B']) {
      expect((await create(productBody(categoryId, { sku }))).status, JSON.stringify(sku)).toBe(422);
    }
  });

  it('stores and returns SQL-looking and unicode text exactly', async () => {
    const name = `${SQL_LOOKING} ${UNICODE}`;

    const response = await create(productBody(categoryId, { name, description: `${UNICODE}\n${SQL_LOOKING}`, sku: `'; DROP TABLE x;--` }));

    expect(response.status).toBe(201);
    expect(await db.query('SELECT name, description, sku FROM catalog.products WHERE id = $1', [response.body.id])).toEqual([
      { name, description: `${UNICODE}\n${SQL_LOOKING}`, sku: `'; DROP TABLE x;--` },
    ]);
    expect(await db.query("SELECT to_regclass('catalog.products') AS t")).toEqual([{ t: 'catalog.products' }]);
  });

  it('answers 400 to a body that is not JSON and 415 to one that is not declared JSON', async () => {
    expect((await api.request('POST', '/catalog/products', { token: admin, rawBody: '{"name":' })).status).toBe(400);
    expect((await api.request('POST', '/catalog/products', { token: admin, rawBody: 'name=x', contentType: 'text/plain' })).status).toBe(415);
  });

  it('is for admins: 401 without a token, 403 for a customer', async () => {
    expect((await api.request('POST', '/catalog/products', { body: productBody(categoryId) })).status).toBe(401);
    expect((await create(productBody(categoryId), await tokenFor('customer'))).status).toBe(403);
    expect((await api.request('POST', '/catalog/products', { body: productBody(categoryId), token: 'not-a-token' })).status).toBe(401);
  });
});
