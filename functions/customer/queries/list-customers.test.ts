import { beforeAll, describe, expect, it } from 'vitest';
import { startFunctions, tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { customerFunction, givenCustomer, givenToken } from '../test-support.js';

useTestDatabase(['customer']);
const api = startFunctions((['customer/commands/register', 'customer/commands/login', 'customer/queries/list-customers'] as const).map(customerFunction));
let admin: string;
const created: Array<{ id: string; email: string }> = [];
beforeAll(async () => {
  admin = await tokenFor('admin');
  for (let i = 0; i < 5; i++) created.push(await givenCustomer(api, { name: `Customer ${i}`, email: `customer-${i}@Example.test` }));
});

describe('GET /customers', () => {
  it('lists every account, oldest first, without the password, with no next page when all fit', async () => {
    const response = await api.request('GET', '/customers', { token: admin });

    expect(response.status).toBe(200);
    expect(response.body.items.map((c: { id: string }) => c.id)).toEqual(created.map((c) => c.id));
    expect(response.body.items[0]).toEqual(created[0]);
    expect(response.body.nextCursor).toBeNull();
    expect(response.text).not.toMatch(/password|hash|scrypt/i);
  });

  it('pages with limit and the opaque cursor, without losing or repeating an account', async () => {
    const seen: string[] = [];
    const pages: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const response = await api.request('GET', `/customers${query}`, { token: admin });
      expect(response.status).toBe(200);
      pages.push(response.body.items.length);
      seen.push(...response.body.items.map((c: { id: string }) => c.id));
      cursor = response.body.nextCursor;
    } while (cursor);

    expect(pages).toEqual([2, 2, 1]);
    expect(seen).toEqual(created.map((c) => c.id));
  });

  it('finds an account by email in any case, and filters by role', async () => {
    const byEmail = await api.request('GET', `/customers?email=${encodeURIComponent('CUSTOMER-3@example.TEST')}`, { token: admin });
    const admins = await api.request('GET', '/customers?role=admin', { token: admin });
    const odd = await api.request('GET', `/customers?email=${encodeURIComponent("x' OR '1'='1")}`, { token: admin });

    expect(byEmail.body.items.map((c: { id: string }) => c.id)).toEqual([created[3]?.id]);
    expect(admins.body).toEqual({ items: [], nextCursor: null });
    expect(odd.body).toEqual({ items: [], nextCursor: null });
  });

  it('answers 422 to a cursor it did not make, a limit out of 1..200 or an unknown role', async () => {
    for (const query of ['cursor=nonsense', 'limit=0', 'limit=201', 'limit=ten', 'role=root', 'extra=1']) {
      expect((await api.request('GET', `/customers?${query}`, { token: admin })).status, query).toBe(422);
    }
  });

  it('is for admins: 401 without a token, 403 for a customer, even a real one', async () => {
    expect((await api.request('GET', '/customers')).status).toBe(401);
    const customer = await givenToken(api, created[0]?.email as string);
    expect((await api.request('GET', '/customers', { token: customer })).status).toBe(403);
  });
});
