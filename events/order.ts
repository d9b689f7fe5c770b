// Order's events (the order placement saga). Consumers: see ../shared API.md, "The order saga".
import cartCreatedSchema from '../schemas/events/order/cart-created.v1.json' with { type: 'json' };
import cartExpiredSchema from '../schemas/events/order/cart-expired.v1.json' with { type: 'json' };
import invoiceRequestedSchema from '../schemas/events/order/invoice-requested.v1.json' with { type: 'json' };
import orderCancelledSchema from '../schemas/events/order/order-cancelled.v1.json' with { type: 'json' };
import orderConfirmedSchema from '../schemas/events/order/order-confirmed.v1.json' with { type: 'json' };
import orderDeliveredSchema from '../schemas/events/order/order-delivered.v1.json' with { type: 'json' };
import orderPaidSchema from '../schemas/events/order/order-paid.v1.json' with { type: 'json' };
import orderPlacedSchema from '../schemas/events/order/order-placed.v1.json' with { type: 'json' };
import orderShippedSchema from '../schemas/events/order/order-shipped.v1.json' with { type: 'json' };
import type {
  EventsOrderCartCreatedV1,
  EventsOrderCartExpiredV1,
  EventsOrderInvoiceRequestedV1,
  EventsOrderOrderCancelledV1,
  EventsOrderOrderConfirmedV1,
  EventsOrderOrderDeliveredV1,
  EventsOrderOrderPaidV1,
  EventsOrderOrderPlacedV1,
  EventsOrderOrderShippedV1,
} from './schemas.generated.js';
import { defineEvent, type Money } from './core.js';

export interface OrderLine {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: Money;
}

export type InvoiceRequested = EventsOrderInvoiceRequestedV1;
export const invoiceRequested = defineEvent<InvoiceRequested>('order', 'invoice-requested', 1, invoiceRequestedSchema);

export type SagaStep = 'placed' | 'stock-reserved' | 'invoice-requested' | 'invoiced' | 'paid' | 'shipment-created';

export type OrderCancelled = EventsOrderOrderCancelledV1;
export const orderCancelled = defineEvent<OrderCancelled>('order', 'order-cancelled', 1, orderCancelledSchema);

/** Subject: the cart id. */
export type CartCreated = EventsOrderCartCreatedV1;
export const cartCreated = defineEvent<CartCreated>('order', 'cart-created', 1, cartCreatedSchema);

export type CartExpired = EventsOrderCartExpiredV1;
export const cartExpired = defineEvent<CartExpired>('order', 'cart-expired', 1, cartExpiredSchema);

/** Subject: the order id (as for every order event). Step 1 of the saga. */
export type OrderPlaced = EventsOrderOrderPlacedV1;
export const orderPlaced = defineEvent<OrderPlaced>('order', 'order-placed', 1, orderPlacedSchema);

export type OrderConfirmed = EventsOrderOrderConfirmedV1;
export const orderConfirmed = defineEvent<OrderConfirmed>('order', 'order-confirmed', 1, orderConfirmedSchema);

export type OrderPaid = EventsOrderOrderPaidV1;
export const orderPaid = defineEvent<OrderPaid>('order', 'order-paid', 1, orderPaidSchema);

export type OrderShipped = EventsOrderOrderShippedV1;
export const orderShipped = defineEvent<OrderShipped>('order', 'order-shipped', 1, orderShippedSchema);

export type OrderDelivered = EventsOrderOrderDeliveredV1;
export const orderDelivered = defineEvent<OrderDelivered>('order', 'order-delivered', 1, orderDeliveredSchema);
