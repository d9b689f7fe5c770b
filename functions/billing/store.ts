// Billing's SQL: every statement that reads or writes the billing schema, parameterised.
import type { Address } from '../../events/billing.js';
import type { Queryable } from '../runtime/db.js';
import { Conflict, ValidationError, writing } from '../runtime/errors.js';
import type { Client } from './client.js';
import { numberingYear, type Invoice, type InvoiceStatus, type Line, type Money, type Payment } from './invoice.js';

import { isUuid, cursorAt, decodeCursor, pageOf, limitOf, type PageRequest, type Page } from '../runtime/paging.js';
export { DEFAULT_LIMIT, MAX_LIMIT, isUuid, encodeCursor, decodeCursor, type PageRequest, type Page } from '../runtime/paging.js';

// ---- errors ------------------------------------------------------------------------------------

const staleVersion = (kind: string, id: string) => new Conflict(`${kind} ${id} was changed by another request; read it again`);

const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

// ---- clients -----------------------------------------------------------------------------------

type ClientRow = {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  address: Address | null;
  customer_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  cursor_at: string;
};

const CLIENT_COLUMNS = `c.id, c.name, c.email, c.phone, c.address, c.customer_id, c.version, c.created_at, c.updated_at,
  ${cursorAt('c.created_at')} AS cursor_at`;

// jsonb keeps keys in its own order; an address is returned in the order of its schema.
const toAddress = (raw: Address | null): Address | null =>
  raw === null
    ? null
    : {
        line1: raw.line1,
        ...(raw.line2 === undefined ? {} : { line2: raw.line2 }),
        city: raw.city,
        postalCode: raw.postalCode,
        ...(raw.region === undefined ? {} : { region: raw.region }),
        country: raw.country,
      };

const toClient = (row: ClientRow): Client => ({
  id: row.id,
  name: row.name,
  email: row.email,
  phone: row.phone,
  address: toAddress(row.address),
  customerId: row.customer_id,
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

// Two clients for one customer happen only when two deliveries race; the loser is retried and
// then finds the winner's client.
const clientTaken = (client: Client) => (constraint: string | undefined) =>
  constraint === 'clients_customer_id_key'
    ? new Conflict(`customer ${client.customerId} already has a client`)
    : new Conflict(`a client with the email ${client.email} already exists`);

const findClient = async (db: Queryable, id: string): Promise<Client | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<ClientRow>(`SELECT ${CLIENT_COLUMNS} FROM billing.clients c WHERE c.id = $1`, [id]);
  return rows[0] && toClient(rows[0]);
};

/**
 * The client of a customer, the one rule of which client is a customer's: the client linked to
 * the customer (customer_id), else the client with the customer's id, the rule from before
 * clients were linked (migration 002).
 */
const findClientOfCustomer = async (db: Queryable, customerId: string): Promise<Client | undefined> => {
  if (!isUuid(customerId)) return undefined;
  const { rows } = await db.query<ClientRow>(
    `SELECT ${CLIENT_COLUMNS} FROM billing.clients c
     WHERE c.customer_id = $1 OR c.id = $1
     ORDER BY c.customer_id = $1 DESC NULLS LAST
     LIMIT 1`,
    [customerId],
  );
  return rows[0] && toClient(rows[0]);
};

/** The client whose email is `email`, whatever its case. */
const findClientByEmail = async (db: Queryable, email: string): Promise<Client | undefined> => {
  const { rows } = await db.query<ClientRow>(`SELECT ${CLIENT_COLUMNS} FROM billing.clients c WHERE lower(c.email) = lower($1)`, [email]);
  return rows[0] && toClient(rows[0]);
};

const insertClient = (tx: Queryable, client: Client): Promise<void> =>
  writing(
    async () => {
      await tx.query(
        `INSERT INTO billing.clients (id, name, email, phone, address, customer_id, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9)`,
        [client.id, client.name, client.email, client.phone, json(client.address), client.customerId, client.version, client.createdAt, client.updatedAt],
      );
    },
    { unique: clientTaken(client) },
  );

const updateClient = (tx: Queryable, client: Client, expectedVersion: number): Promise<void> =>
  writing(
    async () => {
      const { rowCount } = await tx.query(
        `UPDATE billing.clients
         SET name = $3, email = $4, phone = $5, address = $6::jsonb, customer_id = $7, version = $8, updated_at = $9
         WHERE id = $1 AND version = $2`,
        [client.id, expectedVersion, client.name, client.email, client.phone, json(client.address), client.customerId, client.version, client.updatedAt],
      );
      if (rowCount === 0) throw staleVersion('client', client.id);
    },
    { unique: clientTaken(client) },
  );

const removeClient = (tx: Queryable, client: Client): Promise<void> =>
  writing(
    async () => {
      const { rowCount } = await tx.query('DELETE FROM billing.clients WHERE id = $1 AND version = $2', [client.id, client.version]);
      if (rowCount === 0) throw staleVersion('client', client.id);
    },
    // An invoice created for the client while it was being deleted.
    { foreignKey: () => new Conflict(`client ${client.id} has invoices and cannot be deleted`) },
  );

const clientHasInvoices = async (db: Queryable, id: string): Promise<boolean> => {
  const { rows } = await db.query<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM billing.invoices WHERE client_id = $1) AS found', [id]);
  return rows[0]?.found === true;
};

