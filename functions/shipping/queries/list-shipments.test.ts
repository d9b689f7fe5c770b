import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { givenDispatched, givenShipment, startShipping } from '../test-support.js';

useTestDatabase(['shipping']);
const api = startShipping(['shipping/queries/list-shipments', 'shipping/commands/dispatch-shipment', 'shipping/handlers/on-order-paid']);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const list = (query: string, token = admin) => api.request('GET', `/shipping/shipments${query}`, { token });

describe('GET /shipping/shipments', () => {
  it("finds an order's shipment by orderId: {items, nextCursor}", async () => {
    const { order, shipmentId } = await givenShipment(api);
    await givenShipment(api);

    const response = await list(`?orderId=${order.orderId}`);

    expect(response.status).toBe(200);
    expect(response.body.nextCursor).toBeNull();
    expect(response.body.items).toEqual([expect.objectContaining({ id: shipmentId, orderId: order.orderId, status: 'preparing', version: 1 })]);
    expect((await list(`?orderId=${randomUUID()}`)).body).toEqual({ items: [], nextCursor: null });
  });

  it('filters by customer and by status', async () => {
    const customerId = randomUUID();
    const preparing = await givenShipment(api, { customerId });
    const dispatched = await givenDispatched(api, admin);

    const ofCustomer = await list(`?customerId=${customerId}`);
    const stillPreparing = await list(`?status=preparing&limit=200`);
    const left = await list(`?status=dispatched&limit=200`);

    expect(ofCustomer.body.items.map((s: { id: string }) => s.id)).toEqual([preparing.shipmentId]);
    expect(stillPreparing.body.items.map((s: { id: string }) => s.id)).toContain(preparing.shipmentId);
    expect(stillPreparing.body.items.map((s: { id: string }) => s.id)).not.toContain(dispatched.shipmentId);
    expect(left.body.items.map((s: { id: string }) => s.id)).toContain(dispatched.shipmentId);
    expect(left.body.items.every((s: { status: string }) => s.status === 'dispatched')).toBe(true);
  });

  it('pages oldest first with limit and an opaque cursor, each shipment once', async () => {
    const customerId = randomUUID();
    const made: string[] = [];
    for (let i = 0; i < 5; i++) made.push((await givenShipment(api, { customerId })).shipmentId);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?customerId=${customerId}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await list(query);
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((s: { id: string }) => s.id));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);

    expect(pages).toBe(3);
    expect(seen).toEqual(made);
  });

  it('answers 422 to a query that fails its schema or a cursor it did not make', async () => {
    for (const query of ['?orderId=42', '?status=lost', '?limit=0', '?limit=201', '?limit=ten', '?colour=red', '?cursor=bm90LWEtY3Vyc29y']) {
      const response = await list(query);
      expect(response.status, query).toBe(422);
      expect(response.body.errors?.[0]?.pointer, query).toMatch(/^\/query/);
    }
  });

  it('is for admins: 401 without a token, 403 for a customer', async () => {
    expect((await api.request('GET', '/shipping/shipments')).status).toBe(401);
    expect((await list('', await tokenFor('customer'))).status).toBe(403);
  });
});
