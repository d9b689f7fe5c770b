import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { SQL_LOOKING, UNICODE, UNKNOWN_ID, eventsNamed, givenCategory, startCatalog } from '../test-support.js';

const db = useTestDatabase(['catalog']);
const api = startCatalog(['catalog/commands/create-category', 'catalog/queries/get-category']);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

describe('POST /catalog/categories', () => {
  it('creates a root category: 201, Location, ETag, the category, and category-created in the outbox', async () => {
    const response = await api.request('POST', '/catalog/categories', { token: admin, body: { name: 'Kitchen', description: 'Cook, bake and brew' } });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      name: 'Kitchen',
      description: 'Cook, bake and brew',
      parentId: null,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: response.body.createdAt,
    });
    expect(response.headers.get('location')).toBe(`/catalog/categories/${response.body.id}`);
    expect(response.headers.get('etag')).toBe('"1"');
    const events = (await eventsNamed('category-created')).filter((e) => e.subject === response.body.id);
    expect(events.map((e) => e.data)).toEqual([{ categoryId: response.body.id, name: 'Kitchen', description: 'Cook, bake and brew', parentId: null }]);
    expect((await api.request('GET', `/catalog/categories/${response.body.id}`)).body).toEqual(response.body);
  });

  it('files a category under its parent, at any depth', async () => {
    let parent = await givenCategory(api, admin);
    for (let depth = 0; depth < 5; depth++) {
      const response = await api.request('POST', '/catalog/categories', { token: admin, body: { name: `Level ${depth}`, parentId: parent.id } });
      expect(response.status).toBe(201);
      expect(response.body.parentId).toBe(parent.id);
      parent = response.body;
    }
  });

  it('answers 422 to an unknown parent, pointing at parentId, and stores nothing', async () => {
    const before = (await eventsNamed('category-created')).length;

    const response = await api.request('POST', '/catalog/categories', { token: admin, body: { name: 'Orphan', parentId: UNKNOWN_ID } });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ pointer: '/parentId', message: expect.any(String) }]);
    expect(await db.query("SELECT id FROM catalog.categories WHERE name = 'Orphan'")).toEqual([]);
    expect(await eventsNamed('category-created')).toHaveLength(before);
  });

  it('stores and returns SQL-looking and unicode text exactly', async () => {
    const name = `${SQL_LOOKING} ${UNICODE}`;

    const response = await api.request('POST', '/catalog/categories', { token: admin, body: { name, description: `${UNICODE}\n${SQL_LOOKING}` } });

    expect(response.status).toBe(201);
    expect(await db.query('SELECT name, description FROM catalog.categories WHERE id = $1', [response.body.id])).toEqual([
      { name, description: `${UNICODE}\n${SQL_LOOKING}` },
    ]);
  });

  it('answers 422 with the pointers of the fields that fail the schema, and stores nothing', async () => {
    const [{ n: before }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM catalog.categories')) as [{ n: number }];

    const cases: Array<[unknown, string[]]> = [
      [{ name: '', parentId: 'not-a-uuid', colour: 'red' }, ['/colour', '/name', '/parentId']],
      [{ name: '   ' }, ['/name']],
      [{ name: 'x'.repeat(201) }, ['/name']],
      [{ name: 'x', description: 'd'.repeat(2001) }, ['/description']],
      [{}, ['/name']],
    ];
    for (const [body, pointers] of cases) {
      const response = await api.request('POST', '/catalog/categories', { token: admin, body });
      expect(response.status, JSON.stringify(body)).toBe(422);
      expect([...new Set(response.body.errors.map((e: { pointer: string }) => e.pointer))].sort()).toEqual(pointers);
    }
    expect(await db.query('SELECT count(*)::int AS n FROM catalog.categories')).toEqual([{ n: before }]);
  });

  it('answers 422, not 500, for text PostgreSQL cannot store', async () => {
    expect((await api.request('POST', '/catalog/categories', { token: admin, body: { name: 'nul\u0000byte' } })).status).toBe(422);
  });

  it('is for admins: 401 without a token, 403 for a customer', async () => {
    expect((await api.request('POST', '/catalog/categories', { body: { name: 'x' } })).status).toBe(401);
    const customer = await tokenFor('customer');
    expect((await api.request('POST', '/catalog/categories', { token: customer, body: { name: 'x' } })).status).toBe(403);
  });
});
