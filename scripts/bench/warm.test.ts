// The warm benchmark's own figures: a server started with the diagnostics preload reports the
// requests that waited for its pool, its event loop and its answers by status, against a real
// database (the node:http baseline, the same SQL as billing-create-invoice).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../functions/runtime/testing.js';
import { describeRun, measureRun, startWarm, type Instance, type WarmLoad } from './warm.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const db = useTestDatabase(['billing']);
const logs = mkdtempSync(join(tmpdir(), 'gotuto-warm-test-'));
const clientId = randomUUID();
const invoice = (client: string) =>
  JSON.stringify({ clientId: client, lines: [{ description: 'Widget', quantity: 2, unitPrice: { amount: 1999, currency: 'EUR' } }], dueDate: '2026-12-31' });
// Eight requests in flight on a pool of two: six wait for a connection at any time.
const load: WarmLoad = {
  path: '/billing/invoices',
  headers: { 'content-type': 'application/json' },
  body: invoice(clientId),
  connections: 8,
  durationSeconds: 1,
  warmupSeconds: 1,
};
let instance: Instance;

beforeAll(async () => {
  await db.query(`INSERT INTO billing.clients (id, name, email, version, created_at, updated_at) VALUES ($1, 'Bench', 'bench@example.com', 1, now(), now())`, [
    clientId,
  ]);
  const server = { key: 'http', label: 'node:http baseline', args: () => [join(root, 'scripts', 'bench', 'fixtures', 'http-invoice.cjs')] };
  const env = (port: number) => ({ ...process.env, PORT: String(port), DATABASE_URL: db.url, PG_POOL_MAX: '2' });
  instance = await startWarm({ root, logs, log: () => {}, env }, server, load);
}, 60_000);

afterAll(async () => {
  await instance?.child.stop();
  rmSync(logs, { recursive: true, force: true });
});

describe('a warm run', () => {
  it('counts the created invoices, the requests that waited for the pool and the event loop of the server', async () => {
    const before = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM billing.invoices');
    const run = await measureRun(instance, load);
    expect(run.requests).toBeGreaterThan(0);
    expect(run.statuses).toEqual({ '201': run.requests });
    const after = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM billing.invoices');
    // Answers still in flight when the run ended are stored too, but not counted.
    expect((after[0]?.n ?? 0) - (before[0]?.n ?? 0)).toBeGreaterThanOrEqual(run.requests);
    const d = run.diagnostics;
    expect(d?.pool.pools).toBe(1);
    expect(d?.pool.waitingMax).toBeGreaterThan(0);
    expect(d?.pool.waitingMax).toBeLessThanOrEqual(8);
    expect(d?.pool.busyMean).toBeLessThanOrEqual(2);
    expect(d?.eventLoopUtilization).toBeGreaterThan(0);
    expect(d?.eventLoopUtilization).toBeLessThanOrEqual(1);
    expect(run.cpuMsPerRequest.server).toBeGreaterThan(0);
    expect(describeRun(run)).toMatch(/waiting for a connection [\d.]+ \(max \d+\)/);
  }, 30_000);

  it('reports answers that are not 2xx by status', async () => {
    const refused = { ...load, body: invoice(randomUUID()) };
    const run = await measureRun(instance, refused);
    expect(run.requests).toBeGreaterThan(0);
    expect(run.statuses).toEqual({ '422': run.requests });
    expect(describeRun(run)).toContain(`not 2xx: ${run.requests} x 422`);
  }, 30_000);
});
