import type { NotificationNotificationPage } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/notification/list-my-notifications.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import { Unauthorized } from '../../runtime/errors.js';
import { notificationView } from '../notification.js';
import { notifications, type PageRequest } from '../store.js';
import responseSchema from '../../../schemas/notification/notification-page.json' with { type: 'json' };

/**
 * The caller's own emails, newest first: those to the contact with the caller's id (their customer
 * contact, and the Billing client that carries their id). The SMTP server's error text stays out.
 */
export default query<PageRequest, Record<string, string>, Answer<NotificationNotificationPage>>({
  route: 'GET /notifications/me',
  access: ['customer'],
  response: responseSchema,
  query: schema,
  handle: async ({ query: { limit, cursor } }, ctx) => {
    if (!ctx.caller) throw new Unauthorized('a token is required');
    const page = await notifications.list(ctx.db, { recipientId: ctx.caller.id }, { limit, cursor });
    return { items: page.items.map((n) => notificationView(n, 'recipient')), nextCursor: page.nextCursor };
  },
});
