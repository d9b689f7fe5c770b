import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFunctions, useTestDatabase } from '../../runtime/testing.js';
import { PASSWORD, SQL_LOOKING, UNICODE, customerFunction, eventsNamed, registration, withEnv } from '../test-support.js';

const db = useTestDatabase(['customer']);
const api = startFunctions([customerFunction('customer/commands/register')]);

const rowsFor = (email: string) => db.query('SELECT * FROM customer.customers WHERE lower(email) = lower($1)', [email]);

describe('POST /customers/register', () => {
  it('creates the account: 201, ETag, the customer with the role customer, and customer-registered in the outbox', async () => {
    const body = registration({ email: 'Ada.Lovelace@Example.test', name: 'Ada Lovelace' });

    const response = await api.request('POST', '/customers/register', { body });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      email: 'Ada.Lovelace@Example.test',
      name: 'Ada Lovelace',
      role: 'customer',
      emailVerified: false,
      phone: null,
      address: null,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: response.body.createdAt,
    });
    expect(response.headers.get('etag')).toBe('"1"');
    const [event] = (await eventsNamed('customer-registered')).filter((e) => e.subject === response.body.id);
    expect(event?.data).toEqual({
      customerId: response.body.id,
      email: 'Ada.Lovelace@Example.test',
      name: 'Ada Lovelace',
      role: 'customer',
      emailVerified: false,
    });
    expect(event?.partitionkey).toBe(response.body.id);
  });

  it('never returns, emits or stores the password; the row holds an scrypt hash of it', async () => {
    const response = await api.request('POST', '/customers/register', { body: registration() });

    expect(response.text).not.toContain(PASSWORD);
    expect(response.text).not.toMatch(/password|hash|scrypt/i);
    const events = (await eventsNamed('customer-registered')).filter((e) => e.subject === response.body.id);
    expect(JSON.stringify(events)).not.toMatch(new RegExp(`${PASSWORD}|password|scrypt`, 'i'));
    const [row] = await db.query<{ password_hash: string }>('SELECT password_hash FROM customer.customers WHERE id = $1', [response.body.id]);
    expect(row?.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{86}$/);
    expect(row?.password_hash).not.toContain(PASSWORD);
  });

  it('answers a taken email, in any case, exactly as a free one, stores nothing and tells the owner', async () => {
    const owner = await api.request('POST', '/customers/register', { body: registration({ email: 'taken@example.test', name: 'Owner' }) });
    const before = await eventsNamed('customer-registered');

    const response = await api.request('POST', '/customers/register', { body: registration({ email: 'TAKEN@Example.TEST', name: 'Owner' }) });

    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual(Object.keys(owner.body).sort());
    expect(response.body).toMatchObject({ email: 'TAKEN@Example.TEST', name: 'Owner', role: 'customer', emailVerified: false, version: 1 });
    expect(response.body.id).not.toBe(owner.body.id);
    expect(response.headers.get('etag')).toBe(owner.headers.get('etag'));
    expect(await rowsFor('taken@example.test')).toHaveLength(1);
    expect(await eventsNamed('customer-registered')).toHaveLength(before.length);
    const attempts = (await eventsNamed('sign-up-attempted')).filter((e) => e.subject === owner.body.id);
    expect(attempts.map((e) => e.data)).toEqual([{ customerId: owner.body.id, email: 'taken@example.test' }]);
  });

  it('asks for the email to be verified: a single-use token in email-verification-requested, kept only as a hash', async () => {
    const response = await api.request('POST', '/customers/register', { body: registration() });

    const [request] = (await eventsNamed('email-verification-requested')).filter((e) => e.subject === response.body.id);
    expect(request?.data).toMatchObject({ customerId: response.body.id, email: response.body.email, token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    const rows = await db.query<{ token_hash: string }>('SELECT token_hash FROM customer.email_verifications WHERE customer_id = $1', [response.body.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.token_hash).not.toContain((request?.data as { token: string }).token);
  });

  it.each([
    ['too short', 'short1!', 'must be at least 10 characters long'],
    ['the email', 'weak.rules@example.test', 'must not be the email address, nor the part of it before the @'],
    ['the email in another case', 'WEAK.RULES@EXAMPLE.TEST', 'must not be the email address, nor the part of it before the @'],
    ["the email's local part", 'Weak.Rules', 'must not be the email address, nor the part of it before the @'],
    ['one character repeated', '!!!!!!!!!!!!', 'must not be one character repeated'],
  ])('answers 422 naming the rule to a password that is %s, and stores nothing', async (_what, password, rule) => {
    const before = await eventsNamed('customer-registered');

    const response = await api.request('POST', '/customers/register', { body: registration({ email: 'weak.rules@example.test', password }) });

    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ type: 'https://gotuto.dev/problems/validation', detail: `the password is too weak: it ${rule}` });
    expect(response.body.errors).toEqual([{ pointer: '/password', message: rule }]);
    expect(response.text).not.toContain(password);
    expect(await rowsFor('weak.rules@example.test')).toEqual([]);
    expect(await eventsNamed('customer-registered')).toHaveLength(before.length);
  });

  it('answers 422 with the pointers of the fields that fail the schema, and stores nothing', async () => {
    const before = await eventsNamed('customer-registered');

    const response = await api.request('POST', '/customers/register', {
      body: { email: 'not an email', password: PASSWORD, name: '   ', role: 'admin' },
    });

    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/email', '/name', '/role']);
    const missing = await api.request('POST', '/customers/register', { body: { email: 'x@example.test' } });
    expect(missing.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/name', '/password']);
    expect(await db.query('SELECT id FROM customer.customers WHERE role = $1', ['admin'])).toEqual([]);
    expect(await eventsNamed('customer-registered')).toHaveLength(before.length);
  });

  it('makes a customer, never an admin, whatever the body says', async () => {
    const response = await api.request('POST', '/customers/register', { body: { ...registration(), role: 'admin' } });

    expect(response.status).toBe(422);
    expect(await db.query('SELECT id FROM customer.customers WHERE role = $1', ['admin'])).toEqual([]);
  });

  it('stores and returns SQL-looking and unicode text exactly', async () => {
    const name = `${SQL_LOOKING} ${UNICODE}`;
    const email = "o'brien--+drop@example.test";

    const response = await api.request('POST', '/customers/register', { body: registration({ name, email, password: `${SQL_LOOKING}${UNICODE}` }) });

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name, email });
    const [row] = await db.query('SELECT name, email FROM customer.customers WHERE id = $1', [response.body.id]);
    expect(row).toEqual({ name, email });
    expect(await db.query("SELECT to_regclass('customer.customers') AS t")).toEqual([{ t: 'customer.customers' }]);
  });

  it('answers 422, not 500, for text PostgreSQL cannot store', async () => {
    const response = await api.request('POST', '/customers/register', { body: registration({ name: 'nul\u0000byte' }) });

    expect(response.status).toBe(422);
  });

  it('is public, but refuses a bad token', async () => {
    const response = await api.request('POST', '/customers/register', { body: registration(), token: 'not-a-jwt' });

    expect(response.status).toBe(401);
  });
});

describe('logging', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('never writes the password to the log, even at debug level', async () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    const password = 'a-very-recognisable-secret';

    await withEnv({ LOG_LEVEL: 'debug' }, async () => {
      await api.request('POST', '/customers/register', { body: registration({ password }) });
      await api.request('POST', '/customers/register', { body: registration({ password: 'short' }) });
    });

    expect(lines.join('')).toContain('invocation');
    expect(lines.join('')).not.toContain(password);
    expect(lines.join('')).not.toContain('"short"');
  });
});
