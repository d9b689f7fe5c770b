// The event store's guarantees, against a real database: optimistic concurrency, append-only
// streams, order numbers, and migrations that revert and apply again.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inTransaction, poolFor } from '../runtime/db.js';
import { Conflict } from '../runtime/errors.js';
import { migrateDown, migrateUp } from '../runtime/migrate.js';
import { useTestDatabase } from '../runtime/testing.js';
import { decide, fold, type OrderEvent } from './order.js';
import { orderNumbers, orderStreams, ordersView } from './store.js';

const db = useTestDatabase(['order']);

const now = new Date('2026-06-10T12:00:00.000Z');
const meta = { correlationId: randomUUID() };
const placed = (orderId: string): OrderEvent[] =>
  decide(
    {
      type: 'place-order',
      orderId,
      number: 'ORD-2026-000001',
      customerId: randomUUID(),
      cartId: randomUUID(),
      lines: [{ productId: randomUUID(), name: 'Espresso machine', quantity: 1, unitPrice: { amount: 24_900, currency: 'EUR' } }],
      shippingAddress: { line1: '1 rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' },
      stepTimeoutSeconds: 30,
    },
    undefined,
    now,
  );
const cancelled: OrderEvent = { type: 'order-cancelled', data: { reason: 'test', by: 'admin', at: now.toISOString() } };
const inTx = async <T>(work: Parameters<typeof inTransaction<T>>[1]) => inTransaction(await poolFor('order'), work);

describe('order streams', () => {
  it('append at the version read, and load back what was appended, in order', async () => {
    const orderId = randomUUID();
    await inTx((tx) => orderStreams.append(tx, orderId, 0, placed(orderId), meta, now));
    await inTx((tx) => orderStreams.append(tx, orderId, 1, [cancelled], meta, now));

    const events = await orderStreams.load(await poolFor('order'), orderId);

    expect(events.map((e) => e.type)).toEqual(['order-placed', 'order-cancelled']);
    expect(fold(events)).toMatchObject({ status: 'cancelled', version: 2 });
    expect(await db.query('SELECT version FROM "order".order_events WHERE stream_id = $1 ORDER BY version', [orderId])).toEqual([
      { version: 1 },
      { version: 2 },
    ]);
  });

  it('refuse an append at a stale version with Conflict (409), and keep the stream as it was', async () => {
    const orderId = randomUUID();
    await inTx((tx) => orderStreams.append(tx, orderId, 0, placed(orderId), meta, now));
    await inTx((tx) => orderStreams.append(tx, orderId, 1, [cancelled], meta, now));

    const stale = inTx((tx) => orderStreams.append(tx, orderId, 1, [cancelled], meta, now));
    await expect(stale).rejects.toThrow(Conflict);
    await expect(inTx((tx) => orderStreams.append(tx, orderId, 0, placed(orderId), meta, now))).rejects.toThrow(/past version 0/);

    expect(await orderStreams.load(await poolFor('order'), orderId)).toHaveLength(2);
  });

  it('let only one of two writers that read the same version append', async () => {
    const orderId = randomUUID();
    await inTx((tx) => orderStreams.append(tx, orderId, 0, placed(orderId), meta, now));

    const results = await Promise.allSettled([
      inTx((tx) => orderStreams.append(tx, orderId, 1, [cancelled], meta, now)),
      inTx((tx) => orderStreams.append(tx, orderId, 1, [cancelled], meta, now)),
    ]);

    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toBeInstanceOf(Conflict);
  });

  it('are append-only: an event is never changed or removed', async () => {
    const orderId = randomUUID();
    await inTx((tx) => orderStreams.append(tx, orderId, 0, placed(orderId), meta, now));

    await expect(db.query(`UPDATE "order".order_events SET type = 'order-paid' WHERE stream_id = $1`, [orderId])).rejects.toThrow(/append-only/);
    await expect(db.query('DELETE FROM "order".order_events WHERE stream_id = $1', [orderId])).rejects.toThrow(/append-only/);
    expect(await orderStreams.load(await poolFor('order'), orderId)).toHaveLength(1);
  });
});

describe('the projection', () => {
  it('never goes back to an older version', async () => {
    const orderId = randomUUID();
    const first = fold(placed(orderId));
    const second = fold([...placed(orderId), cancelled]);
    if (!first || !second) throw new Error('no order');
    const pool = await poolFor('order');

    await ordersView.save(pool, [second]);
    await ordersView.save(pool, [first]);

    expect(await ordersView.find(pool, orderId)).toMatchObject({ status: 'cancelled', version: 2 });
  });
});

describe('order numbers', () => {
  it('come from a sequence, with the year', async () => {
    const a = await inTx((tx) => orderNumbers.next(tx, 2026));
    const b = await inTx((tx) => orderNumbers.next(tx, 2027));

    expect(a).toMatch(/^ORD-2026-\d{6}$/);
    expect(Number(b.slice(-6))).toBe(Number(a.slice(-6)) + 1);
  });
});

describe("Order's migrations", () => {
  it('revert and apply again', async () => {
    expect(await migrateDown(['order'])).toEqual(['order/001_carts_and_orders']);
    expect(await db.query(`SELECT to_regclass('"order".order_events') IS NULL AS gone`)).toEqual([{ gone: true }]);
    expect(await migrateUp(['order'])).toEqual(['order/001_carts_and_orders']);
    expect(await db.query(`SELECT to_regclass('"order".orders_view') IS NOT NULL AS there`)).toEqual([{ there: true }]);
  });
});
