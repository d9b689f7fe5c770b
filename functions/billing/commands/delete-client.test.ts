import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { eventsNamed, givenClient, givenDraft, startBilling } from '../test-support.js';

const db = useTestDatabase(['billing']);
const api = startBilling([
  'billing/commands/create-client',
  'billing/commands/delete-client',
  'billing/commands/update-client',
  'billing/commands/create-invoice',
  'billing/commands/delete-invoice',
]);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

describe('DELETE /billing/clients/{id}', () => {
  it('deletes a client without invoices: 204, no body, the row gone, client-deleted in the outbox', async () => {
    const client = await givenClient(api, admin);

    const response = await api.request('DELETE', `/billing/clients/${client.id}`, { token: admin });

    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    expect(await db.query('SELECT id FROM billing.clients WHERE id = $1', [client.id])).toEqual([]);
    expect((await eventsNamed('client-deleted')).filter((e) => e.subject === client.id).map((e) => e.data)).toEqual([{ clientId: client.id }]);
  });

  it('frees the email for a new client', async () => {
    const client = await givenClient(api, admin, { email: 'reused@acme.test' });
    await api.request('DELETE', `/billing/clients/${client.id}`, { token: admin });

    const again = await api.request('POST', '/billing/clients', { token: admin, body: { name: 'New', email: 'reused@acme.test' } });

    expect(again.status).toBe(201);
  });

  it('answers 409 while the client has invoices, and keeps it', async () => {
    const client = await givenClient(api, admin);
    await givenDraft(api, admin, client.id);

    const response = await api.request('DELETE', `/billing/clients/${client.id}`, { token: admin });

    expect(response.status).toBe(409);
    expect(await db.query('SELECT id FROM billing.clients WHERE id = $1', [client.id])).toHaveLength(1);
    expect((await eventsNamed('client-deleted')).filter((e) => e.subject === client.id)).toEqual([]);
  });

  it('deletes the client once its only invoice, a draft, is gone', async () => {
    const client = await givenClient(api, admin);
    const draft = await givenDraft(api, admin, client.id);
    expect((await api.request('DELETE', `/billing/invoices/${draft.id}`, { token: admin })).status).toBe(204);

    expect((await api.request('DELETE', `/billing/clients/${client.id}`, { token: admin })).status).toBe(204);
  });

  it('answers 412 to a stale If-Match and keeps the client', async () => {
    const client = await givenClient(api, admin);
    await api.request('PATCH', `/billing/clients/${client.id}`, { token: admin, body: { name: 'Renamed' } });

    const response = await api.request('DELETE', `/billing/clients/${client.id}`, { token: admin, headers: { 'if-match': '"1"' } });

    expect(response.status).toBe(412);
    expect(await db.query('SELECT version FROM billing.clients WHERE id = $1', [client.id])).toEqual([{ version: 2 }]);
  });

  it('answers 404 to an unknown client', async () => {
    const response = await api.request('DELETE', '/billing/clients/3f2504e0-4f89-41d3-9a0c-0305e82c3301', { token: admin });

    expect(response.status).toBe(404);
  });
});
