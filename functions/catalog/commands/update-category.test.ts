import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { SQL_LOOKING, UNICODE, UNKNOWN_ID, eventsNamed, givenCategory, startCatalog } from '../test-support.js';

const db = useTestDatabase(['catalog']);
const api = startCatalog(['catalog/commands/create-category', 'catalog/commands/update-category']);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const patch = (id: string, body: unknown, headers?: Record<string, string>) =>
  api.request('PATCH', `/catalog/categories/${id}`, { token: admin, body, ...(headers ? { headers } : {}) });
const parentOf = async (id: string) =>
  (await db.query<{ parent_id: string | null }>('SELECT parent_id FROM catalog.categories WHERE id = $1', [id]))[0]?.parent_id;

/** root > child > grandchild */
const givenChain = async () => {
  const root = await givenCategory(api, admin);
  const child = await givenCategory(api, admin, { parentId: root.id });
  const grandchild = await givenCategory(api, admin, { parentId: child.id });
  return { root, child, grandchild };
};

describe('PATCH /catalog/categories/{id}', () => {
  it('renames and describes: 200, version 2, ETag, and category-updated with what changed', async () => {
    const category = await givenCategory(api, admin, { description: 'Old' });

    const response = await patch(category.id, { name: `${UNICODE} ${SQL_LOOKING}`, description: null });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...category, name: `${UNICODE} ${SQL_LOOKING}`, description: null, version: 2, updatedAt: expect.any(String) });
    expect(response.headers.get('etag')).toBe('"2"');
    const events = (await eventsNamed('category-updated')).filter((e) => e.subject === category.id);
    expect(events.map((e) => e.data)).toEqual([
      { categoryId: category.id, name: `${UNICODE} ${SQL_LOOKING}`, parentId: null, changed: ['name', 'description'] },
    ]);
  });

  it('moves a category, with its subtree, under another branch', async () => {
    const { child, grandchild } = await givenChain();
    const other = await givenCategory(api, admin);

    const response = await patch(child.id, { parentId: other.id });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ parentId: other.id, version: 2 });
    expect(await parentOf(grandchild.id)).toBe(child.id);
    const [event] = (await eventsNamed('category-updated')).filter((e) => e.subject === child.id);
    expect(event?.data).toMatchObject({ parentId: other.id, changed: ['parentId'] });
  });

  it('moves a category up under its grandparent, and makes it a root with null', async () => {
    const { root, grandchild } = await givenChain();

    expect((await patch(grandchild.id, { parentId: root.id })).body.parentId).toBe(root.id);
    expect((await patch(grandchild.id, { parentId: null })).body.parentId).toBeNull();
  });

  it('answers 409 to a move under its own grandchild, and leaves the tree as it was', async () => {
    const { root, child, grandchild } = await givenChain();

    const response = await patch(root.id, { parentId: grandchild.id });

    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ status: 409, type: 'https://gotuto.dev/problems/conflict' });
    expect(await parentOf(root.id)).toBeNull();
    expect(await parentOf(grandchild.id)).toBe(child.id);
    expect((await eventsNamed('category-updated')).filter((e) => e.subject === root.id)).toEqual([]);
  });

  it('answers 409 to a move under itself or its own child', async () => {
    const { child, grandchild } = await givenChain();

    expect((await patch(child.id, { parentId: child.id })).status).toBe(409);
    expect((await patch(child.id, { parentId: grandchild.id })).status).toBe(409);
  });

  it('never lets two concurrent moves make a cycle: A under B and B under A, one wins, the other is 409', async () => {
    for (let round = 0; round < 5; round++) {
      const a = await givenCategory(api, admin);
      const b = await givenCategory(api, admin);

      const responses = await Promise.all([patch(a.id, { parentId: b.id }), patch(b.id, { parentId: a.id })]);

      expect(responses.map((r) => r.status).sort()).toEqual([200, 409]);
      const parents = [await parentOf(a.id), await parentOf(b.id)];
      expect(parents.filter((p) => p === null)).toHaveLength(1);
    }
  });

  it('answers 422 to an unknown parent, pointing at parentId', async () => {
    const category = await givenCategory(api, admin);

    const response = await patch(category.id, { parentId: UNKNOWN_ID });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ pointer: '/parentId', message: expect.any(String) }]);
    expect(await parentOf(category.id)).toBeNull();
  });

  it('answers 412 to a stale If-Match and changes nothing', async () => {
    const category = await givenCategory(api, admin);
    await patch(category.id, { name: 'First' });

    const response = await patch(category.id, { name: 'Second' }, { 'if-match': '"1"' });

    expect(response.status).toBe(412);
    expect(await db.query('SELECT name, version FROM catalog.categories WHERE id = $1', [category.id])).toEqual([{ name: 'First', version: 2 }]);
    expect((await patch(category.id, { name: 'Third' }, { 'if-match': '"2"' })).status).toBe(200);
  });

  it('keeps the version and emits nothing when nothing changes', async () => {
    const category = await givenCategory(api, admin);

    const response = await patch(category.id, { name: category.name, parentId: null });

    expect(response.status).toBe(200);
    expect(response.body).toEqual(category);
    expect((await eventsNamed('category-updated')).filter((e) => e.subject === category.id)).toEqual([]);
  });

  it('answers 422 to an empty or malformed patch, and 404 to an unknown or malformed id', async () => {
    const category = await givenCategory(api, admin);

    expect((await patch(category.id, {})).status).toBe(422);
    expect((await patch(category.id, { parentId: 'root' })).status).toBe(422);
    expect((await patch(category.id, { name: 'x', sku: 'y' })).status).toBe(422);
    expect((await patch(UNKNOWN_ID, { name: 'x' })).status).toBe(404);
    expect((await patch('not-a-uuid', { name: 'x' })).status).toBe(404);
  });

  it('is for admins', async () => {
    const category = await givenCategory(api, admin);

    expect((await api.request('PATCH', `/catalog/categories/${category.id}`, { body: { name: 'x' } })).status).toBe(401);
    const customer = await tokenFor('customer');
    expect((await api.request('PATCH', `/catalog/categories/${category.id}`, { token: customer, body: { name: 'x' } })).status).toBe(403);
  });
});
