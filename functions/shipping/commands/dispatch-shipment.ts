import schema from '../../../schemas/shipping/dispatch-shipment.json' with { type: 'json' };
import type { ShippingDispatchShipment, ShippingShipment } from '../../../events/schemas.generated.js';
import type { Answer } from '../../runtime/answer.js';
import { command } from '../../runtime/definition.js';
import { NotFound } from '../../runtime/errors.js';
import { checkIfMatch } from '../../runtime/preconditions.js';
import { dispatch, shipmentView } from '../shipment.js';
import { shipments } from '../store.js';
import responseSchema from '../../../schemas/shipping/shipment.json' with { type: 'json' };

/** A prepared shipment leaves with a carrier: shipment-dispatched, which Order turns into order-shipped. */
export default command<ShippingDispatchShipment, { id: string }, Record<string, string>, Answer<ShippingShipment>>({
  route: 'POST /shipping/shipments/{id}/dispatch',
  access: ['admin'],
  ifMatch: true,
  response: responseSchema,
  body: schema,
  handle: ({ body, params, ifMatch }, ctx) =>
    ctx.inTransaction(async (tx) => {
      // Locked: the order's cancellation, arriving at the same moment, waits and then finds it dispatched.
      const shipment = await shipments.lock(tx, params.id);
      if (!shipment) throw new NotFound(`shipment ${params.id} does not exist`);
      checkIfMatch(shipment, ifMatch);
      const [dispatched, events] = dispatch(shipment, body, ctx.now());
      await shipments.update(tx, dispatched, shipment.version);
      await tx.emit(...events);
      return shipmentView(dispatched);
    }),
});
