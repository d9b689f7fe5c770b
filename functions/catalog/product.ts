// A product of the catalog: filed in one existing category, sold at a strictly positive price in
// integer minor units, known by a SKU that no other live product shares in any case.
import type { CatalogCreateProduct, CatalogProductCheck, CatalogUpdateProduct } from '../../events/schemas.generated.js';
import { MAX_AMOUNT, type NewEvent } from '../../events/index.js';
import { priceChanged, productCreated, productDeleted, productUpdated, type Money, type ProductUpdated } from '../../events/catalog.js';
import { ValidationError } from '../runtime/errors.js';

export type { Money };

export interface Product {
  id: string;
  name: string;
  description: string | null;
  sku: string;
  price: Money;
  categoryId: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A product withdrawn from the catalog: kept so that carts and orders naming it learn it is gone. */
export interface DeletedProduct extends Product {
  deletedAt: Date;
}

export type NewProduct = CatalogCreateProduct;

/** A PATCH: absent fields stay, a null description clears it. SKU and price have their own rules. */
export type ProductChanges = CatalogUpdateProduct;

type Field = ProductUpdated['changed'][number];
const FIELDS: readonly Field[] = ['name', 'description', 'categoryId'];

const invalid = (pointer: string, message: string): ValidationError => new ValidationError(message, [{ pointer, message }]);

/** A SKU as stored: without surrounding white space. */
export const normalizeSku = (sku: string): string => sku.trim();

/**
 * What makes two SKUs the same one: trimmed, in any case. The database's unique index is on the
 * same expression, `lower(btrim(sku))`; SKUs are printable ASCII, so both lower-case alike.
 */
export const skuKey = (sku: string): string => normalizeSku(sku).toLowerCase();

/** Throws ValidationError unless `price` is a whole, strictly positive number of minor units that Money can hold. */
export const checkPrice = (price: Money, pointer: string): void => {
  if (!Number.isSafeInteger(price.amount)) throw invalid(`${pointer}/amount`, 'a price is a whole number of minor units');
  if (price.amount <= 0) throw invalid(`${pointer}/amount`, 'a price must be more than zero');
  if (price.amount > MAX_AMOUNT) throw invalid(`${pointer}/amount`, `a price cannot exceed ${MAX_AMOUNT} minor units`);
  if (!/^[A-Z]{3}$/.test(price.currency)) throw invalid(`${pointer}/currency`, 'a currency is an ISO 4217 code');
};

const snapshot = (product: Product) => ({
  productId: product.id,
  name: product.name,
  ...(product.description === null ? {} : { description: product.description }),
  sku: product.sku,
  price: product.price,
  categoryId: product.categoryId,
});

/** `category` is the category named by `categoryId`, undefined when it does not exist. */
export const createProduct = (input: NewProduct, category: { id: string } | undefined, id: string, now: Date): [Product, NewEvent[]] => {
  if (!category) throw invalid('/categoryId', `category ${input.categoryId} does not exist`);
  checkPrice(input.price, '/price');
  const sku = normalizeSku(input.sku);
  if (sku.length === 0) throw invalid('/sku', 'a SKU cannot be blank');
  const product: Product = {
    id,
    name: input.name,
    description: input.description ?? null,
    sku,
    price: { amount: input.price.amount, currency: input.price.currency },
    categoryId: category.id,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  return [product, [productCreated.build(id, snapshot(product))]];
};

/**
 * Applies a PATCH. `category` is the category named by `changes.categoryId`, undefined when the
 * PATCH names none or it does not exist. A PATCH that changes nothing leaves the product as it is.
 */
export const updateProduct = (product: Product, changes: ProductChanges, category: { id: string } | undefined, now: Date): [Product, NewEvent[]] => {
  const changed = FIELDS.filter((field) => changes[field] !== undefined && changes[field] !== product[field]);
  if (changed.length === 0) return [product, []];
  if (changed.includes('categoryId') && category?.id !== changes.categoryId) {
    throw invalid('/categoryId', `category ${changes.categoryId} does not exist`);
  }
  const updated: Product = {
    ...product,
    name: changes.name ?? product.name,
    description: changes.description === undefined ? product.description : changes.description,
    categoryId: changes.categoryId ?? product.categoryId,
    version: product.version + 1,
    updatedAt: now,
  };
  return [updated, [productUpdated.build(product.id, { ...snapshot(updated), changed })]];
};

/** Sets a new price; the same price again changes nothing and says nothing. */
export const changePrice = (product: Product, price: Money, now: Date): [Product, NewEvent[]] => {
  checkPrice(price, '/price');
  if (price.amount === product.price.amount && price.currency === product.price.currency) return [product, []];
  const newPrice = { amount: price.amount, currency: price.currency };
  const updated: Product = { ...product, price: newPrice, version: product.version + 1, updatedAt: now };
  return [updated, [priceChanged.build(product.id, { productId: product.id, oldPrice: product.price, newPrice })]];
};

export const deleteProduct = (product: Product, now: Date): [DeletedProduct, NewEvent[]] => {
  const deleted: DeletedProduct = { ...product, version: product.version + 1, updatedAt: now, deletedAt: now };
  return [deleted, [productDeleted.build(product.id, { productId: product.id, sku: product.sku })]];
};

// ---- cart validation ---------------------------------------------------------------------------

export interface CartItem {
  productId: string;
  quantity: number;
}

/** What the catalog holds about a product a cart names, live or deleted. */
export interface ProductStanding {
  id: string;
  name: string;
  price: Money;
  deleted: boolean;
}

/** The answer of catalog-validate-products (schemas/catalog/product-check.json). */
export type CartCheck = CatalogProductCheck;
export type CheckedItem = CartCheck['items'][number];
export type InvalidReason = Extract<CheckedItem, { valid: false }>['reason'];

/**
 * Each item of a cart with the current name and unit price of its product, or why it cannot be
 * ordered; `found` holds every product the cart names that the catalog knows. Items keep their order.
 */
export const checkCart = (items: readonly CartItem[], found: ReadonlyMap<string, ProductStanding>): CartCheck => {
  const checked = items.map((item): CheckedItem => {
    const product = found.get(item.productId.toLowerCase());
    if (!product) return { ...item, valid: false, reason: 'unknown-product' };
    if (product.deleted) return { ...item, valid: false, reason: 'product-deleted' };
    const current = { name: product.name, unitPrice: product.price };
    if (item.quantity <= 0) return { ...item, valid: false, ...current, reason: 'quantity-not-positive' };
    return { ...item, valid: true, ...current };
  });
  return { valid: checked.every((item) => item.valid), items: checked };
};
