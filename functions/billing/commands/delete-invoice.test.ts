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
  'billing/commands/delete-invoice',
]);
let admin: string;
let clientId: string;
beforeAll(async () => {
  admin = await tokenFor('admin');
  clientId = (await givenClient(api, admin)).id;
});

const remove = (id: string, headers?: Record<string, string>) =>
  api.request('DELETE', `/billing/invoices/${id}`, { token: admin, ...(headers ? { headers } : {}) });

describe('DELETE /billing/invoices/{id}', () => {
  it('deletes a draft: 204, the row gone, invoice-deleted in the outbox', async () => {
    const draft = await givenDraft(api, admin, clientId);

    const response = await remove(draft.id);

    expect(response.status).toBe(204);
    expect(await db.query('SELECT id FROM billing.invoices WHERE id = $1', [draft.id])).toEqual([]);
    expect((await eventsNamed('invoice-deleted')).filter((e) => e.subject === draft.id).map((e) => e.data)).toEqual([{ invoiceId: draft.id, clientId }]);
    expect((await remove(draft.id)).status).toBe(404);
  });

  it('answers 409 to a sent, a paid or a cancelled invoice, and keeps each', async () => {
    const sent = await givenSent(api, admin, clientId);
    const paid = await givenPaid(api, admin, clientId);
    const cancelled = await givenDraft(api, admin, clientId);
    await api.request('POST', `/billing/invoices/${cancelled.id}/cancel`, { token: admin });

    for (const invoice of [sent, paid, cancelled]) {
      expect((await remove(invoice.id)).status).toBe(409);
      expect(await db.query('SELECT id FROM billing.invoices WHERE id = $1', [invoice.id])).toHaveLength(1);
    }
  });

  it('answers 412 to a stale If-Match and keeps the draft', async () => {
    const draft = await givenDraft(api, admin, clientId);

    expect((await remove(draft.id, { 'if-match': '"2"' })).status).toBe(412);
    expect(await db.query('SELECT id FROM billing.invoices WHERE id = $1', [draft.id])).toHaveLength(1);
  });
});
