import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFunctions, tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { aCustomer, eventNamesAbout, eventsNamed, givenOrder, givenOrderAt, orderOf, orderRegistry, streamOf, useTestCatalog } from '../test-support.js';

const db = useTestDatabase(['order']);
const shop = useTestCatalog();
const api = startFunctions(orderRegistry);

let customer: { id: string; token: string };
let admin: string;
beforeAll(async () => {
  customer = await aCustomer();
  admin = await tokenFor('admin');
});

const cancel = (orderId: string, token: string, body?: unknown, headers?: Record<string, string>) =>
  api.request('POST', `/orders/${orderId}/cancel`, { token, ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) });
const cancellationOf = async (orderId: string) => (await eventsNamed('order-cancelled')).filter((e) => e.subject === orderId).map((e) => e.data);

describe('POST /orders/{id}/cancel', () => {
  it('cancels a pending order for its customer: 200 with the order, and order-cancelled saying what to compensate', async () => {
    const { orderId, number } = await givenOrder(api, shop, customer);

    const response = await cancel(orderId, customer.token);

    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('"2"');
    expect(response.body).toMatchObject({
      id: orderId,
      status: 'cancelled',
      cancellation: { reason: 'cancelled by the customer', by: 'customer' },
      saga: { step: 'cancelled', completedSteps: ['placed'] },
      version: 2,
    });
    expect(response.body).toEqual(await orderOf(api, customer.token, orderId));
    expect(await cancellationOf(orderId)).toEqual([
      { orderId, orderNumber: number, customerId: customer.id, reason: 'cancelled by the customer', cancelledBy: 'customer', completedSteps: ['placed'] },
    ]);
    expect(await streamOf(db, orderId)).toEqual(['order-placed', 'order-cancelled']);
  });

  it('cancels a confirmed order (Billing cancels the invoice) and a processing one (Billing refunds), naming the invoice', async () => {
    const confirmed = await givenOrderAt(api, shop, customer, 'confirmed');
    const processing = await givenOrderAt(api, shop, customer, 'processing');

    expect((await cancel(confirmed.orderId, customer.token, { reason: 'changed my mind' })).status).toBe(200);
    expect((await cancel(processing.orderId, customer.token)).status).toBe(200);

    expect(await cancellationOf(confirmed.orderId)).toEqual([
      expect.objectContaining({
        reason: 'changed my mind',
        cancelledBy: 'customer',
        completedSteps: ['placed', 'stock-reserved', 'invoice-requested', 'invoiced'],
        invoiceId: confirmed.invoiceId,
      }),
    ]);
    expect(await cancellationOf(processing.orderId)).toEqual([
      expect.objectContaining({
        completedSteps: ['placed', 'stock-reserved', 'invoice-requested', 'invoiced', 'paid'],
        invoiceId: processing.invoiceId,
      }),
    ]);
    expect((await orderOf(api, customer.token, confirmed.orderId)).history.at(-1)).toEqual({
      status: 'cancelled',
      at: expect.any(String),
      reason: 'changed my mind',
    });
  });

  it('lets an admin cancel any order, as an admin', async () => {
    const { orderId } = await givenOrderAt(api, shop, customer, 'processing');

    const response = await cancel(orderId, admin, { reason: 'fraud suspected' });

    expect(response.status).toBe(200);
    expect(response.body.cancellation).toEqual({ reason: 'fraud suspected', by: 'admin' });
    expect((await cancellationOf(orderId))[0]).toMatchObject({ cancelledBy: 'admin', reason: 'fraud suspected' });
  });

  it('answers 409 once shipped or delivered, and to a second cancel, changing nothing', async () => {
    const shipped = await givenOrderAt(api, shop, customer, 'shipped');
    const delivered = await givenOrderAt(api, shop, customer, 'delivered');
    const cancelled = await givenOrder(api, shop, customer);
    await cancel(cancelled.orderId, customer.token);

    const refused = await cancel(shipped.orderId, customer.token);
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/shipped; once dispatched/);
    expect((await cancel(delivered.orderId, admin)).status).toBe(409);
    expect((await cancel(cancelled.orderId, customer.token)).status).toBe(409);

    expect((await orderOf(api, customer.token, shipped.orderId)).status).toBe('shipped');
    expect(await eventNamesAbout(shipped.orderId)).not.toContain('order-cancelled');
    expect(await cancellationOf(cancelled.orderId)).toHaveLength(1);
  });

  it("answers 404 for another customer's order or an unknown one, and 412 for a stale If-Match", async () => {
    const { orderId } = await givenOrder(api, shop, customer);

    expect((await cancel(orderId, (await aCustomer()).token)).status).toBe(404);
    expect((await cancel(randomUUID(), customer.token)).status).toBe(404);
    expect((await cancel(randomUUID(), admin)).status).toBe(404);
    expect((await cancel(orderId, customer.token, undefined, { 'if-match': '"3"' })).status).toBe(412);
    expect((await orderOf(api, customer.token, orderId)).status).toBe('pending');
    expect((await cancel(orderId, customer.token, undefined, { 'if-match': '"1"' })).status).toBe(200);
  });

  it('answers 422 to a reason that is empty or too long', async () => {
    const { orderId } = await givenOrder(api, shop, customer);
    expect((await cancel(orderId, customer.token, { reason: '' })).status).toBe(422);
    expect((await cancel(orderId, customer.token, { reason: 'x'.repeat(501) })).status).toBe(422);
    expect((await cancel(orderId, customer.token, { why: 'because' })).status).toBe(422);
  });
});
