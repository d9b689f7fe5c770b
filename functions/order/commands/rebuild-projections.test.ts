import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFunctions, tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { aCustomer, givenOrder, givenOrderAt, orderOf, orderRegistry, useTestCatalog } from '../test-support.js';

const db = useTestDatabase(['order']);
const shop = useTestCatalog();
const api = startFunctions(orderRegistry);

let customer: { id: string; token: string };
let admin: string;
beforeAll(async () => {
  customer = await aCustomer();
  admin = await tokenFor('admin');
  // Orders in every status, for the projections to hold all their shapes.
  for (const status of ['pending', 'confirmed', 'processing', 'shipped', 'delivered'] as const) {
    await givenOrderAt(api, shop, customer, status);
  }
  const cancelled = await givenOrderAt(api, shop, customer, 'confirmed');
  await api.request('POST', `/orders/${cancelled.orderId}/cancel`, { token: customer.token, body: { reason: 'too slow' } });
});

const rebuild = (token = admin) => api.request('POST', '/orders/projections/rebuild', { token });
// json has no equality operator: the document is compared as the text it was written as.
const projections = () =>
  db.query(
    `SELECT id, number, customer_id, status, saga_step, saga_deadline, version, created_at, updated_at, document::text AS document
     FROM "order".orders_view ORDER BY id`,
  );

describe('POST /orders/projections/rebuild', () => {
  it('rebuilds orders_view from the streams to exactly what it was', async () => {
    const before = await projections();
    expect(before).toHaveLength(6);

    const response = await rebuild();

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ orders: 6, removed: 0 });
    expect(await projections()).toEqual(before);
  });

  it('repairs a projection row that was lost or damaged, and removes one without a stream', async () => {
    const before = await projections();
    const { orderId } = await givenOrder(api, shop, customer);
    const expected = await projections();
    await db.query('DELETE FROM "order".orders_view WHERE id = $1', [orderId]);
    const damaged = before[0] as { id: string };
    await db.query(`UPDATE "order".orders_view SET status = 'delivered', version = 1, document = '{}'::json WHERE id = $1`, [damaged.id]);
    await db.query(
      `INSERT INTO "order".orders_view (id, number, customer_id, status, saga_step, version, created_at, updated_at, document)
       VALUES ($1, 'ORD-1999-000001', $2, 'pending', 'reserving-stock', 1, now(), now(), '{}'::json)`,
      [randomUUID(), customer.id],
    );

    const response = await rebuild();

    expect(response.body).toEqual({ orders: 7, removed: 1 });
    expect(await projections()).toEqual(expected);
    expect((await orderOf(api, customer.token, orderId)).status).toBe('pending');
  });

  it('is for admins only', async () => {
    expect((await rebuild(customer.token)).status).toBe(403);
    expect((await api.request('POST', '/orders/projections/rebuild')).status).toBe(401);
  });
});