const listClients = async (db: Queryable, page: PageRequest): Promise<Page<Client>> => {
  const limit = limitOf(page);
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const { rows } = after
    ? await db.query<ClientRow>(
        `SELECT ${CLIENT_COLUMNS} FROM billing.clients c
         WHERE (c.created_at, c.id) > ($1::timestamptz, $2::uuid)
         ORDER BY c.created_at, c.id LIMIT $3`,
        [after.at, after.id, limit + 1],
      )
    : await db.query<ClientRow>(`SELECT ${CLIENT_COLUMNS} FROM billing.clients c ORDER BY c.created_at, c.id LIMIT $1`, [limit + 1]);
  return pageOf(rows, limit, toClient);
};

export const clients = {
  find: findClient,
  ofCustomer: findClientOfCustomer,
  byEmail: findClientByEmail,
  insert: insertClient,
  update: updateClient,
  remove: removeClient,
  hasInvoices: clientHasInvoices,
  list: listClients,
};

// ---- invoices ----------------------------------------------------------------------------------

type InvoiceRow = {
  id: string;
  number: string | null;
  client_id: string;
  order_id: string | null;
  status: InvoiceStatus;
  lines: Line[];
  currency: string;
  total_amount: number;
  paid_amount: number;
  issue_date: string | null;
  due_date: string;
  description: string | null;
  sent_at: Date | null;
  paid_at: Date | null;
  cancelled_at: Date | null;
  refunded_at: Date | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  cursor_at: string;
  payments: Array<{ id: string; amount: number; currency: string; reference: string | null; receivedAt: string }>;
};

const INVOICE_COLUMNS = `i.id, i.number, i.client_id, i.order_id, i.status, i.lines, i.currency, i.total_amount,
  i.paid_amount, i.issue_date, i.due_date, i.description, i.sent_at, i.paid_at, i.cancelled_at, i.refunded_at,
  i.version, i.created_at, i.updated_at, ${cursorAt('i.created_at')} AS cursor_at,
  COALESCE((
    SELECT jsonb_agg(jsonb_build_object(
      'id', p.id, 'amount', p.amount, 'currency', p.currency, 'reference', p.reference, 'receivedAt', p.received_at
    ) ORDER BY p.received_at, p.id)
    FROM billing.payments p WHERE p.invoice_id = i.id
  ), '[]'::jsonb) AS payments`;

const moneyOf = (raw: Money): Money => ({ amount: raw.amount, currency: raw.currency });

const toInvoice = (row: InvoiceRow): Invoice =>
  ({
    id: row.id,
    status: row.status,
    number: row.number,
    clientId: row.client_id,
    orderId: row.order_id,
    lines: row.lines.map((line) => ({
      description: line.description,
      quantity: line.quantity,
      unitPrice: moneyOf(line.unitPrice),
      total: moneyOf(line.total),
    })),
    total: { amount: row.total_amount, currency: row.currency },
    paidAmount: { amount: row.paid_amount, currency: row.currency },
    issueDate: row.issue_date,
    dueDate: row.due_date,
    description: row.description,
    payments: row.payments.map((p): Payment => ({
      id: p.id,
      amount: { amount: p.amount, currency: p.currency },
      reference: p.reference,
      receivedAt: new Date(p.receivedAt),
    })),
    sentAt: row.sent_at,
    paidAt: row.paid_at,
    cancelledAt: row.cancelled_at,
    refundedAt: row.refunded_at,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }) as Invoice; // the table's CHECK constraints hold each status to its shape

