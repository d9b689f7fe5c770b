import type { ShippingShipmentPage } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/shipping/list-shipments.json' with { type: 'json' };
import { query } from '../../runtime/definition.js';
import { shipmentView } from '../shipment.js';
import { shipments, type PageRequest, type ShipmentFilter } from '../store.js';
import responseSchema from '../../../schemas/shipping/shipment-page.json' with { type: 'json' };

/** Shipments oldest first, by order, customer or status: `{items, nextCursor}`. */
export default query<ShipmentFilter & PageRequest, Record<string, string>, Answer<ShippingShipmentPage>>({
  route: 'GET /shipping/shipments',
  access: ['admin'],
  response: responseSchema,
  query: schema,
  handle: async ({ query: { limit, cursor, ...filter } }, ctx) => {
    const page = await shipments.list(ctx.db, filter, { limit, cursor });
    return { items: page.items.map(shipmentView), nextCursor: page.nextCursor };
  },
});
