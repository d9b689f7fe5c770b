// Every Shipping function, keyed by its source path under functions/, for the registry.
import shippingDeliverShipment from './commands/deliver-shipment.js';
import shippingDispatchShipment from './commands/dispatch-shipment.js';
import shippingOnOrderCancelled from './handlers/on-order-cancelled.js';
import shippingOnOrderPaid from './handlers/on-order-paid.js';
import shippingRelayOutbox from './handlers/relay-outbox.js';
import shippingGetShipment from './queries/get-shipment.js';
import shippingListShipments from './queries/list-shipments.js';

export const shippingFunctions = {
  'shipping/queries/list-shipments': shippingListShipments,
  'shipping/queries/get-shipment': shippingGetShipment,
  'shipping/commands/dispatch-shipment': shippingDispatchShipment,
  'shipping/commands/deliver-shipment': shippingDeliverShipment,
  'shipping/handlers/on-order-paid': shippingOnOrderPaid,
  'shipping/handlers/on-order-cancelled': shippingOnOrderCancelled,
  'shipping/handlers/relay-outbox': shippingRelayOutbox,
};
