import { describe, expect, it } from 'vitest';
import { ValidationError } from '../runtime/errors.js';
import {
  changePrice,
  checkCart,
  checkPrice,
  createProduct,
  deleteProduct,
  normalizeSku,
  skuKey,
  updateProduct,
  type Product,
  type ProductStanding,
} from './product.js';

const id = '5b0c2f9e-8a43-4c52-9d35-0e3c1f1a7b10';
const coffee = { id: '0b6f3c1e-1a2b-4c3d-8e4f-000000000002' };
const baking = { id: '0b6f3c1e-1a2b-4c3d-8e4f-000000000006' };
const t0 = new Date('2026-03-01T09:00:00.000Z');
const t1 = new Date('2026-03-02T10:30:00.000Z');
const eur = (amount: number) => ({ amount, currency: 'EUR' });

const given = (): Product => createProduct({ name: 'Crème Brûlée Ramekins', sku: 'KIT-BAK-001', price: eur(1590), categoryId: coffee.id }, coffee, id, t0)[0];

describe('SKU normalisation', () => {
  it('trims surrounding white space and keeps the case as given', () => {
    expect(normalizeSku('  Kit-Cof-001\t')).toBe('Kit-Cof-001');
    expect(normalizeSku('A B')).toBe('A B');
  });

  it('makes SKUs that differ only in case or surrounding spaces the same key', () => {
    expect(skuKey(' kit-cof-001 ')).toBe(skuKey('KIT-COF-001'));
    expect(skuKey('KIT-COF-001')).not.toBe(skuKey('KIT-COF-0011'));
    expect(skuKey('A B')).not.toBe(skuKey('AB'));
  });
});

describe('price rules', () => {
  it('accept a whole, strictly positive amount of minor units', () => {
    expect(() => checkPrice(eur(1), '/price')).not.toThrow();
    expect(() => checkPrice(eur(1_000_000_000_000), '/price')).not.toThrow();
  });

  it.each([
    ['zero', eur(0)],
    ['a negative amount', eur(-100)],
    ['a fraction of a minor unit', eur(9.99)],
    ['more than Money holds', eur(1_000_000_000_001)],
    ['an amount that is not a number', eur(Number.NaN)],
  ])('refuse %s as invalid input, pointing at the amount', (_what, price) => {
    expect(() => checkPrice(price, '/price')).toThrow(ValidationError);
    expect(() => checkPrice(price, '/price')).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ pointer: '/price/amount' })] }));
  });

  it('refuse a currency that is not an ISO 4217 code', () => {
    expect(() => checkPrice({ amount: 100, currency: 'eur' }, '/price')).toThrow(ValidationError);
  });
});

describe('createProduct', () => {
  it('makes version 1 with the SKU trimmed, and product-created', () => {
    const [product, events] = createProduct(
      { name: 'Burr Grinder', description: 'Conical burrs', sku: '  KIT-COF-003 ', price: eur(8900), categoryId: coffee.id },
      coffee,
      id,
      t0,
    );

    expect(product).toEqual({
      id,
      name: 'Burr Grinder',
      description: 'Conical burrs',
      sku: 'KIT-COF-003',
      price: eur(8900),
      categoryId: coffee.id,
      version: 1,
      createdAt: t0,
      updatedAt: t0,
    });
    expect(events.map((e) => [e.definition.type, e.subject, e.data])).toEqual([
      [
        'com.gotuto.catalog.product-created.v1',
        id,
        { productId: id, name: 'Burr Grinder', description: 'Conical burrs', sku: 'KIT-COF-003', price: eur(8900), categoryId: coffee.id },
      ],
    ]);
  });

  it('leaves the description null, and out of the event, when absent', () => {
    const [product, events] = createProduct({ name: 'Spork', sku: 'S', price: eur(990), categoryId: coffee.id }, coffee, id, t0);

    expect(product.description).toBeNull();
    expect(events[0]?.data).not.toHaveProperty('description');
  });

  it('refuses an unknown category as invalid input, pointing at categoryId', () => {
    const create = () => createProduct({ name: 'x', sku: 'X', price: eur(1), categoryId: coffee.id }, undefined, id, t0);

    expect(create).toThrow(expect.objectContaining({ errors: [expect.objectContaining({ pointer: '/categoryId' })] }));
  });

  it('refuses a price that is not strictly positive', () => {
    expect(() => createProduct({ name: 'x', sku: 'X', price: eur(0), categoryId: coffee.id }, coffee, id, t0)).toThrow(ValidationError);
  });

  it('refuses a SKU that is only white space', () => {
    expect(() => createProduct({ name: 'x', sku: '   ', price: eur(1), categoryId: coffee.id }, coffee, id, t0)).toThrow(ValidationError);
  });
});

