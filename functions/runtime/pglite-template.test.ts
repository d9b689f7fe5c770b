// An in-memory embedded database starts from a copy of an initialised cluster: each copy is a
// database of its own, and a copy that cannot be loaded is made again.
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, describe, expect, it } from 'vitest';
import { inMemoryFromTemplate } from './db.js';

const dir = mkdtempSync(join(tmpdir(), 'gotuto-template-test-'));
const template = join(dir, 'template.tar');
const create = (options?: { loadDataDir: Blob }) => PGlite.create(undefined, options);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the in-memory database template', () => {
  it('is made by the first database, and each database made from it is its own', async () => {
    const first = await inMemoryFromTemplate(create, template);
    expect(existsSync(template)).toBe(true);
    await first.exec("CREATE TABLE only_here (v text); INSERT INTO only_here VALUES ('first')");
    const second = await inMemoryFromTemplate(create, template);
    try {
      const { rows } = await second.query<{ found: string | null }>("SELECT to_regclass('public.only_here')::text AS found");
      expect(rows[0]?.found).toBeNull();
      await second.exec("CREATE TABLE only_here (v text); INSERT INTO only_here VALUES ('second')");
      expect((await first.query<{ v: string }>('SELECT v FROM only_here')).rows).toEqual([{ v: 'first' }]);
    } finally {
      await first.close();
      await second.close();
    }
  }, 60_000);

  it('is made again when it cannot be loaded, and its making never fails a start', async () => {
    writeFileSync(template, 'not a data directory');
    const db = await inMemoryFromTemplate(create, template);
    try {
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      expect(statSync(template).size).toBeGreaterThan(1_000_000);
    } finally {
      await db.close();
    }
    // Where no file can be written, the database still starts.
    const nowhere = await inMemoryFromTemplate(create, join(dir, 'no-such-directory', 'template.tar'));
    try {
      expect((await nowhere.query<{ two: number }>('SELECT 2 AS two')).rows).toEqual([{ two: 2 }]);
    } finally {
      await nowhere.close();
    }
  }, 90_000);
});
