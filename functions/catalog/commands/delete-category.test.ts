import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { UNKNOWN_ID, eventsNamed, givenCategory, givenProduct, startCatalog } from '../test-support.js';

const db = useTestDatabase(['catalog']);
const api = startCatalog([
  'catalog/commands/create-category',
  'catalog/commands/update-category',
  'catalog/commands/delete-category',
  'catalog/commands/create-product',
  'catalog/commands/update-product',
  'catalog/commands/delete-product',
]);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const remove = (id: string, headers?: Record<string, string>) =>
  api.request('DELETE', `/catalog/categories/${id}`, { token: admin, ...(headers ? { headers } : {}) });
const exists = async (id: string) => (await db.query('SELECT id FROM catalog.categories WHERE id = $1', [id])).length === 1;

describe('DELETE /catalog/categories/{id}', () => {
  it('deletes an empty category: 204, no body, the row gone, category-deleted in the outbox', async () => {
    const parent = await givenCategory(api, admin);
    const category = await givenCategory(api, admin, { parentId: parent.id });

    const response = await remove(category.id);

    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect(await exists(category.id)).toBe(false);
    expect((await eventsNamed('category-deleted')).filter((e) => e.subject === category.id).map((e) => e.data)).toEqual([
      { categoryId: category.id, parentId: parent.id },
    ]);
  });

  it('answers 409 while the category has children, and keeps it', async () => {
    const parent = await givenCategory(api, admin);
    await givenCategory(api, admin, { parentId: parent.id });

    const response = await remove(parent.id);

    expect(response.status).toBe(409);
    expect(await exists(parent.id)).toBe(true);
    expect((await eventsNamed('category-deleted')).filter((e) => e.subject === parent.id)).toEqual([]);
  });

  it('answers 409 while the category has products, and keeps it', async () => {
    const category = await givenCategory(api, admin);
    await givenProduct(api, admin, category.id);

    const response = await remove(category.id);

    expect(response.status).toBe(409);
    expect(await exists(category.id)).toBe(true);
  });

  it('deletes the category once its children moved away and its products are deleted or moved', async () => {
    const category = await givenCategory(api, admin);
    const child = await givenCategory(api, admin, { parentId: category.id });
    const deleted = await givenProduct(api, admin, category.id);
    const moved = await givenProduct(api, admin, category.id);
    const elsewhere = await givenCategory(api, admin);
    expect((await api.request('PATCH', `/catalog/categories/${child.id}`, { token: admin, body: { parentId: null } })).status).toBe(200);
    expect((await api.request('DELETE', `/catalog/products/${deleted.id}`, { token: admin })).status).toBe(204);
    expect((await api.request('PATCH', `/catalog/products/${moved.id}`, { token: admin, body: { categoryId: elsewhere.id } })).status).toBe(200);

    expect((await remove(category.id)).status).toBe(204);
    // The deleted product stays on record, without the category that is gone.
    expect(await db.query('SELECT category_id, deleted_at IS NOT NULL AS deleted FROM catalog.products WHERE id = $1', [deleted.id])).toEqual([
      { category_id: null, deleted: true },
    ]);
  });

  it('answers 412 to a stale If-Match and keeps the category', async () => {
    const category = await givenCategory(api, admin);
    await api.request('PATCH', `/catalog/categories/${category.id}`, { token: admin, body: { name: 'Renamed' } });

    const response = await remove(category.id, { 'if-match': '"1"' });

    expect(response.status).toBe(412);
    expect(await exists(category.id)).toBe(true);
  });

  it('answers 404 to an unknown category, and to one already deleted', async () => {
    const category = await givenCategory(api, admin);
    await remove(category.id);

    expect((await remove(category.id)).status).toBe(404);
    expect((await remove(UNKNOWN_ID)).status).toBe(404);
  });

  it('is for admins', async () => {
    const category = await givenCategory(api, admin);

    expect((await api.request('DELETE', `/catalog/categories/${category.id}`)).status).toBe(401);
    expect((await api.request('DELETE', `/catalog/categories/${category.id}`, { token: await tokenFor('customer') })).status).toBe(403);
    expect(await exists(category.id)).toBe(true);
  });
});
