import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { SQL_LOOKING, UNKNOWN_ID, givenCategory, givenProduct, startCatalog } from '../test-support.js';

useTestDatabase(['catalog']);
const api = startCatalog([
  'catalog/commands/create-category',
  'catalog/commands/create-product',
  'catalog/commands/delete-product',
  'catalog/queries/list-products',
]);

type Item = { id: string; name: string };
let admin: string;
const c: Record<'kitchen' | 'baking' | 'coffee' | 'outdoors', { id: string }> = {} as never;
const p: Record<string, Item> = {};
beforeAll(async () => {
  admin = await tokenFor('admin');
  c.kitchen = await givenCategory(api, admin, { name: 'Kitchen' });
  c.baking = await givenCategory(api, admin, { name: 'Baking', parentId: c.kitchen.id });
  c.coffee = await givenCategory(api, admin, { name: 'Coffee', parentId: c.kitchen.id });
  c.outdoors = await givenCategory(api, admin, { name: 'Outdoors' });
  const products: Array<[string, string, keyof typeof c]> = [
    ['ramekins', 'Crème Brûlée Ramekins (4)', 'baking'],
    ['whisk', 'Crème fraîche whisk', 'baking'],
    ['torch', 'Brûlée Torch', 'baking'],
    ['beans', 'Espresso Beans 1 kg', 'coffee'],
    ['grinder', 'Burr Grinder', 'coffee'],
    ['tent', 'Two-Person Tent', 'outdoors'],
    ['towel', '100% Cotton Towel', 'outdoors'],
    ['mug', 'snake_case Mug', 'kitchen'],
  ];
  for (const [key, name, category] of products) p[key] = await givenProduct(api, admin, c[category].id, { name });
});

const ids = (response: { body: { items: Item[] } }) => response.body.items.map((item) => item.id);
const list = async (query: string) => {
  const response = await api.request('GET', `/catalog/products${query}`);
  expect(response.status, response.text).toBe(200);
  return response;
};
const search = async (q: string, more = '') => ids(await list(`?q=${encodeURIComponent(q)}${more}`));
const all = ['ramekins', 'whisk', 'torch', 'beans', 'grinder', 'tent', 'towel', 'mug'];
const idsOf = (...keys: string[]) => keys.map((key) => p[key]?.id);

describe('GET /catalog/products', () => {
  it('lists every live product, oldest first, without a token', async () => {
    const response = await list('');

    expect(ids(response)).toEqual(idsOf(...all));
    expect(response.body.items[0]).toEqual(p.ramekins);
    expect(response.body.nextCursor).toBeNull();
  });

  it('pages with limit and the opaque cursor, without losing or repeating a product', async () => {
    const seen: string[] = [];
    const pages: number[] = [];
    let cursor: string | null = null;
    do {
      const response = await list(cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : '?limit=3');
      pages.push(response.body.items.length);
      seen.push(...ids(response));
      cursor = response.body.nextCursor;
    } while (cursor);

    expect(pages).toEqual([3, 3, 2]);
    expect(seen).toEqual(idsOf(...all));
  });

  it('filters by category, taking in the categories below it', async () => {
    expect(ids(await list(`?categoryId=${c.coffee.id}`))).toEqual(idsOf('beans', 'grinder'));
    expect(ids(await list(`?categoryId=${c.kitchen.id}`))).toEqual(idsOf('ramekins', 'whisk', 'torch', 'beans', 'grinder', 'mug'));
    expect(ids(await list(`?categoryId=${UNKNOWN_ID}`))).toEqual([]);
  });

  it('leaves deleted products out', async () => {
    const doomed = await givenProduct(api, admin, c.outdoors.id, { name: 'Crème Brûlée Doomed' });
    await api.request('DELETE', `/catalog/products/${doomed.id}`, { token: admin });

    expect(ids(await list(''))).not.toContain(doomed.id);
    expect(await search('doomed')).toEqual([]);
  });

  it('answers 422 to a bad limit, cursor, category, search or parameter', async () => {
    for (const query of ['?limit=0', '?limit=201', '?cursor=abc', '?categoryId=42', '?q=', '?q=%20%20', `?q=${'x'.repeat(201)}`, '?colour=red']) {
      expect((await api.request('GET', `/catalog/products${query}`)).status, query).toBe(422);
    }
  });
});

describe('GET /catalog/products?q=', () => {
  it('finds names in any case and with or without accents', async () => {
    expect(await search('creme')).toEqual(idsOf('ramekins', 'whisk'));
    expect(await search('BRULEE')).toEqual(idsOf('ramekins', 'torch'));
    expect(await search('brûlée')).toEqual(idsOf('ramekins', 'torch'));
    expect(await search('CRÈME')).toEqual(idsOf('ramekins', 'whisk'));
    expect(await search('fraiche')).toEqual(idsOf('whisk'));
  });

  it('needs every word, in any order, anywhere in the name', async () => {
    expect(await search('creme brulee')).toEqual(idsOf('ramekins'));
    expect(await search('  Brulee   CREME ')).toEqual(idsOf('ramekins'));
    expect(await search('crème tent')).toEqual([]);
    expect(await search('rame')).toEqual(idsOf('ramekins'));
  });

  it('combines with the category filter', async () => {
    expect(await search('brulee', `&categoryId=${c.baking.id}`)).toEqual(idsOf('ramekins', 'torch'));
    expect(await search('brulee', `&categoryId=${c.coffee.id}`)).toEqual([]);
  });

  it('takes %, _ and \\ as themselves, not as patterns', async () => {
    expect(await search('%')).toEqual(idsOf('towel'));
    expect(await search('_')).toEqual(idsOf('mug'));
    expect(await search('\\')).toEqual([]);
    expect(await search(SQL_LOOKING)).toEqual([]);
  });

  it('pages through the results with the cursor', async () => {
    const category = await givenCategory(api, admin, { name: 'Pâtisserie' });
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await givenProduct(api, admin, category.id, { name: `Gâteau n°${i}` })).id);
    await givenProduct(api, admin, category.id, { name: 'Tarte' });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response = await list(`?q=GATEAU&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...ids(response));
      cursor = response.body.nextCursor;
      pages += 1;
    } while (cursor);

    expect(pages).toBe(3);
    expect(seen).toEqual(made);
  });
});
