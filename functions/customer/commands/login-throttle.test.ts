// Login throttling over HTTP: a short per-account delay that grows with failures (never a fixed
// lock), a per-source cap across accounts, an admin's unlock, and an alert to the account's owner.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startFunctions, tokenFor, useTestDatabase, type TestApi, type TestResponse } from '../../runtime/testing.js';
import { PASSWORD, customerFunction, eventsNamed, givenCustomer, withEnv } from '../test-support.js';

const db = useTestDatabase(['customer']);
const api = startFunctions((['customer/commands/register', 'customer/commands/login', 'customer/commands/unlock'] as const).map(customerFunction));
// A second instance of the login function: its own server and its own invocation state.
const other = startFunctions([customerFunction('customer/commands/login')]);

const WRONG = 'not the right password';
// Each test speaks from its own address (behind one trusted proxy), so the per-source cap of one
// test never throttles another.
// A new address each time (failures of one test must not count against another's source).
let sources = 0;
const source = () => `198.51.${100 + Math.floor(sources / 250)}.${(sources++ % 250) + 1}`;
const loginOn = (instance: TestApi, email: string, password: string, from: string) =>
  instance.request('POST', '/customers/login', { body: { email, password }, headers: { 'x-forwarded-for': from } });
const failuresOf = async (email: string) => (await db.query('SELECT id FROM customer.login_failures WHERE email_key = lower($1)', [email])).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const expectThrottled = (response: TestResponse, maxSeconds: number) => {
  expect(response.status, response.text).toBe(429);
  expect(response.body).toMatchObject({ type: 'https://gotuto.dev/problems/too-many-requests', status: 429 });
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxSeconds);
  return retryAfter;
};

const settings = (more: Record<string, string> = {}) => ({
  TRUSTED_PROXIES: '1',
  LOGIN_FREE_FAILURES: '3',
  LOGIN_DELAY_SECONDS: '1',
  LOGIN_MAX_DELAY_SECONDS: '2',
  LOGIN_SOURCE_MAX_FAILURES: '1000',
  ...more,
});

