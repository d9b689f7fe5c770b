import type { NotificationNotificationPage } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/notification/list-notifications.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import { notificationView, type NotificationStatus } from '../notification.js';
import { isUuid, notifications, type PageRequest } from '../store.js';
import responseSchema from '../../../schemas/notification/notification-page.json' with { type: 'json' };

interface Query extends PageRequest {
  /** A contact id, or an email address. */
  recipient?: string;
  status?: NotificationStatus;
}

/** Every email Notification recorded, newest first; for one recipient (id or address) or status. */
export default query<Query, Record<string, string>, Answer<NotificationNotificationPage>>({
  route: 'GET /notifications',
  access: ['admin'],
  response: responseSchema,
  query: schema,
  handle: async ({ query: { limit, cursor, recipient, status } }, ctx) => {
    const byRecipient = recipient === undefined ? {} : isUuid(recipient) ? { recipientId: recipient } : { to: recipient };
    const page = await notifications.list(ctx.db, { ...byRecipient, status }, { limit, cursor });
    return { items: page.items.map((n) => notificationView(n)), nextCursor: page.nextCursor };
  },
});
