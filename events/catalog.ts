// Catalog's events: the data each one carries, and its definition (type name and JSON Schema).
// Inventory consumes product-created; Order reads prices through the validate query, not events.
import type {
  EventsCatalogCategoryCreatedV1,
  EventsCatalogCategoryDeletedV1,
  EventsCatalogCategoryUpdatedV1,
  EventsCatalogPriceChangedV1,
  EventsCatalogProductCreatedV1,
  EventsCatalogProductDeletedV1,
  EventsCatalogProductUpdatedV1,
} from './schemas.generated.js';
import { defineEvent } from './core.js';
import productCreatedSchema from '../schemas/events/catalog/product-created.v1.json' with { type: 'json' };
import productUpdatedSchema from '../schemas/events/catalog/product-updated.v1.json' with { type: 'json' };
import productDeletedSchema from '../schemas/events/catalog/product-deleted.v1.json' with { type: 'json' };
import priceChangedSchema from '../schemas/events/catalog/price-changed.v1.json' with { type: 'json' };
import categoryCreatedSchema from '../schemas/events/catalog/category-created.v1.json' with { type: 'json' };
import categoryUpdatedSchema from '../schemas/events/catalog/category-updated.v1.json' with { type: 'json' };
import categoryDeletedSchema from '../schemas/events/catalog/category-deleted.v1.json' with { type: 'json' };

export type { Money } from './core.js';

export type ProductCreated = EventsCatalogProductCreatedV1;
export const productCreated = defineEvent<ProductCreated>('catalog', 'product-created', 1, productCreatedSchema);

/** The product after the change (a full snapshot), and which fields changed. Prices change with price-changed. */
export type ProductUpdated = EventsCatalogProductUpdatedV1;
export const productUpdated = defineEvent<ProductUpdated>('catalog', 'product-updated', 1, productUpdatedSchema);

export type ProductDeleted = EventsCatalogProductDeletedV1;
export const productDeleted = defineEvent<ProductDeleted>('catalog', 'product-deleted', 1, productDeletedSchema);

export type PriceChanged = EventsCatalogPriceChangedV1;
export const priceChanged = defineEvent<PriceChanged>('catalog', 'price-changed', 1, priceChangedSchema);

export type CategoryCreated = EventsCatalogCategoryCreatedV1;
export const categoryCreated = defineEvent<CategoryCreated>('catalog', 'category-created', 1, categoryCreatedSchema);

/** The category after the change (a full snapshot), and which fields changed. */
export type CategoryUpdated = EventsCatalogCategoryUpdatedV1;
export const categoryUpdated = defineEvent<CategoryUpdated>('catalog', 'category-updated', 1, categoryUpdatedSchema);

export type CategoryDeleted = EventsCatalogCategoryDeletedV1;
export const categoryDeleted = defineEvent<CategoryDeleted>('catalog', 'category-deleted', 1, categoryDeletedSchema);
