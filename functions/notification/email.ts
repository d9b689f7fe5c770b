// The emails Notification sends: one template per kind, each a subject, paragraphs and facts in
// plain words. One layout turns them into the plain-text body and the HTML body, escaping every
// value on the way into HTML, so no template ever writes markup itself. Pure: no I/O.
import type { Money } from '../../events/core.js';

export type EmailKind =
  | 'welcome'
  | 'order-confirmed'
  | 'order-cancelled'
  | 'order-shipped'
  | 'order-delivered'
  | 'invoice-sent'
  | 'invoice-overdue'
  | 'email-verification'
  | 'sign-up-attempted'
  | 'login-throttled';

export const EMAIL_KINDS: readonly EmailKind[] = [
  'welcome',
  'order-confirmed',
  'order-cancelled',
  'order-shipped',
  'order-delivered',
  'invoice-sent',
  'invoice-overdue',
  'email-verification',
  'sign-up-attempted',
  'login-throttled',
];

/** What each kind of email says, besides the recipient's name. */
export type EmailDetails =
  | { kind: 'welcome'; email: string }
  | { kind: 'order-confirmed'; orderNumber: string; total: Money; invoiceNumber: string | null }
  | { kind: 'order-cancelled'; orderNumber: string; reason: string }
  | { kind: 'order-shipped'; orderNumber: string; carrier: string; trackingNumber: string }
  | { kind: 'order-delivered'; orderNumber: string }
  | { kind: 'invoice-sent'; invoiceNumber: string; total: Money; dueDate: string }
  | { kind: 'invoice-overdue'; invoiceNumber: string; total: Money; outstanding: Money; dueDate: string }
  | { kind: 'email-verification'; email: string; token: string; expiresAt: string }
  | { kind: 'sign-up-attempted'; email: string }
  | { kind: 'login-throttled'; email: string; failures: number };

export interface Email {
  subject: string;
  text: string;
  html: string;
}

/** An email before the layout: plain strings only. */
interface Content {
  subject: string;
  paragraphs: string[];
  facts: Array<[label: string, value: string]>;
}

/** Digits after the decimal point of a currency (2 for EUR, 0 for JPY, 3 for BHD). */
const minorDigits = (currency: string): number => {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
};

/** `{amount: 123450, currency: 'EUR'}` -> `1,234.50 EUR`, with integer arithmetic only. */
export const formatMoney = ({ amount, currency }: Money): string => {
  const digits = minorDigits(currency);
  const sign = amount < 0 ? '-' : '';
  const units = String(Math.abs(amount)).padStart(digits + 1, '0');
  const whole = units.slice(0, units.length - digits).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const fraction = digits > 0 ? `.${units.slice(units.length - digits)}` : '';
  return `${sign}${whole}${fraction} ${currency}`;
};

