import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tokenFor, useTestDatabase } from '../../runtime/testing.js';
import { eur, eventsNamed, givenClient, givenDraft, givenPaid, givenSent, startBilling } from '../test-support.js';

const db = useTestDatabase(['billing']);
const api = startBilling([
  'billing/commands/create-client',
  'billing/commands/create-invoice',
  'billing/commands/send-invoice',
  'billing/commands/record-payment',
  'billing/handlers/detect-overdue',
]);

// The functions run in this process, so their clock (ctx.now()) is the one set here.
const today = new Date('2026-06-10T12:00:00.000Z');
beforeAll(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(today);
});
afterAll(() => {
  vi.useRealTimers();
});

const orderId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const statusOf = async (id: string) => (await db.query<{ status: string }>('SELECT status FROM billing.invoices WHERE id = $1', [id]))[0]?.status;

describe('the overdue schedule', () => {
  it('makes every sent invoice due before today overdue, each with its sent -> overdue event', async () => {
    const admin = await tokenFor('admin');
    const client = await givenClient(api, admin);
    const dueYesterday = await givenSent(api, admin, client.id, { issueDate: '2026-05-01', dueDate: '2026-06-09', orderId });
    const dueLastYear = await givenSent(api, admin, client.id, { issueDate: '2025-05-01', dueDate: '2025-05-31' });
    const dueToday = await givenSent(api, admin, client.id, { issueDate: '2026-05-01', dueDate: '2026-06-10' });
    const dueTomorrow = await givenSent(api, admin, client.id, { issueDate: '2026-05-01', dueDate: '2026-06-11' });
    const draftPastDue = await givenDraft(api, admin, client.id, { issueDate: '2026-01-01', dueDate: '2026-01-31' });
    const paidPastDue = await givenPaid(api, admin, client.id, { issueDate: '2026-01-01', dueDate: '2026-01-31' });

    const response = await api.tick('billing/handlers/detect-overdue');

    expect(response.status).toBe(204);
    expect(await statusOf(dueYesterday.id)).toBe('overdue');
    expect(await statusOf(dueLastYear.id)).toBe('overdue');
    expect(await statusOf(dueToday.id)).toBe('sent');
    expect(await statusOf(dueTomorrow.id)).toBe('sent');
    expect(await statusOf(draftPastDue.id)).toBe('draft');
    expect(await statusOf(paidPastDue.id)).toBe('paid');
    const overdue = (await eventsNamed('invoice-status-changed')).filter((e) => e.data.to === 'overdue');
    expect(overdue.map((e) => e.subject).sort()).toEqual([dueYesterday.id, dueLastYear.id].sort());
    expect(overdue.find((e) => e.subject === dueYesterday.id)?.data).toEqual({
      invoiceId: dueYesterday.id,
      clientId: client.id,
      orderId,
      number: dueYesterday.number,
      from: 'sent',
      to: 'overdue',
      total: eur(34_550),
      paidAmount: eur(0),
      dueDate: '2026-06-09',
    });
    expect(await db.query('SELECT version FROM billing.invoices WHERE id = $1', [dueYesterday.id])).toEqual([{ version: 3 }]);

    // The next run finds nothing new to do.
    expect((await api.tick('billing/handlers/detect-overdue')).status).toBe(204);
    expect((await eventsNamed('invoice-status-changed')).filter((e) => e.data.to === 'overdue')).toHaveLength(2);

    // An overdue invoice still takes payments, and becomes paid.
    const paid = await api.request('POST', `/billing/invoices/${dueYesterday.id}/payments`, { token: admin, body: { amount: eur(34_550) } });
    expect(paid.body).toMatchObject({ status: 'paid', outstanding: eur(0) });
  });

  it('catches an invoice the day after it falls due', async () => {
    const admin = await tokenFor('admin');
    const client = await givenClient(api, admin);
    const invoice = await givenSent(api, admin, client.id, { issueDate: '2026-06-01', dueDate: '2026-06-11' });

    vi.setSystemTime(new Date('2026-06-11T23:59:59.999Z'));
    await api.tick('billing/handlers/detect-overdue');
    expect(await statusOf(invoice.id)).toBe('sent');

    vi.setSystemTime(new Date('2026-06-12T00:00:00.000Z'));
    await api.tick('billing/handlers/detect-overdue');
    expect(await statusOf(invoice.id)).toBe('overdue');
  });
});