describe('updateProduct', () => {
  it('applies the changed fields, bumps the version and sends the whole product with what changed', () => {
    const [product, events] = updateProduct(given(), { name: 'Ramekins (4)', categoryId: baking.id }, baking, t1);

    expect(product).toMatchObject({ name: 'Ramekins (4)', categoryId: baking.id, version: 2, createdAt: t0, updatedAt: t1 });
    expect(events.map((e) => e.definition.type)).toEqual(['com.gotuto.catalog.product-updated.v1']);
    expect(events[0]?.data).toEqual({
      productId: id,
      name: 'Ramekins (4)',
      sku: 'KIT-BAK-001',
      price: eur(1590),
      categoryId: baking.id,
      changed: ['name', 'categoryId'],
    });
  });

  it('clears the description with null', () => {
    const [described] = updateProduct(given(), { description: 'Porcelain' }, undefined, t1);

    const [cleared, events] = updateProduct(described, { description: null }, undefined, t1);

    expect(cleared).toMatchObject({ description: null, version: 3 });
    expect(events[0]?.data).toMatchObject({ changed: ['description'] });
    expect(events[0]?.data).not.toHaveProperty('description');
  });

  it('refuses a category that does not exist', () => {
    expect(() => updateProduct(given(), { categoryId: baking.id }, undefined, t1)).toThrow(ValidationError);
  });

  it('changes nothing, not even the version, when every field is as it was', () => {
    const before = given();

    const [after, events] = updateProduct(before, { name: before.name, categoryId: before.categoryId }, undefined, t1);

    expect(after).toBe(before);
    expect(events).toEqual([]);
  });
});

describe('changePrice', () => {
  it('sets the new price and says what it was and what it is', () => {
    const [product, events] = changePrice(given(), eur(1790), t1);

    expect(product).toMatchObject({ price: eur(1790), version: 2, updatedAt: t1 });
    expect(events.map((e) => [e.definition.type, e.data])).toEqual([
      ['com.gotuto.catalog.price-changed.v1', { productId: id, oldPrice: eur(1590), newPrice: eur(1790) }],
    ]);
  });

  it('changes the currency too', () => {
    const [product, events] = changePrice(given(), { amount: 1590, currency: 'USD' }, t1);

    expect(product.price).toEqual({ amount: 1590, currency: 'USD' });
    expect(events).toHaveLength(1);
  });

  it('does nothing for the same price', () => {
    const before = given();

    const [after, events] = changePrice(before, eur(1590), t1);

    expect(after).toBe(before);
    expect(events).toEqual([]);
  });

  it('refuses zero or a fraction', () => {
    expect(() => changePrice(given(), eur(0), t1)).toThrow(ValidationError);
    expect(() => changePrice(given(), eur(0.5), t1)).toThrow(ValidationError);
  });
});

describe('deleteProduct', () => {
  it('marks the product deleted at a new version and emits product-deleted with its SKU', () => {
    const [deleted, events] = deleteProduct(given(), t1);

    expect(deleted).toMatchObject({ deletedAt: t1, version: 2, updatedAt: t1 });
    expect(events.map((e) => [e.definition.type, e.subject, e.data])).toEqual([
      ['com.gotuto.catalog.product-deleted.v1', id, { productId: id, sku: 'KIT-BAK-001' }],
    ]);
  });
});

describe('checkCart', () => {
  const live: ProductStanding = { id, name: 'Crème Brûlée Ramekins', price: eur(1590), deleted: false };
  const gone: ProductStanding = { id: '7c9e6679-7425-40de-944b-e07fc1f90ae7', name: 'Old', price: eur(100), deleted: true };
  const unknown = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';
  const found = new Map([
    [live.id, live],
    [gone.id, gone],
  ]);

  it("answers each item's current name and unit price when all can be ordered", () => {
    const check = checkCart([{ productId: id, quantity: 2 }], found);

    expect(check).toEqual({ valid: true, items: [{ productId: id, quantity: 2, valid: true, name: live.name, unitPrice: eur(1590) }] });
  });

  it('says why each other item cannot be ordered, keeping the order of the cart', () => {
    const check = checkCart(
      [
        { productId: unknown, quantity: 1 },
        { productId: id, quantity: 1 },
        { productId: gone.id, quantity: 1 },
        { productId: id, quantity: 0 },
        { productId: id, quantity: -3 },
      ],
      found,
    );

    expect(check.valid).toBe(false);
    expect(check.items).toEqual([
      { productId: unknown, quantity: 1, valid: false, reason: 'unknown-product' },
      { productId: id, quantity: 1, valid: true, name: live.name, unitPrice: eur(1590) },
      { productId: gone.id, quantity: 1, valid: false, reason: 'product-deleted' },
      { productId: id, quantity: 0, valid: false, name: live.name, unitPrice: eur(1590), reason: 'quantity-not-positive' },
      { productId: id, quantity: -3, valid: false, name: live.name, unitPrice: eur(1590), reason: 'quantity-not-positive' },
    ]);
  });

  it('finds a product named in upper case', () => {
    expect(checkCart([{ productId: id.toUpperCase(), quantity: 1 }], found).valid).toBe(true);
  });
});
