// Every function of the Customer context, keyed by its source path under functions/; the
// registry (functions/index.ts) takes them in.
import login from './commands/login.js';
import register from './commands/register.js';
import requestVerification from './commands/request-verification.js';
import unlock from './commands/unlock.js';
import verifyEmail from './commands/verify-email.js';
import updateMe from './commands/update-me.js';
import relayOutbox from './handlers/relay-outbox.js';
import getMe from './queries/get-me.js';
import listCustomers from './queries/list-customers.js';
import { poolFor } from '../runtime/db.js';
import { onStart } from '../runtime/lifecycle.js';
import { ensureAdminFromEnv } from './admin.js';

// The first admin (ADMIN_EMAIL, ADMIN_PASSWORD) exists before the first request; in a cluster the
// customer migration Job makes it.
onStart('customer-first-admin', async (log) => {
  const admin = await ensureAdminFromEnv(await poolFor('customer'));
  if (admin?.created) log.info('admin account created', { email: admin.customer.email });
});

export const customerFunctions = {
  'customer/commands/register': register,
  'customer/commands/verify-email': verifyEmail,
  'customer/commands/request-verification': requestVerification,
  'customer/commands/login': login,
  'customer/commands/unlock': unlock,
  'customer/queries/get-me': getMe,
  'customer/commands/update-me': updateMe,
  'customer/queries/list-customers': listCustomers,
  'customer/handlers/relay-outbox': relayOutbox,
};
