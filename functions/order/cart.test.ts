import { describe, expect, it } from 'vitest';
import { Conflict, ValidationError } from '../runtime/errors.js';
import {
  cartView,
  checkOut,
  expire,
  isExpired,
  openCart,
  orderLines,
  readyForCheckout,
  removeItem,
  setItem,
  statusAt,
  type Cart,
  type ProductCheck,
} from './cart.js';

const cartId = '16fd2706-8baf-433b-82eb-8c7fada847da';
const customerId = '0f8fad5b-d9cb-469f-a165-70867728950e';
const orderId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const espresso = 'c56a4180-65aa-42ec-a945-5fd21dec0538';
const beans = 'e02fd0e4-00fd-090a-ca30-0d00a0038ba0';
const TTL = 1800;

const T0 = new Date('2026-03-01T09:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const eur = (amount: number) => ({ amount, currency: 'EUR' });

const sold = (productId: string, name: string, unitPrice = eur(1_000), quantity = 1): ProductCheck => ({
  productId,
  quantity,
  valid: true,
  name,
  unitPrice,
});

const anEmptyCart = () => openCart(customerId, cartId, at(0), TTL)[0];
const aCartWithItems = (): Cart => {
  const one = setItem(anEmptyCart(), espresso, 1, sold(espresso, 'Espresso machine', eur(24_900)), at(10), TTL);
  return setItem(one, beans, 2, sold(beans, 'Coffee beans 1 kg', eur(1_850)), at(20), TTL);
};

describe('openCart', () => {
  it('opens an empty cart of the customer that expires after the TTL, with cart-created', () => {
    const [cart, events] = openCart(customerId, cartId, at(0), TTL);

    expect(cart).toMatchObject({ id: cartId, customerId, status: 'open', items: [], expiresAt: at(1800), orderId: null, version: 1 });
    expect(events.map((e) => [e.definition.type, e.subject, e.data])).toEqual([
      ['com.gotuto.order.cart-created.v1', cartId, { cartId, customerId, expiresAt: at(1800).toISOString() }],
    ]);
  });
});

describe('setItem', () => {
  it("adds a product at Catalog's name and price, and each change starts the TTL again", () => {
    const cart = aCartWithItems();

    expect(cart.items).toEqual([
      { productId: espresso, name: 'Espresso machine', quantity: 1, unitPrice: eur(24_900) },
      { productId: beans, name: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850) },
    ]);
    expect(cart).toMatchObject({ version: 3, updatedAt: at(20), expiresAt: at(20 + TTL) });
    expect(cartView(cart, at(20)).total).toEqual(eur(28_600));
  });

  it('sets the quantity of a product already there, at its price now, and 0 removes it', () => {
    const changed = setItem(aCartWithItems(), espresso, 3, sold(espresso, 'Espresso machine v2', eur(25_900)), at(30), TTL);
    expect(changed.items[0]).toEqual({ productId: espresso, name: 'Espresso machine v2', quantity: 3, unitPrice: eur(25_900) });
    expect(changed.items).toHaveLength(2);

    const removed = setItem(changed, espresso, 0, undefined, at(40), TTL);
    expect(removed.items.map((i) => i.productId)).toEqual([beans]);
    expect(removeItem(removed, beans, at(50), TTL).items).toEqual([]);
  });

  it('refuses a product Catalog does not know or no longer sells as invalid input', () => {
    const unknown = { productId: espresso, quantity: 1, valid: false, reason: 'unknown-product' };
    const deleted = { productId: espresso, quantity: 1, valid: false, reason: 'product-deleted' };

    expect(() => setItem(anEmptyCart(), espresso, 1, unknown, at(1), TTL)).toThrow(ValidationError);
    expect(() => setItem(anEmptyCart(), espresso, 1, undefined, at(1), TTL)).toThrow(/does not exist/);
    expect(() => setItem(anEmptyCart(), espresso, 1, deleted, at(1), TTL)).toThrow(/no longer sold/);
  });

  it("refuses a price in another currency than the cart's other items", () => {
    const usd = sold('3f2504e0-4f89-41d3-9a0c-0305e82c3301', 'Grinder', { amount: 5_000, currency: 'USD' });

    expect(() => setItem(aCartWithItems(), usd.productId, 1, usd, at(30), TTL)).toThrow(Conflict);
    expect(() => setItem(aCartWithItems(), usd.productId, 1, usd, at(30), TTL)).toThrow(/USD; this cart is in EUR/);
    // Alone in the cart, any currency goes.
    const only = setItem(anEmptyCart(), usd.productId, 1, usd, at(1), TTL);
    expect(cartView(only, at(1)).total).toEqual({ amount: 5_000, currency: 'USD' });
  });

  it('refuses any change to a cart past its TTL, checked out or expired', () => {
    const cart = aCartWithItems();
    expect(isExpired(cart, at(20 + TTL - 1))).toBe(false);
    expect(isExpired(cart, at(20 + TTL))).toBe(true);
    expect(statusAt(cart, at(20 + TTL))).toBe('expired');

    expect(() => setItem(cart, espresso, 2, sold(espresso, 'E'), at(20 + TTL), TTL)).toThrow(/expired/);
    const checkedOut = checkOut(cart, orderId, at(30));
    expect(() => removeItem(checkedOut, espresso, at(31), TTL)).toThrow(/checked out as order/);
    const [expired] = expire(cart, at(20 + TTL));
    expect(() => setItem(expired, espresso, 2, sold(espresso, 'E'), at(20 + TTL), TTL)).toThrow(Conflict);
  });
});

