import type { ShippingShipment } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { query } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { shipmentView } from '../shipment.js';
import { shipments } from '../store.js';
import responseSchema from '../../../schemas/shipping/shipment.json' with { type: 'json' };

export default query<Record<string, string>, { id: string }, Answer<ShippingShipment>>({
  route: 'GET /shipping/shipments/{id}',
  access: ['admin'],
  response: responseSchema,
  handle: async ({ params }, ctx) => {
    const shipment = await shipments.find(ctx.db, params.id);
    if (!shipment) throw new NotFound(`shipment ${params.id} does not exist`);
    return shipmentView(shipment);
  },
});
