// Customer's events: the contact data other contexts keep a copy of (Billing, Notification).
import customerRegisteredSchema from '../schemas/events/customer/customer-registered.v1.json' with { type: 'json' };
import customerUpdatedSchema from '../schemas/events/customer/customer-updated.v1.json' with { type: 'json' };
import emailVerificationRequestedSchema from '../schemas/events/customer/email-verification-requested.v1.json' with { type: 'json' };
import emailVerifiedSchema from '../schemas/events/customer/email-verified.v1.json' with { type: 'json' };
import loginThrottledSchema from '../schemas/events/customer/login-throttled.v1.json' with { type: 'json' };
import signUpAttemptedSchema from '../schemas/events/customer/sign-up-attempted.v1.json' with { type: 'json' };
import type {
  EventsCustomerCustomerRegisteredV1,
  EventsCustomerCustomerUpdatedV1,
  EventsCustomerEmailVerificationRequestedV1,
  EventsCustomerEmailVerifiedV1,
  EventsCustomerLoginThrottledV1,
  EventsCustomerSignUpAttemptedV1,
} from './schemas.generated.js';
import { defineEvent } from './core.js';

export type CustomerRegistered = EventsCustomerCustomerRegisteredV1;
export const customerRegistered = defineEvent<CustomerRegistered>('customer', 'customer-registered', 1, customerRegisteredSchema);

/** The customer's contact data after the change. */
export type CustomerUpdated = EventsCustomerCustomerUpdatedV1;
export const customerUpdated = defineEvent<CustomerUpdated>('customer', 'customer-updated', 1, customerUpdatedSchema);

/** The single-use token that proves the customer owns the email; only Notification reads it, to mail it. */
export type EmailVerificationRequested = EventsCustomerEmailVerificationRequestedV1;
export const emailVerificationRequested = defineEvent<EmailVerificationRequested>(
  'customer',
  'email-verification-requested',
  1,
  emailVerificationRequestedSchema,
);

/** The customer proved they own the email: from now on it may be linked to what bears that email. */
export type EmailVerified = EventsCustomerEmailVerifiedV1;
export const emailVerified = defineEvent<EmailVerified>('customer', 'email-verified', 1, emailVerifiedSchema);

/** Someone signed up with the email of this account (the answer did not say so; the owner is told). */
export type SignUpAttempted = EventsCustomerSignUpAttemptedV1;
export const signUpAttempted = defineEvent<SignUpAttempted>('customer', 'sign-up-attempted', 1, signUpAttemptedSchema);

/** Failed logins on this account reached the alert threshold: the owner is told. */
export type LoginThrottled = EventsCustomerLoginThrottledV1;
export const loginThrottled = defineEvent<LoginThrottled>('customer', 'login-throttled', 1, loginThrottledSchema);
