import { describe, expect, it } from 'vitest';
import { migrateDown, migrateUp } from '../runtime/migrate.js';
import { useTestDatabase } from '../runtime/testing.js';

const db = useTestDatabase(['inventory']);

const exists = async (name: string) => (await db.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [name]))[0]?.found;
const TABLES = ['inventory.items', 'inventory.reservations', 'inventory.placed_orders', 'inventory.cancelled_orders'];

describe("Inventory's migrations", () => {
  it('revert, leaving the messaging tables, and apply again', async () => {
    expect(await migrateDown(['inventory'])).toEqual(['inventory/001_items_and_reservations']);
    for (const table of TABLES) expect(await exists(table), table).toBe(false);
    expect(await exists('inventory.outbox')).toBe(true);

    expect(await migrateUp(['inventory'])).toEqual(['inventory/001_items_and_reservations']);
    for (const table of TABLES) expect(await exists(table), table).toBe(true);
  });
});