const findInvoice = async (db: Queryable, id: string): Promise<Invoice | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<InvoiceRow>(`SELECT ${INVOICE_COLUMNS} FROM billing.invoices i WHERE i.id = $1`, [id]);
  return rows[0] && toInvoice(rows[0]);
};

const insertPayments = async (tx: Queryable, invoice: Invoice): Promise<void> => {
  if (invoice.payments.length === 0) return;
  // Payments are never changed once taken: those already stored are left as they are.
  await tx.query(
    `INSERT INTO billing.payments (id, invoice_id, amount, currency, reference, received_at)
     SELECT p.id, $1, p.amount, p.currency, p.reference, p.received_at
     FROM jsonb_to_recordset($2::jsonb) AS p(id uuid, amount bigint, currency text, reference text, received_at timestamptz)
     ON CONFLICT (id) DO NOTHING`,
    [
      invoice.id,
      JSON.stringify(
        invoice.payments.map((p) => ({
          id: p.id,
          amount: p.amount.amount,
          currency: p.amount.currency,
          reference: p.reference,
          received_at: p.receivedAt.toISOString(),
        })),
      ),
    ],
  );
};

const insertInvoice = (tx: Queryable, invoice: Invoice): Promise<void> =>
  writing(
    async () => {
      await tx.query(
        `INSERT INTO billing.invoices (id, number, client_id, order_id, status, lines, currency, total_amount, paid_amount,
           issue_date, due_date, description, sent_at, paid_at, cancelled_at, refunded_at, version, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
        [
          invoice.id,
          invoice.number,
          invoice.clientId,
          invoice.orderId,
          invoice.status,
          JSON.stringify(invoice.lines),
          invoice.total.currency,
          invoice.total.amount,
          invoice.paidAmount.amount,
          invoice.issueDate,
          invoice.dueDate,
          invoice.description,
          invoice.sentAt,
          invoice.paidAt,
          invoice.cancelledAt,
          invoice.refundedAt,
          invoice.version,
          invoice.createdAt,
          invoice.updatedAt,
        ],
      );
      await insertPayments(tx, invoice);
    },
    {
      unique: (constraint) =>
        constraint === 'invoices_live_order'
          ? new Conflict(`order ${invoice.orderId} already has an invoice that is not cancelled or refunded`)
          : new Conflict(`invoice ${invoice.id} or its number already exists`),
      // The client was deleted between the check and the insert.
      foreignKey: () => new ValidationError(`client ${invoice.clientId} does not exist`, [{ pointer: '/clientId', message: 'no such client' }]),
    },
  );

/** Saves a changed invoice; its lines, total and client never change after creation. */
const updateInvoice = (tx: Queryable, invoice: Invoice, expectedVersion: number): Promise<void> =>
  writing(async () => {
    const { rowCount } = await tx.query(
      `UPDATE billing.invoices
       SET status = $3, number = $4, paid_amount = $5, issue_date = $6, sent_at = $7, paid_at = $8,
           cancelled_at = $9, refunded_at = $10, version = $11, updated_at = $12
       WHERE id = $1 AND version = $2`,
      [
        invoice.id,
        expectedVersion,
        invoice.status,
        invoice.number,
        invoice.paidAmount.amount,
        invoice.issueDate,
        invoice.sentAt,
        invoice.paidAt,
        invoice.cancelledAt,
        invoice.refundedAt,
        invoice.version,
        invoice.updatedAt,
      ],
    );
    if (rowCount === 0) throw staleVersion('invoice', invoice.id);
    await insertPayments(tx, invoice);
  });

/**
 * The invoice of an order: the live one (at most one, by the invoices_live_order index), else
 * the latest cancelled or refunded one.
 */
const findInvoiceOfOrder = async (db: Queryable, orderId: string): Promise<Invoice | undefined> => {
  const { rows } = await db.query<InvoiceRow>(
    `SELECT ${INVOICE_COLUMNS} FROM billing.invoices i
     WHERE i.order_id = $1
     ORDER BY i.status IN ('cancelled', 'refunded'), i.created_at DESC, i.id
     LIMIT 1`,
    [orderId],
  );
  return rows[0] && toInvoice(rows[0]);
};

const removeInvoice = async (tx: Queryable, invoice: Invoice): Promise<void> => {
  const { rowCount } = await tx.query('DELETE FROM billing.invoices WHERE id = $1 AND version = $2', [invoice.id, invoice.version]);
  if (rowCount === 0) throw staleVersion('invoice', invoice.id);
};

export interface InvoiceFilter {
  clientId?: string;
  status?: InvoiceStatus;
  orderId?: string;
}

const listInvoices = async (db: Queryable, filter: InvoiceFilter, page: PageRequest): Promise<Page<Invoice>> => {
  const limit = limitOf(page);
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const params: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.clientId !== undefined) where.push(`i.client_id = ${param(filter.clientId)}`);
  if (filter.status !== undefined) where.push(`i.status = ${param(filter.status)}`);
  if (filter.orderId !== undefined) where.push(`i.order_id = ${param(filter.orderId)}`);
  if (after) where.push(`(i.created_at, i.id) > (${param(after.at)}::timestamptz, ${param(after.id)}::uuid)`);
  const { rows } = await db.query<InvoiceRow>(
    `SELECT ${INVOICE_COLUMNS} FROM billing.invoices i
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY i.created_at, i.id LIMIT ${param(limit + 1)}`,
    params,
  );
  return pageOf(rows, limit, toInvoice);
};

/**
 * Sent invoices due before `today`, locked for the caller's transaction; rows another
 * transaction holds are skipped and found by the next sweep.
 */
const sentDueBefore = async (tx: Queryable, today: string, limit: number): Promise<Invoice[]> => {
  const { rows } = await tx.query<InvoiceRow>(
    `SELECT ${INVOICE_COLUMNS} FROM billing.invoices i
     WHERE i.status = 'sent' AND i.due_date < $1::date
     ORDER BY i.due_date, i.id
     LIMIT $2
     FOR UPDATE OF i SKIP LOCKED`,
    [today, limit],
  );
  return rows.map(toInvoice);
};

/**
 * Takes the next number of `year` inside the caller's transaction: the counter row stays locked
 * until it commits (concurrent sends queue) and a rollback gives the number back (no gap).
 */
const nextSequence = async (tx: Queryable, year: number): Promise<number> => {
  const { rows } = await tx.query<{ last: number }>(
    `INSERT INTO billing.invoice_number_counters AS counter (year, last) VALUES ($1, 1)
     ON CONFLICT (year) DO UPDATE SET last = counter.last + 1
     RETURNING last`,
    [year],
  );
  const sequence = rows[0]?.last;
  if (sequence === undefined) throw new Error(`no invoice number for ${year}`);
  return sequence;
};

/** The number a draft takes when it is sent now: the next of its issue year (see nextSequence). */
const nextNumberFor = (tx: Queryable, invoice: Invoice, now: Date): Promise<number> => nextSequence(tx, numberingYear(invoice, now));

export const invoices = {
  find: findInvoice,
  ofOrder: findInvoiceOfOrder,
  insert: insertInvoice,
  update: updateInvoice,
  remove: removeInvoice,
  list: listInvoices,
  sentDueBefore,
  nextSequence,
  nextNumberFor,
};

// ---- orders ------------------------------------------------------------------------------------

/**
 * Serialises, until the caller's transaction ends, Billing's handling of one order: without it an
 * invoice-requested and the order's cancellation handled at once could each miss the other's
 * uncommitted row, leaving an invoice for a cancelled order.
 */
const lockOrder = async (tx: Queryable, orderId: string): Promise<void> => {
  await tx.query("SELECT pg_advisory_xact_lock(hashtext('billing.orders'), hashtext($1))", [orderId]);
};

/** Keeps the tombstone of a cancelled order (the first cancellation seen stays). */
const markOrderCancelled = async (tx: Queryable, orderId: string, at: Date, reason: string): Promise<void> => {
  await writing(async () => {
    await tx.query(
      `INSERT INTO billing.cancelled_orders (order_id, cancelled_at, reason) VALUES ($1, $2, $3)
       ON CONFLICT (order_id) DO NOTHING`,
      [orderId, at, reason],
    );
  });
};

const isOrderCancelled = async (db: Queryable, orderId: string): Promise<boolean> => {
  const { rows } = await db.query<{ found: boolean }>('SELECT EXISTS (SELECT 1 FROM billing.cancelled_orders WHERE order_id = $1) AS found', [orderId]);
  return rows[0]?.found === true;
};

export const orders = {
  lock: lockOrder,
  markCancelled: markOrderCancelled,
  isCancelled: isOrderCancelled,
};
