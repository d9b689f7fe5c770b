import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { givenClient, startBilling } from '../test-support.js';

useTestDatabase(['billing']);
const api = startBilling(['billing/commands/create-client', 'billing/queries/list-clients']);
let admin: string;
const created: Array<{ id: string }> = [];
beforeAll(async () => {
  admin = await tokenFor('admin');
  for (let i = 0; i < 5; i++) created.push(await givenClient(api, admin, { name: `Client ${i}` }));
});

describe('GET /billing/clients', () => {
  it('lists every client, oldest first, with no next page when all fit', async () => {
    const response = await api.request('GET', '/billing/clients', { token: admin });

    expect(response.status).toBe(200);
    expect(response.body.items.map((c: { id: string }) => c.id)).toEqual(created.map((c) => c.id));
    expect(response.body.items[0]).toEqual(created[0]);
    expect(response.body.nextCursor).toBeNull();
  });

  it('pages with limit and the opaque cursor, without losing or repeating a client', async () => {
    const seen: string[] = [];
    const pages: number[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const response = await api.request('GET', `/billing/clients${query}`, { token: admin });
      expect(response.status).toBe(200);
      pages.push(response.body.items.length);
      seen.push(...response.body.items.map((c: { id: string }) => c.id));
      cursor = response.body.nextCursor;
    } while (cursor);

    expect(pages).toEqual([2, 2, 1]);
    expect(seen).toEqual(created.map((c) => c.id));
  });

  it('answers 422 to a cursor it did not make', async () => {
    for (const cursor of [
      'nonsense',
      Buffer.from('["2026-02-31T00:00:00.000000Z","3f2504e0-4f89-41d3-9a0c-0305e82c3301"]').toString('base64url'),
      Buffer.from('{"a":1}').toString('base64url'),
    ]) {
      const response = await api.request('GET', `/billing/clients?cursor=${cursor}`, { token: admin });
      expect(response.status, cursor).toBe(422);
    }
  });

  it('answers 422 to a limit out of 1..200 or not a number', async () => {
    for (const limit of ['0', '201', 'ten']) {
      expect((await api.request('GET', `/billing/clients?limit=${limit}`, { token: admin })).status, limit).toBe(422);
    }
    expect((await api.request('GET', '/billing/clients?limit=200', { token: admin })).status).toBe(200);
  });

  it('is for admins', async () => {
    expect((await api.request('GET', '/billing/clients', { token: await tokenFor('customer') })).status).toBe(403);
  });
});
