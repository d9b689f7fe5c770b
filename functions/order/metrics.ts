// What the saga reports as metrics, read off each change of an order: orders placed, confirmed and
// cancelled (by a reason from a short list, never the free text of the event), the time from
// checkout to confirmation, how long each saga step took and which deadlines ran out. Recorded after
// the command's transaction has committed (execute queues it on the transaction), so a change that
// rolled back (a conflict, retried by the broker or the client) is counted once, when it sticks.
import { instruments } from '../runtime/metrics.js';
import type { Order, OrderCommand, OrderEvent } from './order.js';

/** Why an order was cancelled, as a metric names it: who cancelled, or what the saga ran into. */
const cancelReason = (command: OrderCommand): string => {
  switch (command.type) {
    case 'cancel':
      return command.by;
    case 'record-reservation-failure':
      return 'out-of-stock';
    case 'expire-step':
      return 'deadline-expired';
    default:
      return 'other';
  }
};

const secondsBetween = (from: Date, to: Date): number => Math.max(0, (to.getTime() - from.getTime()) / 1000);

/** Records what `command` did to an order (`before` it and `after`), at `now`. */
export const recordOrderChange = (command: OrderCommand, before: Order | undefined, after: Order | undefined, events: OrderEvent[], now: Date): void => {
  const m = instruments();
  for (const event of events) {
    if (event.type === 'order-placed') m.ordersPlaced.add(1);
    else if (event.type === 'order-confirmed') {
      m.ordersConfirmed.add(1);
      if (after) m.orderConfirmationDuration.record(secondsBetween(after.createdAt, now));
    } else if (event.type === 'order-cancelled') m.ordersCancelled.add(1, { reason: cancelReason(command) });
  }
  if (!before || !after || before.saga.step === after.saga.step) return;
  // A step begins with the change that set it: the order's last change before this one.
  m.sagaStepDuration.record(secondsBetween(before.updatedAt, now), { step: before.saga.step });
  if (command.type === 'expire-step') m.sagaDeadlinesExpired.add(1, { step: before.saga.step });
};
