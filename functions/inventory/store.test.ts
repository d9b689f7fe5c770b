// The schema as the last line of defence: whatever the code above does, the database refuses
// negative stock, more reserved than on hand, and a second reservation of a product by an order.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../runtime/testing.js';
import { isUuid } from './store.js';

const db = useTestDatabase(['inventory']);

const productId = randomUUID();
const now = new Date('2026-03-01T09:00:00.000Z');
beforeAll(async () => {
  await db.query('INSERT INTO inventory.items (product_id, on_hand, reserved, version, created_at, updated_at) VALUES ($1, 5, 2, 1, $2, $2)', [productId, now]);
});

const refusal = async (sql: string, params: unknown[]) => {
  try {
    await db.query(sql, params);
  } catch (error) {
    return { code: (error as { code?: string }).code, constraint: (error as { constraint?: string }).constraint };
  }
  return undefined;
};

describe('the inventory schema', () => {
  it.each([
    ['more reserved than on hand', 'UPDATE inventory.items SET reserved = 6 WHERE product_id = $1'],
    ['less on hand than reserved', 'UPDATE inventory.items SET on_hand = 1 WHERE product_id = $1'],
    ['a negative reserved count', 'UPDATE inventory.items SET reserved = -1 WHERE product_id = $1'],
    ['negative stock', 'UPDATE inventory.items SET on_hand = -1, reserved = 0 WHERE product_id = $1'],
  ])('refuses %s', async (_what, sql) => {
    expect(await refusal(sql, [productId])).toEqual({ code: '23514', constraint: 'items_stock_never_negative' });
    expect(await db.query('SELECT on_hand, reserved FROM inventory.items WHERE product_id = $1', [productId])).toEqual([{ on_hand: 5, reserved: 2 }]);
  });

  it('refuses a second reservation of one product by one order', async () => {
    const orderId = randomUUID();
    const insert = `INSERT INTO inventory.reservations (order_id, product_id, quantity, status, reserved_at) VALUES ($1, $2, 1, 'reserved', $3)`;
    await db.query(insert, [orderId, productId, now]);

    expect(await refusal(insert, [orderId, productId, now])).toEqual({ code: '23505', constraint: 'reservations_pkey' });
  });

  it('refuses a reservation of a product without an item, and of nothing', async () => {
    const insert = `INSERT INTO inventory.reservations (order_id, product_id, quantity, status, reserved_at) VALUES ($1, $2, $3, 'reserved', $4)`;

    expect((await refusal(insert, [randomUUID(), randomUUID(), 1, now]))?.code).toBe('23503');
    expect((await refusal(insert, [randomUUID(), productId, 0, now]))?.code).toBe('23514');
  });
});

describe('isUuid', () => {
  it('accepts the canonical form only', () => {
    expect(isUuid(productId)).toBe(true);
    expect(isUuid(productId.toUpperCase())).toBe(true);
    expect(isUuid(productId.replaceAll('-', ''))).toBe(false);
    expect(isUuid("1' OR '1'='1")).toBe(false);
  });
});
