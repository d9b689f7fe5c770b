import type { OrderRecordedEventPage } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/order/list-order-events.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { maySee } from '../access.js';
import { orderStreams, type PageRequest } from '../store.js';
import responseSchema from '../../../schemas/order/recorded-event-page.json' with { type: 'json' };

/** The order's stream as recorded: each event with its version, type, data, metadata and time. */
export default query<PageRequest, { id: string }, Answer<OrderRecordedEventPage>>({
  route: 'GET /orders/{id}/events',
  access: ['admin', 'customer'],
  response: responseSchema,
  query: schema,
  handle: async ({ params, query: page }, ctx) => {
    const [placed] = await orderStreams.load(ctx.db, params.id);
    // Whose order it is, from the stream itself: its first event.
    const customerId = placed?.type === 'order-placed' ? placed.data.customerId : undefined;
    if (customerId === undefined || !maySee(ctx.caller, customerId)) throw new NotFound(`order ${params.id} does not exist`);
    return orderStreams.read(ctx.db, params.id, page);
  },
});
