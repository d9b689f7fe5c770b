import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { givenClient, givenDraft, givenPaid, givenSent, startBilling } from '../test-support.js';

useTestDatabase(['billing']);
const api = startBilling([
  'billing/commands/create-client',
  'billing/commands/create-invoice',
  'billing/commands/send-invoice',
  'billing/commands/record-payment',
  'billing/queries/list-invoices',
]);

const orderId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
let admin: string;
let mine: { id: string };
let theirs: { id: string };
let mineDraft: { id: string };
let mineSent: { id: string };
let minePaid: { id: string };
let theirsSent: { id: string };
beforeAll(async () => {
  admin = await tokenFor('admin');
  mine = await givenClient(api, admin);
  theirs = await givenClient(api, admin);
  mineDraft = await givenDraft(api, admin, mine.id, { orderId });
  mineSent = await givenSent(api, admin, mine.id);
  theirsSent = await givenSent(api, admin, theirs.id);
  minePaid = await givenPaid(api, admin, mine.id);
});

const ids = (response: { body: { items: Array<{ id: string }> } }) => response.body.items.map((i) => i.id);
const list = async (query: string, token: string) => {
  const response = await api.request('GET', `/billing/invoices${query}`, { token });
  expect(response.status, response.text).toBe(200);
  return response;
};

describe('GET /billing/invoices as an admin', () => {
  it('lists every invoice, oldest first, as the full invoice', async () => {
    const response = await list('', admin);

    expect(ids(response)).toEqual([mineDraft.id, mineSent.id, theirsSent.id, minePaid.id]);
    expect(response.body.items[3]).toEqual(minePaid);
    expect(response.body.nextCursor).toBeNull();
  });

  it('filters by client, status and order, alone or together', async () => {
    expect(ids(await list(`?clientId=${mine.id}`, admin))).toEqual([mineDraft.id, mineSent.id, minePaid.id]);
    expect(ids(await list('?status=sent', admin))).toEqual([mineSent.id, theirsSent.id]);
    expect(ids(await list(`?orderId=${orderId}`, admin))).toEqual([mineDraft.id]);
    expect(ids(await list(`?clientId=${theirs.id}&status=sent`, admin))).toEqual([theirsSent.id]);
    expect(ids(await list(`?clientId=${theirs.id}&status=paid`, admin))).toEqual([]);
  });

  it('pages with limit and cursor, keeping the filter', async () => {
    const first = await list(`?clientId=${mine.id}&limit=2`, admin);
    const second = await list(`?clientId=${mine.id}&limit=2&cursor=${first.body.nextCursor}`, admin);

    expect(ids(first)).toEqual([mineDraft.id, mineSent.id]);
    expect(ids(second)).toEqual([minePaid.id]);
    expect(second.body.nextCursor).toBeNull();
  });

  it('answers 422 to a bad cursor, status or id', async () => {
    for (const query of ['?cursor=abc', '?status=lost', '?clientId=42', '?limit=500', '?colour=red']) {
      expect((await api.request('GET', `/billing/invoices${query}`, { token: admin })).status, query).toBe(422);
    }
  });
});

describe('GET /billing/invoices as a customer', () => {
  it("lists only their own client's invoices when no client is named", async () => {
    const customer = await tokenFor('customer', mine.id);

    expect(ids(await list('', customer))).toEqual([mineDraft.id, mineSent.id, minePaid.id]);
    expect(ids(await list('?status=sent', customer))).toEqual([mineSent.id]);
  });

  it('lists their own when they name their own client', async () => {
    const customer = await tokenFor('customer', theirs.id);

    expect(ids(await list(`?clientId=${theirs.id}`, customer))).toEqual([theirsSent.id]);
  });

  it("answers 403 when they name another client's id", async () => {
    const customer = await tokenFor('customer', theirs.id);

    const response = await api.request('GET', `/billing/invoices?clientId=${mine.id}`, { token: customer });

    expect(response.status).toBe(403);
  });

  it('lists nothing for a customer who has no client', async () => {
    const response = await list('', await tokenFor('customer'));

    expect(response.body).toEqual({ items: [], nextCursor: null });
  });

  it('needs a token', async () => {
    expect((await api.request('GET', '/billing/invoices')).status).toBe(401);
  });
});
