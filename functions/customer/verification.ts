// Email verification tokens: 256 random bits, mailed to the address (through Notification) and
// kept only as their SHA-256, so guessing one is hopeless and a leaked table verifies nothing.
import { createHash, randomBytes } from 'node:crypto';
import { emailVerificationRequested } from '../../events/customer.js';
import type { NewEvent } from '../../events/index.js';
import type { Queryable } from '../runtime/db.js';
import type { Customer } from './customer.js';
import { settings } from './settings.js';
import { verifications } from './store.js';

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/**
 * Gives the customer a new verification token (replacing any other) and the event that has it
 * mailed; the token expires after EMAIL_VERIFICATION_TTL_SECONDS.
 */
export const requestVerification = async (tx: Queryable, customer: Customer, now: Date): Promise<NewEvent> => {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + settings.emailVerificationTtlSeconds() * 1000);
  await verifications.replace(tx, customer.id, hashToken(token), expiresAt, now);
  return emailVerificationRequested.build(customer.id, {
    customerId: customer.id,
    email: customer.email,
    name: customer.name,
    token,
    expiresAt: expiresAt.toISOString(),
  });
};
