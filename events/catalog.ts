// Catalog's events: the data each one carries, and its definition (type name and JSON Schema).
// Inventory consumes product-created; Order reads prices through the validate query, not events.
import { defineEvent, type Money } from './core.js';
import productCreatedSchema from '../schemas/events/catalog/product-created.v1.json' with { type: 'json' };
import productUpdatedSchema from '../schemas/events/catalog/product-updated.v1.json' with { type: 'json' };
import productDeletedSchema from '../schemas/events/catalog/product-deleted.v1.json' with { type: 'json' };
import priceChangedSchema from '../schemas/events/catalog/price-changed.v1.json' with { type: 'json' };
import categoryCreatedSchema from '../schemas/events/catalog/category-created.v1.json' with { type: 'json' };
import categoryUpdatedSchema from '../schemas/events/catalog/category-updated.v1.json' with { type: 'json' };
import categoryDeletedSchema from '../schemas/events/catalog/category-deleted.v1.json' with { type: 'json' };

export type { Money } from './core.js';

export interface ProductCreated {
  productId: string;
  name: string;
  /** Absent when the product has none. */
  description?: string;
  sku: string;
  price: Money;
  categoryId: string;
}
export const productCreated = defineEvent<ProductCreated>('catalog', 'product-created', 1, productCreatedSchema);

/** The product after the change (a full snapshot), and which fields changed. Prices change with price-changed. */
export interface ProductUpdated extends ProductCreated {
  changed: Array<'name' | 'description' | 'categoryId'>;
}
export const productUpdated = defineEvent<ProductUpdated>('catalog', 'product-updated', 1, productUpdatedSchema);

export interface ProductDeleted {
  productId: string;
  sku: string;
}
export const productDeleted = defineEvent<ProductDeleted>('catalog', 'product-deleted', 1, productDeletedSchema);

export interface PriceChanged {
  productId: string;
  oldPrice: Money;
  newPrice: Money;
}
export const priceChanged = defineEvent<PriceChanged>('catalog', 'price-changed', 1, priceChangedSchema);

export interface CategoryCreated {
  categoryId: string;
  name: string;
  description?: string;
  /** Null for a root category. */
  parentId: string | null;
}
export const categoryCreated = defineEvent<CategoryCreated>('catalog', 'category-created', 1, categoryCreatedSchema);

/** The category after the change (a full snapshot), and which fields changed. */
export interface CategoryUpdated extends CategoryCreated {
  changed: Array<'name' | 'description' | 'parentId'>;
}
export const categoryUpdated = defineEvent<CategoryUpdated>('catalog', 'category-updated', 1, categoryUpdatedSchema);

export interface CategoryDeleted {
  categoryId: string;
  parentId: string | null;
}
export const categoryDeleted = defineEvent<CategoryDeleted>('catalog', 'category-deleted', 1, categoryDeletedSchema);
