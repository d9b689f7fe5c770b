import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFunctions, useTestDatabase } from '../../runtime/testing.js';
import {
  aCustomer,
  address,
  eur,
  eventNamesAbout,
  eventsNamed,
  givenCart,
  givenItem,
  orderOf,
  orderRegistry,
  streamOf,
  useTestCatalog,
} from '../test-support.js';

process.env.CATALOG_BREAKER_VOLUME = '1000';

const db = useTestDatabase(['order']);
const shop = useTestCatalog();
const api = startFunctions(orderRegistry);

let customer: { id: string; token: string };
beforeAll(async () => {
  customer = await aCustomer();
});
afterEach(async () => {
  await shop.catalog.start();
  delete process.env.SAGA_STEP_TIMEOUT;
});

const checkout = (cartId: string, options: { token?: string; headers?: Record<string, string>; body?: unknown } = {}) =>
  api.request('POST', `/orders/carts/${cartId}/checkout`, {
    token: options.token ?? customer.token,
    body: options.body ?? { shippingAddress: address },
    ...(options.headers ? { headers: options.headers } : {}),
  });

const ordersOfCart = (cartId: string) => db.query<{ id: string }>(`SELECT id FROM "order".orders_view WHERE document->>'cartId' = $1`, [cartId]);

/** A cart of `customer` holding 1 espresso machine and 2 bags of beans. */
const aFullCart = async () => {
  const cart = await givenCart(api, customer.token);
  await givenItem(api, customer.token, cart.id, shop.espresso.id, 1);
  await givenItem(api, customer.token, cart.id, shop.beans.id, 2);
  return cart;
};

describe('POST /orders/carts/{id}/checkout', () => {
  it('places the order: 202 {orderId} with its Location, the cart checked out, and order-placed with lines, total and address', async () => {
    const cart = await aFullCart();

    const response = await checkout(cart.id);

    expect(response.status).toBe(202);
    const { orderId } = response.body;
    expect(response.body).toEqual({ orderId: expect.any(String), number: expect.stringMatching(/^ORD-\d{4}-\d{6}$/), status: 'pending' });
    expect(response.headers.get('location')).toBe(`/orders/${orderId}`);
    const lines = [
      { productId: shop.espresso.id, name: 'Espresso machine', quantity: 1, unitPrice: eur(24_900) },
      { productId: shop.beans.id, name: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850) },
    ];
    const placed = (await eventsNamed('order-placed')).filter((e) => e.subject === orderId);
    expect(placed.map((e) => e.data)).toEqual([
      { orderId, orderNumber: response.body.number, customerId: customer.id, lines, total: eur(28_600), shippingAddress: address },
    ]);
    expect(placed[0]).toMatchObject({
      source: '/gotuto/order',
      partitionkey: orderId,
      dataschema: 'https://gotuto.dev/schemas/events/order/order-placed.v1.json',
    });
    expect(await streamOf(db, orderId)).toEqual(['order-placed']);

    const order = await orderOf(api, customer.token, orderId);
    expect(order).toMatchObject({
      id: orderId,
      number: response.body.number,
      customerId: customer.id,
      cartId: cart.id,
      status: 'pending',
      total: eur(28_600),
      shippingAddress: address,
      history: [{ status: 'pending', at: expect.any(String) }],
      saga: { step: 'reserving-stock', deadline: expect.any(String), completedSteps: ['placed'] },
      version: 1,
    });
    expect(Date.parse(order.saga.deadline) - Date.parse(order.createdAt)).toBe(30_000);
    const after = await api.request('GET', `/orders/carts/${cart.id}`, { token: customer.token });
    expect(after.body).toMatchObject({ status: 'checked-out', orderId });
  });

  it("re-reads the prices from Catalog: the order takes today's, not the cart's", async () => {
    const product = shop.catalog.add({ name: 'Tamper', price: eur(2_000) });
    const cart = await givenCart(api, customer.token);
    await givenItem(api, customer.token, cart.id, product.id, 3);
    product.price = eur(2_500);
    product.name = 'Tamper 58 mm';

    const response = await checkout(cart.id);

    const order = await orderOf(api, customer.token, response.body.orderId);
    expect(order.items).toEqual([{ productId: product.id, name: 'Tamper 58 mm', quantity: 3, unitPrice: eur(2_500), total: eur(7_500) }]);
    expect(order.total).toEqual(eur(7_500));
  });

  it('answers 409 to an empty cart, and to a cart already checked out', async () => {
    const empty = await givenCart(api, customer.token);
    expect((await checkout(empty.id)).status).toBe(409);

    const cart = await aFullCart();
    expect((await checkout(cart.id)).status).toBe(202);
    const again = await checkout(cart.id);
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/checked out/);
    expect(await ordersOfCart(cart.id)).toHaveLength(1);
  });

  it('honours Idempotency-Key: the same request twice makes one order and answers the first answer again', async () => {
    const cart = await aFullCart();
    const key = randomUUID();

    const first = await checkout(cart.id, { headers: { 'idempotency-key': key } });
    const second = await checkout(cart.id, { headers: { 'idempotency-key': key } });

    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    const placed = (await eventsNamed('order-placed')).filter((e) => e.subject === first.body.orderId);
    expect(placed).toHaveLength(1);
    expect(await ordersOfCart(cart.id)).toEqual([{ id: first.body.orderId }]);
  });

  it("answers 404 for another customer's cart, and 422 without a valid shipping address", async () => {
    const cart = await aFullCart();
    expect((await checkout(cart.id, { token: (await aCustomer()).token })).status).toBe(404);

    const invalid = await checkout(cart.id, { body: { shippingAddress: { ...address, country: 'France' } } });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/shippingAddress/country']);
    expect((await checkout(cart.id, { body: {} })).status).toBe(422);
  });

  it('answers 409 when a product was withdrawn since it was put in the cart, naming it', async () => {
    const product = shop.catalog.add({ name: 'Limited mug', price: eur(1_200) });
    const cart = await givenCart(api, customer.token);
    await givenItem(api, customer.token, cart.id, product.id, 1);
    product.deleted = true;

    const response = await checkout(cart.id);

    expect(response.status).toBe(409);
    expect(response.body.detail).toMatch(/Limited mug: product .* is no longer sold/);
    expect((await api.request('GET', `/orders/carts/${cart.id}`, { token: customer.token })).body.status).toBe('open');
  });

  it('answers 503 with Retry-After when Catalog is down; the cart stays open and no order is placed', async () => {
    const cart = await aFullCart();
    const placed = (await eventsNamed('order-placed')).length;
    await shop.catalog.stop();

    const response = await checkout(cart.id);

    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await api.request('GET', `/orders/carts/${cart.id}`, { token: customer.token })).body).toMatchObject({ status: 'open', orderId: null });
    expect(await eventsNamed('order-placed')).toHaveLength(placed);

    await shop.catalog.start();
    expect((await checkout(cart.id)).status).toBe(202);
  });

  it('gives each order a new number and the first step a deadline of SAGA_STEP_TIMEOUT', async () => {
    process.env.SAGA_STEP_TIMEOUT = '5';
    const first = await checkout((await aFullCart()).id);
    const second = await checkout((await aFullCart()).id);

    const sequence = (number: string) => Number(number.slice(-6));
    expect(sequence(second.body.number)).toBeGreaterThan(sequence(first.body.number));
    const order = await orderOf(api, customer.token, second.body.orderId);
    expect(Date.parse(order.saga.deadline) - Date.parse(order.createdAt)).toBe(5_000);
    expect(await eventNamesAbout(second.body.orderId)).toEqual(['order-placed']);
  });
});
