import { describe, expect, it } from 'vitest';
import type { NewEvent } from '../../events/index.js';
import { Conflict, ValidationError } from '../runtime/errors.js';
import {
  TRANSITIONS,
  canMove,
  cancel,
  createShipment,
  deliver,
  dispatch,
  settleCancelledOrder,
  shipmentView,
  type OrderToShip,
  type Shipment,
  type ShipmentStatus,
} from './shipment.js';

const shipmentId = '16fd2706-8baf-433b-82eb-8c7fada847da';
const orderId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const customerId = '0f8fad5b-d9cb-469f-a165-70867728950e';
const espresso = 'c56a4180-65aa-42ec-a945-5fd21dec0538';
const beans = 'e02fd0e4-00fd-490a-8a30-0d00a0038ba0';

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const address = { line1: '1 rue de la Paix', city: 'Paris', postalCode: '75002', country: 'FR' };

const T0 = new Date('2026-03-01T09:00:00.000Z');
const at = (hours: number) => new Date(T0.getTime() + hours * 3_600_000);

const order: OrderToShip = {
  orderId,
  orderNumber: 'ORD-2026-000042',
  customerId,
  lines: [
    { productId: espresso, name: 'Espresso machine', quantity: 1, unitPrice: eur(24_900) },
    { productId: beans, name: 'Coffee beans 1 kg', quantity: 2, unitPrice: eur(1_850) },
  ],
  shippingAddress: address,
};
const handover = { carrier: 'DHL', trackingNumber: 'JD014600006281230704' };

const types = (events: NewEvent[]) => events.map((e) => e.definition.type.replace(/^com\.gotuto\.shipping\.|\.v1$/g, ''));

// ---- given / when / then -----------------------------------------------------------------------

// The states, each reached through the model itself, a few hours apart.
const states = {
  preparing: (): Shipment => createShipment(order, shipmentId, at(0))[0],
  dispatched: (): Shipment => dispatch(states.preparing(), handover, at(2))[0],
  delivered: (): Shipment => deliver(states.dispatched(), at(26))[0],
  cancelled: (): Shipment => cancel(states.preparing(), at(1), 'cancelled by the customer')[0],
};

type Move = (shipment: Shipment, now: Date) => [Shipment, NewEvent[]];

const given = (state: ShipmentStatus) => ({
  when: (move: Move, now: Date) => {
    const before = states[state]();
    const run = () => move(before, now);
    return {
      then: (expected: Partial<Shipment>, events: string[]) => {
        const [after, emitted] = run();
        expect(after).toMatchObject(expected);
        expect(types(emitted)).toEqual(events);
        return { shipment: after, events: emitted };
      },
      thenUnchanged: () => expect(run()).toEqual([before, []]),
      thenRefused: (error: typeof Conflict | typeof ValidationError, message: RegExp) => {
        expect(run).toThrow(error);
        expect(run).toThrow(message);
        expect(before).toEqual(states[state]());
      },
    };
  },
});

const toDispatched: Move = (s, now) => dispatch(s, handover, now);
const toDelivered: Move = (s, now) => deliver(s, now);
const toCancelled: Move = (s, now) => cancel(s, now, 'cancelled by an admin');
const onOrderCancelled: Move = (s, now) => settleCancelledOrder(s, now, 'a step past its deadline');

// ---- createShipment ----------------------------------------------------------------------------

