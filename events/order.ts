// Order's events (the order placement saga). Consumers: see ../shared API.md, "The order saga".
import invoiceRequestedSchema from '../schemas/events/order/invoice-requested.v1.json' with { type: 'json' };
import orderCancelledSchema from '../schemas/events/order/order-cancelled.v1.json' with { type: 'json' };
import { defineEvent, type Money } from './core.js';

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
  customerId: string;
  reason: string;
  cancelledBy?: 'customer' | 'admin' | 'saga';
  /** The saga steps that had completed, so each context knows what to compensate. */
  completedSteps: SagaStep[];
  invoiceId?: string;
}
export const orderCancelled = defineEvent<OrderCancelled>('order', 'order-cancelled', 1, orderCancelledSchema);
