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
import { defineEvent, type Address, type Money } from './core.js';
import type { StockLine } from './inventory.js';

export interface OrderLine {
  productId: string;
  name: string;
  quantity: number;
  unitPrice: Money;
}

export interface InvoiceRequested {
  orderId: string;
  orderNumber?: string;
  customerId: string;
  lines: OrderLine[];
  total: Money;
}
export const invoiceRequested = defineEvent<InvoiceRequested>('order', 'invoice-requested', 1, invoiceRequestedSchema);

export type SagaStep = 'placed' | 'stock-reserved' | 'invoice-requested' | 'invoiced' | 'paid' | 'shipment-created';

export interface OrderCancelled {
  orderId: string;
  orderNumber?: string;
  customerId: string;
  reason: string;
  cancelledBy?: 'customer' | 'admin' | 'saga';
  /** The saga steps that had completed, so each context knows what to compensate. */
  completedSteps: SagaStep[];
  invoiceId?: string;
}
export const orderCancelled = defineEvent<OrderCancelled>('order', 'order-cancelled', 1, orderCancelledSchema);

/** Subject: the cart id. */
export interface CartCreated {
  cartId: string;
  customerId: string;
  expiresAt: string;
}
export const cartCreated = defineEvent<CartCreated>('order', 'cart-created', 1, cartCreatedSchema);

export interface CartExpired {
  cartId: string;
  customerId: string;
  items?: number;
}
export const cartExpired = defineEvent<CartExpired>('order', 'cart-expired', 1, cartExpiredSchema);

/** Subject: the order id (as for every order event). Step 1 of the saga. */
export interface OrderPlaced {
  orderId: string;
  orderNumber?: string;
  customerId: string;
  lines: OrderLine[];
  total: Money;
  shippingAddress: Address;
}
export const orderPlaced = defineEvent<OrderPlaced>('order', 'order-placed', 1, orderPlacedSchema);

export interface OrderConfirmed {
  orderId: string;
  orderNumber?: string;
  customerId: string;
  invoiceId: string;
  invoiceNumber?: string | null;
  total: Money;
}
export const orderConfirmed = defineEvent<OrderConfirmed>('order', 'order-confirmed', 1, orderConfirmedSchema);

export interface OrderPaid {
  orderId: string;
  orderNumber?: string;
  customerId: string;
  invoiceId: string;
  total: Money;
  lines: OrderLine[];
  shippingAddress: Address;
}
export const orderPaid = defineEvent<OrderPaid>('order', 'order-paid', 1, orderPaidSchema);

export interface OrderShipped {
  orderId: string;
  orderNumber?: string;
  customerId: string;
  shipmentId?: string;
  carrier: string;
  trackingNumber: string;
  lines: StockLine[];
}
export const orderShipped = defineEvent<OrderShipped>('order', 'order-shipped', 1, orderShippedSchema);

export interface OrderDelivered {
  orderId: string;
  orderNumber?: string;
  customerId: string;
  shipmentId?: string;
}
export const orderDelivered = defineEvent<OrderDelivered>('order', 'order-delivered', 1, orderDeliveredSchema);
