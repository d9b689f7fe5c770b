import schema from '../../../schemas/customer/login.json' with { type: 'json' };
import { loginThrottled } from '../../../events/customer.js';
import { signToken } from '../../runtime/auth.js';
import { inTransaction, poolFor } from '../../runtime/db.js';
import type { CustomerAccessToken, CustomerLogin } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command, reply } from '../../runtime/definition.js';
import { TooManyRequests, Unauthorized } from '../../runtime/errors.js';
import { inOwnTransaction } from '../emit.js';
import { DUMMY_HASH, hashPassword, needsRehash, verifyPassword } from '../password-hash.js';
import { settings } from '../settings.js';
import { customers, logins, type Credentials } from '../store.js';
import { accountGate, sourceGate, windowStart } from '../throttle.js';
import responseSchema from '../../../schemas/customer/access-token.json' with { type: 'json' };

export type AccessToken = CustomerAccessToken;

type Attempt = { status: 'throttled'; retryAfterSeconds: number } | { status: 'open'; account: Credentials | undefined; failures: number };

// Transactions are opened on the context's pool rather than through ctx.inTransaction: a login
// takes two short ones around the password check, and its answer (a token) must never be stored
// and replayed as an Idempotency-Key answer would be.
export default command<CustomerLogin, Record<string, string>, Record<string, string>, Answer<CustomerAccessToken>>({
  route: 'POST /customers/login',
  access: 'public',
  throttled: true,
  response: responseSchema,
  body: schema,
  handle: async ({ body }, ctx) => {
    const policy = settings.throttle();
    const now = ctx.now();
    const since = windowStart(now, policy);
    const pool = await poolFor('customer');
    // The gates and the record of this attempt are one step per email, whichever instance runs it.
    const attempt = await inTransaction(pool, async (tx): Promise<Attempt> => {
      await logins.lockEmail(tx, body.email);
      const bySource = sourceGate(await logins.sourceFailuresSince(tx, ctx.clientAddress, since), now, policy);
      if (bySource.status === 'throttled') return bySource;
      const failures = await logins.failuresSince(tx, body.email, since);
      const byAccount = accountGate(failures, now, policy);
      if (byAccount.status === 'throttled') return byAccount;
      await logins.recordFailure(tx, body.email, ctx.clientAddress, now, since);
      return { status: 'open', account: await customers.credentials(tx, body.email), failures: failures.length + 1 };
    });
    if (attempt.status === 'throttled') {
      throw new TooManyRequests(`too many failed logins; retry in ${attempt.retryAfterSeconds} s`, attempt.retryAfterSeconds);
    }
    // An unknown email costs one verification too, and gets the same answer as a wrong password.
    const valid = await verifyPassword(body.password, attempt.account?.passwordHash ?? DUMMY_HASH);
    const { account } = attempt;
    if (!account || !valid) {
      // The owner of an account under attack hears of it once, when the failures reach the threshold.
      if (account && attempt.failures === policy.alertAfter) {
        const alert = loginThrottled.build(account.id, { customerId: account.id, email: account.email, failures: attempt.failures });
        await inOwnTransaction(pool, { correlationId: ctx.correlationId, now }, (_tx, emit) => emit(alert));
      }
      throw new Unauthorized('the email or the password is wrong');
    }
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
