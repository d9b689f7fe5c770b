import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { UNKNOWN_ID, givenCategory, givenProduct, startCatalog } from '../test-support.js';

useTestDatabase(['catalog']);
const api = startCatalog([
  'catalog/commands/create-category',
  'catalog/commands/create-product',
  'catalog/commands/delete-product',
  'catalog/queries/get-product',
]);
let admin: string;
let categoryId: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
  categoryId = (await givenCategory(api, admin)).id;
});

describe('GET /catalog/products/{id}', () => {
  it('answers the product with its ETag, without a token', async () => {
    const product = await givenProduct(api, admin, categoryId);

    const response = await api.request('GET', `/catalog/products/${product.id}`);

    expect(response.status).toBe(200);
    expect(response.body).toEqual(product);
    expect(response.headers.get('etag')).toBe('"1"');
  });

  it('answers 404 to a deleted, unknown or malformed product', async () => {
    const product = await givenProduct(api, admin, categoryId);
    await api.request('DELETE', `/catalog/products/${product.id}`, { token: admin });

    expect((await api.request('GET', `/catalog/products/${product.id}`)).status).toBe(404);
    expect((await api.request('GET', `/catalog/products/${UNKNOWN_ID}`)).status).toBe(404);
    expect((await api.request('GET', '/catalog/products/KIT-COF-001')).status).toBe(404);
  });
});
