// Customer's events: the contact data other contexts keep a copy of (Billing, Notification).
import customerRegisteredSchema from '../schemas/events/customer/customer-registered.v1.json' with { type: 'json' };
import customerUpdatedSchema from '../schemas/events/customer/customer-updated.v1.json' with { type: 'json' };
import emailVerificationRequestedSchema from '../schemas/events/customer/email-verification-requested.v1.json' with { type: 'json' };
import emailVerifiedSchema from '../schemas/events/customer/email-verified.v1.json' with { type: 'json' };
import loginThrottledSchema from '../schemas/events/customer/login-throttled.v1.json' with { type: 'json' };
import signUpAttemptedSchema from '../schemas/events/customer/sign-up-attempted.v1.json' with { type: 'json' };
import { defineEvent, type Address } from './core.js';

export interface CustomerRegistered {
  customerId: string;
  email: string;
  name: string;
  role: 'customer' | 'admin';
  /** True only when the email was verified at registration (an admin from the environment); absent reads as false. */
  emailVerified?: boolean;
}
export const customerRegistered = defineEvent<CustomerRegistered>('customer', 'customer-registered', 1, customerRegisteredSchema);

/** The customer's contact data after the change. */
export interface CustomerUpdated {
  customerId: string;
  email: string;
  name: string;
  phone?: string | null;
  address?: Address | null;
  /** The fields the change touched; absent from events emitted before it was added. */
  changed?: Array<'name' | 'phone' | 'address'>;
}
export const customerUpdated = defineEvent<CustomerUpdated>('customer', 'customer-updated', 1, customerUpdatedSchema);

/** The single-use token that proves the customer owns the email; only Notification reads it, to mail it. */
export interface EmailVerificationRequested {
  customerId: string;
  email: string;
  name: string;
  token: string;
  expiresAt: string;
}
export const emailVerificationRequested = defineEvent<EmailVerificationRequested>(
  'customer',
  'email-verification-requested',
  1,
  emailVerificationRequestedSchema,
);

/** The customer proved they own the email: from now on it may be linked to what bears that email. */
export interface EmailVerified {
  customerId: string;
  email: string;
  name: string;
}
export const emailVerified = defineEvent<EmailVerified>('customer', 'email-verified', 1, emailVerifiedSchema);

/** Someone signed up with the email of this account (the answer did not say so; the owner is told). */
export interface SignUpAttempted {
  customerId: string;
  email: string;
}
export const signUpAttempted = defineEvent<SignUpAttempted>('customer', 'sign-up-attempted', 1, signUpAttemptedSchema);

/** Failed logins on this account reached the alert threshold: the owner is told. */
export interface LoginThrottled {
  customerId: string;
  email: string;
  failures: number;
}
export const loginThrottled = defineEvent<LoginThrottled>('customer', 'login-throttled', 1, loginThrottledSchema);
