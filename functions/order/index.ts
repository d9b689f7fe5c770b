// Every Order function, keyed by its source path under functions/, for the registry.
import orderCancelOrder from './commands/cancel-order.js';
import orderCheckout from './commands/checkout.js';
import orderCreateCart from './commands/create-cart.js';
import orderRebuildProjections from './commands/rebuild-projections.js';
import orderRemoveCartItem from './commands/remove-cart-item.js';
import orderSetCartItem from './commands/set-cart-item.js';
import orderExpireCarts from './handlers/expire-carts.js';
import orderOnInvoiceCreated from './handlers/on-invoice-created.js';
import orderOnInvoiceStatusChanged from './handlers/on-invoice-status-changed.js';
import orderOnShipmentDelivered from './handlers/on-shipment-delivered.js';
import orderOnShipmentDispatched from './handlers/on-shipment-dispatched.js';
import orderOnStockReservationFailed from './handlers/on-stock-reservation-failed.js';
import orderOnStockReserved from './handlers/on-stock-reserved.js';
import orderRelayOutbox from './handlers/relay-outbox.js';
import orderSweepDeadlines from './handlers/sweep-deadlines.js';
import orderGetCart from './queries/get-cart.js';
import orderGetOrder from './queries/get-order.js';
import orderGetOrderEvents from './queries/get-order-events.js';
import orderListOrders from './queries/list-orders.js';

export const orderFunctions = {
  'order/commands/create-cart': orderCreateCart,
  'order/queries/get-cart': orderGetCart,
  'order/commands/set-cart-item': orderSetCartItem,
  'order/commands/remove-cart-item': orderRemoveCartItem,
  'order/commands/checkout': orderCheckout,
  'order/queries/get-order': orderGetOrder,
  'order/queries/list-orders': orderListOrders,
  'order/queries/get-order-events': orderGetOrderEvents,
  'order/commands/cancel-order': orderCancelOrder,
  'order/commands/rebuild-projections': orderRebuildProjections,
  'order/handlers/on-stock-reserved': orderOnStockReserved,
  'order/handlers/on-stock-reservation-failed': orderOnStockReservationFailed,
  'order/handlers/on-invoice-created': orderOnInvoiceCreated,
  'order/handlers/on-invoice-status-changed': orderOnInvoiceStatusChanged,
  'order/handlers/on-shipment-dispatched': orderOnShipmentDispatched,
  'order/handlers/on-shipment-delivered': orderOnShipmentDelivered,
  'order/handlers/sweep-deadlines': orderSweepDeadlines,
  'order/handlers/expire-carts': orderExpireCarts,
  'order/handlers/relay-outbox': orderRelayOutbox,
};
