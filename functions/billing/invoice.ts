// An invoice: draft -> sent -> paid | overdue; overdue -> paid; draft | sent | overdue -> cancelled;
// paid -> refunded. Amounts are integer minor units of the invoice's one currency.
import type { BillingCreateInvoice } from '../../events/schemas.generated.js';
import { MAX_AMOUNT, type NewEvent } from '../../events/index.js';
import type { InvoiceRequested } from '../../events/order.js';
import {
  invoiceCreated,
  invoiceDeleted,
  invoiceStatusChanged,
  paymentReceived,
  paymentRefunded,
  type InvoiceStatus,
  type Money,
} from '../../events/billing.js';
import { Conflict, ValidationError, unreachable } from '../runtime/errors.js';
import type { Client } from './client.js';

export type { InvoiceStatus, Money };

export interface Line {
  description: string;
  quantity: number;
  unitPrice: Money;
  total: Money;
}

export interface Payment {
  id: string;
  amount: Money;
  reference: string | null;
  receivedAt: Date;
}

interface InvoiceFields {
  id: string;
  clientId: string;
  orderId: string | null;
  lines: Line[];
  total: Money;
  paidAmount: Money;
  dueDate: string;
  description: string | null;
  payments: Payment[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type DraftInvoice = InvoiceFields & {
  status: 'draft';
  number: null;
  /** Null until sent, when it becomes the date of sending, unless the draft named one. */
  issueDate: string | null;
  sentAt: null;
  paidAt: null;
  cancelledAt: null;
  refundedAt: null;
};
export type OpenInvoice = InvoiceFields & {
  status: 'sent' | 'overdue';
  number: string;
  issueDate: string;
  sentAt: Date;
  paidAt: null;
  cancelledAt: null;
  refundedAt: null;
};
export type PaidInvoice = InvoiceFields & {
  status: 'paid';
  number: string;
  issueDate: string;
  sentAt: Date;
  paidAt: Date;
  cancelledAt: null;
  refundedAt: null;
};
export type CancelledInvoice = InvoiceFields & {
  status: 'cancelled';
  number: string | null;
  issueDate: string | null;
  sentAt: Date | null;
  paidAt: null;
  cancelledAt: Date;
  refundedAt: null;
};
export type RefundedInvoice = InvoiceFields & {
  status: 'refunded';
  number: string;
  issueDate: string;
  sentAt: Date;
  paidAt: Date;
  cancelledAt: null;
  refundedAt: Date;
};
export type Invoice = DraftInvoice | OpenInvoice | PaidInvoice | CancelledInvoice | RefundedInvoice;

export type NewInvoice = BillingCreateInvoice;

export interface NewPayment {
  id: string;
  amount: Money;
  reference?: string;
}

const money = (amount: number, currency: string): Money => ({ amount, currency });

/** The calendar date (UTC) of an instant, as `YYYY-MM-DD`. */
export const isoDate = (instant: Date): string => instant.toISOString().slice(0, 10);

/** `INV-2026-000042`: the invoice number of a year's 42nd invoice. */
export const formatInvoiceNumber = (year: number, sequence: number): string => `INV-${year}-${String(sequence).padStart(6, '0')}`;

/** What is still owed: nothing once paid, cancelled or refunded. */
export const outstanding = (invoice: Invoice): Money => {
  switch (invoice.status) {
    case 'draft':
    case 'sent':
    case 'overdue':
      return money(invoice.total.amount - invoice.paidAmount.amount, invoice.total.currency);
    case 'paid':
    case 'cancelled':
    case 'refunded':
      return money(0, invoice.total.currency);
    default:
      return unreachable(invoice);
  }
};

const orderRef = (invoice: Invoice): { orderId?: string } => (invoice.orderId ? { orderId: invoice.orderId } : {});

const statusChanged = (before: Invoice, after: Invoice): NewEvent =>
  invoiceStatusChanged.build(after.id, {
    invoiceId: after.id,
    clientId: after.clientId,
    ...orderRef(after),
    number: after.number,
    from: before.status,
    to: after.status,
    total: after.total,
    paidAmount: after.paidAmount,
    dueDate: after.dueDate,
  });

const invalid = (pointer: string, message: string): ValidationError => new ValidationError(message, [{ pointer, message }]);

export const createInvoice = (input: NewInvoice, client: Client | undefined, id: string, now: Date): [DraftInvoice, NewEvent[]] => {
  const invoice = draftInvoice(input, client, id, now);
  return [invoice, [invoiceCreatedOf(invoice)]];
};

/** The draft `createInvoice` makes, checked the same way, without its event. */
const draftInvoice = (input: NewInvoice, client: Client | undefined, id: string, now: Date): DraftInvoice => {
  if (!client) throw invalid('/clientId', `client ${input.clientId} does not exist`);
  const first = input.lines[0];
  if (!first) throw invalid('/lines', 'an invoice needs at least one line');
  const currency = first.unitPrice.currency;
  const lines = input.lines.map((line, i): Line => {
    if (line.unitPrice.currency !== currency) {
      throw invalid(`/lines/${i}/unitPrice/currency`, `every line must be in ${currency}, the currency of the first line`);
    }
    return { ...line, total: money(line.quantity * line.unitPrice.amount, currency) };
  });
  const total = lines.reduce((sum, line) => sum + line.total.amount, 0);
  if (!Number.isSafeInteger(total) || total > MAX_AMOUNT) throw invalid('/lines', `the total exceeds ${MAX_AMOUNT} minor units`);
  if (total <= 0) throw invalid('/lines', 'the total must be more than zero');
  if (input.issueDate !== undefined && input.dueDate < input.issueDate) {
    throw invalid('/dueDate', 'the due date is before the issue date');
  }
  const invoice: DraftInvoice = {
    id,
    status: 'draft',
    number: null,
    clientId: client.id,
    orderId: input.orderId ?? null,
    lines,
    total: money(total, currency),
    paidAmount: money(0, currency),
    issueDate: input.issueDate ?? null,
    dueDate: input.dueDate,
    description: input.description ?? null,
    payments: [],
    sentAt: null,
    paidAt: null,
    cancelledAt: null,
    refundedAt: null,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  return invoice;
};

/**
 * invoice-created for an invoice as its creating transaction stores it: a draft, with no number
 * yet; or an order's invoice, sent in that same transaction, with its number (what Order confirms
 * the order with, and the confirmation email shows).
 */
export const invoiceCreatedOf = (invoice: Invoice): NewEvent =>
  invoiceCreated.build(invoice.id, {
    invoiceId: invoice.id,
    clientId: invoice.clientId,
    ...orderRef(invoice),
    number: invoice.number,
    status: invoice.status,
    total: invoice.total,
    issueDate: invoice.issueDate,
    dueDate: invoice.dueDate,
  });

/** What Order asks to be invoiced (invoice-requested). */
export type OrderToInvoice = Pick<InvoiceRequested, 'orderId' | 'lines' | 'total'>;

const DAY_MS = 24 * 60 * 60 * 1000;

/** The calendar date `days` after `date` (both `YYYY-MM-DD`). */
export const addDays = (date: string, days: number): string => isoDate(new Date(Date.parse(`${date}T00:00:00.000Z`) + days * DAY_MS));

/**
 * The draft of an order's invoice: a line per order line at the order's prices, issued today and
 * due `termsDays` later. The order's total must be what its lines add up to: an invoice bills
 * exactly what was ordered. Never stored as a draft: `sendOrderInvoice` sends it in the same step.
 */
export const createOrderInvoice = (order: OrderToInvoice, client: Client, termsDays: number, id: string, now: Date): DraftInvoice => {
  const issueDate = isoDate(now);
  const input: NewInvoice = {
    clientId: client.id,
    orderId: order.orderId,
    lines: order.lines.map((line) => ({ description: line.name, quantity: line.quantity, unitPrice: line.unitPrice })),
    issueDate,
    dueDate: addDays(issueDate, termsDays),
  };
  const draft = draftInvoice(input, client, id, now);
  if (draft.total.amount !== order.total.amount || draft.total.currency !== order.total.currency) {
    throw invalid(
      '/total',
      `the order's total ${order.total.amount} ${order.total.currency} is not the sum of its lines, ${draft.total.amount} ${draft.total.currency}`,
    );
  }
  return draft;
};

/**
 * An order's invoice sent as it is created, the `sequence`-th of its year: invoice-created
 * describes it sent, with its number, then invoice-status-changed says draft -> sent.
 */
export const sendOrderInvoice = (draft: DraftInvoice, sequence: number, now: Date): [OpenInvoice, NewEvent[]] => {
  const [sent, events] = send(draft, sequence, now);
  return [sent, [invoiceCreatedOf(sent), ...events]];
};

/** The issue date an invoice has once sent: the one it names, else the day it is sent. */
export const issueDateOnSend = (invoice: Invoice, now: Date): string => invoice.issueDate ?? isoDate(now);

/** The year whose numbering sequence the invoice takes its number from when sent. */
export const numberingYear = (invoice: Invoice, now: Date): number => Number(issueDateOnSend(invoice, now).slice(0, 4));

/** Sends a draft as the `sequence`-th invoice of its issue year. */
export const send = (invoice: Invoice, sequence: number, now: Date): [OpenInvoice, NewEvent[]] => {
  if (invoice.status !== 'draft') throw new Conflict(`invoice ${invoice.id} is ${invoice.status}; only a draft can be sent`);
  const sent: OpenInvoice = {
    ...invoice,
    status: 'sent',
    number: formatInvoiceNumber(numberingYear(invoice, now), sequence),
    issueDate: issueDateOnSend(invoice, now),
    sentAt: now,
    version: invoice.version + 1,
    updatedAt: now,
  };
  return [sent, [statusChanged(invoice, sent)]];
};

export const recordPayment = (invoice: Invoice, payment: NewPayment, now: Date): [OpenInvoice | PaidInvoice, NewEvent[]] => {
  if (invoice.status !== 'sent' && invoice.status !== 'overdue') {
    throw new Conflict(`invoice ${invoice.id} is ${invoice.status}; payments are taken on sent or overdue invoices only`);
  }
  const { currency } = invoice.total;
  if (payment.amount.currency !== currency) {
    throw invalid('/amount/currency', `the invoice is in ${currency}, not ${payment.amount.currency}`);
  }
  if (payment.amount.amount <= 0) throw invalid('/amount/amount', 'a payment must be more than zero');
  const owed = outstanding(invoice).amount;
  if (payment.amount.amount > owed) {
    throw new Conflict(`the payment of ${payment.amount.amount} exceeds the outstanding ${owed} ${currency}`);
  }
  const paidAmount = money(invoice.paidAmount.amount + payment.amount.amount, currency);
  const recorded: Payment = {
    id: payment.id,
    amount: payment.amount,
    reference: payment.reference ?? null,
    receivedAt: now,
  };
  const common = {
    paidAmount,
    payments: [...invoice.payments, recorded],
    version: invoice.version + 1,
    updatedAt: now,
  };
  const next: OpenInvoice | PaidInvoice =
    paidAmount.amount === invoice.total.amount ? { ...invoice, ...common, status: 'paid', paidAt: now } : { ...invoice, ...common };
  const received = paymentReceived.build(invoice.id, {
    invoiceId: invoice.id,
    clientId: invoice.clientId,
    ...orderRef(invoice),
    paymentId: payment.id,
    amount: payment.amount,
    ...(payment.reference === undefined ? {} : { reference: payment.reference }),
    paidAmount,
    outstanding: outstanding(next),
  });
  return [next, next.status === 'paid' ? [received, statusChanged(invoice, next)] : [received]];
};

export const cancel = (invoice: Invoice, now: Date): [CancelledInvoice, NewEvent[]] => {
  switch (invoice.status) {
    case 'draft':
    case 'sent':
    case 'overdue': {
      const cancelled: CancelledInvoice = {
        ...invoice,
        status: 'cancelled',
        cancelledAt: now,
        version: invoice.version + 1,
        updatedAt: now,
      };
      return [cancelled, [statusChanged(invoice, cancelled)]];
    }
    case 'paid':
      throw new Conflict(`invoice ${invoice.id} is paid; a paid invoice is refunded, not cancelled`);
    case 'cancelled':
    case 'refunded':
      throw new Conflict(`invoice ${invoice.id} is already ${invoice.status}`);
    default:
      return unreachable(invoice);
  }
};

/** Whether a sweep on `today` (YYYY-MM-DD) finds this invoice overdue: sent and due before today. */
export const isOverdue = (invoice: Invoice, today: string): boolean => invoice.status === 'sent' && invoice.dueDate < today;

export const markOverdue = (invoice: Invoice, now: Date): [OpenInvoice, NewEvent[]] => {
  if (invoice.status !== 'sent' || !isOverdue(invoice, isoDate(now))) {
    throw new Conflict(`invoice ${invoice.id} is ${invoice.status} and due ${invoice.dueDate}; it is not overdue`);
  }
  const overdue: OpenInvoice = { ...invoice, status: 'overdue', version: invoice.version + 1, updatedAt: now };
  return [overdue, [statusChanged(invoice, overdue)]];
};

/** Gives back everything paid on a paid invoice. */
export const refund = (invoice: Invoice, now: Date, reason?: string): [RefundedInvoice, NewEvent[]] => {
  if (invoice.status !== 'paid') throw new Conflict(`invoice ${invoice.id} is ${invoice.status}; only a paid invoice can be refunded`);
  const refunded: RefundedInvoice = {
    ...invoice,
    status: 'refunded',
    refundedAt: now,
    version: invoice.version + 1,
    updatedAt: now,
  };
  const event = paymentRefunded.build(invoice.id, {
    invoiceId: invoice.id,
    clientId: invoice.clientId,
    ...orderRef(invoice),
    amount: invoice.paidAmount,
    ...(reason === undefined ? {} : { reason }),
  });
  return [refunded, [event, statusChanged(invoice, refunded)]];
};

/**
 * What an order's cancellation does to the order's invoice: one still open is cancelled, a paid
 * one refunded; one already cancelled or refunded stays as it is (no events).
 */
export const settleCancelledOrder = (invoice: Invoice, now: Date, reason: string): [Invoice, NewEvent[]] => {
  switch (invoice.status) {
    case 'draft':
    case 'sent':
    case 'overdue':
      return cancel(invoice, now);
    case 'paid':
      return refund(invoice, now, reason);
    case 'cancelled':
    case 'refunded':
      return [invoice, []];
    default:
      return unreachable(invoice);
  }
};

/** Only a draft is ever deleted; anything issued stays on record. */
export const deleteInvoice = (invoice: Invoice): NewEvent[] => {
  if (invoice.status !== 'draft') throw new Conflict(`invoice ${invoice.id} is ${invoice.status}; only a draft can be deleted`);
  return [invoiceDeleted.build(invoice.id, { invoiceId: invoice.id, clientId: invoice.clientId, ...orderRef(invoice) })];
};

/** The invoice as the API returns it. */
export const invoiceView = (invoice: Invoice) => ({
  id: invoice.id,
  number: invoice.number,
  status: invoice.status,
  clientId: invoice.clientId,
  orderId: invoice.orderId,
  currency: invoice.total.currency,
  lines: invoice.lines,
  total: invoice.total,
  paidAmount: invoice.paidAmount,
  outstanding: outstanding(invoice),
  issueDate: invoice.issueDate,
  dueDate: invoice.dueDate,
  description: invoice.description,
  payments: invoice.payments,
  sentAt: invoice.sentAt,
  paidAt: invoice.paidAt,
  cancelledAt: invoice.cancelledAt,
  refundedAt: invoice.refundedAt,
  version: invoice.version,
  createdAt: invoice.createdAt,
  updatedAt: invoice.updatedAt,
});
export type InvoiceView = ReturnType<typeof invoiceView>;
