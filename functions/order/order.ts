// An order, event-sourced: its events are the truth, `evolve` folds them into its state, and
// `decide` turns a command into new events or refuses it. Pure: time and ids come in.
//
// Statuses: pending -> confirmed -> processing -> shipped -> delivered;
//           pending | confirmed | processing -> cancelled.
// The saga moves an order through them on other contexts' events; `saga.step` is what it waits
// for next. The automatic steps (reserving stock, invoicing) have a deadline; the steps people
// take (paying, dispatching, delivering) do not.
import { MAX_AMOUNT, type Address, type Money, type NewEvent } from '../../events/index.js';
import {
  invoiceRequested,
  orderCancelled,
  orderConfirmed,
  orderDelivered,
  orderPaid,
  orderPlaced,
  orderShipped,
  type OrderLine,
  type SagaStep as CompletedStep,
} from '../../events/order.js';
import { Conflict, NotFound, unreachable } from '../runtime/errors.js';

export type { CompletedStep, OrderLine };

export type OrderStatus = 'pending' | 'confirmed' | 'processing' | 'shipped' | 'delivered' | 'cancelled';

/** What the saga waits for next. */
export type SagaStepName = 'reserving-stock' | 'invoicing' | 'awaiting-payment' | 'awaiting-shipment' | 'in-transit' | 'completed' | 'cancelled';

export type Canceller = 'customer' | 'admin' | 'saga';

// ---- events: the stream ------------------------------------------------------------------------

export interface OrderPlacedData {
  orderId: string;
  number: string;
  customerId: string;
  cartId: string;
  lines: OrderLine[];
  total: Money;
  shippingAddress: Address;
  at: string;
  deadline: string;
}

/** The events of an order's stream (not the CloudEvents it publishes: see `published`). */
export type OrderEvent =
  | { type: 'order-placed'; data: OrderPlacedData }
  | { type: 'stock-reserved'; data: { lines: Array<{ productId: string; quantity: number }>; at: string } }
  | { type: 'invoice-requested'; data: { at: string; deadline: string } }
  | { type: 'order-confirmed'; data: { invoiceId: string; invoiceNumber: string | null; at: string } }
  | { type: 'order-paid'; data: { invoiceId: string; at: string } }
  | { type: 'order-shipped'; data: { shipmentId: string; carrier: string; trackingNumber: string; at: string } }
  | { type: 'order-delivered'; data: { shipmentId: string; at: string } }
  | { type: 'order-cancelled'; data: { reason: string; by: Canceller; at: string } };

export type OrderEventType = OrderEvent['type'];

// ---- state -------------------------------------------------------------------------------------

export interface HistoryEntry {
  status: OrderStatus;
  at: Date;
  reason?: string;
}

export interface Invoice {
  id: string;
  number: string | null;
}

export interface Shipment {
  id: string;
  carrier: string;
  trackingNumber: string;
}