const content = (name: string, details: EmailDetails): Content => {
  switch (details.kind) {
    case 'welcome':
      return {
        subject: `Welcome to GoTuto, ${name}`,
        paragraphs: [
          `Your GoTuto account is ready. Sign in with ${details.email} to fill your cart and follow your orders.`,
          'We will write to you at this address when your orders move along.',
        ],
        facts: [],
      };
    case 'order-confirmed':
      return {
        subject: `Your order ${details.orderNumber} is confirmed`,
        paragraphs: ['Your items are reserved and your order is confirmed. Your invoice follows in a separate email.'],
        facts: [
          ['Order', details.orderNumber],
          ['Total', formatMoney(details.total)],
          ...(details.invoiceNumber ? [['Invoice', details.invoiceNumber] as [string, string]] : []),
        ],
      };
    case 'order-cancelled':
      return {
        subject: `Your order ${details.orderNumber} was cancelled`,
        paragraphs: [`Your order ${details.orderNumber} was cancelled. Anything you paid for it will be refunded.`],
        facts: [
          ['Order', details.orderNumber],
          ['Reason', details.reason],
        ],
      };
    case 'order-shipped':
      return {
        subject: `Your order ${details.orderNumber} is on its way`,
        paragraphs: [`Your order ${details.orderNumber} has left our warehouse with ${details.carrier}.`],
        facts: [
          ['Order', details.orderNumber],
          ['Carrier', details.carrier],
          ['Tracking number', details.trackingNumber],
        ],
      };
    case 'order-delivered':
      return {
        subject: `Your order ${details.orderNumber} was delivered`,
        paragraphs: [`Your order ${details.orderNumber} was delivered. We hope you enjoy it.`],
        facts: [['Order', details.orderNumber]],
      };
    case 'invoice-sent':
      return {
        subject: `Invoice ${details.invoiceNumber} from GoTuto`,
        paragraphs: [`Here is invoice ${details.invoiceNumber}. Please pay it by ${details.dueDate}.`],
        facts: [
          ['Invoice', details.invoiceNumber],
          ['Amount', formatMoney(details.total)],
          ['Due date', details.dueDate],
        ],
      };
    case 'invoice-overdue':
      return {
        subject: `Invoice ${details.invoiceNumber} is overdue`,
        paragraphs: [`Invoice ${details.invoiceNumber} was due on ${details.dueDate} and is not paid in full yet. Please pay what is outstanding.`],
        facts: [
          ['Invoice', details.invoiceNumber],
          ['Amount', formatMoney(details.total)],
          ['Outstanding', formatMoney(details.outstanding)],
          ['Due date', details.dueDate],
        ],
      };
    case 'email-verification':
      return {
        subject: 'Confirm your email address for GoTuto',
        paragraphs: [
          `Someone signed up at GoTuto with ${details.email}. If it was you, confirm that this address is yours with the code below (POST /customers/verify-email with {"token": "<code>"}, or paste it where the shop asks for it).`,
          'The code works once. If it was not you, ignore this email: the account stays unconfirmed and is linked to nothing of yours.',
        ],
        facts: [
          ['Code', details.token],
          ['Valid until', details.expiresAt],
        ],
      };
    case 'sign-up-attempted':
      return {
        subject: 'Someone tried to sign up with your email address',
        paragraphs: [
          `Someone tried to create a GoTuto account with ${details.email}, which already has an account: yours. No second account was made.`,
          'If it was you, sign in with your password instead. If not, you need do nothing.',
        ],
        facts: [],
      };
    case 'login-throttled':
      return {
        subject: 'Failed sign-ins to your GoTuto account',
        paragraphs: [
          `There were ${details.failures} failed attempts to sign in to your account ${details.email}. Further attempts are slowed down; you can still sign in with your password.`,
          'If these were not you, choose a strong password that you use nowhere else. An administrator can clear the delay.',
        ],
        facts: [],
      };
    default: {
      const unknown: never = details;
      throw new Error(`no template for ${JSON.stringify(unknown)}`);
    }
  }
};

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe to place in HTML content or a quoted attribute. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);

// A header is one line: line breaks and other control characters in a value (a name, a reason)
// must not start a new header.
const oneLine = (text: string): string =>
  text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

const textBody = (name: string, { paragraphs, facts }: Content): string =>
  [`Hello ${name},`, ...paragraphs, ...(facts.length > 0 ? [facts.map(([label, value]) => `${label}: ${value}`).join('\n')] : []), '-- \nGoTuto'].join('\n\n') +
  '\n';

const htmlBody = (name: string, { subject, paragraphs, facts }: Content): string =>
  [
    '<!doctype html>',
    '<html lang="en">',
    `<head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>`,
    '<body style="font-family: Arial, Helvetica, sans-serif; color: #222222; line-height: 1.5;">',
    `<p>Hello ${escapeHtml(name)},</p>`,
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(facts.length > 0
      ? [
          '<table role="presentation" style="border-collapse: collapse;">',
          ...facts.map(([label, value]) => `<tr><th align="left" style="padding: 2px 16px 2px 0;">${escapeHtml(label)}</th><td>${escapeHtml(value)}</td></tr>`),
          '</table>',
        ]
      : []),
    '<p style="color: #666666;">GoTuto</p>',
    '</body>',
    '</html>',
    '',
  ].join('\n');

/** The email of `details` for a recipient called `name`: its subject, plain-text body and HTML body. */
export const renderEmail = (name: string, details: EmailDetails): Email => {
  const written = content(oneLine(name), details);
  const subject = oneLine(written.subject);
  return { subject, text: textBody(oneLine(name), written), html: htmlBody(oneLine(name), { ...written, subject }) };
};
