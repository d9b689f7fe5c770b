// The broker's tables are the local platform's own: production's migrations (every context's,
// what migrate-platform applies) do not make them; the local set does, and takes them over from a
// data directory made while they were platform migrations 2 and 3.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { localOnlyFunctions, registry } from '../functions/index.js';
import { loadMigrations, migratedContexts, readMigrations } from '../functions/runtime/migrate.js';
import { useTestDatabase } from '../functions/runtime/testing.js';
import { LOCAL_MIGRATIONS, migrateLocal } from './database.js';

const db = useTestDatabase(['platform']);

const tables = async (): Promise<string[]> =>
  (await db.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'platform' ORDER BY 1`)).map((r) => r.name);

const recorded = async (): Promise<string[]> =>
  (
    await db.query<{ m: string }>(
      `SELECT context || '/' || version || '_' || name AS m FROM platform.migrations WHERE context IN ('platform', 'local-broker') ORDER BY 1`,
    )
  ).map((r) => r.m);

describe('migration sets', () => {
  it('leaves the broker tables out of every production migration', async () => {
    for (const context of migratedContexts()) {
      for (const migration of loadMigrations(context)) expect(migration.up, `${context}/${migration.name}`).not.toMatch(/broker_(events|deliveries)/);
    }
    expect(await tables()).not.toEqual(expect.arrayContaining(['broker_events']));
    expect((await tables()).filter((t) => t.includes('broker'))).toEqual([]);
    expect(await recorded()).toEqual(['platform/0_messaging', 'platform/1_dead_letters', 'platform/4_dead_letter_trigger']);
  });

  it('keeps local-only functions out of the deployed registry and out of knative/base', () => {
    expect(localOnlyFunctions.map((fn) => fn.name)).toEqual(['platform-list-broker-events']);
    expect(registry.map((fn) => fn.name)).not.toContain('platform-list-broker-events');
    expect(existsSync(join('knative', 'base', 'platform', 'platform-list-broker-events.yaml'))).toBe(false);
    expect(readFileSync(join('knative', 'base', 'kustomization.yaml'), 'utf8')).not.toMatch(/broker-events/);
  });

  it('takes over the tables of a data directory where they were platform migrations 2 and 3', async () => {
    // A data directory of before: the same tables, recorded under the platform context, with an event in them.
    for (const migration of readMigrations(LOCAL_MIGRATIONS.dir).filter((m) => m.version <= 2)) await db.query(migration.up);
    await db.query(`DELETE FROM platform.migrations WHERE context = 'local-broker'`);
    await db.query(`INSERT INTO platform.migrations (context, version, name) VALUES ('platform', 2, 'broker'), ('platform', 3, 'kafka_broker')`);
    await db.query(`INSERT INTO platform.broker_events (id, source, type, event) VALUES ('kept', '/test', 'com.gotuto.test.kept.v1', '{}')`);

    const applied = await migrateLocal();
    expect(applied.filter((m) => m.startsWith('local-broker/'))).toEqual([
      'local-broker/001_broker',
      'local-broker/002_kafka_broker',
      'local-broker/003_journey',
    ]);
    expect(await recorded()).toEqual([
      'local-broker/1_broker',
      'local-broker/2_kafka_broker',
      'local-broker/3_journey',
      'platform/0_messaging',
      'platform/1_dead_letters',
      'platform/4_dead_letter_trigger',
    ]);
    expect(await db.query(`SELECT id FROM platform.broker_events`)).toEqual([{ id: 'kept' }]);
    expect(await migrateLocal()).toEqual([]);
  });
});