describe('createShipment', () => {
  it('prepares a shipment of the order: version 1, a line per order line without prices, and shipment-created', () => {
    const [shipment, events] = createShipment(order, shipmentId, T0);

    expect(shipment).toEqual({
      id: shipmentId,
      status: 'preparing',
      orderId,
      orderNumber: 'ORD-2026-000042',
      customerId,
      lines: [
        { productId: espresso, name: 'Espresso machine', quantity: 1 },
        { productId: beans, name: 'Coffee beans 1 kg', quantity: 2 },
      ],
      shippingAddress: address,
      carrier: null,
      trackingNumber: null,
      dispatchedAt: null,
      deliveredAt: null,
      cancelledAt: null,
      history: [{ status: 'preparing', at: T0 }],
      version: 1,
      createdAt: T0,
      updatedAt: T0,
    });
    expect(types(events)).toEqual(['shipment-created']);
    expect(events[0]?.subject).toBe(shipmentId);
    expect(events[0]?.data).toEqual({
      shipmentId,
      orderId,
      customerId,
      lines: [
        { productId: espresso, quantity: 1 },
        { productId: beans, quantity: 2 },
      ],
      shippingAddress: address,
    });
  });

  it('keeps no order number when the order has none', () => {
    const { orderNumber: _none, ...unnumbered } = order;

    expect(createShipment(unnumbered, shipmentId, T0)[0].orderNumber).toBeNull();
  });

  it('refuses an order without lines: there is nothing to ship', () => {
    expect(() => createShipment({ ...order, lines: [] }, shipmentId, T0)).toThrow(ValidationError);
  });
});

// ---- moves -------------------------------------------------------------------------------------

describe('dispatch', () => {
  it('hands a preparing shipment to the carrier: dispatched, the next version, and shipment-dispatched', () => {
    const { events } = given('preparing')
      .when(toDispatched, at(2))
      .then({ status: 'dispatched', carrier: 'DHL', trackingNumber: 'JD014600006281230704', dispatchedAt: at(2), version: 2, updatedAt: at(2) }, [
        'shipment-dispatched',
      ]);

    expect(events[0]?.subject).toBe(shipmentId);
    expect(events[0]?.data).toEqual({ shipmentId, orderId, customerId, carrier: 'DHL', trackingNumber: 'JD014600006281230704' });
  });

  it('keeps the carrier and the tracking number trimmed, and refuses blank ones', () => {
    const [shipment] = dispatch(states.preparing(), { carrier: '  La Poste ', trackingNumber: '\tLP123FR\n' }, at(2));
    expect(shipment).toMatchObject({ carrier: 'La Poste', trackingNumber: 'LP123FR' });

    const dispatchWith =
      (h: typeof handover): Move =>
      (s, now) =>
        dispatch(s, h, now);
    given('preparing')
      .when(dispatchWith({ carrier: '   ', trackingNumber: 'X1' }), at(2))
      .thenRefused(ValidationError, /blank/);
    given('preparing')
      .when(dispatchWith({ carrier: 'DHL', trackingNumber: '' }), at(2))
      .thenRefused(ValidationError, /blank/);
    given('preparing')
      .when(dispatchWith({ carrier: 'x'.repeat(101), trackingNumber: 'X1' }), at(2))
      .thenRefused(ValidationError, /100/);
  });

  it('refuses a shipment that is not being prepared (409)', () => {
    given('dispatched')
      .when(toDispatched, at(3))
      .thenRefused(Conflict, /is dispatched; it cannot become dispatched/);
    given('delivered')
      .when(toDispatched, at(30))
      .thenRefused(Conflict, /is delivered/);
    given('cancelled')
      .when(toDispatched, at(3))
      .thenRefused(Conflict, /is cancelled/);
  });
});

describe('deliver', () => {
  it('marks a dispatched shipment delivered, keeping its carrier, with shipment-delivered', () => {
    const { shipment, events } = given('dispatched')
      .when(toDelivered, at(26))
      .then({ status: 'delivered', carrier: 'DHL', dispatchedAt: at(2), deliveredAt: at(26), version: 3 }, ['shipment-delivered']);

    expect(events[0]?.data).toEqual({ shipmentId, orderId, customerId });
    expect(shipment.history).toEqual([
      { status: 'preparing', at: at(0) },
      { status: 'dispatched', at: at(2) },
      { status: 'delivered', at: at(26) },
    ]);
  });

  it('refuses a shipment that has not been dispatched, or is delivered already (409)', () => {
    given('preparing')
      .when(toDelivered, at(1))
      .thenRefused(Conflict, /only a dispatched shipment is delivered/);
    given('delivered')
      .when(toDelivered, at(27))
      .thenRefused(Conflict, /is delivered/);
    given('cancelled')
      .when(toDelivered, at(2))
      .thenRefused(Conflict, /is cancelled/);
  });
});