describe('login throttling', () => {
  it('never locks an account: the right password gets in once a short delay has passed, whoever failed before', async () => {
    await withEnv(settings(), async () => {
      const { email } = await givenCustomer(api);
      const stranger = source();
      for (let i = 0; i < 3; i++) expect((await loginOn(api, email, WRONG, stranger)).status).toBe(401);

      // Past the free failures the account owes a delay, capped at LOGIN_MAX_DELAY_SECONDS.
      expectThrottled(await loginOn(api, email, PASSWORD, source()), 2);
      await sleep(1_100);
      expect((await loginOn(api, email, WRONG, stranger)).status).toBe(401);
      expectThrottled(await loginOn(api, email, WRONG, stranger), 2);
      await sleep(2_100);

      expect((await loginOn(api, email, PASSWORD, source())).status).toBe(200);
      expect(await failuresOf(email)).toBe(0);
    });
  });

  it('throttles an unknown email the same way, so throttling reveals no account', async () => {
    await withEnv(settings(), async () => {
      const unknown = `nobody-${randomUUID()}@example.test`;
      const from = source();
      for (let i = 0; i < 3; i++) expect((await loginOn(api, unknown, WRONG, from)).status).toBe(401);
      expectThrottled(await loginOn(api, unknown, PASSWORD, from), 2);
    });
  });

  it('lets only the free failures through when guesses come at once, on two instances', async () => {
    await withEnv(settings(), async () => {
      const { email } = await givenCustomer(api);
      const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => loginOn(i % 2 === 0 ? api : other, email, `${WRONG} ${i}`, source())));

      expect(responses.map((r) => r.status).sort()).toEqual([401, 401, 401, 429, 429, 429, 429, 429]);
      expect(await failuresOf(email)).toBe(3);
    });
  });

  it('caps the failures of one source across accounts with 429 and Retry-After; other sources go on', async () => {
    await withEnv(settings({ LOGIN_SOURCE_MAX_FAILURES: '4' }), async () => {
      const guesser = source();
      for (let i = 0; i < 4; i++) expect((await loginOn(api, `victim-${randomUUID()}@example.test`, WRONG, guesser)).status).toBe(401);

      const { email } = await givenCustomer(api);
      expectThrottled(await loginOn(api, email, PASSWORD, guesser), 900);
      expect((await loginOn(api, email, PASSWORD, '203.0.113.50')).status).toBe(200);
    });
  });

  it('reads X-Forwarded-For only behind a trusted proxy: a client cannot pick its own address', async () => {
    await withEnv(settings({ TRUSTED_PROXIES: '', LOGIN_SOURCE_MAX_FAILURES: '2' }), async () => {
      const { email } = await givenCustomer(api);
      await db.query('DELETE FROM customer.login_failures');
      for (let i = 0; i < 2; i++) expect((await loginOn(api, `v-${randomUUID()}@example.test`, WRONG, source())).status).toBe(401);

      // Every request came from 127.0.0.1, whatever its header said.
      expectThrottled(await loginOn(api, email, PASSWORD, source()), 900);
      await db.query('DELETE FROM customer.login_failures');
    });
  });

  it('behind proxies named by address, takes the first untrusted address from the right; what the client prepends is ignored', async () => {
    await withEnv(settings({ TRUSTED_PROXIES: 'loopback, 10.0.0.0/8', LOGIN_SOURCE_MAX_FAILURES: '2' }), async () => {
      const { email } = await givenCustomer(api);
      const client = source();
      for (let i = 0; i < 2; i++) {
        const forged = `203.0.113.${i + 1}, ${client}, 10.1.2.3`;
        expect((await loginOn(api, `v-${randomUUID()}@example.test`, WRONG, forged)).status).toBe(401);
      }

      expectThrottled(await loginOn(api, email, PASSWORD, `198.18.0.1, ${client}`), 900);
      expect((await loginOn(api, email, PASSWORD, '203.0.113.1')).status).toBe(200);
    });
  });

  it('lets an admin lift the delay of an account at once; a customer may not', async () => {
    await withEnv(settings({ LOGIN_MAX_DELAY_SECONDS: '600', LOGIN_DELAY_SECONDS: '300' }), async () => {
      const customer = await givenCustomer(api);
      const from = source();
      for (let i = 0; i < 3; i++) expect((await loginOn(api, customer.email, WRONG, from)).status).toBe(401);
      expectThrottled(await loginOn(api, customer.email, PASSWORD, from), 300);

      const denied = await api.request('POST', `/customers/${customer.id}/unlock`, { token: await tokenFor('customer', customer.id) });
      expect(denied.status).toBe(403);
      const unlocked = await api.request('POST', `/customers/${customer.id}/unlock`, { token: await tokenFor('admin') });
      expect(unlocked.status).toBe(200);
      expect(unlocked.body).toEqual({ customerId: customer.id, failuresCleared: 3 });

      expect((await loginOn(api, customer.email, PASSWORD, from)).status).toBe(200);
      expect((await api.request('POST', `/customers/${randomUUID()}/unlock`, { token: await tokenFor('admin') })).status).toBe(404);
    });
  });

  it('tells the owner once when the failures reach LOGIN_ALERT_FAILURES', async () => {
    await withEnv(settings({ LOGIN_FREE_FAILURES: '100', LOGIN_ALERT_FAILURES: '3' }), async () => {
      const customer = await givenCustomer(api);
      for (let i = 0; i < 5; i++) expect((await loginOn(api, customer.email, WRONG, source())).status).toBe(401);

      const alerts = (await eventsNamed('login-throttled')).filter((e) => e.subject === customer.id);
      expect(alerts.map((e) => e.data)).toEqual([{ customerId: customer.id, email: customer.email, failures: 3 }]);
    });
  });
});
