// What one warm order leaves behind on the cold-chain platform (scripts/bench/cold-chain.ts), for the
// capacity table (scripts/bench/capacity.ts): the events with its correlation id and the deliveries
// to each event handler, from the broker's own log once it is idle; and each running function's
// resident memory, the price of keeping it warm (min-scale).
import type { InstanceView } from '../../local/scale-to-zero/instance.js';
import { rssKiB } from './processes.js';
import { sagaEvents, type Client } from './saga.js';

export interface OrderFootprint {
  /** Events with the order's correlation id once the broker is idle (the saga goes on past confirmed). */
  events: number;
  /** Deliveries to each event handler over those events. */
  deliveries: Record<string, number>;
  /** Resident memory (MiB) of each function's process, idle after the warm orders. */
  rssMiB: Record<string, number>;
}

export const orderFootprint = async (c: Client, orderId: string, instances: readonly InstanceView[]): Promise<OrderFootprint> => {
  const events = await sagaEvents(c, orderId);
  const deliveries: Record<string, number> = {};
  for (const e of events) for (const d of e.deliveries) deliveries[d.subscriber] = (deliveries[d.subscriber] ?? 0) + 1;
  const rssMiB: Record<string, number> = {};
  for (const i of instances) {
    if (!i.pid || i.state !== 'running') continue;
    try {
      rssMiB[i.name] = Math.round((rssKiB(i.pid) / 1024) * 10) / 10;
    } catch {
      // stopped meanwhile
    }
  }
  return { events: events.length, deliveries, rssMiB };
};

/** The median of the functions' resident memory (MiB). */
export const medianRss = (rss: Record<string, number>): number => {
  const sorted = Object.values(rss).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
