import { randomUUID } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../runtime/testing.js';
import {
  customerRegistration,
  messageIdOf,
  notificationOf,
  registerCustomer,
  sendNow,
  settled,
  startNotification,
  useSmtpServer,
  type NotificationRow,
} from '../test-support.js';

// Handlers here only record their emails; each test runs the sender itself (sendPending), as the
// schedule or the local platform would.
process.env.NOTIFICATION_SEND_AFTER_COMMIT = 'false';

const db = useTestDatabase(['notification']);
const smtp = useSmtpServer();
const api = startNotification(['notification/handlers/on-customer-registered', 'notification/handlers/send-pending']);

let url: string;
beforeAll(() => {
  url = smtp.url;
});
afterEach(() => {
  smtp.mode = 'accept';
  process.env.SMTP_URL = url;
});

/** A customer registered under a new event id: a welcome email recorded, pending. */
const aWelcome = async () => {
  const customer = customerRegistration();
  const eventId = randomUUID();
  const response = await registerCustomer(api, customer, { id: eventId });
  expect(response.status, response.text).toBe(204);
  const row = await notificationOf(db, eventId);
  expect(row.status).toBe('pending');
  return { customer, eventId, id: row.id };
};

const rowOf = async (id: string) =>
  (
    await db.query<NotificationRow & { next_attempt_at: Date | null } & Record<string, unknown>>(
      'SELECT id, status, attempts, last_error, sent_at, next_attempt_at FROM notification.notifications WHERE id = $1',
      [id],
    )
  )[0];

const minutesFromNow = (minutes: number) => () => new Date(Date.now() + minutes * 60_000);

