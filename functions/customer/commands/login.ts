import schema from '../../../schemas/customer/login.json' with { type: 'json' };
import { signToken } from '../../runtime/auth.js';
import { inTransaction, poolFor } from '../../runtime/db.js';
import type { CustomerLogin } from '../../../events/schemas.generated.js';
import { command, reply } from '../../runtime/definition.js';
import { TooManyRequests, Unauthorized } from '../../runtime/errors.js';
import { loginGate, windowStart } from '../lockout.js';
import { DUMMY_HASH, hashPassword, needsRehash, verifyPassword } from '../password-hash.js';
import { settings } from '../settings.js';
import { customers, logins } from '../store.js';
import responseSchema from '../../../schemas/customer/access-token.json' with { type: 'json' };

export interface AccessToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

// Transactions are opened on the context's pool rather than through ctx.inTransaction: a login
// takes two short ones around the password check, and its answer (a token) must never be stored
// and replayed as an Idempotency-Key answer would be.
export default command<CustomerLogin, Record<string, string>, Record<string, string>, AccessToken>({
  route: 'POST /customers/login',
  access: 'public',
  response: responseSchema,
  body: schema,
  handle: async ({ body }, ctx) => {
    const policy = settings.lockout();
    const now = ctx.now();
    const pool = await poolFor('customer');
    // The count and the record of this attempt are one step per email, whichever instance runs it.
    const attempt = await inTransaction(pool, async (tx) => {
      await logins.lockEmail(tx, body.email);
      const gate = loginGate(await logins.failuresSince(tx, body.email, windowStart(now, policy)), now, policy);
      if (gate.status === 'locked') return gate;
      await logins.recordFailure(tx, body.email, now, windowStart(now, policy));
      return { status: 'open' as const, account: await customers.credentials(tx, body.email) };
    });
    if (attempt.status === 'locked') {
      throw new TooManyRequests(`too many failed logins for this email; retry in ${attempt.retryAfterSeconds} s`, attempt.retryAfterSeconds);
    }
    // An unknown email costs one verification too, and gets the same answer as a wrong password.
    const valid = await verifyPassword(body.password, attempt.account?.passwordHash ?? DUMMY_HASH);
    if (!attempt.account || !valid) throw new Unauthorized('the email or the password is wrong');
    const { account } = attempt;
    const rehashed = needsRehash(account.passwordHash) ? await hashPassword(body.password) : undefined;
    await inTransaction(pool, async (tx) => {
      await logins.clearFailures(tx, body.email);
      if (rehashed) await customers.setPasswordHash(tx, account.id, rehashed);
    });
    const expiresIn = settings.accessTokenTtlSeconds();
    const accessToken = await signToken({ id: account.id, role: account.role }, `${expiresIn}s`);
    return reply(200, { accessToken, tokenType: 'Bearer', expiresIn } satisfies AccessToken, { 'cache-control': 'no-store' });
  },
});
