// Shipping's events: a shipment per paid order, its dispatch and delivery. Subject: the shipment id.
import shipmentCancelledSchema from '../schemas/events/shipping/shipment-cancelled.v1.json' with { type: 'json' };
import shipmentCreatedSchema from '../schemas/events/shipping/shipment-created.v1.json' with { type: 'json' };
import shipmentDeliveredSchema from '../schemas/events/shipping/shipment-delivered.v1.json' with { type: 'json' };
import shipmentDispatchedSchema from '../schemas/events/shipping/shipment-dispatched.v1.json' with { type: 'json' };
import type {
  EventsShippingShipmentCancelledV1,
  EventsShippingShipmentCreatedV1,
  EventsShippingShipmentDeliveredV1,
  EventsShippingShipmentDispatchedV1,
} from './schemas.generated.js';
import { defineEvent } from './core.js';

export type ShipmentCreated = EventsShippingShipmentCreatedV1;
export const shipmentCreated = defineEvent<ShipmentCreated>('shipping', 'shipment-created', 1, shipmentCreatedSchema);

export type ShipmentDispatched = EventsShippingShipmentDispatchedV1;
export const shipmentDispatched = defineEvent<ShipmentDispatched>('shipping', 'shipment-dispatched', 1, shipmentDispatchedSchema);

export type ShipmentDelivered = EventsShippingShipmentDeliveredV1;
export const shipmentDelivered = defineEvent<ShipmentDelivered>('shipping', 'shipment-delivered', 1, shipmentDeliveredSchema);

export type ShipmentCancelled = EventsShippingShipmentCancelledV1;
export const shipmentCancelled = defineEvent<ShipmentCancelled>('shipping', 'shipment-cancelled', 1, shipmentCancelledSchema);
