import { describe, expect, it } from 'vitest';
import { migrateDown, migrateUp } from '../runtime/migrate.js';
import { useTestDatabase } from '../runtime/testing.js';

const db = useTestDatabase(['customer']);

const exists = async (name: string) => (await db.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [name]))[0]?.found;
const columns = async (table: string) =>
  (
    await db.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'customer' AND table_name = $1`, [table])
  ).map((row) => row.column_name);

describe("Customer's migrations", () => {
  it('revert one at a time, verification and throttling first, and apply again', async () => {
    expect(await migrateDown(['customer'])).toEqual(['customer/002_verified_emails_and_throttling']);
    expect(await exists('customer.email_verifications')).toBe(false);
    expect(await columns('customers')).not.toContain('email_verified_at');
    expect(await columns('login_failures')).not.toContain('source');

    expect(await migrateDown(['customer'])).toEqual(['customer/001_customers_and_login_failures']);
    expect(await exists('customer.customers')).toBe(false);

    expect(await migrateUp(['customer'])).toEqual(['customer/001_customers_and_login_failures', 'customer/002_verified_emails_and_throttling']);
    expect(await exists('customer.email_verifications')).toBe(true);
    expect(await columns('customers')).toContain('email_verified_at');
  });
});
