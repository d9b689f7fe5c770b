import type { PlatformBrokerEventPage } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/platform/list-broker-events.json' with { type: 'json' };
import responseSchema from '../../../schemas/platform/broker-event-page.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import type { PageRequest } from '../../runtime/paging.js';
import { listBrokerEvents, type EventFilter } from '../broker-log.js';

export default query<EventFilter & PageRequest, Record<string, string>, Answer<PlatformBrokerEventPage>>({
  route: 'GET /broker/events',
  access: ['admin'],
  query: schema,
  response: responseSchema,
  // It reads the local broker's own tables: a cluster's Broker keeps no such trace.
  localOnly: true,
  handle: ({ query: { limit, cursor, ...filter } }, ctx) => listBrokerEvents(ctx.db, filter, { limit, cursor }),
});
