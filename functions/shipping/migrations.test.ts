import { describe, expect, it } from 'vitest';
import { migrateDown, migrateUp } from '../runtime/migrate.js';
import { useTestDatabase } from '../runtime/testing.js';

const db = useTestDatabase(['shipping']);

const exists = async (name: string) => (await db.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [name]))[0]?.found;
const TABLES = ['shipping.shipments', 'shipping.cancelled_orders'];

const insert = (status: string, columns: Record<string, string | null> = {}) =>
  db.query(
    `INSERT INTO shipping.shipments (id, order_id, customer_id, status, lines, shipping_address, carrier, tracking_number,
       dispatched_at, delivered_at, cancelled_at, history, version, created_at, updated_at)
     VALUES (gen_random_uuid(), gen_random_uuid(), gen_random_uuid(), $1, '[{"productId":"x","name":"x","quantity":1}]', '{}',
       $2, $3, $4, $5, $6, '[]', 1, now(), now())`,
    [status, columns.carrier ?? null, columns.tracking ?? null, columns.dispatched ?? null, columns.delivered ?? null, columns.cancelled ?? null],
  );

describe("Shipping's migrations", () => {
  it('refuse a row whose dates and carrier do not fit its status', async () => {
    const t = '2026-03-01T09:00:00Z';
    await expect(insert('preparing')).resolves.toBeDefined();
    await expect(insert('dispatched', { carrier: 'DHL', tracking: 'X1', dispatched: t })).resolves.toBeDefined();
    for (const [status, columns] of [
      ['preparing', { cancelled: t }],
      ['dispatched', { carrier: 'DHL', dispatched: t }],
      ['delivered', { carrier: 'DHL', tracking: 'X1', dispatched: t }],
      ['cancelled', { carrier: 'DHL', tracking: 'X1', dispatched: t, cancelled: t }],
      ['lost', {}],
    ] as const) {
      await expect(insert(status, columns), status).rejects.toMatchObject({ code: '23514' });
    }
  });

  it('revert, leaving the messaging tables, and apply again', async () => {
    expect(await migrateDown(['shipping'])).toEqual(['shipping/001_shipments']);
    for (const table of TABLES) expect(await exists(table), table).toBe(false);
    expect(await exists('shipping.outbox')).toBe(true);

    expect(await migrateUp(['shipping'])).toEqual(['shipping/001_shipments']);
    for (const table of TABLES) expect(await exists(table), table).toBe(true);
  });
});
