import { describe, expect, it } from 'vitest';
import { Conflict, ValidationError } from '../runtime/errors.js';
import { buildTree, createCategory, deleteCategory, isSelfOrAncestor, updateCategory, wouldCreateCycle, type Category, type ParentMap } from './category.js';

const t0 = new Date('2026-03-01T09:00:00.000Z');
const t1 = new Date('2026-03-02T10:30:00.000Z');
const ids = {
  kitchen: '0b6f3c1e-1a2b-4c3d-8e4f-000000000001',
  coffee: '0b6f3c1e-1a2b-4c3d-8e4f-000000000002',
  grinders: '0b6f3c1e-1a2b-4c3d-8e4f-000000000003',
  manual: '0b6f3c1e-1a2b-4c3d-8e4f-000000000004',
  outdoors: '0b6f3c1e-1a2b-4c3d-8e4f-000000000005',
};

// kitchen > coffee > grinders > manual; outdoors
const tree: ParentMap = new Map([
  [ids.kitchen, null],
  [ids.coffee, ids.kitchen],
  [ids.grinders, ids.coffee],
  [ids.manual, ids.grinders],
  [ids.outdoors, null],
]);

const given = (id: string, name: string, parentId: string | null = null): Category => ({
  id,
  name,
  description: null,
  parentId,
  version: 1,
  createdAt: t0,
  updatedAt: t0,
});

describe('the cycle check over a parent map', () => {
  it('finds a category under itself and under each of its own descendants', () => {
    expect(wouldCreateCycle(tree, ids.coffee, ids.coffee)).toBe(true);
    expect(wouldCreateCycle(tree, ids.coffee, ids.grinders)).toBe(true);
    expect(wouldCreateCycle(tree, ids.coffee, ids.manual)).toBe(true);
    expect(wouldCreateCycle(tree, ids.kitchen, ids.manual)).toBe(true);
  });

  it('allows a move under an ancestor, a sibling branch or another root', () => {
    expect(wouldCreateCycle(tree, ids.manual, ids.kitchen)).toBe(false);
    expect(wouldCreateCycle(tree, ids.grinders, ids.outdoors)).toBe(false);
    expect(wouldCreateCycle(tree, ids.outdoors, ids.manual)).toBe(false);
  });

  it('stops on a map that already holds a cycle instead of walking forever', () => {
    const looped: ParentMap = new Map([
      ['a', 'b'],
      ['b', 'a'],
    ]);

    expect(isSelfOrAncestor(looped, 'c', 'a')).toBe(false);
    expect(isSelfOrAncestor(looped, 'b', 'a')).toBe(true);
  });

  it('stops at the edge of what the map knows', () => {
    expect(isSelfOrAncestor(new Map([['x', 'not-in-the-map']]), 'y', 'x')).toBe(false);
  });
});

describe('createCategory', () => {
  it('makes version 1 of a root, and category-created without a description it does not have', () => {
    const [category, events] = createCategory({ name: 'Kitchen' }, undefined, ids.kitchen, t0);

    expect(category).toEqual(given(ids.kitchen, 'Kitchen'));
    expect(events.map((e) => [e.definition.type, e.subject, e.data])).toEqual([
      ['com.gotuto.catalog.category-created.v1', ids.kitchen, { categoryId: ids.kitchen, name: 'Kitchen', parentId: null }],
    ]);
  });

  it('files a category under its parent', () => {
    const kitchen = given(ids.kitchen, 'Kitchen');

    const [category, events] = createCategory({ name: 'Coffee', description: 'Beans', parentId: ids.kitchen }, kitchen, ids.coffee, t0);

    expect(category).toMatchObject({ parentId: ids.kitchen, description: 'Beans' });
    expect(events[0]?.data).toEqual({ categoryId: ids.coffee, name: 'Coffee', description: 'Beans', parentId: ids.kitchen });
  });

  it('refuses an unknown parent as invalid input, pointing at parentId', () => {
    const create = () => createCategory({ name: 'Coffee', parentId: ids.kitchen }, undefined, ids.coffee, t0);

    expect(create).toThrow(ValidationError);
    expect(create).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ pointer: '/parentId' })] }));
  });
});

