// Customer's SQL: every statement that reads or writes the customer schema, parameterised.
// Emails are compared as lower(email), the expression of the unique index.
import type { Address } from '../../events/index.js';
import type { Queryable } from '../runtime/db.js';
import { Conflict, writing } from '../runtime/errors.js';
import type { Customer, Role } from './customer.js';

import { isUuid, cursorAt, encodeCursor, decodeCursor, limitOf, type PageRequest, type Page } from '../runtime/paging.js';
export { DEFAULT_LIMIT, MAX_LIMIT, isUuid, encodeCursor, decodeCursor, type PageRequest, type Page } from '../runtime/paging.js';

// ---- errors ------------------------------------------------------------------------------------

/** The error of a second account for one mailbox. */
export const emailTaken = (email: string) => new Conflict(`an account with the email ${email} already exists`);

const json = (value: unknown): string | null => (value === null || value === undefined ? null : JSON.stringify(value));

// ---- customers ---------------------------------------------------------------------------------

type CustomerRow = {
  id: string;
  email: string;
  name: string;
  role: Role;
  email_verified_at: Date | null;
  phone: string | null;
  address: Address | null;
  version: number;
  created_at: Date;
  updated_at: Date;
  cursor_at: string;
};

// Never the password hash: that is read by `credentials` alone.
const CUSTOMER_COLUMNS = `c.id, c.email, c.name, c.role, c.email_verified_at, c.phone, c.address, c.version, c.created_at, c.updated_at,
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

const toCustomer = (row: CustomerRow): Customer => ({
  id: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
  emailVerified: row.email_verified_at !== null,
  phone: row.phone,
  address: toAddress(row.address),
  version: row.version,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const findCustomer = async (db: Queryable, id: string): Promise<Customer | undefined> => {
  if (!isUuid(id)) return undefined;
  const { rows } = await db.query<CustomerRow>(`SELECT ${CUSTOMER_COLUMNS} FROM customer.customers c WHERE c.id = $1`, [id]);
  return rows[0] && toCustomer(rows[0]);
};

const findCustomerByEmail = async (db: Queryable, email: string): Promise<Customer | undefined> => {
  const { rows } = await db.query<CustomerRow>(`SELECT ${CUSTOMER_COLUMNS} FROM customer.customers c WHERE lower(c.email) = lower($1)`, [email]);
  return rows[0] && toCustomer(rows[0]);
};

const insertCustomer = (tx: Queryable, customer: Customer, passwordHash: string): Promise<void> =>
  writing(
    async () => {
      await tx.query(
        `INSERT INTO customer.customers (id, email, name, role, password_hash, phone, address, version, created_at, updated_at, email_verified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, CASE WHEN $11::boolean THEN $9::timestamptz END)`,
        [
          customer.id,
          customer.email,
          customer.name,
          customer.role,
          passwordHash,
          customer.phone,
          json(customer.address),
          customer.version,
          customer.createdAt,
          customer.updatedAt,
          customer.emailVerified,
        ],
      );
    },
    { unique: () => emailTaken(customer.email) },
  );

/**
 * Saves the contact data of a changed customer, and the verification of the email (once set, never
 * unset); email, role and password are not changed here.
 */
const updateCustomer = (tx: Queryable, customer: Customer, expectedVersion: number): Promise<void> =>
  writing(async () => {
    const { rowCount } = await tx.query(
      `UPDATE customer.customers
       SET name = $3, phone = $4, address = $5::jsonb, version = $6, updated_at = $7::timestamptz,
           email_verified_at = COALESCE(email_verified_at, CASE WHEN $8::boolean THEN $7::timestamptz END)
       WHERE id = $1 AND version = $2`,
      [customer.id, expectedVersion, customer.name, customer.phone, json(customer.address), customer.version, customer.updatedAt, customer.emailVerified],
    );
    if (rowCount === 0) throw new Conflict(`customer ${customer.id} was changed by another request; read it again`);
  });

export interface CustomerFilter {
  email?: string;
  role?: Role;
}

const listCustomers = async (db: Queryable, filter: CustomerFilter, page: PageRequest): Promise<Page<Customer>> => {
  const limit = limitOf(page);
  const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
  const params: unknown[] = [];
  const where: string[] = [];
  const param = (value: unknown): string => {
    params.push(value);
    return `$${params.length}`;
  };
  if (filter.email !== undefined) where.push(`lower(c.email) = lower(${param(filter.email)})`);
  if (filter.role !== undefined) where.push(`c.role = ${param(filter.role)}`);
  if (after) where.push(`(c.created_at, c.id) > (${param(after.at)}::timestamptz, ${param(after.id)}::uuid)`);
  const { rows } = await db.query<CustomerRow>(
    `SELECT ${CUSTOMER_COLUMNS} FROM customer.customers c
     ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY c.created_at, c.id LIMIT ${param(limit + 1)}`,
    params,
  );
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(toCustomer),
    nextCursor: rows.length > limit && last ? encodeCursor({ at: last.cursor_at, id: last.id }) : null,
  };
};

export interface Credentials {
  id: string;
  email: string;
  role: Role;
  passwordHash: string;
}

/** What a login checks a password against; the only read of the password hash. */
const credentials = async (db: Queryable, email: string): Promise<Credentials | undefined> => {
  const { rows } = await db.query<{ id: string; email: string; role: Role; password_hash: string }>(
    'SELECT id, email, role, password_hash FROM customer.customers WHERE lower(email) = lower($1)',
    [email],
  );
  const row = rows[0];
  return row && { id: row.id, email: row.email, role: row.role, passwordHash: row.password_hash };
};

/** Replaces a hash made with older parameters; not a change of the customer (no new version). */
const setPasswordHash = async (db: Queryable, id: string, passwordHash: string): Promise<void> => {
  await db.query('UPDATE customer.customers SET password_hash = $2 WHERE id = $1', [id, passwordHash]);
};

export const customers = {
  find: findCustomer,
  findByEmail: findCustomerByEmail,
  insert: insertCustomer,
  update: updateCustomer,
  list: listCustomers,
  credentials,
  setPasswordHash,
};

// ---- login attempts ----------------------------------------------------------------------------

/**
 * Serialises the login attempts on one email until the caller's transaction ends, so that
 * concurrent attempts (on any instance) cannot all pass the count. The two-key form keeps these
 * locks apart from the one-key locks of migrations.
 */
const lockEmail = async (tx: Queryable, email: string): Promise<void> => {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('customer-login'), hashtext(lower($1)))`, [email]);
};

