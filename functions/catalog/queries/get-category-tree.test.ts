import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { givenCategory, startCatalog } from '../test-support.js';

useTestDatabase(['catalog']);
const api = startCatalog(['catalog/commands/create-category', 'catalog/commands/update-category', 'catalog/queries/get-category-tree']);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const names = (nodes: Array<{ name: string }>) => nodes.map((n) => n.name);

describe('GET /catalog/categories', () => {
  it('answers an empty tree before any category exists', async () => {
    const response = await api.request('GET', '/catalog/categories');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ items: [], nextCursor: null });
  });

  it('answers the whole tree without a token: roots with their children, at any depth, siblings by name', async () => {
    const outdoors = await givenCategory(api, admin, { name: 'Outdoors' });
    const kitchen = await givenCategory(api, admin, { name: 'Kitchen', description: 'Cook, bake and brew' });
    const coffee = await givenCategory(api, admin, { name: 'coffee', parentId: kitchen.id });
    await givenCategory(api, admin, { name: 'Baking', parentId: kitchen.id });
    const grinders = await givenCategory(api, admin, { name: 'Grinders', parentId: coffee.id });
    const manual = await givenCategory(api, admin, { name: 'Manual', parentId: grinders.id });

    const response = await api.request('GET', '/catalog/categories');

    expect(response.status).toBe(200);
    expect(names(response.body.items)).toEqual(['Kitchen', 'Outdoors']);
    const [kitchenNode, outdoorsNode] = response.body.items;
    expect(kitchenNode).toEqual({ ...kitchen, children: expect.any(Array) });
    expect(names(kitchenNode.children)).toEqual(['Baking', 'coffee']);
    expect(kitchenNode.children[1].children[0].children).toEqual([{ ...manual, children: [] }]);
    expect(outdoorsNode).toEqual({ ...outdoors, children: [] });
    expect(response.body.nextCursor).toBeNull();
  });

  it('shows a moved category under its new parent', async () => {
    const from = await givenCategory(api, admin, { name: 'From' });
    const to = await givenCategory(api, admin, { name: 'To' });
    const moved = await givenCategory(api, admin, { name: 'Moved', parentId: from.id });
    await api.request('PATCH', `/catalog/categories/${moved.id}`, { token: admin, body: { parentId: to.id } });

    const { body } = await api.request('GET', '/catalog/categories');

    const node = (name: string) => body.items.find((n: { name: string }) => n.name === name);
    expect(node('From').children).toEqual([]);
    expect(names(node('To').children)).toEqual(['Moved']);
  });

  it('answers 422 to a query parameter it does not take', async () => {
    expect((await api.request('GET', '/catalog/categories?limit=5')).status).toBe(422);
  });
});
