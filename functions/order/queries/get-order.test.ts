import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFunctions, tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { aCustomer, address, eur, givenOrder, givenOrderAt, orderRegistry, useTestCatalog } from '../test-support.js';

useTestDatabase(['order']);
const shop = useTestCatalog();
const api = startFunctions(orderRegistry);

let customer: { id: string; token: string };
let other: { id: string; token: string };
let admin: string;
beforeAll(async () => {
  customer = await aCustomer();
  other = await aCustomer();
  admin = await tokenFor('admin');
});

describe('GET /orders/{id}', () => {
  it('answers the order from its projection: number, items, total, invoice, history and the saga, with its ETag', async () => {
    const { orderId, number, cartId, invoiceId } = await givenOrderAt(api, shop, customer, 'confirmed');

    const response = await api.request('GET', `/orders/${orderId}`, { token: customer.token });

    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"4"');
    expect(response.body).toEqual({
      id: orderId,
      number,
      customerId: customer.id,
      cartId,
      status: 'confirmed',
      items: [
        { productId: shop.espresso.id, name: 'Espresso machine', quantity: 1, unitPrice: eur(24_900), total: eur(24_900) },
        { productId: shop.beans.id, name: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850), total: eur(3_700) },
      ],
      total: eur(28_600),
      shippingAddress: address,
      invoiceId,
      invoiceNumber: null,
      history: [
        { status: 'pending', at: expect.any(String) },
        { status: 'confirmed', at: expect.any(String) },
      ],
      saga: { step: 'awaiting-payment', completedSteps: ['placed', 'stock-reserved', 'invoice-requested', 'invoiced'] },
      version: 4,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(number).toMatch(/^ORD-\d{4}-\d{6}$/);
  });

  it("lets an admin read any order, and answers 404 for another customer's order and an unknown one", async () => {
    const { orderId } = await givenOrder(api, shop, customer);

    expect((await api.request('GET', `/orders/${orderId}`, { token: admin })).status).toBe(200);
    expect((await api.request('GET', `/orders/${orderId}`, { token: other.token })).status).toBe(404);
    expect((await api.request('GET', `/orders/${randomUUID()}`, { token: customer.token })).status).toBe(404);
    expect((await api.request('GET', '/orders/ORD-2026-000001', { token: customer.token })).status).toBe(404);
    expect((await api.request('GET', `/orders/${orderId}`)).status).toBe(401);
  });
});

describe('GET /orders', () => {
  it("lists a customer's own orders, by status, a page at a time; an admin sees everyone's", async () => {
    const buyer = await aCustomer();
    const first = await givenOrder(api, shop, buyer);
    const second = await givenOrderAt(api, shop, buyer, 'confirmed');
    const third = await givenOrder(api, shop, buyer);
    const others = await givenOrder(api, shop, other);

    const mine = await api.request('GET', '/orders', { token: buyer.token });
    expect(mine.status).toBe(200);
    expect(mine.body.items.map((o: { id: string }) => o.id)).toEqual([first.orderId, second.orderId, third.orderId]);
    expect(mine.body.nextCursor).toBeNull();

    const pending = await api.request('GET', '/orders?status=pending', { token: buyer.token });
    expect(pending.body.items.map((o: { id: string }) => o.id)).toEqual([first.orderId, third.orderId]);

    // A customer naming someone else still sees only their own.
    const sneaky = await api.request('GET', `/orders?customerId=${other.id}`, { token: buyer.token });
    expect(sneaky.body.items.map((o: { id: string }) => o.id)).toEqual([first.orderId, second.orderId, third.orderId]);

    const page1 = await api.request('GET', '/orders?limit=2', { token: buyer.token });
    expect(page1.body.items).toHaveLength(2);
    const page2 = await api.request('GET', `/orders?limit=2&cursor=${page1.body.nextCursor}`, { token: buyer.token });
    expect(page2.body).toEqual({ items: [expect.objectContaining({ id: third.orderId })], nextCursor: null });

    const all = await api.request('GET', '/orders?limit=200', { token: admin });
    expect(all.body.items.map((o: { id: string }) => o.id)).toEqual(expect.arrayContaining([first.orderId, others.orderId]));
    const theirs = await api.request('GET', `/orders?customerId=${other.id}`, { token: admin });
    expect(theirs.body.items.every((o: { customerId: string }) => o.customerId === other.id)).toBe(true);
  });

  it('answers 422 to an unknown status, a bad limit or cursor', async () => {
    expect((await api.request('GET', '/orders?status=lost', { token: customer.token })).status).toBe(422);
    expect((await api.request('GET', '/orders?limit=0', { token: customer.token })).status).toBe(422);
    expect((await api.request('GET', '/orders?cursor=nonsense', { token: customer.token })).status).toBe(422);
  });
});

describe('GET /orders/{id}/events', () => {
  it('answers the stream, oldest first, to its customer and an admin, and 404 to anyone else', async () => {
    const { orderId, invoiceId } = await givenOrderAt(api, shop, customer, 'processing');

    const response = await api.request('GET', `/orders/${orderId}/events`, { token: customer.token });

    expect(response.status).toBe(200);
    expect(response.body.nextCursor).toBeNull();
    expect(response.body.items.map((e: { version: number; type: string }) => [e.version, e.type])).toEqual([
      [1, 'order-placed'],
      [2, 'stock-reserved'],
      [3, 'invoice-requested'],
      [4, 'order-confirmed'],
      [5, 'order-paid'],
    ]);
    expect(response.body.items[0]).toMatchObject({
      data: { orderId, customerId: customer.id, total: eur(28_600), at: expect.any(String), deadline: expect.any(String) },
      metadata: { correlationId: expect.any(String), actor: `customer:${customer.id}` },
      occurredAt: expect.any(String),
    });
    expect(response.body.items[4]).toMatchObject({ data: { invoiceId }, metadata: { causationId: expect.any(String) } });

    expect((await api.request('GET', `/orders/${orderId}/events`, { token: admin })).body.items).toHaveLength(5);
    expect((await api.request('GET', `/orders/${orderId}/events`, { token: other.token })).status).toBe(404);
    expect((await api.request('GET', `/orders/${randomUUID()}/events`, { token: admin })).status).toBe(404);

    const page = await api.request('GET', `/orders/${orderId}/events?limit=3`, { token: customer.token });
    const rest = await api.request('GET', `/orders/${orderId}/events?cursor=${page.body.nextCursor}`, { token: customer.token });
    expect(rest.body.items.map((e: { version: number }) => e.version)).toEqual([4, 5]);
  });
});
