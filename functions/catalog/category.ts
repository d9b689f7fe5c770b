// A category of the catalog: categories form one tree of any depth, and products are filed in
// them. A category never sits below itself; one with products or children stays.
import type { CatalogCreateCategory, CatalogUpdateCategory } from '../../events/schemas.generated.js';
import type { NewEvent } from '../../events/index.js';
import { categoryCreated, categoryDeleted, categoryUpdated, type CategoryUpdated } from '../../events/catalog.js';
import { Conflict, ValidationError } from '../runtime/errors.js';

export interface Category {
  id: string;
  name: string;
  description: string | null;
  /** Null for a root. */
  parentId: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewCategory = CatalogCreateCategory;

/** A PATCH: absent fields stay, a null description clears it, a null parentId makes a root. */
export type CategoryChanges = CatalogUpdateCategory;

/**
 * Each known category's parent (null for a root). Enough of the tree to answer a question: to
 * move a category under P, the ancestry of P, from P up to its root.
 */
export type ParentMap = ReadonlyMap<string, string | null>;

export interface CategoryNode extends Category {
  children: CategoryNode[];
}

type Field = CategoryUpdated['changed'][number];
const FIELDS: readonly Field[] = ['name', 'description', 'parentId'];

const snapshot = (category: Category) => ({
  categoryId: category.id,
  name: category.name,
  ...(category.description === null ? {} : { description: category.description }),
  parentId: category.parentId,
});

const invalid = (pointer: string, message: string): ValidationError => new ValidationError(message, [{ pointer, message }]);

/**
 * Whether `ancestorId` is `id` itself or one of its ancestors in `parents`. A walk that meets a
 * category twice stops: a tree stored with a cycle (which the database cannot hold, but a map
 * could) never loops forever.
 */
export const isSelfOrAncestor = (parents: ParentMap, ancestorId: string, id: string): boolean => {
  const seen = new Set<string>();
  for (let at: string | null | undefined = id; at != null && !seen.has(at); at = parents.get(at)) {
    if (at === ancestorId) return true;
    seen.add(at);
  }
  return false;
};

/** Whether putting `categoryId` under `newParentId` would put it under itself or its own descendant. */
export const wouldCreateCycle = (parents: ParentMap, categoryId: string, newParentId: string): boolean => isSelfOrAncestor(parents, categoryId, newParentId);

/** `parent` is the category named by `parentId`, undefined when there is none or it does not exist. */
export const createCategory = (input: NewCategory, parent: Category | undefined, id: string, now: Date): [Category, NewEvent[]] => {
  if (input.parentId !== undefined && !parent) throw invalid('/parentId', `category ${input.parentId} does not exist`);
  const category: Category = {
    id,
    name: input.name,
    description: input.description ?? null,
    parentId: parent?.id ?? null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  return [category, [categoryCreated.build(id, snapshot(category))]];
};

/**
 * Applies a PATCH. `ancestry` holds the ancestry of the new parent when the PATCH names one (the
 * new parent absent from it means it does not exist). A PATCH that changes nothing leaves the
 * category, and its version, as they are.
 */
export const updateCategory = (category: Category, changes: CategoryChanges, ancestry: ParentMap, now: Date): [Category, NewEvent[]] => {
  const changed = FIELDS.filter((field) => changes[field] !== undefined && changes[field] !== category[field]);
  if (changed.length === 0) return [category, []];
  const parentId = changes.parentId === undefined ? category.parentId : changes.parentId;
  if (changed.includes('parentId') && parentId !== null) {
    if (parentId === category.id || wouldCreateCycle(ancestry, category.id, parentId)) {
      throw new Conflict(`category ${category.id} cannot move under itself or one of its own descendants`);
    }
    if (!ancestry.has(parentId)) throw invalid('/parentId', `category ${parentId} does not exist`);
  }
  const updated: Category = {
    ...category,
    name: changes.name ?? category.name,
    description: changes.description === undefined ? category.description : changes.description,
    parentId,
    version: category.version + 1,
    updatedAt: now,
  };
  return [updated, [categoryUpdated.build(category.id, { ...snapshot(updated), changed })]];
};

export const deleteCategory = (category: Category, contents: { hasChildren: boolean; hasProducts: boolean }): NewEvent[] => {
  if (contents.hasChildren) throw new Conflict(`category ${category.id} has child categories and cannot be deleted`);
  if (contents.hasProducts) throw new Conflict(`category ${category.id} has products and cannot be deleted`);
  return [categoryDeleted.build(category.id, { categoryId: category.id, parentId: category.parentId })];
};

// Names in the order a reader expects (accents and case aside, numbers by value); ids break ties.
const collator = new Intl.Collator('und', { sensitivity: 'base', numeric: true });
const byName = (a: Category, b: Category): number => collator.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** The categories as a forest: roots first, each node's children by name. */
export const buildTree = (categories: readonly Category[]): CategoryNode[] => {
  const nodes = new Map(categories.map((c): [string, CategoryNode] => [c.id, { ...c, children: [] }]));
  const roots: CategoryNode[] = [];
  for (const category of [...categories].sort(byName)) {
    const node = nodes.get(category.id) as CategoryNode;
    const parent = category.parentId === null ? undefined : nodes.get(category.parentId);
    (parent ? parent.children : roots).push(node);
  }
  return roots;
};
