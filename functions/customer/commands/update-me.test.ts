import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { startFunctions, tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { SQL_LOOKING, UNICODE, customerFunction, eventsNamed, givenCustomer, givenToken } from '../test-support.js';

const db = useTestDatabase(['customer']);
const api = startFunctions((['customer/commands/register', 'customer/commands/login', 'customer/commands/update-me'] as const).map(customerFunction));

const address = { line1: '5 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

/** A new customer and a token of theirs from the login function. */
const givenSignedIn = async () => {
  const customer = await givenCustomer(api);
  return { customer, token: await givenToken(api, customer.email) };
};
const rowOf = async (id: string) => (await db.query('SELECT name, phone, address, role, email, version FROM customer.customers WHERE id = $1', [id]))[0];
const updatesAbout = async (id: string) => (await eventsNamed('customer-updated')).filter((e) => e.subject === id);

let ada: Awaited<ReturnType<typeof givenSignedIn>>;
beforeAll(async () => {
  ada = await givenSignedIn();
});

describe('PATCH /customers/me', () => {
  it("changes the caller's own record: 200, version 2, ETag, and customer-updated with email and name", async () => {
    const { customer, token } = await givenSignedIn();

    const response = await api.request('PATCH', '/customers/me', { token, body: { name: 'Ada King', phone: '+1 555 0100', address } });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ ...customer, name: 'Ada King', phone: '+1 555 0100', address, version: 2, updatedAt: expect.any(String) });
    expect(response.headers.get('etag')).toBe('"2"');
    expect((await updatesAbout(customer.id)).map((e) => e.data)).toEqual([
      { customerId: customer.id, email: customer.email, name: 'Ada King', phone: '+1 555 0100', address, changed: ['name', 'phone', 'address'] },
    ]);
  });

  it('clears phone and address with null', async () => {
    const { customer, token } = await givenSignedIn();
    await api.request('PATCH', '/customers/me', { token, body: { phone: '+1 555 0100', address } });

    const response = await api.request('PATCH', '/customers/me', { token, body: { phone: null, address: null } });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ phone: null, address: null, version: 3 });
    expect((await updatesAbout(customer.id)).map((e) => e.data.changed)).toEqual([
      ['phone', 'address'],
      ['phone', 'address'],
    ]);
  });

  it('stores and returns SQL-looking and unicode text exactly', async () => {
    const name = `${UNICODE} ${SQL_LOOKING}`;
    const odd = { ...address, line1: SQL_LOOKING, city: UNICODE };

    const response = await api.request('PATCH', '/customers/me', { token: ada.token, body: { name, address: odd } });

    expect(response.status).toBe(200);
    expect(await rowOf(ada.customer.id)).toMatchObject({ name, address: odd });
  });

  it('accepts an If-Match naming the current version, and answers 412 to a stale one, changing nothing', async () => {
    const { customer, token } = await givenSignedIn();
    expect((await api.request('PATCH', '/customers/me', { token, body: { name: 'First' }, headers: { 'if-match': '"1"' } })).status).toBe(200);

    const response = await api.request('PATCH', '/customers/me', { token, body: { name: 'Second' }, headers: { 'if-match': '"1"' } });

    expect(response.status).toBe(412);
    expect(await rowOf(customer.id)).toMatchObject({ name: 'First', version: 2 });
    expect(await updatesAbout(customer.id)).toHaveLength(1);
  });

  it('keeps the version and emits nothing when nothing changes', async () => {
    const { customer, token } = await givenSignedIn();

    const response = await api.request('PATCH', '/customers/me', { token, body: { name: customer.name, phone: null } });

    expect(response.status).toBe(200);
    expect(response.body).toEqual(customer);
    expect(await updatesAbout(customer.id)).toEqual([]);
  });

  it('answers 422 to bad input (empty, unknown fields such as email, role or password, a bad phone) and changes nothing', async () => {
    const { customer, token } = await givenSignedIn();

    for (const body of [
      {},
      { email: 'new@example.test' },
      { role: 'admin' },
      { password: 'another long password' },
      { phone: 'call me' },
      { name: ' ' },
      { name: 'nul\u0000' },
    ]) {
      const response = await api.request('PATCH', '/customers/me', { token, body });
      expect(response.status, JSON.stringify(body)).toBe(422);
    }

    expect(await rowOf(customer.id)).toEqual({ name: customer.name, phone: null, address: null, role: 'customer', email: customer.email, version: 1 });
    expect(await updatesAbout(customer.id)).toEqual([]);
  });

  it('is for customers: 401 without a token, 403 for an admin, 404 for a token naming no account', async () => {
    expect((await api.request('PATCH', '/customers/me', { body: { name: 'x' } })).status).toBe(401);
    expect((await api.request('PATCH', '/customers/me', { token: await tokenFor('admin'), body: { name: 'x' } })).status).toBe(403);
    const orphan = await tokenFor('customer', randomUUID());
    expect((await api.request('PATCH', '/customers/me', { token: orphan, body: { name: 'x' } })).status).toBe(404);
  });
});
