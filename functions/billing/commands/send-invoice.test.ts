import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { eur, eventsNamed, givenClient, givenDraft, startBilling } from '../test-support.js';

const db = useTestDatabase(['billing']);
const api = startBilling([
  'billing/commands/create-client',
  'billing/commands/create-invoice',
  'billing/commands/send-invoice',
  'billing/commands/cancel-invoice',
]);
let admin: string;
let clientId: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
  clientId = (await givenClient(api, admin)).id;
});

const orderId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const sendInvoice = (id: string, headers?: Record<string, string>) =>
  api.request('POST', `/billing/invoices/${id}/send`, { token: admin, ...(headers ? { headers } : {}) });
// Each test numbers in a year of its own, so the tests do not share a sequence.
const draftOf = (year: number, overrides: Record<string, unknown> = {}) =>
  givenDraft(api, admin, clientId, { issueDate: `${year}-05-01`, dueDate: `${year}-05-31`, ...overrides });

describe('POST /billing/invoices/{id}/send', () => {
  it('sends a draft with the first number of its issue year: 200, and draft -> sent in the outbox', async () => {
    const draft = await draftOf(2026, { orderId });

    const response = await sendInvoice(draft.id);

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      ...draft,
      status: 'sent',
      number: 'INV-2026-000001',
      sentAt: expect.any(String),
      version: 2,
      updatedAt: expect.any(String),
    });
    expect(response.headers.get('etag')).toBe('"2"');
    const events = (await eventsNamed('invoice-status-changed')).filter((e) => e.subject === draft.id);
    expect(events.map((e) => e.data)).toEqual([
      {
        invoiceId: draft.id,
        clientId,
        orderId,
        number: 'INV-2026-000001',
        from: 'draft',
        to: 'sent',
        total: eur(34_550),
        paidAmount: eur(0),
        dueDate: '2026-05-31',
      },
    ]);
  });

  it('gives a draft without an issue date the day it is sent, and numbers it in that year', async () => {
    const draft = await givenDraft(api, admin, clientId, { dueDate: '2099-12-31' });
    const today = new Date().toISOString().slice(0, 10);

    const response = await sendInvoice(draft.id);

    expect(response.body.issueDate).toBe(today);
    expect(response.body.number).toMatch(new RegExp(`^INV-${today.slice(0, 4)}-\\d{6}$`));
  });

  it('answers 409 to sending twice, and the number stays the first one', async () => {
    const draft = await draftOf(2027);
    const first = await sendInvoice(draft.id);

    const second = await sendInvoice(draft.id);

    expect(second.status).toBe(409);
    expect(await db.query('SELECT number, version FROM billing.invoices WHERE id = $1', [draft.id])).toEqual([{ number: first.body.number, version: 2 }]);
    expect((await eventsNamed('invoice-status-changed')).filter((e) => e.subject === draft.id)).toHaveLength(1);
  });

  it('leaves no gap when a send is refused: the refused attempt gives its number back', async () => {
    const first = await draftOf(2028);
    const cancelled = await draftOf(2028);
    const next = await draftOf(2028);
    await sendInvoice(first.id);
    await api.request('POST', `/billing/invoices/${cancelled.id}/cancel`, { token: admin });

    expect((await sendInvoice(cancelled.id)).status).toBe(409);
    expect((await sendInvoice(first.id)).status).toBe(409);
    const response = await sendInvoice(next.id);

    expect(response.body.number).toBe('INV-2028-000002');
  });

  it('numbers ten drafts sent at once 1 to 10, without a gap or a duplicate', async () => {
    const drafts = [];
    for (let i = 0; i < 10; i++) drafts.push(await draftOf(2030));

    const responses = await Promise.all(drafts.map((d) => sendInvoice(d.id)));

    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(200));
    const numbers = responses.map((r) => r.body.number as string).sort();
    expect(numbers).toEqual(Array.from({ length: 10 }, (_, i) => `INV-2030-${String(i + 1).padStart(6, '0')}`));
    const rows = await db.query<{ number: string }>("SELECT number FROM billing.invoices WHERE number LIKE 'INV-2030-%' ORDER BY number");
    expect(rows.map((r) => r.number)).toEqual(numbers);
  });

  it('restarts at 1 in a new year, and keeps counting the old year on', async () => {
    const late = await draftOf(2031, { issueDate: '2031-12-31', dueDate: '2032-01-31' });
    const early = await draftOf(2032, { issueDate: '2032-01-01' });
    const lateToo = await draftOf(2031, { issueDate: '2031-12-30', dueDate: '2032-01-31' });

    expect((await sendInvoice(late.id)).body.number).toBe('INV-2031-000001');
    expect((await sendInvoice(early.id)).body.number).toBe('INV-2032-000001');
    expect((await sendInvoice(lateToo.id)).body.number).toBe('INV-2031-000002');
  });

  it('answers 412 to a stale If-Match and sends nothing, spending no number', async () => {
    const draft = await draftOf(2033);

    const response = await sendInvoice(draft.id, { 'if-match': '"7"' });

    expect(response.status).toBe(412);
    expect(await db.query('SELECT status, number FROM billing.invoices WHERE id = $1', [draft.id])).toEqual([{ status: 'draft', number: null }]);
    expect((await sendInvoice(draft.id, { 'if-match': '"1"' })).body.number).toBe('INV-2033-000001');
  });

  it('answers 404 to an unknown invoice', async () => {
    expect((await sendInvoice('3f2504e0-4f89-41d3-9a0c-0305e82c3301')).status).toBe(404);
  });
});
