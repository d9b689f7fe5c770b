import { describe, expect, it } from 'vitest';
import { migrateDown, migrateUp } from '../runtime/migrate.js';
import { useTestDatabase } from '../runtime/testing.js';

const db = useTestDatabase(['billing']);

const has = async (sql: string) => (await db.query<{ found: boolean }>(`SELECT ${sql} IS NOT NULL AS found`))[0]?.found;
const customerIdColumn = () =>
  has("(SELECT 1 FROM information_schema.columns WHERE table_schema = 'billing' AND table_name = 'clients' AND column_name = 'customer_id')");

describe("Billing's migrations", () => {
  it('revert one by one, newest first, and apply again', async () => {
    expect(await migrateDown(['billing'])).toEqual(['billing/003_order_invoices']);
    expect(await has("to_regclass('billing.cancelled_orders')")).toBe(false);
    expect(await has("to_regclass('billing.invoices_live_order')")).toBe(false);
    expect(await customerIdColumn()).toBe(true);

    expect(await migrateDown(['billing'])).toEqual(['billing/002_customer_clients']);
    expect(await customerIdColumn()).toBe(false);
    expect(await has("to_regclass('billing.clients')")).toBe(true);

    expect(await migrateUp(['billing'])).toEqual(['billing/002_customer_clients', 'billing/003_order_invoices']);
    expect(await has("to_regclass('billing.cancelled_orders')")).toBe(true);
    expect(await has("to_regclass('billing.invoices_live_order')")).toBe(true);
    expect(await customerIdColumn()).toBe(true);
  });
});
