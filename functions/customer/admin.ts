// The first admin: an account with the role admin made from ADMIN_EMAIL and ADMIN_PASSWORD when
// the platform starts (and by the migration Job in a cluster). Idempotent: an account with that
// email, in any case, is left exactly as it is.
import { randomUUID } from 'node:crypto';
import schema from '../../schemas/customer/register.json' with { type: 'json' };
import { violations } from '../../events/index.js';
import type { poolFor } from '../runtime/db.js';
import { Conflict } from '../runtime/errors.js';
import { registerCustomer, type Customer } from './customer.js';
import { inOwnTransaction } from './emit.js';
import { hashPassword } from './password-hash.js';
import { passwordWeaknesses } from './password.js';
import { customers } from './store.js';

type Pool = Awaited<ReturnType<typeof poolFor>>;

export interface AdminAccount {
  email: string;
  password: string;
  now: Date;
  /** The admin's display name. */
  name?: string;
}

export interface EnsuredAdmin {
  /** The account with that email: the new admin, or whatever account already had the email. */
  customer: Customer;
  created: boolean;
}

/**
 * Creates the admin account unless an account with `email` exists, emitting customer-registered
 * (role admin) through Customer's outbox. `db` is Customer's pool (`poolFor('customer')`), migrated.
 * Throws an Error naming the problem when the email is not an email or the password is weak.
 */
export const ensureAdmin = async (db: Pool, { email, password, now, name = 'Administrator' }: AdminAccount): Promise<EnsuredAdmin> => {
  const invalid = violations(schema, { email, password, name });
  if (invalid.length > 0) throw new Error(`the admin account is invalid: ${invalid.map((v) => `${v.pointer} ${v.message}`).join('; ')}`);
  const weaknesses = passwordWeaknesses(password, email);
  if (weaknesses.length > 0) throw new Error(`the admin password is too weak: it ${weaknesses.join('; it ')}`);
  const existing = await customers.findByEmail(db, email);
  if (existing) return { customer: existing, created: false };
  const passwordHash = await hashPassword(password);
  const id = randomUUID();
  try {
    const customer = await inOwnTransaction(db, { correlationId: id, now }, async (tx, emit) => {
      const [admin, events] = registerCustomer({ email, name }, id, 'admin', now, true);
      await customers.insert(tx, admin, passwordHash);
      await emit(...events);
      return admin;
    });
    return { customer, created: true };
  } catch (error) {
    // Another instance made the account between the look-up and the insert.
    const raced = error instanceof Conflict ? await customers.findByEmail(db, email) : undefined;
    if (raced) return { customer: raced, created: false };
    throw error;
  }
};

/** ensureAdmin with ADMIN_EMAIL and ADMIN_PASSWORD; undefined when neither is set. */
export const ensureAdminFromEnv = async (db: Pool, now = new Date()): Promise<EnsuredAdmin | undefined> => {
  const email = process.env.ADMIN_EMAIL;
  const password = process.env.ADMIN_PASSWORD;
  if (!email && !password) return undefined;
  if (!email || !password) throw new Error('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  return ensureAdmin(db, { email, password, now });
};
