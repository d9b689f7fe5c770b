import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { UNKNOWN_ID, eventsNamed, givenCategory, givenProduct, startCatalog } from '../test-support.js';

const db = useTestDatabase(['catalog']);
const api = startCatalog([
  'catalog/commands/create-category',
  'catalog/commands/create-product',
  'catalog/commands/update-product',
  'catalog/commands/delete-product',
  'catalog/queries/get-product',
  'catalog/queries/list-products',
]);
let admin: string;
let categoryId: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
  categoryId = (await givenCategory(api, admin)).id;
});

const remove = (id: string, headers?: Record<string, string>) =>
  api.request('DELETE', `/catalog/products/${id}`, { token: admin, ...(headers ? { headers } : {}) });

describe('DELETE /catalog/products/{id}', () => {
  it('withdraws the product: 204, no body, gone from reads and lists, kept on record, product-deleted in the outbox', async () => {
    const product = await givenProduct(api, admin, categoryId, { sku: 'GONE-1' });

    const response = await remove(product.id);

    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect((await api.request('GET', `/catalog/products/${product.id}`)).status).toBe(404);
    const listed = await api.request('GET', `/catalog/products?categoryId=${categoryId}`);
    expect(listed.body.items.map((p: { id: string }) => p.id)).not.toContain(product.id);
    expect(await db.query('SELECT version, deleted_at IS NOT NULL AS deleted FROM catalog.products WHERE id = $1', [product.id])).toEqual([
      { version: 2, deleted: true },
    ]);
    expect((await eventsNamed('product-deleted')).filter((e) => e.subject === product.id).map((e) => e.data)).toEqual([
      { productId: product.id, sku: 'GONE-1' },
    ]);
  });

  it('answers 404 to deleting twice, and emits once', async () => {
    const product = await givenProduct(api, admin, categoryId);
    await remove(product.id);

    expect((await remove(product.id)).status).toBe(404);
    expect((await eventsNamed('product-deleted')).filter((e) => e.subject === product.id)).toHaveLength(1);
  });

  it('answers 412 to a stale If-Match and keeps the product', async () => {
    const product = await givenProduct(api, admin, categoryId);
    await api.request('PATCH', `/catalog/products/${product.id}`, { token: admin, body: { name: 'Renamed' } });

    const response = await remove(product.id, { 'if-match': '"1"' });

    expect(response.status).toBe(412);
    expect((await api.request('GET', `/catalog/products/${product.id}`)).status).toBe(200);
    expect((await remove(product.id, { 'if-match': '"2"' })).status).toBe(204);
  });

  it('answers 404 to an unknown product', async () => {
    expect((await remove(UNKNOWN_ID)).status).toBe(404);
  });

  it('is for admins', async () => {
    const product = await givenProduct(api, admin, categoryId);

    expect((await api.request('DELETE', `/catalog/products/${product.id}`)).status).toBe(401);
    expect((await api.request('DELETE', `/catalog/products/${product.id}`, { token: await tokenFor('customer') })).status).toBe(403);
    expect((await api.request('GET', `/catalog/products/${product.id}`)).status).toBe(200);
  });
});