describe('updateCategory', () => {
  it('moves a category under another branch, bumps the version and says what changed', () => {
    const grinders = given(ids.grinders, 'Grinders', ids.coffee);

    const [moved, events] = updateCategory(grinders, { parentId: ids.outdoors }, new Map([[ids.outdoors, null]]), t1);

    expect(moved).toMatchObject({ parentId: ids.outdoors, version: 2, updatedAt: t1, createdAt: t0 });
    expect(events[0]?.data).toEqual({ categoryId: ids.grinders, name: 'Grinders', parentId: ids.outdoors, changed: ['parentId'] });
  });

  it('refuses a move under its own grandchild with a conflict', () => {
    const coffee = given(ids.coffee, 'Coffee', ids.kitchen);
    const ancestryOfManual: ParentMap = new Map([
      [ids.manual, ids.grinders],
      [ids.grinders, ids.coffee],
      [ids.coffee, ids.kitchen],
      [ids.kitchen, null],
    ]);

    expect(() => updateCategory(coffee, { parentId: ids.manual }, ancestryOfManual, t1)).toThrow(Conflict);
  });

  it('refuses a move under itself with a conflict', () => {
    const coffee = given(ids.coffee, 'Coffee', ids.kitchen);

    expect(() => updateCategory(coffee, { parentId: ids.coffee }, tree, t1)).toThrow(Conflict);
  });

  it('refuses a parent that does not exist as invalid input', () => {
    const coffee = given(ids.coffee, 'Coffee', ids.kitchen);

    expect(() => updateCategory(coffee, { parentId: ids.outdoors }, new Map(), t1)).toThrow(ValidationError);
  });

  it('makes a root with a null parent, and clears the description with null', () => {
    const coffee = { ...given(ids.coffee, 'Coffee', ids.kitchen), description: 'Beans' };

    const [root, events] = updateCategory(coffee, { parentId: null, description: null }, new Map(), t1);

    expect(root).toMatchObject({ parentId: null, description: null, version: 2 });
    expect(events[0]?.data).toEqual({ categoryId: ids.coffee, name: 'Coffee', parentId: null, changed: ['description', 'parentId'] });
  });

  it('changes nothing, not even the version, when every field is as it was', () => {
    const coffee = given(ids.coffee, 'Coffee', ids.kitchen);

    const [after, events] = updateCategory(coffee, { name: 'Coffee', parentId: ids.kitchen }, new Map(), t1);

    expect(after).toBe(coffee);
    expect(events).toEqual([]);
  });
});

describe('deleteCategory', () => {
  it('emits category-deleted for an empty category', () => {
    const events = deleteCategory(given(ids.coffee, 'Coffee', ids.kitchen), { hasChildren: false, hasProducts: false });

    expect(events.map((e) => [e.definition.type, e.data])).toEqual([
      ['com.gotuto.catalog.category-deleted.v1', { categoryId: ids.coffee, parentId: ids.kitchen }],
    ]);
  });

  it('refuses while the category has children or products', () => {
    const coffee = given(ids.coffee, 'Coffee');

    expect(() => deleteCategory(coffee, { hasChildren: true, hasProducts: false })).toThrow(Conflict);
    expect(() => deleteCategory(coffee, { hasChildren: false, hasProducts: true })).toThrow(Conflict);
  });
});

describe('buildTree', () => {
  it('nests every category under its parent, siblings by name whatever their case and accents', () => {
    const categories = [
      given(ids.grinders, 'grinders', ids.coffee),
      given(ids.outdoors, 'Outdoors'),
      given(ids.coffee, 'Coffee', ids.kitchen),
      given(ids.manual, 'Manual', ids.grinders),
      given(ids.kitchen, 'Épicerie'),
    ];

    const roots = buildTree(categories);

    expect(roots.map((r) => r.name)).toEqual(['Épicerie', 'Outdoors']);
    expect(roots[0]?.children.map((c) => c.name)).toEqual(['Coffee']);
    expect(roots[0]?.children[0]?.children[0]?.children.map((c) => c.id)).toEqual([ids.manual]);
    expect(roots[1]?.children).toEqual([]);
  });
});
