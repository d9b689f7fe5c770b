import type { ShippingShipment } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import schema from '../../../schemas/shipping/deliver-shipment.json' with { type: 'json' };
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { deliver, shipmentView } from '../shipment.js';
import { shipments } from '../store.js';
import responseSchema from '../../../schemas/shipping/shipment.json' with { type: 'json' };

/** A dispatched shipment reached its recipient: shipment-delivered. */
export default command<Record<string, never>, { id: string }, Record<string, string>, Answer<ShippingShipment>>({
  route: 'POST /shipping/shipments/{id}/deliver',
  access: ['admin'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
  handle: ({ params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      const shipment = await shipments.lock(tx, params.id);
      if (!shipment) throw new NotFound(`shipment ${params.id} does not exist`);
      checkIfMatch(shipment, ifMatch);
      const [delivered, events] = deliver(shipment, ctx.now());
      await shipments.update(tx, delivered, shipment.version);
      await tx.emit(...events);
      return shipmentView(delivered);
    }),
});
