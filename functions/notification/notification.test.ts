import { describe, expect, it } from 'vitest';
import { afterFailure, backoff, createNotification, notificationView, type Notification, type RetryPolicy } from './notification.js';

const policy: RetryPolicy = { maxAttempts: 4, backoffSeconds: 60, maxBackoffSeconds: 150 };
const now = new Date('2026-11-27T10:00:00.000Z');
const later = (seconds: number) => new Date(now.getTime() + seconds * 1000);

const pending = (): Notification =>
  createNotification(
    {
      eventId: 'evt-1',
      eventType: 'com.gotuto.order.order-shipped.v1',
      kind: 'order-shipped',
      about: '9b5d7c3e-2f8a-4b6e-8d1c-0a1b2c3d4e5f',
      recipient: { kind: 'customer', id: '1c9e4f2a-7b3d-4e5f-9a8b-7c6d5e4f3a2b', email: 'ann@example.test', name: 'Ann' },
      email: { subject: 'Your order ORD-1 is on its way', text: 'text', html: '<p>html</p>' },
    },
    '0f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f',
    now,
  );

describe('a new notification', () => {
  it('is pending, due at once, with no attempt yet', () => {
    expect(pending()).toMatchObject({ status: 'pending', nextAttemptAt: now, attempts: 0, lastError: null, version: 1 });
  });
});

describe('backoff', () => {
  it('doubles from the base for each attempt, up to the cap', () => {
    expect([1, 2, 3, 4].map((attempts) => backoff(attempts, policy))).toEqual([60, 120, 150, 150]);
    expect(backoff(3, { ...policy, backoffSeconds: 0 })).toBe(0);
  });
});

describe('after a failed attempt', () => {
  it('a refusal for now is tried again after the backoff', () => {
    expect(afterFailure(1, { kind: 'rejected', permanent: false, message: '451 busy' }, policy, now)).toEqual({
      status: 'pending',
      nextAttemptAt: later(60),
      lastError: '451 busy',
    });
  });

  it('a message never handed over (no connection) is tried again', () => {
    expect(afterFailure(2, { kind: 'not-delivered', message: 'connect ECONNREFUSED' }, policy, now)).toEqual({
      status: 'pending',
      nextAttemptAt: later(120),
      lastError: 'connect ECONNREFUSED',
    });
  });

  it('fails for good once the attempts run out', () => {
    expect(afterFailure(4, { kind: 'not-delivered', message: 'connect ECONNREFUSED' }, policy, now)).toEqual({
      status: 'failed',
      lastError: 'connect ECONNREFUSED (gave up after 4 attempts)',
    });
  });

  it('a refusal for good fails at once', () => {
    expect(afterFailure(1, { kind: 'rejected', permanent: true, message: '550 no such mailbox' }, policy, now)).toEqual({
      status: 'failed',
      lastError: '550 no such mailbox',
    });
  });

  it('an exchange that broke off unanswered is unknown, never tried again: the server may have the message', () => {
    expect(afterFailure(1, { kind: 'ambiguous', message: 'Timeout' }, policy, now)).toEqual({
      status: 'unknown',
      lastError: 'Timeout (the SMTP server may have accepted it; not sent again)',
    });
  });
});

describe('notificationView', () => {
  it('is the JSON of the notification, with sentAt once sent', () => {
    const sent: Notification = { ...pending(), status: 'sent', sentAt: later(5), attempts: 2, lastError: '451 busy' };

    expect(notificationView(sent)).toEqual({
      id: '0f8e7d6c-5b4a-4c3d-8e2f-1a0b9c8d7e6f',
      eventId: 'evt-1',
      eventType: 'com.gotuto.order.order-shipped.v1',
      kind: 'order-shipped',
      recipientId: '1c9e4f2a-7b3d-4e5f-9a8b-7c6d5e4f3a2b',
      to: 'ann@example.test',
      subject: 'Your order ORD-1 is on its way',
      status: 'sent',
      attempts: 2,
      lastError: '451 busy',
      sentAt: later(5).toISOString(),
      version: 1,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    });
  });

  it('leaves the SMTP error out of the recipient’s own view, and sentAt out until sent', () => {
    const failed: Notification = { ...pending(), status: 'failed', lastError: 'connect ECONNREFUSED 10.0.0.5:25' };

    expect(notificationView(failed)).toHaveProperty('lastError');
    expect(notificationView(failed, 'recipient')).not.toHaveProperty('lastError');
    expect(notificationView(pending())).not.toHaveProperty('sentAt');
  });
});
