// The one way an order changes, for commands and handlers alike: read its stream, fold it, decide,
// append what was decided at the version that was read, project the new state, and emit what it
// publishes, all in the caller's transaction.
import { trace } from '@opentelemetry/api';
import type { Tx } from '../runtime/definition.js';
import { recordOrderChange } from './metrics.js';
import { apply, decide, fold, type Order, type OrderCommand, type OrderEvent } from './order.js';
import { orderStreams, ordersView, type EventMetadata } from './store.js';

/**
 * Names the order on the active span (the change's transaction, under the function's own span), so
 * its trace is found by the order's id or number: the journey page's search, a tag search in Tempo.
 * Nothing happens when no telemetry runs.
 */
const tagSpan = (orderId: string, order: Order | undefined): void => {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.setAttribute('gotuto.order.id', orderId);
  if (order?.number) span.setAttribute('gotuto.order.number', order.number);
};

export interface Executed {
  /** The order after the command; undefined only for an order that does not exist and was not placed. */
  order: Order | undefined;
  /** What the command appended; empty when it had nothing to do (a late or repeated event). */
  events: OrderEvent[];
}

/**
 * Runs `command` against its order. `check` sees the current state first (ownership, If-Match)
 * and may throw.
 */
export const execute = async (
  tx: Tx,
  command: OrderCommand,
  now: Date,
  metadata: EventMetadata,
  check?: (order: Order | undefined) => void,
): Promise<Executed> => {
  await orderStreams.lock(tx, command.orderId);
  const state = fold(await orderStreams.load(tx, command.orderId));
  check?.(state);
  const events = decide(command, state, now);
  tagSpan(command.orderId, state);
  if (events.length === 0) return { order: state, events };
  await orderStreams.append(tx, command.orderId, state?.version ?? 0, events, metadata, now);
  const [order, published] = apply(state, events);
  tagSpan(command.orderId, order);
  if (order) await ordersView.save(tx, [order]);
  await tx.emit(...published);
  // Counted once the change has committed: a transaction retried after a conflict counts it once.
  tx.afterCommit(() => recordOrderChange(command, state, order, events, now));
  return { order, events };
};
