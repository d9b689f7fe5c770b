import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { SQL_LOOKING, UNICODE, clientBody, eventsNamed, startBilling } from '../test-support.js';

const db = useTestDatabase(['billing']);
const api = startBilling(['billing/commands/create-client', 'billing/queries/get-client']);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const address = { line1: '1 rue de la Paix', line2: 'Bât. B', city: 'Paris', postalCode: '75002', country: 'FR' };

describe('POST /billing/clients', () => {
  it('creates the client: 201, Location, ETag, the client, and client-created in the outbox', async () => {
    const body = { name: 'Acme SARL', email: 'Billing@Acme.test', phone: '+33 1 23 45 67 89', address };

    const response = await api.request('POST', '/billing/clients', { token: admin, body });

    expect(response.status).toBe(201);
    expect(response.body).toEqual({
      id: expect.any(String),
      ...body,
      customerId: null,
      version: 1,
      createdAt: expect.any(String),
      updatedAt: response.body.createdAt,
    });
    expect(response.headers.get('location')).toBe(`/billing/clients/${response.body.id}`);
    expect(response.headers.get('etag')).toBe('"1"');
    const [event] = (await eventsNamed('client-created')).filter((e) => e.subject === response.body.id);
    expect(event?.data).toEqual({ clientId: response.body.id, ...body });
    const fetched = await api.request('GET', `/billing/clients/${response.body.id}`, { token: admin });
    expect(fetched.body).toEqual(response.body);
  });

  it('refuses an email already taken, in any case, with 409, and stores nothing', async () => {
    await api.request('POST', '/billing/clients', { token: admin, body: clientBody({ email: 'taken@acme.test' }) });
    const before = await eventsNamed('client-created');

    const response = await api.request('POST', '/billing/clients', { token: admin, body: clientBody({ email: 'TAKEN@Acme.TEST' }) });

    expect(response.status).toBe(409);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 409, type: 'https://gotuto.dev/problems/conflict' });
    expect(await db.query("SELECT id FROM billing.clients WHERE lower(email) = 'taken@acme.test'")).toHaveLength(1);
    expect(await eventsNamed('client-created')).toHaveLength(before.length);
  });

  it('stores and returns SQL-looking and unicode text exactly', async () => {
    const name = `${SQL_LOOKING} ${UNICODE}`;
    const odd = { ...address, line1: SQL_LOOKING, city: UNICODE };

    const response = await api.request('POST', '/billing/clients', { token: admin, body: clientBody({ name, address: odd }) });

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ name, address: odd });
    const [row] = await db.query<{ name: string; address: unknown }>('SELECT name, address FROM billing.clients WHERE id = $1', [response.body.id]);
    expect(row).toEqual({ name, address: odd });
    expect(await db.query("SELECT to_regclass('billing.clients') AS t")).toEqual([{ t: 'billing.clients' }]);
  });

  it('answers 422 with the pointers of the fields that fail the schema', async () => {
    const response = await api.request('POST', '/billing/clients', {
      token: admin,
      body: { name: '', email: 'not an email', extra: true },
    });

    expect(response.status).toBe(422);
    expect(response.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual(['/email', '/extra', '/name']);
  });

  it('answers 422, not 500, for text PostgreSQL cannot store', async () => {
    const response = await api.request('POST', '/billing/clients', { token: admin, body: clientBody({ name: 'nul\u0000byte' }) });

    expect(response.status).toBe(422);
  });

  it('is for admins: 401 without a token, 403 for a customer', async () => {
    expect((await api.request('POST', '/billing/clients', { body: clientBody() })).status).toBe(401);
    const customer = await tokenFor('customer');
    expect((await api.request('POST', '/billing/clients', { token: customer, body: clientBody() })).status).toBe(403);
  });
});