describe('checkout', () => {
  it('takes the names and prices Catalog gives at checkout, in the order of the cart', () => {
    const lines = orderLines(aCartWithItems(), [sold(beans, 'Coffee beans 1 kg', eur(1_990), 2), sold(espresso, 'Espresso machine', eur(23_900))], at(30));

    expect(lines).toEqual([
      { productId: espresso, name: 'Espresso machine', quantity: 1, unitPrice: eur(23_900) },
      { productId: beans, name: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_990) },
    ]);
  });

  it('refuses an empty cart, a product no longer sold and prices now in two currencies', () => {
    expect(() => readyForCheckout(anEmptyCart(), at(1))).toThrow(/is empty/);
    expect(() => orderLines(anEmptyCart(), [], at(1))).toThrow(Conflict);
    expect(() =>
      orderLines(aCartWithItems(), [sold(espresso, 'Espresso machine'), { productId: beans, quantity: 2, valid: false, reason: 'product-deleted' }], at(30)),
    ).toThrow(/Coffee beans 1 kg: product .* is no longer sold/);
    expect(() => orderLines(aCartWithItems(), [sold(espresso, 'Espresso machine'), sold(beans, 'Beans', { amount: 100, currency: 'USD' })], at(30))).toThrow(
      /EUR and USD/,
    );
  });

  it('checks the cart out once: it names the order and changes no more', () => {
    const cart = checkOut(aCartWithItems(), orderId, at(30));

    expect(cart).toMatchObject({ status: 'checked-out', orderId, checkedOutAt: at(30), version: 4 });
    expect(() => checkOut(cart, orderId, at(31))).toThrow(Conflict);
    expect(cartView(cart, at(1_000_000)).status).toBe('checked-out');
  });
});

describe('expire', () => {
  it('expires an open cart past its TTL, with cart-expired and how many items it held', () => {
    const [cart, events] = expire(aCartWithItems(), at(20 + TTL));

    expect(cart).toMatchObject({ status: 'expired', expiredAt: at(20 + TTL), version: 4 });
    expect(events.map((e) => e.data)).toEqual([{ cartId, customerId, items: 2 }]);
  });

  it('refuses a cart still within its TTL, and one checked out', () => {
    expect(() => expire(aCartWithItems(), at(20 + TTL - 1))).toThrow(Conflict);
    expect(() => expire(checkOut(aCartWithItems(), orderId, at(30)), at(1_000_000))).toThrow(Conflict);
  });
});
