import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { UNKNOWN_ID, eur, givenCategory, givenProduct, startCatalog } from '../test-support.js';

useTestDatabase(['catalog']);
const api = startCatalog([
  'catalog/commands/create-category',
  'catalog/commands/create-product',
  'catalog/commands/change-price',
  'catalog/commands/delete-product',
  'catalog/commands/validate-products',
]);
let admin: string;
let beans: { id: string };
let grinder: { id: string };
let withdrawn: { id: string };
beforeAll(async () => {
  admin = await tokenFor('admin');
  const category = await givenCategory(api, admin);
  beans = await givenProduct(api, admin, category.id, { name: 'Espresso Beans 1 kg', price: eur(2490) });
  grinder = await givenProduct(api, admin, category.id, { name: 'Burr Grinder', price: eur(8900) });
  withdrawn = await givenProduct(api, admin, category.id, { name: 'Old Kettle', price: eur(3000) });
  expect((await api.request('DELETE', `/catalog/products/${withdrawn.id}`, { token: admin })).status).toBe(204);
});

const validate = (items: unknown, token?: string) => api.request('POST', '/catalog/products/validate', { body: { items }, ...(token ? { token } : {}) });

describe('POST /catalog/products/validate', () => {
  it("answers each item's current name and unit price, without a token", async () => {
    const response = await validate([
      { productId: beans.id, quantity: 2 },
      { productId: grinder.id, quantity: 1 },
    ]);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      valid: true,
      items: [
        { productId: beans.id, quantity: 2, valid: true, name: 'Espresso Beans 1 kg', unitPrice: eur(2490) },
        { productId: grinder.id, quantity: 1, valid: true, name: 'Burr Grinder', unitPrice: eur(8900) },
      ],
    });
  });

  it('says in one call why unknown and deleted products and non-positive quantities are invalid', async () => {
    const response = await validate([
      { productId: beans.id, quantity: 1 },
      { productId: UNKNOWN_ID, quantity: 1 },
      { productId: withdrawn.id, quantity: 1 },
      { productId: grinder.id, quantity: 0 },
      { productId: grinder.id, quantity: -2 },
    ]);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      valid: false,
      items: [
        { productId: beans.id, quantity: 1, valid: true, name: 'Espresso Beans 1 kg', unitPrice: eur(2490) },
        { productId: UNKNOWN_ID, quantity: 1, valid: false, reason: 'unknown-product' },
        { productId: withdrawn.id, quantity: 1, valid: false, reason: 'product-deleted' },
        { productId: grinder.id, quantity: 0, valid: false, name: 'Burr Grinder', unitPrice: eur(8900), reason: 'quantity-not-positive' },
        { productId: grinder.id, quantity: -2, valid: false, name: 'Burr Grinder', unitPrice: eur(8900), reason: 'quantity-not-positive' },
      ],
    });
  });

  it('answers the current price, after a change', async () => {
    const category = await givenCategory(api, admin);
    const product = await givenProduct(api, admin, category.id, { price: eur(1000) });
    await api.request('PUT', `/catalog/products/${product.id}/price`, { token: admin, body: { price: eur(1200) } });

    const response = await validate([{ productId: product.id, quantity: 3 }]);

    expect(response.body.items[0].unitPrice).toEqual(eur(1200));
  });

  it('takes a token of any role too', async () => {
    expect((await validate([{ productId: beans.id, quantity: 1 }], await tokenFor('customer'))).status).toBe(200);
    expect((await validate([{ productId: beans.id, quantity: 1 }], 'forged')).status).toBe(401);
  });

  it('answers 422 to a cart that fails the schema', async () => {
    for (const items of [
      [],
      [{ productId: 'nope', quantity: 1 }],
      [{ productId: beans.id }],
      [{ productId: beans.id, quantity: 1.5 }],
      [{ productId: beans.id, quantity: 1, price: 1 }],
    ]) {
      expect((await validate(items)).status, JSON.stringify(items)).toBe(422);
    }
    expect((await validate(Array.from({ length: 201 }, () => ({ productId: beans.id, quantity: 1 })))).status).toBe(422);
  });
});
