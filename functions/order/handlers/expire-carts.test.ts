import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { startFunctions, useTestDatabase } from '../../runtime/testing.js';
import { HANDLERS, aCustomer, address, eventsNamed, givenCart, givenItem, orderRegistry, useTestCatalog } from '../test-support.js';

const db = useTestDatabase(['order']);
const shop = useTestCatalog();
const api = startFunctions(orderRegistry);

// The functions run in this process, so their clock (ctx.now()) is the one set here.
const T0 = new Date('2026-06-10T12:00:00.000Z');
const at = (seconds: number) => vi.setSystemTime(new Date(T0.getTime() + seconds * 1000));
let customer: { id: string; token: string };
beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'] });
  customer = await aCustomer();
});
beforeEach(() => {
  at(0);
});
afterAll(() => {
  vi.useRealTimers();
});

const expireCarts = async () => {
  const response = await api.tick(HANDLERS.expireCarts);
  expect(response.status, response.text).toBe(204);
};
const statusOf = async (id: string) => (await db.query<{ status: string }>('SELECT status FROM "order".carts WHERE id = $1', [id]))[0]?.status;

describe('the cart expiry schedule', () => {
  it('expires every open cart left alone for CART_TTL (1800 s), with cart-expired, and no other', async () => {
    const idle = await givenCart(api, customer.token);
    await givenItem(api, customer.token, idle.id, shop.espresso.id, 1);
    at(600);
    const busy = await givenCart(api, customer.token);
    at(1000);
    const checkedOut = await givenCart(api, customer.token);
    await givenItem(api, customer.token, checkedOut.id, shop.beans.id, 1);
    expect((await api.request('POST', `/orders/carts/${checkedOut.id}/checkout`, { token: customer.token, body: { shippingAddress: address } })).status).toBe(
      202,
    );

    at(1799);
    await expireCarts();
    expect(await statusOf(idle.id)).toBe('open');

    at(1800);
    await expireCarts();
    expect(await statusOf(idle.id)).toBe('expired');
    expect(await statusOf(busy.id)).toBe('open');
    expect(await statusOf(checkedOut.id)).toBe('checked-out');
    const expired = await eventsNamed('cart-expired');
    expect(expired.map((e) => [e.subject, e.data])).toEqual([[idle.id, { cartId: idle.id, customerId: customer.id, items: 1 }]]);

    // Nothing twice; and an expired cart takes no change.
    await expireCarts();
    expect(await eventsNamed('cart-expired')).toHaveLength(1);
    const refused = await api.request('PUT', `/orders/carts/${idle.id}/items/${shop.beans.id}`, { token: customer.token, body: { quantity: 1 } });
    expect(refused.status).toBe(409);
    expect((await api.request('GET', `/orders/carts/${idle.id}`, { token: customer.token })).body).toMatchObject({ status: 'expired', version: 3 });
  });

  it('counts inactivity from the last change, and refuses a checkout once the time to live has passed', async () => {
    const cart = await givenCart(api, customer.token);
    at(1500);
    await givenItem(api, customer.token, cart.id, shop.espresso.id, 1);

    at(2000);
    await expireCarts();
    expect(await statusOf(cart.id)).toBe('open');

    at(3300);
    const checkout = await api.request('POST', `/orders/carts/${cart.id}/checkout`, { token: customer.token, body: { shippingAddress: address } });
    expect(checkout.status).toBe(409);
    expect(checkout.body.detail).toMatch(/expired/);
    await expireCarts();
    expect(await statusOf(cart.id)).toBe('expired');
  });

  it('takes the time to live from CART_TTL', async () => {
    process.env.CART_TTL = '60';
    try {
      const cart = await givenCart(api, customer.token);
      at(60);
      await expireCarts();
      expect(await statusOf(cart.id)).toBe('expired');
    } finally {
      delete process.env.CART_TTL;
    }
  });
});
