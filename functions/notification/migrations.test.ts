import { describe, expect, it } from 'vitest';
import { migrateDown, migrateUp } from '../runtime/migrate.js';
import { useTestDatabase } from '../runtime/testing.js';

const db = useTestDatabase(['notification']);

const exists = async (name: string) => (await db.query<{ found: boolean }>('SELECT to_regclass($1) IS NOT NULL AS found', [name]))[0]?.found;
const TABLES = ['notification.contacts', 'notification.notifications'];

describe("Notification's migrations", () => {
  it('revert, leaving the messaging tables, and apply again', async () => {
    expect(await migrateDown(['notification'])).toEqual(['notification/003_notification_trace']);
    expect(await migrateDown(['notification'])).toEqual(['notification/002_account_emails']);
    expect(await migrateDown(['notification'])).toEqual(['notification/001_contacts_and_notifications']);
    for (const table of TABLES) expect(await exists(table), table).toBe(false);
    expect(await exists('notification.inbox')).toBe(true);

    expect(await migrateUp(['notification'])).toEqual([
      'notification/001_contacts_and_notifications',
      'notification/002_account_emails',
      'notification/003_notification_trace',
    ]);
    for (const table of TABLES) expect(await exists(table), table).toBe(true);
  });
});
