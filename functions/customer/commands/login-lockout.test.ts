import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { startFunctions, useTestDatabase, type TestApi, type TestResponse } from '../../runtime/testing.js';
import { PASSWORD, customerFunction, givenCustomer, withEnv } from '../test-support.js';

const db = useTestDatabase(['customer']);
const api = startFunctions((['customer/commands/register', 'customer/commands/login'] as const).map(customerFunction));
// A second instance of the login function: its own server and its own invocation state.
const other = startFunctions([customerFunction('customer/commands/login')]);

const WRONG = 'not the right password';
const loginOn = (instance: TestApi, email: string, password: string) =>
  instance.request('POST', '/customers/login', { body: { email, password } });
const login = (email: string, password: string) => loginOn(api, email, password);
const failuresOf = async (email: string) =>
  (await db.query('SELECT id FROM customer.login_failures WHERE email_key = lower($1)', [email])).length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const fail = async (times: number, email: string, instance: TestApi = api) => {
  for (let i = 0; i < times; i++) expect((await loginOn(instance, email, WRONG)).status).toBe(401);
};

const expectLocked = (response: TestResponse, windowSeconds = 900) => {
  expect(response.status).toBe(429);
  expect(response.body).toMatchObject({ type: 'https://gotuto.dev/problems/too-many-requests', status: 429 });
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  return retryAfter;
};

/** The email of a new customer whose password is PASSWORD. */
const email = async (): Promise<string> => (await givenCustomer(api)).email;

describe('login lockout', () => {
  it('after 5 failures answers 429 with Retry-After, even to the right password, without counting more', async () => {
    const address = await email();
    await fail(5, address);

    const retryAfter = expectLocked(await login(address, PASSWORD));

    expect(retryAfter).toBeGreaterThan(800);
    expectLocked(await login(address.toUpperCase(), PASSWORD));
    expectLocked(await login(address, WRONG));
    expect(await failuresOf(address)).toBe(5);
  });

  it('locks an unknown email the same way, so a lockout reveals no account', async () => {
    const unknown = `nobody-${randomUUID()}@example.test`;
    await fail(5, unknown);

    expectLocked(await login(unknown, PASSWORD));
  });

  it('counts only up to the last success: a successful login clears the failures', async () => {
    const address = await email();
    await fail(4, address);
    expect((await login(address, PASSWORD)).status).toBe(200);
    expect(await failuresOf(address)).toBe(0);

    await fail(5, address);

    expectLocked(await login(address, PASSWORD));
  });

  it('keeps the count in the database, shared by two instances of the login function', async () => {
    const address = await email();
    await fail(3, address, api);
    await fail(2, address, other);

    expectLocked(await loginOn(api, address, PASSWORD));
    expectLocked(await loginOn(other, address, PASSWORD));
    expect(await failuresOf(address)).toBe(5);
  });

  it('lets no more than 5 concurrent guesses through', async () => {
    const address = await email();

    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => loginOn(i % 2 === 0 ? api : other, address, `${WRONG} ${i}`)),
    );

    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
    expect(await failuresOf(address)).toBe(5);
  });

  it('lifts the lock once the window has moved past the failures (LOGIN_LOCKOUT_WINDOW_SECONDS)', async () => {
    const address = await email();
    await fail(5, address);
    expectLocked(await login(address, PASSWORD));

    // The window is read at each attempt: once it is 2 s, failures older than that no longer count.
    // (Shrunk after the failures, not before: five password checks on a loaded machine can outlast 2 s.)
    await withEnv({ LOGIN_LOCKOUT_WINDOW_SECONDS: '2' }, async () => {
      await sleep(2_100);

      expect((await login(address, PASSWORD)).status).toBe(200);
    });
    expect(await failuresOf(address)).toBe(0);
  });

  it('follows LOGIN_MAX_FAILURES, read at each attempt', async () => {
    const address = await email();
    await withEnv({ LOGIN_MAX_FAILURES: '2' }, async () => {
      await fail(2, address);

      expectLocked(await login(address, PASSWORD));
    });
  });
});
