import { decodeJwt } from 'jose';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { signToken } from '../../runtime/auth.js';
import { startFunctions, useTestDatabase, type TestResponse } from '../../runtime/testing.js';
import { hashPassword } from '../password-hash.js';
import { PASSWORD, SQL_LOOKING, UNICODE, customerFunction, givenCustomer, givenToken, withEnv } from '../test-support.js';

const db = useTestDatabase(['customer']);
const api = startFunctions((['customer/commands/register', 'customer/commands/login', 'customer/queries/get-me'] as const).map(customerFunction));

const login = (email: string, password: string) => api.request('POST', '/customers/login', { body: { email, password } });
const failuresOf = async (email: string) => (await db.query('SELECT id FROM customer.login_failures WHERE email_key = lower($1)', [email])).length;

let ada: { id: string; email: string };
beforeAll(async () => {
  ada = await givenCustomer(api, { email: 'Ada@Example.test' });
});

describe('POST /customers/login', () => {
  it('answers 200 with a bearer token that the other functions of the runtime accept', async () => {
    const response = await login('Ada@Example.test', PASSWORD);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 3600 });
    expect(response.headers.get('cache-control')).toBe('no-store');
    const me = await api.request('GET', '/customers/me', { token: response.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(ada);
  });

  it("signs the customer's id, role, issuer, audience and a lifetime of ACCESS_TOKEN_TTL (3600 s by default)", async () => {
    const before = Math.floor(Date.now() / 1000);

    const claims = decodeJwt(await givenToken(api, ada.email));

    expect(claims).toMatchObject({ sub: ada.id, role: 'customer', iss: 'gotuto', aud: 'gotuto' });
    expect(claims.iat).toBeGreaterThanOrEqual(before);
    expect((claims.exp as number) - (claims.iat as number)).toBe(3600);
  });

  it('gives tokens the lifetime ACCESS_TOKEN_TTL says, read at each login', async () => {
    const response = await withEnv({ ACCESS_TOKEN_TTL: '120' }, () => login(ada.email, PASSWORD));

    expect(response.body.expiresIn).toBe(120);
    const claims = decodeJwt(response.body.accessToken);
    expect((claims.exp as number) - (claims.iat as number)).toBe(120);
  });

  it('finds the account whatever the case of the email', async () => {
    expect((await login('ada@EXAMPLE.TEST', PASSWORD)).status).toBe(200);
  });

  it('logs in with SQL-looking and unicode email and password, stored exactly', async () => {
    const email = "o'brien--@example.test";
    const password = `${SQL_LOOKING} ${UNICODE}`;
    const customer = await givenCustomer(api, { email, password, name: UNICODE });

    const response = await login(email, password);

    expect(response.status).toBe(200);
    expect(decodeJwt(response.body.accessToken).sub).toBe(customer.id);
    expect((await login(email, `${SQL_LOOKING} Zoe 北京 🚀`)).status).toBe(401);
  });

  it('rehashes, at a successful login, a password whose hash has older parameters', async () => {
    const customer = await givenCustomer(api);
    const old = await hashPassword(PASSWORD, { N: 2 ** 10, r: 8, p: 1 });
    await db.query('UPDATE customer.customers SET password_hash = $2 WHERE id = $1', [customer.id, old]);

    expect((await login(customer.email, PASSWORD)).status).toBe(200);

    const [row] = await db.query<{ password_hash: string; version: number }>('SELECT password_hash, version FROM customer.customers WHERE id = $1', [
      customer.id,
    ]);
    expect(row?.password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(row?.version).toBe(1);
    expect((await login(customer.email, PASSWORD)).status).toBe(200);
  });

  it('answers an unknown email and a wrong password with the same 401 and the same body', async () => {
    const unknown = await login(`nobody-${randomUUID()}@example.test`, PASSWORD);
    const wrong = await login(ada.email, 'not the right password');

    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.headers.get('content-type')).toBe(wrong.headers.get('content-type'));
    expect(unknown.body).toEqual(wrong.body);
    expect(wrong.body).toEqual({
      type: 'https://gotuto.dev/problems/unauthorized',
      title: 'Authentication required',
      status: 401,
      detail: 'the email or the password is wrong',
    });
    await db.query('DELETE FROM customer.login_failures');
  });

  it('takes as long for an unknown email as for a wrong password (medians within a factor of 3)', async () => {
    const timed = async (email: string): Promise<[number, TestResponse]> => {
      const started = performance.now();
      const response = await login(email, 'not the right password');
      return [performance.now() - started, response];
    };
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
    const unknown: number[] = [];
    const wrong: number[] = [];
    await timed(`warm-up-${randomUUID()}@example.test`);
    await timed(ada.email);
    for (let round = 0; round < 5; round++) {
      // Failures are forgotten between rounds so that the lockout never answers instead.
      await db.query('DELETE FROM customer.login_failures');
      const [unknownMs, unknownResponse] = await timed(`nobody-${randomUUID()}@example.test`);
      const [wrongMs, wrongResponse] = await timed(ada.email);
      expect([unknownResponse.status, wrongResponse.status]).toEqual([401, 401]);
      unknown.push(unknownMs);
      wrong.push(wrongMs);
    }

    const [a, b] = [median(unknown), median(wrong)];
    expect(Math.max(a, b) / Math.min(a, b), `unknown ${unknown.map(Math.round).join(', ')} ms, wrong ${wrong.map(Math.round).join(', ')} ms`).toBeLessThan(3);
    await db.query('DELETE FROM customer.login_failures');
  });

  it('never stores or replays a token for an Idempotency-Key', async () => {
    const send = () => api.request('POST', '/customers/login', { body: { email: ada.email, password: PASSWORD }, headers: { 'idempotency-key': 'login-1' } });

    const [first, second] = [await send(), await send()];

    expect([first.status, second.status]).toEqual([200, 200]);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(await db.query("SELECT key FROM platform.idempotency_keys WHERE function = 'customer-login'")).toEqual([]);
  });

  it('answers 422 to a body that fails the schema, without counting a failure', async () => {
    const response = await api.request('POST', '/customers/login', { body: { email: ada.email } });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([{ pointer: '/password', message: 'is required' }]);
    expect((await api.request('POST', '/customers/login', { body: { email: ada.email, password: PASSWORD, extra: 1 } })).status).toBe(422);
    expect(await failuresOf(ada.email)).toBe(0);
  });

  it('counts a failed attempt, and forgets the failures at the next successful login', async () => {
    await login(ada.email, 'not the right password');
    await login(ada.email, 'not the right password');
    expect(await failuresOf(ada.email)).toBe(2);

    expect((await login(ada.email, PASSWORD)).status).toBe(200);

    expect(await failuresOf(ada.email)).toBe(0);
  });
});

describe('tokens', () => {
  it('an expired token is refused with 401', async () => {
    const expired = await signToken({ id: ada.id, role: 'customer' }, Math.floor(Date.now() / 1000) - 10);

    const response = await api.request('GET', '/customers/me', { token: expired });

    expect(response.status).toBe(401);
    expect(response.body.detail).toBe('token has expired');
  });

  it('a token signed with another secret is refused with 401', async () => {
    const forged = await withEnv({ JWT_SECRET: 'another-secret-of-at-least-thirty-two-bytes' }, () => signToken({ id: ada.id, role: 'customer' }));

    expect((await api.request('GET', '/customers/me', { token: forged })).status).toBe(401);
  });
});

describe('logging', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('never writes the password or the token to the log, even at debug level', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });

    const [ok] = await withEnv({ LOG_LEVEL: 'debug' }, () => Promise.all([login(ada.email, PASSWORD), login(ada.email, 'recognisable-wrong-one')]));

    expect(lines.join('')).toContain('invocation');
    expect(lines.join('')).not.toContain(PASSWORD);
    expect(lines.join('')).not.toContain('recognisable-wrong-one');
    expect(lines.join('')).not.toContain(ok.body.accessToken);
  });
});
