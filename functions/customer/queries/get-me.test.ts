import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signToken } from '../../runtime/auth.js';
import { startFunctions, tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { customerFunction, givenCustomer, givenToken } from '../test-support.js';

useTestDatabase(['customer']);
const api = startFunctions((['customer/commands/register', 'customer/commands/login', 'customer/queries/get-me'] as const).map(customerFunction));

describe('GET /customers/me', () => {
  it("answers the caller's own record with its ETag, and nothing of the password", async () => {
    const customer = await givenCustomer(api);

    const response = await api.request('GET', '/customers/me', { token: await givenToken(api, customer.email) });

    expect(response.status).toBe(200);
    expect(response.body).toEqual(customer);
    expect(response.headers.get('etag')).toBe('"1"');
    expect(response.text).not.toMatch(/password|hash|scrypt/i);
  });

  it('shows each customer their own record only', async () => {
    const [one, two] = [await givenCustomer(api), await givenCustomer(api)];

    const [seenByOne, seenByTwo] = [
      await api.request('GET', '/customers/me', { token: await givenToken(api, one.email) }),
      await api.request('GET', '/customers/me', { token: await givenToken(api, two.email) }),
    ];

    expect(seenByOne.body.id).toBe(one.id);
    expect(seenByTwo.body.id).toBe(two.id);
  });

  it('is for customers: 401 without a token or with an expired one, 403 for an admin, 404 for a token naming no account', async () => {
    const customer = await givenCustomer(api);
    const expired = await signToken({ id: customer.id, role: 'customer' }, Math.floor(Date.now() / 1000) - 1);

    expect((await api.request('GET', '/customers/me')).status).toBe(401);
    expect((await api.request('GET', '/customers/me', { token: expired })).status).toBe(401);
    expect((await api.request('GET', '/customers/me', { token: await tokenFor('admin') })).status).toBe(403);
    expect((await api.request('GET', '/customers/me', { token: await tokenFor('customer', randomUUID()) })).status).toBe(404);
    expect((await api.request('GET', '/customers/me', { token: await tokenFor('customer', "x' OR '1'='1") })).status).toBe(404);
  });
});