interface OrderFields {
  id: string;
  number: string;
  customerId: string;
  cartId: string;
  lines: OrderLine[];
  total: Money;
  shippingAddress: Address;
  completedSteps: CompletedStep[];
  history: HistoryEntry[];
  /** How many events the stream holds: the version the next append expects. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type PendingOrder = OrderFields & {
  status: 'pending';
  saga: { step: 'reserving-stock' | 'invoicing'; deadline: Date };
  invoice: null;
  shipment: null;
  cancellation: null;
};
export type ConfirmedOrder = OrderFields & {
  status: 'confirmed';
  saga: { step: 'awaiting-payment'; deadline: null };
  invoice: Invoice;
  shipment: null;
  cancellation: null;
};
export type ProcessingOrder = OrderFields & {
  status: 'processing';
  saga: { step: 'awaiting-shipment'; deadline: null };
  invoice: Invoice;
  shipment: null;
  cancellation: null;
};
export type ShippedOrder = OrderFields & {
  status: 'shipped';
  saga: { step: 'in-transit'; deadline: null };
  invoice: Invoice;
  shipment: Shipment;
  cancellation: null;
};
export type DeliveredOrder = OrderFields & {
  status: 'delivered';
  saga: { step: 'completed'; deadline: null };
  invoice: Invoice;
  shipment: Shipment;
  cancellation: null;
};
export type CancelledOrder = OrderFields & {
  status: 'cancelled';
  saga: { step: 'cancelled'; deadline: null };
  invoice: Invoice | null;
  shipment: null;
  cancellation: { reason: string; by: Canceller };
};
export type Order = PendingOrder | ConfirmedOrder | ProcessingOrder | ShippedOrder | DeliveredOrder | CancelledOrder;

/** The status changes the workflow allows; any other is refused. */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['processing', 'cancelled'],
  processing: ['shipped', 'cancelled'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

export const canMove = (from: OrderStatus, to: OrderStatus): boolean => TRANSITIONS[from].includes(to);

/** A stream that breaks the workflow was not written by `decide`: a bug or a hand edit, never input. */
const corrupt = (state: Order | undefined, event: OrderEvent): Error =>
  new Error(`order stream is corrupt: ${event.type} cannot follow version ${state?.version ?? 0} (${state?.status ?? 'no order'})`);

const moved = <S extends OrderStatus>(state: Order, event: OrderEvent, to: S, at: Date, reason?: string) => {
  if (!canMove(state.status, to)) throw corrupt(state, event);
  return {
    status: to,
    history: [...state.history, reason === undefined ? { status: to, at } : { status: to, at, reason }],
  };
};

// ---- evolve ------------------------------------------------------------------------------------

export const evolve = (state: Order | undefined, event: OrderEvent): Order => {
  if (event.type === 'order-placed') {
    if (state) throw corrupt(state, event);
    const { data } = event;
    const at = new Date(data.at);
    return {
      id: data.orderId,
      number: data.number,
      customerId: data.customerId,
      cartId: data.cartId,
      lines: data.lines,
      total: data.total,
      shippingAddress: data.shippingAddress,
      completedSteps: ['placed'],
      history: [{ status: 'pending', at }],
      status: 'pending',
      saga: { step: 'reserving-stock', deadline: new Date(data.deadline) },
      invoice: null,
      shipment: null,
      cancellation: null,
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
  }
  if (!state) throw corrupt(state, event);
  const at = new Date(event.data.at);
  const next = { version: state.version + 1, updatedAt: at };
  switch (event.type) {
    case 'stock-reserved':
      if (state.status !== 'pending' || state.saga.step !== 'reserving-stock') throw corrupt(state, event);
      return { ...state, ...next, completedSteps: [...state.completedSteps, 'stock-reserved'] };
    case 'invoice-requested':
      if (state.status !== 'pending' || !state.completedSteps.includes('stock-reserved')) throw corrupt(state, event);
      return {
        ...state,
        ...next,
        saga: { step: 'invoicing', deadline: new Date(event.data.deadline) },
        completedSteps: [...state.completedSteps, 'invoice-requested'],
      };
    case 'order-confirmed':
      if (state.status !== 'pending' || state.saga.step !== 'invoicing') throw corrupt(state, event);
      return {
        ...state,
        ...next,
        ...moved(state, event, 'confirmed', at),
        saga: { step: 'awaiting-payment', deadline: null },
        invoice: { id: event.data.invoiceId, number: event.data.invoiceNumber },
        completedSteps: [...state.completedSteps, 'invoiced'],
      };
    case 'order-paid':
      if (state.status !== 'confirmed') throw corrupt(state, event);
      return {
        ...state,
        ...next,
        ...moved(state, event, 'processing', at),
        saga: { step: 'awaiting-shipment', deadline: null },
        completedSteps: [...state.completedSteps, 'paid'],
      };
    case 'order-shipped':
      if (state.status !== 'processing') throw corrupt(state, event);
      return {
        ...state,
        ...next,
        ...moved(state, event, 'shipped', at),
        saga: { step: 'in-transit', deadline: null },
        shipment: { id: event.data.shipmentId, carrier: event.data.carrier, trackingNumber: event.data.trackingNumber },
      };
    case 'order-delivered':
      if (state.status !== 'shipped') throw corrupt(state, event);
      return { ...state, ...next, ...moved(state, event, 'delivered', at), saga: { step: 'completed', deadline: null } };
    case 'order-cancelled':
      if (state.status !== 'pending' && state.status !== 'confirmed' && state.status !== 'processing') throw corrupt(state, event);
      return {
        ...state,
        ...next,
        ...moved(state, event, 'cancelled', at, event.data.reason),
        saga: { step: 'cancelled', deadline: null },
        shipment: null,
        cancellation: { reason: event.data.reason, by: event.data.by },
      };
    default:
      return unreachable(event);
  }
};

/** The state of an order from its whole stream; undefined when the stream is empty. */
export const fold = (events: readonly OrderEvent[]): Order | undefined => events.reduce<Order | undefined>((state, event) => evolve(state, event), undefined);

// ---- commands and decide -----------------------------------------------------------------------

export interface PlaceOrder {
  type: 'place-order';
  orderId: string;
  number: string;
  customerId: string;
  cartId: string;
  lines: OrderLine[];
  shippingAddress: Address;
  stepTimeoutSeconds: number;
}

export type OrderCommand =
  | PlaceOrder
  | { type: 'record-reservation'; orderId: string; lines: Array<{ productId: string; quantity: number }>; stepTimeoutSeconds: number }
  | { type: 'record-reservation-failure'; orderId: string; products: Array<{ productId: string; requested: number; available: number }> }
  | { type: 'record-invoice'; orderId: string; invoiceId: string; invoiceNumber: string | null }
  | { type: 'record-payment'; orderId: string; invoiceId: string }
  | { type: 'record-dispatch'; orderId: string; shipmentId: string; carrier: string; trackingNumber: string }
  | { type: 'record-delivery'; orderId: string; shipmentId: string }
  | { type: 'cancel'; orderId: string; by: 'customer' | 'admin'; reason?: string }
  | { type: 'expire-step'; orderId: string };

/** The moment `seconds` after `now`: a step's deadline. */
export const deadlineAfter = (now: Date, seconds: number): Date => new Date(now.getTime() + seconds * 1000);

/** The total of order lines, all in one currency. */
export const totalOf = (lines: readonly OrderLine[]): Money => {
  const first = lines[0];
  if (!first) throw new Conflict('an order needs at least one line');
  const currency = first.unitPrice.currency;
  let amount = 0;
  for (const line of lines) {
    if (line.unitPrice.currency !== currency) throw new Conflict(`an order has one currency: ${currency} and ${line.unitPrice.currency} are mixed`);
    amount += line.quantity * line.unitPrice.amount;
  }
  if (!Number.isSafeInteger(amount) || amount > MAX_AMOUNT) throw new Conflict(`the order's total exceeds ${MAX_AMOUNT} minor units`);
  return { amount, currency };
};

/**
 * How far the saga has come, so that an event for a step can tell whether it is the step's turn:
 * before (retry later), now (act) or past (already done: nothing to do).
 */
const progress = (order: Order): number => {
  switch (order.status) {
    case 'pending':
      return order.saga.step === 'reserving-stock' ? 0 : 1;
    case 'confirmed':
      return 2;
    case 'processing':
      return 3;
    case 'shipped':
      return 4;
    case 'delivered':
      return 5;
    case 'cancelled':
      return Number.POSITIVE_INFINITY;
    default:
      return unreachable(order);
  }
};

/**
 * Whether an event of the saga applies now. Too early is `NotFound`, which the broker retries:
 * the step it follows has not been handled yet. Past, or after a cancellation, it is a late or
 * repeated event: nothing to do.
 */
const turnOf = (order: Order, step: number, what: string): boolean => {
  const at = progress(order);
  if (at < step) {
    throw new NotFound(`order ${order.id} is ${order.status} (${order.saga.step}); ${what} cannot apply yet`);
  }
  return at === step;
};

const timestamps = (now: Date) => ({ at: now.toISOString() });

const describeShortage = (order: Order, products: Array<{ productId: string; requested: number; available: number }>): string =>
  products
    .map((p) => {
      const name = order.lines.find((line) => line.productId.toLowerCase() === p.productId.toLowerCase())?.name;
      return `${name ?? 'product'} (${p.productId}): requested ${p.requested}, available ${p.available}`;
    })
    .join('; ');

const STEP_WAITS_FOR: Record<PendingOrder['saga']['step'], string> = {
  'reserving-stock': 'no stock reservation from Inventory',
  invoicing: 'no invoice from Billing',
};

export const decide = (command: OrderCommand, state: Order | undefined, now: Date): OrderEvent[] => {
  if (command.type === 'place-order') {
    if (state) throw new Conflict(`order ${command.orderId} already exists`);
    return [
      {
        type: 'order-placed',
        data: {
          orderId: command.orderId,
          number: command.number,
          customerId: command.customerId,
          cartId: command.cartId,
          lines: command.lines,
          total: totalOf(command.lines),
          shippingAddress: command.shippingAddress,
          ...timestamps(now),
          deadline: deadlineAfter(now, command.stepTimeoutSeconds).toISOString(),
        },
      },
    ];
  }
  if (!state) throw new NotFound(`order ${command.orderId} is not known (yet)`);
  switch (command.type) {
    case 'record-reservation':
      if (!turnOf(state, 0, 'stock-reserved')) return [];
      return [
        { type: 'stock-reserved', data: { lines: command.lines, ...timestamps(now) } },
        { type: 'invoice-requested', data: { ...timestamps(now), deadline: deadlineAfter(now, command.stepTimeoutSeconds).toISOString() } },
      ];
    case 'record-reservation-failure':
      if (!turnOf(state, 0, 'stock-reservation-failed')) return [];
      return [
        {
          type: 'order-cancelled',
          data: { reason: `stock reservation failed: ${describeShortage(state, command.products)}`, by: 'saga', ...timestamps(now) },
        },
      ];
    case 'record-invoice':
      if (!turnOf(state, 1, 'invoice-created')) return [];
      return [{ type: 'order-confirmed', data: { invoiceId: command.invoiceId, invoiceNumber: command.invoiceNumber, ...timestamps(now) } }];
    case 'record-payment':
      if (!turnOf(state, 2, 'the payment of its invoice')) return [];
      // Another invoice that names the order (an admin's correction) does not pay this one.
      if (state.invoice?.id.toLowerCase() !== command.invoiceId.toLowerCase()) return [];
      return [{ type: 'order-paid', data: { invoiceId: command.invoiceId, ...timestamps(now) } }];
    case 'record-dispatch':
      if (!turnOf(state, 3, 'shipment-dispatched')) return [];
      return [
        {
          type: 'order-shipped',
          data: { shipmentId: command.shipmentId, carrier: command.carrier, trackingNumber: command.trackingNumber, ...timestamps(now) },
        },
      ];
    case 'record-delivery':
      if (!turnOf(state, 4, 'shipment-delivered')) return [];
      return [{ type: 'order-delivered', data: { shipmentId: command.shipmentId, ...timestamps(now) } }];
    case 'cancel': {
      if (state.status === 'cancelled') throw new Conflict(`order ${state.id} is already cancelled`);
      if (!canMove(state.status, 'cancelled')) {
        throw new Conflict(`order ${state.id} is ${state.status}; once dispatched an order can no longer be cancelled`);
      }
      const reason = command.reason ?? (command.by === 'admin' ? 'cancelled by an admin' : 'cancelled by the customer');
      return [{ type: 'order-cancelled', data: { reason, by: command.by, ...timestamps(now) } }];
    }
    case 'expire-step': {
      if (state.status !== 'pending' || state.saga.deadline.getTime() > now.getTime()) return [];
      const { step, deadline } = state.saga;
      const reason = `saga step ${step} timed out: ${STEP_WAITS_FOR[step]} by ${deadline.toISOString()}`;
      return [{ type: 'order-cancelled', data: { reason, by: 'saga', ...timestamps(now) } }];
    }
    default:
      return unreachable(command);
  }
};

// ---- what the order publishes ------------------------------------------------------------------

const number = (order: Order) => ({ orderNumber: order.number });

/** The CloudEvent an event of the stream publishes, from the order as that event left it; none for some. */
export const published = (order: Order, event: OrderEvent): NewEvent | undefined => {
  const id = order.id;
  switch (event.type) {
    case 'order-placed':
      return orderPlaced.build(id, {
        orderId: id,
        ...number(order),
        customerId: order.customerId,
        lines: order.lines,
        total: order.total,
        shippingAddress: order.shippingAddress,
      });
    case 'stock-reserved':
      return undefined;
    case 'invoice-requested':
      return invoiceRequested.build(id, { orderId: id, ...number(order), customerId: order.customerId, lines: order.lines, total: order.total });
    case 'order-confirmed':
      return orderConfirmed.build(id, {
        orderId: id,
        ...number(order),
        customerId: order.customerId,
        invoiceId: event.data.invoiceId,
        invoiceNumber: event.data.invoiceNumber,
        total: order.total,
      });
    case 'order-paid':
      return orderPaid.build(id, {
        orderId: id,
        ...number(order),
        customerId: order.customerId,
        invoiceId: event.data.invoiceId,
        total: order.total,
        lines: order.lines,
        shippingAddress: order.shippingAddress,
      });
    case 'order-shipped':
      return orderShipped.build(id, {
        orderId: id,
        ...number(order),
        customerId: order.customerId,
        shipmentId: event.data.shipmentId,
        carrier: event.data.carrier,
        trackingNumber: event.data.trackingNumber,
        lines: order.lines.map((line) => ({ productId: line.productId, quantity: line.quantity })),
      });
    case 'order-delivered':
      return orderDelivered.build(id, { orderId: id, ...number(order), customerId: order.customerId, shipmentId: event.data.shipmentId });
    case 'order-cancelled':
      return orderCancelled.build(id, {
        orderId: id,
        ...number(order),
        customerId: order.customerId,
        reason: event.data.reason,
        cancelledBy: event.data.by,
        completedSteps: order.completedSteps,
        ...(order.invoice ? { invoiceId: order.invoice.id } : {}),
      });
    default:
      return unreachable(event);
  }
};

/** Applies new events to the state they were decided on: the new state and what it publishes. */
export const apply = (state: Order | undefined, events: readonly OrderEvent[]): [Order | undefined, NewEvent[]] => {
  const out: NewEvent[] = [];
  let current = state;
  for (const event of events) {
    current = evolve(current, event);
    const cloudEvent = published(current, event);
    if (cloudEvent) out.push(cloudEvent);
  }
  return [current, out];
};

// ---- the read model ----------------------------------------------------------------------------

// The stream keeps event data as jsonb, which orders keys its own way: the view writes an
// address in the order of its schema, so that a rebuilt projection is the same text.
const addressOf = (address: Address): Address => ({
  line1: address.line1,
  ...(address.line2 === undefined ? {} : { line2: address.line2 }),
  city: address.city,
  postalCode: address.postalCode,
  ...(address.region === undefined ? {} : { region: address.region }),
  country: address.country,
});

/** The order as the API returns it: what the projection `order.orders_view` holds. */
export const orderView = (order: Order) => ({
  id: order.id,
  number: order.number,
  customerId: order.customerId,
  cartId: order.cartId,
  status: order.status,
  items: order.lines.map((line) => ({
    productId: line.productId,
    name: line.name,
    quantity: line.quantity,
    unitPrice: { amount: line.unitPrice.amount, currency: line.unitPrice.currency },
    total: { amount: line.quantity * line.unitPrice.amount, currency: line.unitPrice.currency },
  })),
  total: { amount: order.total.amount, currency: order.total.currency },
  shippingAddress: addressOf(order.shippingAddress),
  ...(order.invoice ? { invoiceId: order.invoice.id, invoiceNumber: order.invoice.number } : {}),
  ...(order.shipment ? { shipment: { shipmentId: order.shipment.id, carrier: order.shipment.carrier, trackingNumber: order.shipment.trackingNumber } } : {}),
  ...(order.cancellation ? { cancellation: { reason: order.cancellation.reason, by: order.cancellation.by } } : {}),
  history: order.history.map((entry) => ({
    status: entry.status,
    at: entry.at.toISOString(),
    ...(entry.reason === undefined ? {} : { reason: entry.reason }),
  })),
  saga: {
    step: order.saga.step,
    ...(order.saga.deadline ? { deadline: order.saga.deadline.toISOString() } : {}),
    completedSteps: order.completedSteps,
  },
  version: order.version,
  createdAt: order.createdAt.toISOString(),
  updatedAt: order.updatedAt.toISOString(),
});
export type OrderView = ReturnType<typeof orderView>;

/** `ORD-2026-000123`: an order number from the year and a sequence (gaps allowed). */
export const formatOrderNumber = (year: number, sequence: number): string => `ORD-${year}-${String(sequence).padStart(6, '0')}`;
