import { describe, expect, it } from 'vitest';
import { escapeHtml, formatMoney, renderEmail, type EmailDetails } from './email.js';

const eur = (amount: number) => ({ amount, currency: 'EUR' });

describe('formatMoney', () => {
  it('writes minor units in the currency’s own digits, with integer arithmetic', () => {
    expect(formatMoney(eur(4_990))).toBe('49.90 EUR');
    expect(formatMoney(eur(123_456_789))).toBe('1,234,567.89 EUR');
    expect(formatMoney(eur(5))).toBe('0.05 EUR');
    expect(formatMoney(eur(0))).toBe('0.00 EUR');
    expect(formatMoney({ amount: 1_500, currency: 'JPY' })).toBe('1,500 JPY');
    expect(formatMoney({ amount: 12_345, currency: 'BHD' })).toBe('12.345 BHD');
    expect(formatMoney(eur(-250))).toBe('-2.50 EUR');
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters that matter in HTML text and attributes', () => {
    expect(escapeHtml(`<a href="x">Tom & Jerry's</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;');
  });
});

describe('renderEmail', () => {
  const cases: Array<[EmailDetails, RegExp, string[]]> = [
    [{ kind: 'welcome', email: 'ann@example.test' }, /^Welcome to GoTuto, Ann Smith$/, ['ann@example.test']],
    [
      { kind: 'order-confirmed', orderNumber: 'ORD-2026-000042', total: eur(4_990), invoiceNumber: 'INV-2026-000017' },
      /^Your order ORD-2026-000042 is confirmed$/,
      ['ORD-2026-000042', '49.90 EUR', 'INV-2026-000017'],
    ],
    [
      { kind: 'order-cancelled', orderNumber: 'ORD-2026-000043', reason: 'some items are out of stock' },
      /^Your order ORD-2026-000043 was cancelled$/,
      ['ORD-2026-000043', 'some items are out of stock'],
    ],
    [
      { kind: 'order-shipped', orderNumber: 'ORD-2026-000044', carrier: 'La Poste', trackingNumber: 'LP123456789FR' },
      /^Your order ORD-2026-000044 is on its way$/,
      ['ORD-2026-000044', 'La Poste', 'LP123456789FR'],
    ],
    [{ kind: 'order-delivered', orderNumber: 'ORD-2026-000045' }, /^Your order ORD-2026-000045 was delivered$/, ['ORD-2026-000045']],
    [
      { kind: 'invoice-sent', invoiceNumber: 'INV-2026-000123', total: eur(12_345), dueDate: '2026-12-31' },
      /^Invoice INV-2026-000123 from GoTuto$/,
      ['INV-2026-000123', '123.45 EUR', '2026-12-31'],
    ],
    [
      { kind: 'invoice-overdue', invoiceNumber: 'INV-2026-000124', total: eur(12_345), outstanding: eur(2_345), dueDate: '2026-10-31' },
      /^Invoice INV-2026-000124 is overdue$/,
      ['INV-2026-000124', '123.45 EUR', '23.45 EUR', '2026-10-31'],
    ],
  ];

  it.each(cases)('renders %j with its details in the subject, the text and the HTML', (details, subject, facts) => {
    const email = renderEmail('Ann Smith', details);

    expect(email.subject).toMatch(subject);
    expect(email.text).toMatch(/^Hello Ann Smith,\n/);
    expect(email.html).toContain('<p>Hello Ann Smith,</p>');
    for (const fact of facts) {
      expect(email.text).toContain(fact);
      expect(email.html).toContain(fact);
    }
  });

  it('states the facts as label and value, in text and in an HTML table', () => {
    const email = renderEmail('Ann', { kind: 'order-shipped', orderNumber: 'ORD-1', carrier: 'DHL', trackingNumber: 'JD0001' });

    expect(email.text).toContain('Order: ORD-1\nCarrier: DHL\nTracking number: JD0001');
    expect(email.html).toContain('<th align="left" style="padding: 2px 16px 2px 0;">Tracking number</th><td>JD0001</td>');
  });

  it('leaves out the invoice of a confirmed order that has no number yet', () => {
    const email = renderEmail('Ann', { kind: 'order-confirmed', orderNumber: 'ORD-1', total: eur(100), invoiceNumber: null });

    expect(email.text).not.toContain('Invoice:');
  });

  it('escapes every value in the HTML body, and keeps it as written in the text body', () => {
    const name = '<script>alert("x")</script> & Co';
    const reason = `<img src=x onerror='steal()'>`;

    const email = renderEmail(name, { kind: 'order-cancelled', orderNumber: 'ORD-<b>1</b>', reason });

    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<img');
    expect(email.html).not.toContain('<b>');
    expect(email.html).toContain('Hello &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co,');
    expect(email.html).toContain('&lt;img src=x onerror=&#39;steal()&#39;&gt;');
    expect(email.html).toContain('<title>Your order ORD-&lt;b&gt;1&lt;/b&gt; was cancelled</title>');
    expect(email.text).toContain(`Hello ${name},`);
    expect(email.text).toContain(`Reason: ${reason}`);
  });

  it('keeps the subject on one line, whatever a name or a number holds', () => {
    const email = renderEmail('Ann\r\nBcc: everyone@example.test', { kind: 'welcome', email: 'ann@example.test' });

    expect(email.subject).toBe('Welcome to GoTuto, Ann Bcc: everyone@example.test');
    expect(email.subject).not.toMatch(/[\r\n]/);
  });
});