describe('sendPending', () => {
  it('sends what handlers recorded, each email once, and records it sent', async () => {
    const welcomes = [await aWelcome(), await aWelcome(), await aWelcome()];

    const first = await sendNow();
    const second = await sendNow();

    expect(first).toMatchObject({ sent: 3, retrying: 0, failed: 0, unknown: 0 });
    expect(second.sent).toBe(0);
    for (const { id, customer } of welcomes) {
      expect(await rowOf(id)).toMatchObject({ status: 'sent', attempts: 1, last_error: null, sent_at: expect.any(Date) });
      expect(smtp.withMessageId(messageIdOf(id))).toHaveLength(1);
      expect(smtp.to(customer.email)).toHaveLength(1);
    }
  });

  it('is what the scheduled function runs, once its tick has committed', async () => {
    const { id } = await aWelcome();

    const response = await api.tick('notification/handlers/send-pending');
    await settled();

    expect(response.status).toBe(204);
    expect(await rowOf(id)).toMatchObject({ status: 'sent' });
    expect(smtp.withMessageId(messageIdOf(id))).toHaveLength(1);
  });

  it('keeps an email the server refused for now pending, with the error, and sends it on a later run: one email', async () => {
    const { id } = await aWelcome();
    smtp.mode = 'refuse-transient';

    const refused = await sendNow({ retry: { backoffSeconds: 60 } });

    expect(refused).toMatchObject({ sent: 0, retrying: 1 });
    const waiting = await rowOf(id);
    expect(waiting).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining('451 mailbox busy') });
    expect(waiting?.next_attempt_at?.getTime()).toBeGreaterThan(Date.now() + 50_000);

    smtp.mode = 'accept';
    expect((await sendNow()).sent).toBe(0); // not due yet
    expect((await sendNow({ now: minutesFromNow(2) })).sent).toBe(1);

    expect(await rowOf(id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.withMessageId(messageIdOf(id))).toHaveLength(1);
  });

  it('keeps an email pending while the SMTP server is down, and sends it once the server is back: one email', async () => {
    const { id } = await aWelcome();
    await smtp.stop();

    try {
      expect(await sendNow({ retry: { backoffSeconds: 0 } })).toMatchObject({ sent: 0, retrying: 1 });
      expect(await rowOf(id)).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining('ECONNREFUSED') });
    } finally {
      await smtp.start();
    }
    expect(smtp.url).toBe(url);

    expect((await sendNow()).sent).toBe(1);
    expect((await sendNow()).sent).toBe(0);

    expect(await rowOf(id)).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.withMessageId(messageIdOf(id))).toHaveLength(1);
  });

  it('fails an email the server refused for good at once, and never tries it again', async () => {
    const { id } = await aWelcome();
    smtp.mode = 'refuse-permanent';

    expect(await sendNow()).toMatchObject({ failed: 1 });
    smtp.mode = 'accept';
    await sendNow({ now: minutesFromNow(60) });

    expect(await rowOf(id)).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('550 no such mailbox') });
    expect(smtp.withMessageId(messageIdOf(id))).toEqual([]);
  });

  it('fails an email once its attempts run out', async () => {
    const { id } = await aWelcome();
    smtp.mode = 'refuse-transient';
    const retry = { maxAttempts: 3, backoffSeconds: 0 };

    await sendNow({ retry });
    await sendNow({ retry });
    const last = await sendNow({ retry });

    expect(last).toMatchObject({ failed: 1 });
    expect(await rowOf(id)).toMatchObject({ status: 'failed', attempts: 3, last_error: expect.stringContaining('gave up after 3 attempts') });
    expect(smtp.attempts).toBeGreaterThanOrEqual(3);
  });

  it('marks unknown, and never sends again, an email whose server went silent after taking its data', async () => {
    const { id } = await aWelcome();
    smtp.mode = 'silent';
    process.env.SMTP_TIMEOUT_MS = '500';

    try {
      expect(await sendNow()).toMatchObject({ unknown: 1 });
    } finally {
      delete process.env.SMTP_TIMEOUT_MS;
    }
    smtp.mode = 'accept';
    await sendNow({ now: minutesFromNow(60) });

    expect(await rowOf(id)).toMatchObject({ status: 'unknown', attempts: 1, last_error: expect.stringContaining('may have accepted it') });
    expect(smtp.withMessageId(messageIdOf(id))).toEqual([]);
  });

  it('marks unknown, and never sends, an email left sending past its lease (a sender that died, perhaps after the server accepted)', async () => {
    const crashed = await aWelcome();
    const busy = await aWelcome();
    const claim = (id: string, leaseEnd: string) =>
      db.query(
        `UPDATE notification.notifications SET status = 'sending', attempts = 1, claim_id = $2, claimed_until = now() + $3::interval,
           next_attempt_at = NULL WHERE id = $1`,
        [id, randomUUID(), leaseEnd],
      );
    await claim(crashed.id, '-1 minute');
    await claim(busy.id, '5 minutes');

    const report = await sendNow();

    expect(report).toMatchObject({ sent: 0, unknown: 1 });
    expect(await rowOf(crashed.id)).toMatchObject({ status: 'unknown', attempts: 1, last_error: expect.stringContaining('lease expired') });
    expect(await rowOf(busy.id)).toMatchObject({ status: 'sending' });
    expect(smtp.withMessageId(messageIdOf(crashed.id))).toEqual([]);
    expect(smtp.withMessageId(messageIdOf(busy.id))).toEqual([]);
    await db.query(`UPDATE notification.notifications SET status = 'failed', claimed_until = NULL WHERE id = $1`, [busy.id]);
  });

  it('records emails not-sent, with the reason, when no SMTP server is configured', async () => {
    const { id } = await aWelcome();
    delete process.env.SMTP_URL;

    const report = await sendNow();
    process.env.SMTP_URL = url;
    await sendNow();

    expect(report).toMatchObject({ notSent: 1, sent: 0 });
    expect(await rowOf(id)).toMatchObject({ status: 'not-sent', attempts: 0, last_error: 'no SMTP configured (SMTP_URL is not set)' });
    expect(smtp.withMessageId(messageIdOf(id))).toEqual([]);
  });

  it('sends each email once when several senders run at the same time', async () => {
    const welcomes = [];
    for (let i = 0; i < 6; i++) welcomes.push(await aWelcome());

    const reports = await Promise.all([sendNow(), sendNow(), sendNow()]);

    expect(reports.reduce((sum, r) => sum + r.sent, 0)).toBe(6);
    for (const { id } of welcomes) {
      expect(smtp.withMessageId(messageIdOf(id))).toHaveLength(1);
      expect(await rowOf(id)).toMatchObject({ status: 'sent', attempts: 1 });
    }
  });
});
