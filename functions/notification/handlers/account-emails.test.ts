// The account emails Customer asks for, sent over real SMTP: the verification code, the notice
// that someone tried to sign up with the address, and the alert about failed sign-ins.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { emailVerificationRequested, loginThrottled, signUpAttempted } from '../../../events/customer.js';
import { useTestDatabase } from '../../runtime/testing.js';
import { customerRegistration, messageIdOf, notificationOf, registerCustomer, settled, startNotification, useSmtpServer } from '../test-support.js';

const db = useTestDatabase(['notification']);
const smtp = useSmtpServer();
const api = startNotification([
  'notification/handlers/on-customer-registered',
  'notification/handlers/on-email-verification-requested',
  'notification/handlers/on-sign-up-attempted',
  'notification/handlers/on-login-throttled',
]);

const mailFor = async (path: string, type: string, data: Record<string, unknown>) => {
  const id = randomUUID();
  const response = await api.deliver(path, { id, type, subject: String(data.customerId), data });
  expect(response.status, response.text).toBe(204);
  await settled();
  const notification = await notificationOf(db, id);
  const [mail] = smtp.withMessageId(messageIdOf(notification.id));
  return { notification, mail };
};

describe('account emails', () => {
  it('mails the verification code to the address it verifies, once per event', async () => {
    const customer = customerRegistration({ name: 'Vera Fied' });
    await registerCustomer(api, customer);
    const token = 'A'.repeat(20) + randomUUID().replace(/-/g, '');

    const { notification, mail } = await mailFor('notification/handlers/on-email-verification-requested', emailVerificationRequested.type, {
      customerId: customer.customerId,
      email: customer.email,
      name: customer.name,
      token,
      expiresAt: '2026-12-05T10:00:00.000Z',
    });

    expect(notification).toMatchObject({ kind: 'email-verification', status: 'sent', to_address: customer.email });
    expect(mail?.envelopeTo).toEqual([customer.email]);
    expect(mail?.subject).toBe('Confirm your email address for GoTuto');
    expect(mail?.text).toContain(token);
    expect(mail?.html).toContain(token);
  });

  it('tells the owner of an address that someone tried to sign up with it', async () => {
    const customer = customerRegistration();
    await registerCustomer(api, customer);

    const { notification, mail } = await mailFor('notification/handlers/on-sign-up-attempted', signUpAttempted.type, {
      customerId: customer.customerId,
      email: customer.email,
    });

    expect(notification).toMatchObject({ kind: 'sign-up-attempted', status: 'sent' });
    expect(mail?.subject).toBe('Someone tried to sign up with your email address');
    expect(mail?.envelopeTo).toEqual([customer.email]);
  });

  it('alerts the owner of an account under attack', async () => {
    const customer = customerRegistration();
    await registerCustomer(api, customer);

    const { notification, mail } = await mailFor('notification/handlers/on-login-throttled', loginThrottled.type, {
      customerId: customer.customerId,
      email: customer.email,
      failures: 10,
    });

    expect(notification).toMatchObject({ kind: 'login-throttled', status: 'sent' });
    expect(mail?.subject).toBe('Failed sign-ins to your GoTuto account');
    expect(mail?.text).toContain('10 failed attempts');
  });
});
