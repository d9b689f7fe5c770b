import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { SQL_LOOKING, UNICODE, eventsNamed, givenClient, startBilling } from '../test-support.js';

const db = useTestDatabase(['billing']);
const api = startBilling(['billing/commands/create-client', 'billing/commands/update-client']);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

const address = { line1: '5 Main St', city: 'Springfield', postalCode: '12345', country: 'US' };

describe('PATCH /billing/clients/{id}', () => {
  it('changes the given fields: 200, version 2, ETag, and client-updated in the outbox', async () => {
    const client = await givenClient(api, admin, { phone: '+1 555 0100' });

    const response = await api.request('PATCH', `/billing/clients/${client.id}`, {
      token: admin,
      body: { name: `${UNICODE} ${SQL_LOOKING}`, address },
    });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...client,
      name: `${UNICODE} ${SQL_LOOKING}`,
      address,
      version: 2,
      updatedAt: expect.any(String),
    });
    expect(response.headers.get('etag')).toBe('"2"');
    const events = (await eventsNamed('client-updated')).filter((e) => e.subject === client.id);
    expect(events.map((e) => e.data)).toEqual([
      {
        clientId: client.id,
        name: `${UNICODE} ${SQL_LOOKING}`,
        email: client.email,
        phone: '+1 555 0100',
        address,
        changed: ['name', 'address'],
      },
    ]);
  });

  it('clears phone and address with null', async () => {
    const client = await givenClient(api, admin, { phone: '+1 555 0100', address });

    const response = await api.request('PATCH', `/billing/clients/${client.id}`, { token: admin, body: { phone: null, address: null } });

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ phone: null, address: null, version: 2 });
  });

  it('accepts an If-Match naming the current version', async () => {
    const client = await givenClient(api, admin);

    const response = await api.request('PATCH', `/billing/clients/${client.id}`, {
      token: admin,
      body: { name: 'Renamed' },
      headers: { 'if-match': '"1"' },
    });

    expect(response.status).toBe(200);
  });

  it('answers 412 to a stale If-Match and changes nothing', async () => {
    const client = await givenClient(api, admin);
    await api.request('PATCH', `/billing/clients/${client.id}`, { token: admin, body: { name: 'First' } });

    const response = await api.request('PATCH', `/billing/clients/${client.id}`, {
      token: admin,
      body: { name: 'Second' },
      headers: { 'if-match': '"1"' },
    });

    expect(response.status).toBe(412);
    const rows = await db.query('SELECT name, version FROM billing.clients WHERE id = $1', [client.id]);
    expect(rows).toEqual([{ name: 'First', version: 2 }]);
    expect((await eventsNamed('client-updated')).filter((e) => e.subject === client.id)).toHaveLength(1);
  });

  it("refuses another client's email, in any case, with 409", async () => {
    const other = await givenClient(api, admin, { email: 'other@acme.test' });
    const client = await givenClient(api, admin);

    const response = await api.request('PATCH', `/billing/clients/${client.id}`, { token: admin, body: { email: 'OTHER@acme.test' } });

    expect(response.status).toBe(409);
    expect(other.email).toBe('other@acme.test');
  });

  it('lets a client change the case of its own email', async () => {
    const client = await givenClient(api, admin, { email: 'mixed@acme.test' });

    const response = await api.request('PATCH', `/billing/clients/${client.id}`, { token: admin, body: { email: 'Mixed@Acme.test' } });

    expect(response.status).toBe(200);
    expect(response.body.email).toBe('Mixed@Acme.test');
  });

  it('keeps the version and emits nothing when nothing changes', async () => {
    const client = await givenClient(api, admin);

    const response = await api.request('PATCH', `/billing/clients/${client.id}`, { token: admin, body: { name: client.name } });

    expect(response.status).toBe(200);
    expect(response.body).toEqual(client);
    expect((await eventsNamed('client-updated')).filter((e) => e.subject === client.id)).toEqual([]);
  });

  it('answers 422 to an empty patch and 404 to an unknown or malformed id', async () => {
    const client = await givenClient(api, admin);

    expect((await api.request('PATCH', `/billing/clients/${client.id}`, { token: admin, body: {} })).status).toBe(422);
    expect((await api.request('PATCH', '/billing/clients/3f2504e0-4f89-41d3-9a0c-0305e82c3301', { token: admin, body: { name: 'x' } })).status).toBe(404);
    expect((await api.request('PATCH', '/billing/clients/not-a-uuid', { token: admin, body: { name: 'x' } })).status).toBe(404);
  });
});
