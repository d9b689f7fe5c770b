import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { eventsNamed, givenClient, givenDraft, givenPaid, givenSent, startBilling } from '../test-support.js';

const db = useTestDatabase(['billing']);
const api = startBilling([
  'billing/commands/create-client',
  'billing/commands/create-invoice',
  'billing/commands/send-invoice',
  'billing/commands/record-payment',
  'billing/commands/cancel-invoice',
  'billing/handlers/detect-overdue',
]);
let admin: string;
let clientId: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
  clientId = (await givenClient(api, admin)).id;
});

const orderId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const cancel = (id: string, headers?: Record<string, string>) =>
  api.request('POST', `/billing/invoices/${id}/cancel`, { token: admin, ...(headers ? { headers } : {}) });

describe('POST /billing/invoices/{id}/cancel', () => {
  it('cancels a draft: 200, cancelledAt, and draft -> cancelled in the outbox', async () => {
    const draft = await givenDraft(api, admin, clientId, { orderId });

    const response = await cancel(draft.id);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ status: 'cancelled', number: null, cancelledAt: expect.any(String), version: 2 });
    expect(response.body.outstanding).toEqual({ amount: 0, currency: 'EUR' });
    const events = (await eventsNamed('invoice-status-changed')).filter((e) => e.subject === draft.id);
    expect(events.map((e) => e.data)).toEqual([expect.objectContaining({ orderId, from: 'draft', to: 'cancelled' })]);
  });

  it('cancels a sent invoice, which keeps its number', async () => {
    const sent = await givenSent(api, admin, clientId);

    const response = await cancel(sent.id);

    expect(response.body).toMatchObject({ status: 'cancelled', number: sent.number, version: 3 });
  });

  it('cancels an overdue invoice', async () => {
    const sent = await givenSent(api, admin, clientId, { issueDate: '2020-01-01', dueDate: '2020-01-31' });
    expect((await api.tick('billing/handlers/detect-overdue')).status).toBe(204);

    const response = await cancel(sent.id);

    expect(response.status).toBe(200);
    const [event] = (await eventsNamed('invoice-status-changed')).filter((e) => e.subject === sent.id && e.data.to === 'cancelled');
    expect(event?.data.from).toBe('overdue');
  });

  it('answers 409 to a paid invoice, which stays paid', async () => {
    const paid = await givenPaid(api, admin, clientId);

    const response = await cancel(paid.id);

    expect(response.status).toBe(409);
    expect(await db.query('SELECT status FROM billing.invoices WHERE id = $1', [paid.id])).toEqual([{ status: 'paid' }]);
  });

  it('answers 409 to cancelling twice', async () => {
    const draft = await givenDraft(api, admin, clientId);
    await cancel(draft.id);

    expect((await cancel(draft.id)).status).toBe(409);
  });

  it('answers 412 to a stale If-Match and leaves the invoice as it was', async () => {
    const sent = await givenSent(api, admin, clientId);

    const response = await cancel(sent.id, { 'if-match': '"1"' });

    expect(response.status).toBe(412);
    expect(await db.query('SELECT status FROM billing.invoices WHERE id = $1', [sent.id])).toEqual([{ status: 'sent' }]);
  });

  it('answers 404 to an unknown invoice', async () => {
    expect((await cancel('3f2504e0-4f89-41d3-9a0c-0305e82c3301')).status).toBe(404);
  });
});
