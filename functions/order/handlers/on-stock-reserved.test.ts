import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { stockReserved } from '../../../events/inventory.js';
import { startFunctions, useTestDatabase } from '../../runtime/testing.js';
import { aCustomer, eur, eventNamesAbout, eventsNamed, givenOrder, orderOf, orderRegistry, sagaEvents, streamOf, useTestCatalog } from '../test-support.js';

const db = useTestDatabase(['order']);
const shop = useTestCatalog();
const api = startFunctions(orderRegistry);
const saga = sagaEvents(api);

let customer: { id: string; token: string };
beforeAll(async () => {
  customer = await aCustomer();
});

describe('stock-reserved', () => {
  it('asks Billing for the invoice: invoice-requested with the lines and total; the order waits for its invoice', async () => {
    const { orderId, number } = await givenOrder(api, shop, customer);

    const response = await saga.stockReserved(orderId);

    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    const requested = (await eventsNamed('invoice-requested')).filter((e) => e.subject === orderId);
    expect(requested.map((e) => e.data)).toEqual([
      {
        orderId,
        orderNumber: number,
        customerId: customer.id,
        lines: [
          { productId: shop.espresso.id, name: 'Espresso machine', quantity: 1, unitPrice: eur(24_900) },
          { productId: shop.beans.id, name: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850) },
        ],
        total: eur(28_600),
      },
    ]);
    expect(await streamOf(db, orderId)).toEqual(['order-placed', 'stock-reserved', 'invoice-requested']);
    const order = await orderOf(api, customer.token, orderId);
    expect(order).toMatchObject({
      status: 'pending',
      saga: { step: 'invoicing', deadline: expect.any(String), completedSteps: ['placed', 'stock-reserved', 'invoice-requested'] },
      version: 3,
    });
    // The cause is kept with each event of the stream.
    const [, reserved] = await db.query<{ metadata: { causationId: string } }>(
      'SELECT metadata FROM "order".order_events WHERE stream_id = $1 ORDER BY version',
      [orderId],
    );
    expect(reserved?.metadata.causationId).toEqual(expect.any(String));
  });

  it('has no second effect when delivered again, with the same id or another', async () => {
    const { orderId } = await givenOrder(api, shop, customer);
    const id = randomUUID();
    await saga.stockReserved(orderId, { id });

    expect((await saga.stockReserved(orderId, { id })).status).toBe(204);
    expect((await saga.stockReserved(orderId)).status).toBe(204);

    expect(await eventNamesAbout(orderId)).toEqual(['order-placed', 'invoice-requested']);
    expect((await orderOf(api, customer.token, orderId)).version).toBe(3);
  });

  it('takes concurrent deliveries and a cancel at once one after the other: one effect each, a consistent stream', async () => {
    const { orderId } = await givenOrder(api, shop, customer);
    const id = randomUUID();

    const [cancel, ...deliveries] = await Promise.all([
      api.request('POST', `/orders/${orderId}/cancel`, { token: customer.token }),
      saga.stockReserved(orderId, { id }),
      saga.stockReserved(orderId, { id }),
      saga.stockReserved(orderId),
      saga.stockReserved(orderId),
    ]);

    expect(cancel?.status).toBe(200);
    expect(deliveries.map((r) => r.status)).toEqual([204, 204, 204, 204]);
    const names = await eventNamesAbout(orderId);
    expect(names.filter((n) => n === 'invoice-requested').length).toBeLessThanOrEqual(1);
    expect(names.filter((n) => n === 'order-cancelled')).toHaveLength(1);
    expect(names.at(-1)).toBe('order-cancelled');
    const versions = await db.query<{ version: number }>('SELECT version FROM "order".order_events WHERE stream_id = $1 ORDER BY version', [orderId]);
    expect(versions.map((v) => v.version)).toEqual(versions.map((_, i) => i + 1));
  });

  it('answers 404, which the broker retries, for an order it does not know: nothing kept, so a redelivery is handled afresh', async () => {
    const id = randomUUID();

    const early = await saga.stockReserved(randomUUID(), { id });

    expect(early.status).toBe(404);
    expect(await db.query('SELECT 1 FROM "order".rejected_events WHERE event_id = $1', [id])).toEqual([]);
    expect(await db.query('SELECT 1 FROM "order".inbox WHERE event_id = $1', [id])).toEqual([]);
  });

  it('refuses invalid data for good with 422, keeping the event with the reason', async () => {
    const id = randomUUID();
    const response = await api.deliver('order/handlers/on-stock-reserved', {
      id,
      type: stockReserved.type,
      subject: 'x',
      data: { orderId: 'not-a-uuid', lines: [] },
    });

    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/lines', '/orderId']);
    expect(await db.query('SELECT event_id FROM "order".rejected_events WHERE handler = $1', ['order-on-stock-reserved'])).toEqual([{ event_id: id }]);
  });
});

describe('stock-reservation-failed', () => {
  it('cancels the order with a reason naming each product short of stock, and order-cancelled with completedSteps [placed]', async () => {
    const { orderId, number } = await givenOrder(api, shop, customer);

    const response = await saga.reservationFailed(orderId, [{ productId: shop.beans.id, requested: 2, available: 1 }]);

    expect(response.status).toBe(204);
    const reason = `stock reservation failed: Coffee beans 1 kg (${shop.beans.id}): requested 2, available 1`;
    const cancelled = (await eventsNamed('order-cancelled')).filter((e) => e.subject === orderId);
    expect(cancelled.map((e) => e.data)).toEqual([
      { orderId, orderNumber: number, customerId: customer.id, reason, cancelledBy: 'saga', completedSteps: ['placed'] },
    ]);
    const order = await orderOf(api, customer.token, orderId);
    expect(order).toMatchObject({
      status: 'cancelled',
      cancellation: { reason, by: 'saga' },
      saga: { step: 'cancelled' },
      history: [{ status: 'pending' }, { status: 'cancelled', reason }],
    });
    expect(order.saga).not.toHaveProperty('deadline');
  });

  it('does nothing for an order whose stock is already reserved, or that is already cancelled', async () => {
    const { orderId } = await givenOrder(api, shop, customer);
    await saga.stockReserved(orderId);
    expect((await saga.reservationFailed(orderId, [{ productId: shop.beans.id, requested: 2, available: 0 }])).status).toBe(204);
    expect((await orderOf(api, customer.token, orderId)).status).toBe('pending');

    const other = await givenOrder(api, shop, customer);
    await saga.reservationFailed(other.orderId, [{ productId: shop.beans.id, requested: 2, available: 0 }]);
    expect((await saga.reservationFailed(other.orderId, [{ productId: shop.espresso.id, requested: 1, available: 0 }])).status).toBe(204);
    expect((await saga.stockReserved(other.orderId)).status).toBe(204);
    expect(await eventNamesAbout(other.orderId)).toEqual(['order-placed', 'order-cancelled']);
  });
});
