import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { register } from '../runtime/registry.js';
import { notificationFunctions } from './index.js';

const root = new URL('.', import.meta.url);
const sources = ['commands', 'queries', 'handlers'].flatMap((folder) => {
  let files: string[] = [];
  try {
    files = readdirSync(new URL(folder, root));
  } catch {
    return [];
  }
  return files.filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts')).map((file) => `notification/${folder}/${file.replace(/\.ts$/, '')}`);
});

describe('notificationFunctions', () => {
  it('holds every function module of Notification, each registered under its name', () => {
    expect(Object.keys(notificationFunctions).sort()).toEqual(sources.sort());
    expect(register(notificationFunctions).map((fn) => [fn.name, fn.definition.kind])).toEqual([
      ['notification-list-notifications', 'query'],
      ['notification-list-my-notifications', 'query'],
      ['notification-on-customer-registered', 'handler'],
      ['notification-on-customer-updated', 'handler'],
      ['notification-on-email-verification-requested', 'handler'],
      ['notification-on-sign-up-attempted', 'handler'],
      ['notification-on-login-throttled', 'handler'],
      ['notification-on-client-created', 'handler'],
      ['notification-on-client-updated', 'handler'],
      ['notification-on-order-confirmed', 'handler'],
      ['notification-on-order-cancelled', 'handler'],
      ['notification-on-order-shipped', 'handler'],
      ['notification-on-order-delivered', 'handler'],
      ['notification-on-invoice-status-changed', 'handler'],
      ['notification-send-pending', 'handler'],
      ['notification-relay-outbox', 'handler'],
    ]);
  });

  it('sends on a schedule that the environment can change, with no inbox entry per tick', () => {
    const sendPending = notificationFunctions['notification/handlers/send-pending'];
    expect(sendPending.schedule).toEqual({ cron: '* * * * *', env: 'NOTIFICATION_SEND_SCHEDULE' });
    expect(sendPending.noInbox).toBe(true);
  });
});