/** The times of the email's failed attempts after `since`, oldest first. */
const failuresSince = async (db: Queryable, email: string, since: Date): Promise<Date[]> => {
  const { rows } = await db.query<{ failed_at: Date }>(
    'SELECT failed_at FROM customer.login_failures WHERE email_key = lower($1) AND failed_at > $2 ORDER BY failed_at',
    [email, since],
  );
  return rows.map((row) => row.failed_at);
};

/** The times of the failed attempts from one source (a client address), on any email, after `since`. */
const sourceFailuresSince = async (db: Queryable, source: string, since: Date): Promise<Date[]> => {
  const { rows } = await db.query<{ failed_at: Date }>(
    'SELECT failed_at FROM customer.login_failures WHERE source = $1 AND failed_at > $2 ORDER BY failed_at',
    [source, since],
  );
  return rows.map((row) => row.failed_at);
};

/** Counts an attempt as failed (until `clear` says otherwise) and prunes attempts of any email that have expired. */
const recordFailure = async (tx: Queryable, email: string, source: string, at: Date, expiredAt: Date): Promise<void> => {
  await tx.query('DELETE FROM customer.login_failures WHERE failed_at <= $1', [expiredAt]);
  await tx.query('INSERT INTO customer.login_failures (email_key, source, failed_at) VALUES (lower($1), $2, $3)', [email, source, at]);
};

/** A successful login (or an admin's unlock) forgets the email's failures; how many there were. */
const clearFailures = async (db: Queryable, email: string): Promise<number> => {
  const { rowCount } = await db.query('DELETE FROM customer.login_failures WHERE email_key = lower($1)', [email]);
  return rowCount ?? 0;
};

export const logins = {
  lockEmail,
  failuresSince,
  sourceFailuresSince,
  recordFailure,
  clearFailures,
};

// ---- email verification ------------------------------------------------------------------------

/** Makes `tokenHash` the customer's one outstanding verification token, replacing any other. */
const replaceVerification = async (tx: Queryable, customerId: string, tokenHash: string, expiresAt: Date, now: Date): Promise<void> => {
  await tx.query('DELETE FROM customer.email_verifications WHERE customer_id = $1', [customerId]);
  await tx.query('INSERT INTO customer.email_verifications (token_hash, customer_id, expires_at, created_at) VALUES ($1, $2, $3, $4)', [
    tokenHash,
    customerId,
    expiresAt,
    now,
  ]);
};

/** Uses up a token: the customer it verifies when it is outstanding and not expired at `now`, else undefined. */
const takeVerification = async (tx: Queryable, tokenHash: string, now: Date): Promise<string | undefined> => {
  const { rows } = await tx.query<{ customer_id: string; expires_at: Date }>(
    'DELETE FROM customer.email_verifications WHERE token_hash = $1 RETURNING customer_id, expires_at',
    [tokenHash],
  );
  const row = rows[0];
  return row && row.expires_at.getTime() > now.getTime() ? row.customer_id : undefined;
};

export const verifications = {
  replace: replaceVerification,
  take: takeVerification,
};
