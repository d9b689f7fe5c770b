// Shipping's events: a shipment per paid order, its dispatch and delivery. Subject: the shipment id.
import shipmentCancelledSchema from '../schemas/events/shipping/shipment-cancelled.v1.json' with { type: 'json' };
import shipmentCreatedSchema from '../schemas/events/shipping/shipment-created.v1.json' with { type: 'json' };
import shipmentDeliveredSchema from '../schemas/events/shipping/shipment-delivered.v1.json' with { type: 'json' };
import shipmentDispatchedSchema from '../schemas/events/shipping/shipment-dispatched.v1.json' with { type: 'json' };
import { defineEvent, type Address } from './core.js';
import type { StockLine } from './inventory.js';

export interface ShipmentCreated {
  shipmentId: string;
  orderId: string;
  customerId: string;
  lines?: StockLine[];
  shippingAddress?: Address;
}
export const shipmentCreated = defineEvent<ShipmentCreated>('shipping', 'shipment-created', 1, shipmentCreatedSchema);

export interface ShipmentDispatched {
  shipmentId: string;
  orderId: string;
  customerId?: string;
  carrier: string;
  trackingNumber: string;
}
export const shipmentDispatched = defineEvent<ShipmentDispatched>('shipping', 'shipment-dispatched', 1, shipmentDispatchedSchema);

export interface ShipmentDelivered {
  shipmentId: string;
  orderId: string;
  customerId?: string;
}
export const shipmentDelivered = defineEvent<ShipmentDelivered>('shipping', 'shipment-delivered', 1, shipmentDeliveredSchema);

export interface ShipmentCancelled {
  shipmentId: string;
  orderId: string;
  customerId?: string;
  reason?: string;
}
export const shipmentCancelled = defineEvent<ShipmentCancelled>('shipping', 'shipment-cancelled', 1, shipmentCancelledSchema);