describe('cancel', () => {
  it('cancels a preparing shipment, with the reason in its history and in shipment-cancelled', () => {
    const { shipment, events } = given('preparing')
      .when(toCancelled, at(1))
      .then({ status: 'cancelled', cancelledAt: at(1), version: 2, carrier: null }, ['shipment-cancelled']);

    expect(shipment.history.at(-1)).toEqual({ status: 'cancelled', at: at(1), reason: 'cancelled by an admin' });
    expect(events[0]?.data).toEqual({ shipmentId, orderId, customerId, reason: 'cancelled by an admin' });
  });

  it('refuses a shipment that has left, or is cancelled already (409)', () => {
    given('dispatched')
      .when(toCancelled, at(3))
      .thenRefused(Conflict, /is dispatched; it cannot become cancelled/);
    given('delivered')
      .when(toCancelled, at(30))
      .thenRefused(Conflict, /is delivered/);
    given('cancelled')
      .when(toCancelled, at(2))
      .thenRefused(Conflict, /is cancelled/);
  });
});

describe("the order's cancellation (settleCancelledOrder)", () => {
  it('cancels a shipment still being prepared', () => {
    given('preparing')
      .when(onOrderCancelled, at(1))
      .then({ status: 'cancelled', cancelledAt: at(1) }, ['shipment-cancelled']);
  });

  it('leaves a shipment that has left, or is cancelled already, as it is, with no event', () => {
    given('dispatched').when(onOrderCancelled, at(3)).thenUnchanged();
    given('delivered').when(onOrderCancelled, at(30)).thenUnchanged();
    given('cancelled').when(onOrderCancelled, at(2)).thenUnchanged();
  });
});

describe('the transitions', () => {
  const statuses = Object.keys(TRANSITIONS) as ShipmentStatus[];
  const moves: Record<ShipmentStatus, Move | undefined> = {
    preparing: undefined,
    dispatched: toDispatched,
    delivered: toDelivered,
    cancelled: toCancelled,
  };

  it('are preparing -> dispatched -> delivered and preparing -> cancelled, nothing else', () => {
    expect(TRANSITIONS).toEqual({ preparing: ['dispatched', 'cancelled'], dispatched: ['delivered'], delivered: [], cancelled: [] });
  });

  it('are what the model does: every allowed move succeeds, every other one is a 409', () => {
    for (const from of statuses) {
      for (const to of statuses) {
        const move = moves[to];
        if (!move) continue;
        const run = () => move(states[from](), at(40));
        if (canMove(from, to)) expect(run()[0].status, `${from} -> ${to}`).toBe(to);
        else expect(run, `${from} -> ${to}`).toThrow(Conflict);
      }
    }
  });
});

describe('shipmentView', () => {
  it('shows every field the API promises, with nulls for what has not happened', () => {
    expect(shipmentView(states.dispatched())).toEqual({
      id: shipmentId,
      orderId,
      orderNumber: 'ORD-2026-000042',
      customerId,
      status: 'dispatched',
      lines: states.preparing().lines,
      shippingAddress: address,
      carrier: 'DHL',
      trackingNumber: 'JD014600006281230704',
      dispatchedAt: at(2),
      deliveredAt: null,
      cancelledAt: null,
      history: [
        { status: 'preparing', at: at(0) },
        { status: 'dispatched', at: at(2) },
      ],
      version: 2,
      createdAt: at(0),
      updatedAt: at(2),
    });
  });
});
