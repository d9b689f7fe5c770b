import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { UNKNOWN_ID, givenCategory, startCatalog } from '../test-support.js';

useTestDatabase(['catalog']);
const api = startCatalog(['catalog/commands/create-category', 'catalog/queries/get-category']);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

describe('GET /catalog/categories/{id}', () => {
  it('answers the category with its ETag, without a token or with any role', async () => {
    const parent = await givenCategory(api, admin);
    const category = await givenCategory(api, admin, { parentId: parent.id, description: 'Beans and gear' });

    const response = await api.request('GET', `/catalog/categories/${category.id}`);

    expect(response.status).toBe(200);
    expect(response.body).toEqual(category);
    expect(response.body.parentId).toBe(parent.id);
    expect(response.headers.get('etag')).toBe('"1"');
    expect((await api.request('GET', `/catalog/categories/${category.id}`, { token: await tokenFor('customer') })).status).toBe(200);
  });

  it('answers 404 to an unknown or malformed id, and 401 to a bad token', async () => {
    expect((await api.request('GET', `/catalog/categories/${UNKNOWN_ID}`)).status).toBe(404);
    expect((await api.request('GET', "/catalog/categories/1'%20OR%20'1'='1")).status).toBe(404);
    expect((await api.request('GET', `/catalog/categories/${UNKNOWN_ID}`, { token: 'forged' })).status).toBe(401);
  });
});
