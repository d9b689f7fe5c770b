// The local broker, durable in the embedded database. It behaves as a Knative Broker does: an
// accepted event (202) is stored with one delivery per matching Trigger (a batch all or none), and
// the delivery engine (engine.ts) delivers each; a retry waits in the log (`next_attempt_at`), so a
// restart neither loses nor repeats one. This module holds the Broker's contract, the view of
// accepted events, and the loop that claims due deliveries from the log (embedded-log.ts).
import type pg from 'pg';
import type { ReceivedEvent } from '../events/index.js';
import type { Logger } from '../functions/runtime/log.js';
import { commit, claim, dueSoon, renew, store, voidClaims, type Claimed } from './embedded-log.js';
import { createEngine, outgoingOf, type HeadersFor } from './engine.js';
import { matchesTrigger, type Destination, type TriggerSpec } from './routing.js';

export interface Broker {
  /**
   * Stores events durably for every matching Trigger: all of them, or none when it throws
   * (a batch of the ingress is never kept in part). Resolves once they are stored.
   */
  accept(...events: ReceivedEvent<unknown>[]): Promise<void>;
  /** Writes what the broker keeps beside its log (the Kafka broker's trace) so that reads of it see it. */
  flush(): Promise<void>;
  triggers: TriggerSpec[];
  start(): void;
  stop(): Promise<void>;
  /** Resolves once nothing is pending or in flight (tests). */
  idle(timeoutMs?: number): Promise<void>;
}

export interface BrokerOptions {
  pool: pg.Pool;
  triggers: TriggerSpec[];
  /** The URL of a destination: a Service name is one of the platform's functions. */
  resolve(destination: Destination): string;
  log: Logger;
  pollMs?: number;
  concurrency?: number;
  /** How long a claimed delivery is owned before another worker may take it. */
  leaseMs?: number;
  /** The headers a destination needs (delivery credentials). */
  headersFor?: HeadersFor;
}

/**
 * Claims work while running, at most `concurrency` items in flight. When a claim brings fewer than
 * asked, nothing else is due until a nudge (an event stored, a delivery ended) or the poll (a
 * backoff run out): claiming again at once would only hold the database.
 */
const createClaimLoop = <T>(o: { concurrency: number; pollMs: number; claim(free: number): Promise<T[]>; work(item: T): Promise<void> }) => {
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const inFlight = new Map<Promise<void>, T>();
  // Set by every nudge: one that comes while a claim is running is not lost to the wait after it.
  let nudged = false;
  const nudge = () => {
    nudged = true;
    wake?.();
  };
  const rest = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, o.pollMs);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    }).finally(() => (wake = undefined));
  const run = async () => {
    while (running) {
      const free = o.concurrency - inFlight.size;
      nudged = false;
      const claimed = free > 0 ? await o.claim(free) : [];
      for (const item of claimed) {
        const p: Promise<void> = o.work(item).finally(() => {
          inFlight.delete(p);
          nudge();
        });
        inFlight.set(p, item);
      }
      if ((claimed.length < free || free === 0) && running && !nudged) await rest();
    }
  };
  return {
    inFlight,
    nudge,
    running: () => running,
    /** Starts claiming once `ready` resolves. */
    start: (ready: Promise<void>) => {
      running = true;
      loop = ready.then(run);
    },
    stop: async () => {
      running = false;
      nudge();
      await loop;
      await Promise.allSettled([...inFlight.keys()]);
    },
  };
};

export const createEmbeddedBroker = (options: BrokerOptions): Broker => {
  const { pool, log, triggers } = options;
  const byName = new Map(triggers.map((t) => [t.name, t]));
  const leaseMs = options.leaseMs ?? 120_000;
  let stopping = new AbortController();
  let renewal: NodeJS.Timeout | undefined;

  const accept = async (events: ReceivedEvent<unknown>[]) => {
    await store(
      pool,
      events.map((event) => ({ event, targets: triggers.filter((t) => matchesTrigger(t, event)) })),
    );
    log.debug('events accepted', { ids: events.map((e) => e.id) });
    loop.nudge();
  };
  const engine = createEngine({ resolve: options.resolve, accept, log, headersFor: options.headersFor });

  const deliver = async (c: Claimed): Promise<void> => {
    const trigger = byName.get(c.trigger);
    if (!trigger) {
      await commit(pool, c, { state: 'dead', status: null, error: `trigger ${c.trigger} no longer exists` });
      return;
    }
    const attempt = await engine.attempt(trigger, outgoingOf(c.event), c.attempts, stopping.signal);
    // A stop cuts the attempt short: its claim is voided at the next start, and it is delivered again.
    if (attempt.state === 'stopped') return;
    if (attempt.state === 'retry') await commit(pool, c, { state: 'pending', status: attempt.status, error: attempt.error, delayMs: attempt.delayMs });
    else await commit(pool, c, attempt.state === 'delivered' ? attempt : { state: 'dead', status: attempt.status, error: attempt.error });
  };

  const loop = createClaimLoop<Claimed>({
    concurrency: options.concurrency ?? 8,
    pollMs: options.pollMs ?? 200,
    claim: (free) =>
      claim(pool, free, leaseMs).catch((e: unknown) => {
        log.error('broker claim failed', { error: String(e) });
        return [];
      }),
    work: (c) => deliver(c).catch((e: unknown) => log.error('delivery failed', { trigger: c.trigger, error: String(e) })),
  });

  return {
    triggers,
    accept: (...events) => accept(events),
    // The embedded log is its own trace: nothing is written beside it.
    flush: async () => {},
    start: () => {
      if (loop.running()) return;
      stopping = new AbortController();
      // Claims of a process that stopped are void: this process is the broker now.
      loop.start(voidClaims(pool));
      renewal = setInterval(() => {
        renew(pool, [...loop.inFlight.values()], leaseMs).catch((e: unknown) => log.warn('broker claims not renewed', { error: String(e) }));
      }, leaseMs / 3);
    },
    stop: async () => {
      stopping.abort();
      clearInterval(renewal);
      await loop.stop();
    },
    idle: async (timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if ((await dueSoon(pool)) === 0 && loop.inFlight.size === 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the broker did not settle in time');
    },
  };
};
