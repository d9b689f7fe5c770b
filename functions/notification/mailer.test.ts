import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classifyFailure, domainOf, messageIdOf, smtpMailer, type OutgoingEmail } from './mailer.js';
import { useSmtpServer } from './test-support.js';

const smtp = useSmtpServer();
const FROM = 'GoTuto <no-reply@gotuto.dev>';

const email = (): OutgoingEmail => ({
  id: randomUUID(),
  eventId: randomUUID(),
  to: { name: 'Ann Smith', address: 'ann@example.test' },
  subject: 'Your order ORD-1 is on its way',
  text: 'Hello Ann,\n\nTracking number: LP123',
  html: '<p>Hello Ann,</p>',
});

/** What the failure of sending one email in the server's current mode says. */
const failureOf = async (url = smtp.url) => {
  const mailer = smtpMailer(url, FROM, 1_000);
  try {
    await mailer.send(email());
  } catch (error) {
    return classifyFailure(error);
  } finally {
    mailer.close();
  }
  throw new Error('the email was sent');
};

describe('smtpMailer', () => {
  it('sends the email with the notification id as Message-ID and the event id in a header', async () => {
    smtp.mode = 'accept';
    const sent = email();

    await smtpMailer(smtp.url, FROM, 5_000).send(sent);

    const [mail] = smtp.withMessageId(`<${sent.id}@gotuto.dev>`);
    expect(mail?.envelopeTo).toEqual(['ann@example.test']);
    expect(mail?.headers).toMatchObject({ from: FROM, to: 'Ann Smith <ann@example.test>', 'x-gotuto-event-id': sent.eventId });
    expect(mail?.subject).toBe(sent.subject);
    expect(mail?.text).toBe(sent.text);
    expect(mail?.html).toBe(sent.html);
  });
});

describe('classifyFailure, on the errors of a real exchange', () => {
  it('a refusal for now (451) is a rejection to try again', async () => {
    smtp.mode = 'refuse-transient';
    expect(await failureOf()).toMatchObject({ kind: 'rejected', permanent: false, message: expect.stringContaining('451') });
  });

  it('a refusal for good (550) is a permanent rejection', async () => {
    smtp.mode = 'refuse-permanent';
    expect(await failureOf()).toMatchObject({ kind: 'rejected', permanent: true, message: expect.stringContaining('550') });
  });

  it('no server listening: nothing was handed over', async () => {
    smtp.mode = 'accept';
    await smtp.stop();
    try {
      expect(await failureOf()).toMatchObject({ kind: 'not-delivered', message: expect.stringContaining('ECONNREFUSED') });
    } finally {
      await smtp.start();
    }
  });

  it('silence after the message was handed over is ambiguous: the server may have kept it', async () => {
    smtp.mode = 'silent';
    expect(await failureOf()).toMatchObject({ kind: 'ambiguous' });
    smtp.mode = 'accept';
  });

  it('an error of unknown shape is ambiguous', () => {
    expect(classifyFailure(new Error('socket hang up'))).toEqual({ kind: 'ambiguous', message: 'socket hang up' });
    expect(classifyFailure('boom')).toEqual({ kind: 'ambiguous', message: 'boom' });
  });
});

describe('Message-IDs', () => {
  it('take the domain of the From address', () => {
    expect(domainOf('GoTuto <no-reply@gotuto.dev>')).toBe('gotuto.dev');
    expect(domainOf('shop@mail.example.com')).toBe('mail.example.com');
    expect(messageIdOf('abc', 'GoTuto <no-reply@gotuto.dev>')).toBe('<abc@gotuto.dev>');
  });
});
