// The warm benchmark compares billing-create-invoice with baselines that run "the same SQL" without
// the platform. This keeps that true: the statements the real function sends to PostgreSQL and
// the ones of scripts/bench/fixtures/invoice-sql.cjs must be the same, and store the same rows.
import { createRequire } from 'node:module';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '../../functions/index.js';
import { functionsAt, startFunctions, tokenFor, useTestDatabase } from '../../functions/runtime/testing.js';

interface Fixture {
  createPool(): pg.Pool;
  createInvoice(pool: pg.Pool, body: unknown): Promise<{ status: number; body: { id: string } }>;
}
const fixture = createRequire(import.meta.url)('./fixtures/invoice-sql.cjs') as Fixture;

const db = useTestDatabase(['billing']);
const api = startFunctions(functionsAt(registry, ['billing/commands/create-client', 'billing/commands/create-invoice']));

// Every statement any pg client sends, in order.
const sent: string[] = [];
const originalQuery = pg.Client.prototype.query;
beforeAll(() => {
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [config] = args as [string | { text?: string }];
    sent.push(typeof config === 'string' ? config : (config?.text ?? ''));
    return (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof pg.Client.prototype.query;
});
afterAll(() => {
  pg.Client.prototype.query = originalQuery;
});

const normalise = (sql: string) => sql.replace(/\s+/g, ' ').trim();
const capture = async <T>(work: () => Promise<T>): Promise<{ result: T; statements: string[] }> => {
  sent.length = 0;
  const result = await work();
  return { result, statements: sent.splice(0).map(normalise) };
};

describe('the warm benchmark baselines', () => {
  it('run the statements of billing-create-invoice, in one transaction, and store the same rows', async () => {
    const admin = await tokenFor('admin');
    const created = await api.request('POST', '/billing/clients', { token: admin, body: { name: 'Bench', email: 'bench@example.com' } });
    expect(created.status).toBe(201);
    const body = {
      clientId: created.body.id as string,
      lines: [{ description: 'Widget', quantity: 2, unitPrice: { amount: 1999, currency: 'EUR' } }],
      dueDate: '2026-12-31',
    };

    const real = await capture(() => api.request('POST', '/billing/invoices', { token: admin, body }));
    expect(real.result.status).toBe(201);

    const pool = fixture.createPool();
    const baseline = await capture(() => fixture.createInvoice(pool, body)).finally(() => pool.end());
    expect(baseline.result.status).toBe(201);

    expect(baseline.statements).toEqual(real.statements);
    expect(real.statements[0]).toBe('BEGIN');
    expect(real.statements.at(-1)).toBe('COMMIT');

    const rows = await db.query(
      `SELECT i.*, o.type, o.subject = i.id::text AS subject_is_invoice, o.claimed_until, o.event -> 'data' AS data,
              (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(o.event) AS k) AS event_keys
       FROM billing.invoices i JOIN billing.outbox o ON o.subject = i.id::text
       WHERE i.id = ANY($1::uuid[]) ORDER BY i.id = $2 DESC`,
      [[real.result.body.id, baseline.result.body.id], real.result.body.id],
    );
    expect(rows).toHaveLength(2);
    const comparable = ({ id, created_at, updated_at, data, ...rest }: Record<string, unknown>) => {
      void created_at;
      void updated_at;
      return { ...rest, data: { ...(data as object), invoiceId: (data as { invoiceId: string }).invoiceId === id } };
    };
    expect(comparable(rows[1] as Record<string, unknown>)).toEqual(comparable(rows[0] as Record<string, unknown>));
  });
});
