import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { poolFor } from '../runtime/db.js';
import { startFunctions, useTestDatabase } from '../runtime/testing.js';
import { ensureAdmin, ensureAdminFromEnv } from './admin.js';
import { customerFunction, eventsNamed, givenCustomer, givenToken, withEnv } from './test-support.js';

const db = useTestDatabase(['customer']);
const api = startFunctions((['customer/commands/register', 'customer/commands/login', 'customer/queries/list-customers'] as const).map(customerFunction));

const now = new Date('2026-03-01T09:00:00.000Z');
const PASSWORD = 'a long admin passphrase';
const accountsWith = (email: string) => db.query('SELECT id, role FROM customer.customers WHERE lower(email) = lower($1)', [email]);

describe('ensureAdmin', () => {
  it('creates the admin once, however often it runs, with one customer-registered (role admin)', async () => {
    const pool = await poolFor('customer');

    const first = await ensureAdmin(pool, { email: 'Admin@Example.test', password: PASSWORD, now });
    const second = await ensureAdmin(pool, { email: 'admin@example.test', password: PASSWORD, now });

    expect(first).toMatchObject({ created: true, customer: { email: 'Admin@Example.test', role: 'admin', name: 'Administrator', version: 1 } });
    expect(first.customer.createdAt).toEqual(now);
    expect(second).toEqual({ created: false, customer: first.customer });
    expect(await accountsWith('admin@example.test')).toEqual([{ id: first.customer.id, role: 'admin' }]);
    const events = (await eventsNamed('customer-registered')).filter((e) => e.subject === first.customer.id);
    expect(events.map((e) => e.data)).toEqual([
      { customerId: first.customer.id, email: 'Admin@Example.test', name: 'Administrator', role: 'admin', emailVerified: true },
    ]);
  });

  it('makes an admin who can log in and gets a token with the role admin', async () => {
    const { customer } = await ensureAdmin(await poolFor('customer'), { email: 'root@example.test', password: PASSWORD, now, name: 'Root' });

    const token = await givenToken(api, 'root@example.test', PASSWORD);

    expect(decodeJwt(token)).toMatchObject({ sub: customer.id, role: 'admin' });
    expect((await api.request('GET', '/customers', { token })).status).toBe(200);
  });

  it('leaves an existing account with that email as it is: no second account, no promotion', async () => {
    const shopper = await givenCustomer(api, { email: 'shopper@example.test' });

    const result = await ensureAdmin(await poolFor('customer'), { email: 'SHOPPER@example.test', password: PASSWORD, now });

    expect(result).toMatchObject({ created: false, customer: { id: shopper.id, role: 'customer' } });
    expect(await accountsWith('shopper@example.test')).toEqual([{ id: shopper.id, role: 'customer' }]);
  });

  it('runs concurrently without making two admins', async () => {
    const pool = await poolFor('customer');

    const results = await Promise.all([1, 2, 3].map(() => ensureAdmin(pool, { email: 'race@example.test', password: PASSWORD, now })));

    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await accountsWith('race@example.test')).toHaveLength(1);
  });

  it('throws a clear error for a weak password or an email that is not one, and stores nothing', async () => {
    const pool = await poolFor('customer');

    await expect(ensureAdmin(pool, { email: 'weak@example.test', password: 'short', now })).rejects.toThrow(
      'the admin password is too weak: it must be at least 10 characters long',
    );
    await expect(ensureAdmin(pool, { email: 'weak@example.test', password: 'weak@example.test', now })).rejects.toThrow(/too weak.*email/);
    await expect(ensureAdmin(pool, { email: 'not an email', password: PASSWORD, now })).rejects.toThrow(/admin account is invalid: \/email/);
    expect(await accountsWith('weak@example.test')).toEqual([]);
  });
});

describe('ensureAdminFromEnv', () => {
  it('does nothing without ADMIN_EMAIL and ADMIN_PASSWORD, refuses only one of them, and uses both', async () => {
    const pool = await poolFor('customer');
    const unset = { ADMIN_EMAIL: '', ADMIN_PASSWORD: '' };

    expect(await withEnv(unset, () => ensureAdminFromEnv(pool, now))).toBeUndefined();
    await expect(withEnv({ ...unset, ADMIN_EMAIL: 'half@example.test' }, () => ensureAdminFromEnv(pool, now))).rejects.toThrow(/together/);
    const made = await withEnv({ ADMIN_EMAIL: 'env@example.test', ADMIN_PASSWORD: PASSWORD }, () => ensureAdminFromEnv(pool, now));

    expect(made).toMatchObject({ created: true, customer: { email: 'env@example.test', role: 'admin' } });
  });
});
