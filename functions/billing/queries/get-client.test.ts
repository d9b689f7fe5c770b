import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { givenClient, startBilling } from '../test-support.js';

useTestDatabase(['billing']);
const api = startBilling(['billing/commands/create-client', 'billing/queries/get-client']);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

describe('GET /billing/clients/{id}', () => {
  it('answers the client with its ETag', async () => {
    const client = await givenClient(api, admin);

    const response = await api.request('GET', `/billing/clients/${client.id}`, { token: admin });

    expect(response.status).toBe(200);
    expect(response.body).toEqual(client);
    expect(response.headers.get('etag')).toBe('"1"');
  });

  it('answers 404 to an unknown or malformed id', async () => {
    expect((await api.request('GET', '/billing/clients/3f2504e0-4f89-41d3-9a0c-0305e82c3301', { token: admin })).status).toBe(404);
    expect((await api.request('GET', "/billing/clients/1'%20OR%20'1'='1", { token: admin })).status).toBe(404);
  });

  it('is for admins, even for a customer asking about their own client', async () => {
    const client = await givenClient(api, admin);

    expect((await api.request('GET', `/billing/clients/${client.id}`, { token: await tokenFor('customer', client.id) })).status).toBe(403);
  });
});
