import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFunctions, tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { aCustomer, eventsNamed, givenCart, orderRegistry, useTestCatalog } from '../test-support.js';

useTestDatabase(['order']);
useTestCatalog();
const api = startFunctions(orderRegistry);

// The functions run in this process, so their clock (ctx.now()) is the one set here.
const now = new Date('2026-06-10T12:00:00.000Z');
beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(now);
});
afterAll(() => {
  vi.useRealTimers();
});

describe('POST /orders/carts', () => {
  it('opens an empty cart of the customer: 201, Location, expiry after CART_TTL, and cart-created', async () => {
    const customer = await aCustomer();

    const response = await api.request('POST', '/orders/carts', { token: customer.token });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      customerId: customer.id,
      status: 'open',
      items: [],
      total: null,
      expiresAt: '2026-06-10T12:30:00.000Z',
      orderId: null,
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
    expect(response.headers.get('location')).toBe(`/orders/carts/${response.body.id}`);
    expect(response.headers.get('etag')).toBe('"1"');
    const created = (await eventsNamed('cart-created')).filter((e) => e.subject === response.body.id);
    expect(created.map((e) => e.data)).toEqual([{ cartId: response.body.id, customerId: customer.id, expiresAt: '2026-06-10T12:30:00.000Z' }]);
  });

  it('takes its time to live from CART_TTL', async () => {
    process.env.CART_TTL = '60';
    try {
      const cart = await givenCart(api, (await aCustomer()).token);
      expect(cart.expiresAt).toBe('2026-06-10T12:01:00.000Z');
    } finally {
      delete process.env.CART_TTL;
    }
  });

  it('is for customers: 401 without a token, 403 for an admin, 422 for a body with fields', async () => {
    expect((await api.request('POST', '/orders/carts')).status).toBe(401);
    expect((await api.request('POST', '/orders/carts', { token: await tokenFor('admin') })).status).toBe(403);
    const response = await api.request('POST', '/orders/carts', { token: (await aCustomer()).token, body: { items: [] } });
    expect(response.status).toBe(422);
  });
});

describe('GET /orders/carts/{id}', () => {
  it("answers the owner's cart with its ETag, and 404 to anyone else", async () => {
    const owner = await aCustomer();
    const cart = await givenCart(api, owner.token);

    const mine = await api.request('GET', `/orders/carts/${cart.id}`, { token: owner.token });
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual(cart);
    expect(mine.headers.get('etag')).toBe('"1"');

    expect((await api.request('GET', `/orders/carts/${cart.id}`, { token: (await aCustomer()).token })).status).toBe(404);
    expect((await api.request('GET', `/orders/carts/${randomUUID()}`, { token: owner.token })).status).toBe(404);
    expect((await api.request('GET', '/orders/carts/not-a-uuid', { token: owner.token })).status).toBe(404);
  });

  it('shows an open cart past its time to live as expired before the schedule marks it', async () => {
    const owner = await aCustomer();
    const cart = await givenCart(api, owner.token);

    vi.setSystemTime(new Date(now.getTime() + 1800 * 1000));
    try {
      const response = await api.request('GET', `/orders/carts/${cart.id}`, { token: owner.token });
      expect(response.body).toMatchObject({ status: 'expired', version: 1 });
    } finally {
      vi.setSystemTime(now);
    }
  });
});
