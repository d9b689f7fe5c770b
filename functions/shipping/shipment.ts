// A shipment: the parcel of one paid order. preparing -> dispatched -> delivered; preparing ->
// cancelled. Pure: ids, time and the current state come in, the new state and its events go out.
import type { Address, NewEvent } from '../../events/index.js';
import type { OrderPaid } from '../../events/order.js';
import { shipmentCancelled, shipmentCreated, shipmentDelivered, shipmentDispatched } from '../../events/shipping.js';
import { Conflict, ValidationError, unreachable } from '../runtime/errors.js';

export type ShipmentStatus = 'preparing' | 'dispatched' | 'delivered' | 'cancelled';

/** Every move a shipment can make; anything else is refused (409). */
export const TRANSITIONS: Readonly<Record<ShipmentStatus, readonly ShipmentStatus[]>> = {
  preparing: ['dispatched', 'cancelled'],
  dispatched: ['delivered'],
  delivered: [],
  cancelled: [],
};

export const canMove = (from: ShipmentStatus, to: ShipmentStatus): boolean => TRANSITIONS[from].includes(to);

/** What goes in the parcel: a product of the order, by name, and how many. */
export interface ShipmentLine {
  productId: string;
  name: string;
  quantity: number;
}

export interface HistoryEntry {
  status: ShipmentStatus;
  at: Date;
  reason?: string;
}

/** The longest carrier name and tracking number kept (also the schema's limits). */
export const MAX_CARRIER_LENGTH = 100;
export const MAX_TRACKING_NUMBER_LENGTH = 100;

