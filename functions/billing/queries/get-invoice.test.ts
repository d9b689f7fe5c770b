import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { givenClient, givenSent, startBilling } from '../test-support.js';

useTestDatabase(['billing']);
const api = startBilling(['billing/commands/create-client', 'billing/commands/create-invoice', 'billing/commands/send-invoice', 'billing/queries/get-invoice']);
let admin: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
});

describe('GET /billing/invoices/{id}', () => {
  it('answers an admin with the invoice and its ETag', async () => {
    const client = await givenClient(api, admin);
    const invoice = await givenSent(api, admin, client.id);

    const response = await api.request('GET', `/billing/invoices/${invoice.id}`, { token: admin });

    expect(response.status).toBe(200);
    expect(response.body).toEqual(invoice);
    expect(response.headers.get('etag')).toBe('"2"');
  });

  it('answers the customer whose client it is', async () => {
    const client = await givenClient(api, admin);
    const invoice = await givenSent(api, admin, client.id);

    const response = await api.request('GET', `/billing/invoices/${invoice.id}`, { token: await tokenFor('customer', client.id) });

    expect(response.status).toBe(200);
    expect(response.body.id).toBe(invoice.id);
  });

  it('answers 404 to another customer, as if the invoice did not exist', async () => {
    const client = await givenClient(api, admin);
    const invoice = await givenSent(api, admin, client.id);
    const other = await givenClient(api, admin);

    const response = await api.request('GET', `/billing/invoices/${invoice.id}`, { token: await tokenFor('customer', other.id) });

    expect(response.status).toBe(404);
    expect(response.text).not.toContain(invoice.number);
  });

  it('answers 404 to an unknown or malformed id', async () => {
    expect((await api.request('GET', '/billing/invoices/3f2504e0-4f89-41d3-9a0c-0305e82c3301', { token: admin })).status).toBe(404);
    expect((await api.request('GET', '/billing/invoices/INV-2026-000001', { token: admin })).status).toBe(404);
  });
});
