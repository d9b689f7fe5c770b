import type { HandlerDefinition } from '../../runtime/definition.js';
import { runSenderAfterCommit } from '../sender.js';

/**
 * On its schedule, sends what handlers recorded and is still pending: emails whose send after their
 * handler's commit did not happen or failed and is due again, and it marks emails left sending past
 * their lease unknown. The runtime runs `handle` inside a transaction, and SMTP must not happen
 * inside one, so the run starts once that (empty) transaction has committed.
 * A tick needs no inbox entry: sending what is pending is idempotent by itself.
 */
const sendPending: HandlerDefinition<unknown> = {
  kind: 'handler',
  schedule: { cron: '* * * * *', env: 'NOTIFICATION_SEND_SCHEDULE' },
  noInbox: true,
  handle: async (_ping, ctx) => {
    await runSenderAfterCommit(ctx.tx, ctx.log);
  },
};

export default sendPending;