interface ShipmentFields {
  id: string;
  orderId: string;
  orderNumber: string | null;
  customerId: string;
  lines: ShipmentLine[];
  shippingAddress: Address;
  history: HistoryEntry[];
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type PreparingShipment = ShipmentFields & {
  status: 'preparing';
  carrier: null;
  trackingNumber: null;
  dispatchedAt: null;
  deliveredAt: null;
  cancelledAt: null;
};
export type DispatchedShipment = ShipmentFields & {
  status: 'dispatched';
  carrier: string;
  trackingNumber: string;
  dispatchedAt: Date;
  deliveredAt: null;
  cancelledAt: null;
};
export type DeliveredShipment = ShipmentFields & {
  status: 'delivered';
  carrier: string;
  trackingNumber: string;
  dispatchedAt: Date;
  deliveredAt: Date;
  cancelledAt: null;
};
export type CancelledShipment = ShipmentFields & {
  status: 'cancelled';
  carrier: null;
  trackingNumber: null;
  dispatchedAt: null;
  deliveredAt: null;
  cancelledAt: Date;
};
export type Shipment = PreparingShipment | DispatchedShipment | DeliveredShipment | CancelledShipment;

/** What order-paid tells Shipping about the order to ship. */
export type OrderToShip = Pick<OrderPaid, 'orderId' | 'customerId' | 'lines' | 'shippingAddress'> & { orderNumber?: string };

export interface Handover {
  carrier: string;
  trackingNumber: string;
}

const invalid = (pointer: string, message: string): ValidationError => new ValidationError(message, [{ pointer, message }]);

const refused = (shipment: Shipment, to: ShipmentStatus, rule: string): Conflict =>
  new Conflict(`shipment ${shipment.id} is ${shipment.status}; it cannot become ${to}: ${rule}`);

/** The fields every move changes: one more history entry, the next version, the time. */
const movedTo = (shipment: Shipment, status: ShipmentStatus, now: Date, reason?: string) => ({
  history: [...shipment.history, { status, at: now, ...(reason === undefined ? {} : { reason }) }],
  version: shipment.version + 1,
  updatedAt: now,
});

const ref = (shipment: Shipment) => ({ shipmentId: shipment.id, orderId: shipment.orderId, customerId: shipment.customerId });

/**
 * The shipment of a paid order, being prepared: a line per order line (prices stay with Order
 * and Billing), to the order's shipping address.
 */
export const createShipment = (order: OrderToShip, id: string, now: Date): [PreparingShipment, NewEvent[]] => {
  if (order.lines.length === 0) throw invalid('/lines', `order ${order.orderId} has no lines; there is nothing to ship`);
  const shipment: PreparingShipment = {
    id,
    status: 'preparing',
    orderId: order.orderId,
    orderNumber: order.orderNumber ?? null,
    customerId: order.customerId,
    lines: order.lines.map(({ productId, name, quantity }) => ({ productId, name, quantity })),
    shippingAddress: order.shippingAddress,
    carrier: null,
    trackingNumber: null,
    dispatchedAt: null,
    deliveredAt: null,
    cancelledAt: null,
    history: [{ status: 'preparing', at: now }],
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  const created = shipmentCreated.build(id, {
    ...ref(shipment),
    lines: shipment.lines.map(({ productId, quantity }) => ({ productId, quantity })),
    shippingAddress: shipment.shippingAddress,
  });
  return [shipment, [created]];
};

const handoverText = (value: string, pointer: string, max: number): string => {
  const text = value.trim();
  if (text.length === 0) throw invalid(pointer, 'must not be blank');
  if (text.length > max) throw invalid(pointer, `must be at most ${max} characters`);
  return text;
};

/** A prepared shipment leaves with a carrier, under a tracking number (both kept trimmed). */
export const dispatch = (shipment: Shipment, handover: Handover, now: Date): [DispatchedShipment, NewEvent[]] => {
  if (shipment.status !== 'preparing') throw refused(shipment, 'dispatched', 'only a preparing shipment is dispatched');
  const carrier = handoverText(handover.carrier, '/carrier', MAX_CARRIER_LENGTH);
  const trackingNumber = handoverText(handover.trackingNumber, '/trackingNumber', MAX_TRACKING_NUMBER_LENGTH);
  const dispatched: DispatchedShipment = {
    ...shipment,
    ...movedTo(shipment, 'dispatched', now),
    status: 'dispatched',
    carrier,
    trackingNumber,
    dispatchedAt: now,
  };
  return [dispatched, [shipmentDispatched.build(shipment.id, { ...ref(shipment), carrier, trackingNumber })]];
};

/** A dispatched shipment reached its recipient. */
export const deliver = (shipment: Shipment, now: Date): [DeliveredShipment, NewEvent[]] => {
  if (shipment.status !== 'dispatched') throw refused(shipment, 'delivered', 'only a dispatched shipment is delivered');
  const delivered: DeliveredShipment = { ...shipment, ...movedTo(shipment, 'delivered', now), status: 'delivered', deliveredAt: now };
  return [delivered, [shipmentDelivered.build(shipment.id, ref(shipment))]];
};

/** A shipment still being prepared is cancelled; once it has left, it cannot be. */
export const cancel = (shipment: Shipment, now: Date, reason: string): [CancelledShipment, NewEvent[]] => {
  if (shipment.status !== 'preparing') throw refused(shipment, 'cancelled', 'only a preparing shipment is cancelled');
  const cancelled: CancelledShipment = { ...shipment, ...movedTo(shipment, 'cancelled', now, reason), status: 'cancelled', cancelledAt: now };
  return [cancelled, [shipmentCancelled.build(shipment.id, { ...ref(shipment), reason })]];
};

/**
 * What the order's cancellation does to its shipment: one being prepared is cancelled; one that
 * has left (dispatched, delivered) or is already cancelled stays as it is, with no event. Which
 * of those it was is the caller's to log.
 */
export const settleCancelledOrder = (shipment: Shipment, now: Date, reason: string): [Shipment, NewEvent[]] => {
  switch (shipment.status) {
    case 'preparing':
      return cancel(shipment, now, reason);
    case 'dispatched':
    case 'delivered':
    case 'cancelled':
      return [shipment, []];
    default:
      return unreachable(shipment);
  }
};

/** The shipment as the API returns it. */
export const shipmentView = (shipment: Shipment) => ({
  id: shipment.id,
  orderId: shipment.orderId,
  orderNumber: shipment.orderNumber,
  customerId: shipment.customerId,
  status: shipment.status,
  lines: shipment.lines,
  shippingAddress: shipment.shippingAddress,
  carrier: shipment.carrier,
  trackingNumber: shipment.trackingNumber,
  dispatchedAt: shipment.dispatchedAt,
  deliveredAt: shipment.deliveredAt,
  cancelledAt: shipment.cancelledAt,
  history: shipment.history,
  version: shipment.version,
  createdAt: shipment.createdAt,
  updatedAt: shipment.updatedAt,
});
export type ShipmentView = ReturnType<typeof shipmentView>;
