// One order's journey, gathered for the page: the order and its saga from Order's own queries, its
// events with their deliveries from the broker's trace (GET /broker/events), the dead letters from
// the platform's functions, and the spans the receiver kept. The functions are invoked in process
// with the caller's token, as the gateway would, so the page sees only what an admin may.
import { isUuid } from '../../functions/runtime/paging.js';
import type { Queryable } from '../../functions/runtime/db.js';
import { Unavailable } from '../../functions/runtime/errors.js';
import type { ReceivedSpan } from '../otlp/decode.js';
import { spansOf, tracesFor } from '../otlp/spans.js';
import { functionFor, type Mounts } from '../mounts.js';
import { findPlacedOrder } from './store.js';

type Json = Record<string, unknown>;

export interface Delivery {
  trigger: string;
  subscriber: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  updatedAt: string;
}

export interface JourneyEvent {
  seq: number;
  event: Json;
  acceptedAt: string;
  deliveries: Delivery[];
  deadLetters: Json[];
}

export interface Journey {
  search: string;
  order: Json | undefined;
  orderId: string;
  correlationIds: string[];
  /** The order's own stream: each saga step as Order recorded it. */
  steps: Json[];
  events: JourneyEvent[];
  spans: ReceivedSpan[];
}

/** GET of a function's route, in process, with the caller's token; undefined for a 404 or a route nobody serves. */
export type Reader = (path: string, query?: Record<string, string>) => Promise<Json | undefined>;

export const readerFor =
  (mounts: Mounts, authorization: string): Reader =>
  async (path, query = {}) => {
    const target = functionFor(mounts, 'GET', path);
    if (!target) return undefined;
    const response = await target.invoke({ method: 'GET', path, query, headers: { authorization, accept: 'application/json' }, rawBody: undefined });
    if (response.status === 404) return undefined;
    if (response.status >= 400) throw new Unavailable(`GET ${path} answered ${response.status}: ${response.body ?? ''}`);
    return JSON.parse(response.body ?? 'null') as Json;
  };

const MAX_CORRELATIONS = 20;
const MAX_TRACES = 50;

const itemsOf = (page: Json | undefined): Json[] => (Array.isArray(page?.items) ? (page.items as Json[]) : []);

/** The order's events: by its id as subject, then every event of the correlations those carry. */
const eventsOf = async (read: Reader, orderId: string, correlations: Set<string>): Promise<JourneyEvent[]> => {
  const bySeq = new Map<number, JourneyEvent>();
  const add = (items: Json[]) => {
    for (const item of items) bySeq.set(Number(item.seq), { ...(item as unknown as JourneyEvent), deadLetters: [] });
  };
  add(itemsOf(await read('/broker/events', { subject: orderId, limit: '1000' })));
  for (const e of bySeq.values()) if (typeof e.event.correlationid === 'string') correlations.add(e.event.correlationid);
  for (const correlation of [...correlations].slice(0, MAX_CORRELATIONS))
    add(itemsOf(await read('/broker/events', { correlationid: correlation, limit: '1000' })));
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
};

/** Each dead delivery's dead letter, looked up by its type and subscriber. */
const attachDeadLetters = async (read: Reader, events: JourneyEvent[]): Promise<void> => {
  for (const e of events) {
    for (const d of e.deliveries.filter((delivery) => delivery.state === 'dead')) {
      const letters = itemsOf(await read('/broker/dead-letters', { type: String(e.event.type), subscriber: d.subscriber, limit: '200' }));
      e.deadLetters.push(...letters.filter((l) => l.eventId === e.event.id));
    }
  }
};

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/** The traces of the events' `traceparent`, and those whose spans name the order, its number, a correlation or an event. */
const spansFor = async (db: Queryable, keys: string[], events: JourneyEvent[]): Promise<ReceivedSpan[]> => {
  const fromEvents = events
    .map((e) => (typeof e.event.traceparent === 'string' ? TRACEPARENT.exec(e.event.traceparent)?.[1] : undefined))
    .filter((t): t is string => t !== undefined);
  const traces = [...new Set([...fromEvents, ...(await tracesFor(db, keys))])].slice(0, MAX_TRACES);
  return spansOf(db, traces);
};

/** The journey of the order a search names (its id, its number, or its saga's correlation id); undefined when none. */
export const journeyOf = async (db: Queryable, read: Reader, search: string): Promise<Journey | undefined> => {
  const placed = await findPlacedOrder(db, search);
  const orderId = placed?.orderId ?? (isUuid(search) ? search : undefined);
  if (!orderId) return undefined;
  const order = await read(`/orders/${orderId}`);
  if (!order && !placed) return undefined;
  const correlations = new Set<string>(placed?.correlationId ? [placed.correlationId] : []);
  const events = await eventsOf(read, orderId, correlations);
  await attachDeadLetters(read, events);
  const number = typeof order?.number === 'string' ? order.number : placed?.number;
  const keys = [orderId, ...(number ? [number] : []), ...correlations, ...events.map((e) => String(e.event.id))];
  return {
    search,
    order,
    orderId,
    correlationIds: [...correlations],
    steps: order ? itemsOf(await read(`/orders/${orderId}/events`, { limit: '200' })) : [],
    events,
    spans: await spansFor(db, keys, events),
  };
};
