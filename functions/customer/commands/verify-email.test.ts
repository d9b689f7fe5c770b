import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startFunctions, tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { customerFunction, eventsNamed, givenCustomer, withEnv } from '../test-support.js';

useTestDatabase(['customer']);
const api = startFunctions(
  (['customer/commands/register', 'customer/commands/verify-email', 'customer/commands/request-verification', 'customer/queries/get-me'] as const).map(
    customerFunction,
  ),
);

/** The token the latest verification mail of the customer carries (as Notification receives it). */
const mailedToken = async (customerId: string): Promise<string> => {
  const requests = (await eventsNamed('email-verification-requested')).filter((e) => e.subject === customerId);
  const token = (requests[requests.length - 1]?.data as { token?: string } | undefined)?.token;
  if (!token) throw new Error(`no verification requested for ${customerId}`);
  return token;
};
const verify = (token: unknown) => api.request('POST', '/customers/verify-email', { body: { token } });
const me = async (id: string) => (await api.request('GET', '/customers/me', { token: await tokenFor('customer', id) })).body;

describe('POST /customers/verify-email', () => {
  it('verifies the email with the mailed token: 200, the account verified, email-verified for the other contexts', async () => {
    const customer = await givenCustomer(api);
    expect(customer.emailVerified).toBe(false);

    const response = await verify(await mailedToken(customer.id));

    expect(response.status, response.text).toBe(200);
    expect(response.body).toMatchObject({ id: customer.id, emailVerified: true, version: 2 });
    expect(await me(customer.id)).toMatchObject({ emailVerified: true });
    const verified = (await eventsNamed('email-verified')).filter((e) => e.subject === customer.id);
    expect(verified.map((e) => e.data)).toEqual([{ customerId: customer.id, email: customer.email, name: customer.name }]);
  });

  it('takes a token once: the second use is 422 at /token and changes nothing', async () => {
    const customer = await givenCustomer(api);
    const token = await mailedToken(customer.id);
    expect((await verify(token)).status).toBe(200);

    const again = await verify(token);

    expect(again.status).toBe(422);
    expect(again.body.errors).toEqual([{ pointer: '/token', message: 'is unknown, used or expired' }]);
    expect((await eventsNamed('email-verified')).filter((e) => e.subject === customer.id)).toHaveLength(1);
  });

  it('refuses an expired token (EMAIL_VERIFICATION_TTL_SECONDS) and an unknown one; the account stays unverified', async () => {
    const customer = await withEnv({ EMAIL_VERIFICATION_TTL_SECONDS: '1' }, () => givenCustomer(api));
    const token = await mailedToken(customer.id);
    await new Promise((resolve) => setTimeout(resolve, 1_100));

    expect((await verify(token)).status).toBe(422);
    expect((await verify(randomUUID())).status).toBe(422);
    expect((await verify('')).status).toBe(422);
    expect((await verify({ token })).status).toBe(422);
    expect(await me(customer.id)).toMatchObject({ emailVerified: false });
  });

  it('mails a new token on request, which replaces the old one; a verified account gets 409', async () => {
    const customer = await givenCustomer(api);
    const first = await mailedToken(customer.id);
    const token = await tokenFor('customer', customer.id);

    const requested = await api.request('POST', '/customers/me/email-verification', { token });

    expect(requested.status).toBe(202);
    expect(requested.body).toEqual({ email: customer.email, status: 'verification-sent' });
    const second = await mailedToken(customer.id);
    expect(second).not.toBe(first);
    expect((await verify(first)).status).toBe(422);
    expect((await verify(second)).status).toBe(200);
    expect((await api.request('POST', '/customers/me/email-verification', { token })).status).toBe(409);
    expect((await api.request('POST', '/customers/me/email-verification', {})).status).toBe(401);
  });
});
