// The capacity table of `npm run bench -- cold-chain`: what 10, 100 and 1,000 orders a minute need
// in cores, PostgreSQL connections and Kafka partitions, extrapolated from the figures the run just
// measured (CPU per warm order, each function's share, the warm chain's mean, deliveries per order)
// and from the prod overlay as `kubectl kustomize` renders it (min-/max-scale, target,
// containerConcurrency, CPU requests, PG_POOL_MAX, partitions, which Triggers deliver in order).
// Pure: no I/O, every input an argument, so that the arithmetic is tested on given inputs.
import { CONFIG_DEFAULTS, KAFKA_DEFAULTS, type Manifest } from '../knative/generate.js';

/** What prod deploys, per function, and the settings the table depends on. */
export interface Deployment {
  functions: Record<string, { trigger: string; minScale: number; maxScale: number; target: number; containerConcurrency: number; cpuRequest: number }>;
  /** PG_POOL_MAX of gotuto-config: connections one instance may hold. */
  poolMax: number;
  /** Partitions of the Broker's topic (kafka-broker-config). */
  partitions: number;
  /** Functions whose Trigger delivers in order (one event at a time per partition). */
  ordered: string[];
}

/** Per confirmed order, warm, measured in the run (cart, item and checkout to the broker idle). */
export interface OrderCost {
  cpuMs: { platform: number; functions: number; postgres: number; kafka: number };
  /** CPU ms per order of each function the order woke. */
  functionCpuMs: Record<string, number>;
  /** Deliveries per order to each event handler (from the broker's log of one order). */
  deliveries: Record<string, number>;
  /** The warm chain's mean (checkout to confirmed), ms: no call of an order lasts longer on average. */
  chainMeanMs: number;
}

/** What the table assumes rather than measures; printed with it. */
export interface Assumptions {
  /** The share of a core (and of a partition's ordered throughput) planned for, leaving the rest as headroom. */
  utilisation: number;
  /** Cores one instance can use: a Node process runs its JavaScript on one thread. */
  instanceCores: number;
  /** One ordered delivery's time on its partition under Knative's dispatcher (the issue: 243-375 ms per ordered hop). */
  orderedHopMs: number;
  /** Knative's stable window: a function called at least this often keeps an instance. */
  stableWindowSeconds: number;
}

export const DEFAULT_ASSUMPTIONS: Assumptions = { utilisation: 0.6, instanceCores: 1, orderedHopMs: 375, stableWindowSeconds: 60 };
export const ORDER_RATES = [10, 100, 1000] as const;

export interface CapacityRow {
  ordersPerMinute: number;
  /** Cores busy at the utilisation target, by who spends them. */
  cores: { functions: number; postgres: number; broker: number; kafka: number; total: number };
  /** What the scheduler reserves: every running instance's CPU request. */
  requestedCores: number;
  instances: number;
  /** Functions whose need passed their max-scale (the table then counts max-scale). */
  limited: string[];
  /** Instances x PG_POOL_MAX. */
  connections: number;
  /** Partitions the busiest ordered Trigger needs. */
  partitions: number;
}

const int = (value: unknown, what: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${what}: not a number (${String(value)})`);
  return n;
};

/** A Kubernetes CPU quantity ("100m", "0.5", "2") in cores. */
export const cores = (quantity: string | undefined): number => {
  if (quantity === undefined) return 0;
  const milli = /^(\d+(?:\.\d+)?)m$/.exec(quantity);
  return milli ? Number(milli[1]) / 1000 : int(quantity, `CPU quantity "${quantity}"`);
};

type Rendered = Manifest & { spec?: Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Reads the Deployment from an overlay's rendered manifests (`kubectl kustomize knative/overlays/prod`). */
export const deploymentOf = (manifests: readonly Manifest[]): Deployment => {
  const config = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'gotuto-config')?.data ?? {};
  const kafka = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.name === 'kafka-broker-config')?.data ?? {};
  const functions: Deployment['functions'] = {};
  for (const m of manifests as Rendered[]) {
    const trigger = m.metadata.labels?.['gotuto.dev/trigger'];
    if (m.kind !== 'Service' || !m.apiVersion.startsWith('serving.knative.dev') || !trigger) continue;
    const template = m.spec?.template ?? {};
    const notes: Record<string, string> = template.metadata?.annotations ?? {};
    const name = m.metadata.name;
    functions[name] = {
      trigger,
      minScale: int(notes['autoscaling.knative.dev/min-scale'] ?? 0, `${name} min-scale`),
      // No max-scale (or Knative's 0) is no limit.
      maxScale: int(notes['autoscaling.knative.dev/max-scale'] ?? 0, `${name} max-scale`) || Infinity,
      target: int(notes['autoscaling.knative.dev/target'] ?? 100, `${name} target`),
      containerConcurrency: int(template.spec?.containerConcurrency ?? 0, `${name} containerConcurrency`),
      cpuRequest: cores(template.spec?.containers?.[0]?.resources?.requests?.cpu),
    };
  }
  const ordered = (manifests as Rendered[])
    .filter((m) => m.kind === 'Trigger' && m.metadata.annotations?.['kafka.eventing.knative.dev/delivery.order'] === 'ordered')
    .map((m) => m.spec?.subscriber?.ref?.name as string)
    .filter(Boolean);
  return {
    functions,
    // An overlay that sets neither gets the generator's defaults.
    poolMax: int(config.PG_POOL_MAX ?? CONFIG_DEFAULTS.PG_POOL_MAX, 'PG_POOL_MAX'),
    partitions: int(kafka['default.topic.partitions'] ?? KAFKA_DEFAULTS['default.topic.partitions'], 'default.topic.partitions'),
    ordered: [...new Set(ordered)].sort(),
  };
};

/** Instances one function runs at `perSecond` orders a second, before its max-scale. */
export const instancesNeeded = (
  fn: Deployment['functions'][string],
  perSecond: number,
  cpuMs: number,
  calls: number,
  chainMeanMs: number,
  a: Assumptions,
): number => {
  const callsPerSecond = perSecond * calls;
  // Called less than once per stable window, it is down most of the time (and each call pays a start).
  if (callsPerSecond * a.stableWindowSeconds < 1) return fn.minScale;
  const byCpu = Math.ceil((perSecond * cpuMs) / 1000 / (a.instanceCores * a.utilisation));
  // Little's law (in flight = rate x mean time), the whole chain's mean bounding any one call's.
  const perInstance = fn.containerConcurrency > 0 ? Math.min(fn.target, fn.containerConcurrency) : fn.target;
  const byConcurrency = Math.ceil((callsPerSecond * chainMeanMs) / 1000 / (perInstance * a.utilisation));
  return Math.max(fn.minScale, 1, byCpu, byConcurrency);
};

/** Partitions the busiest ordered Trigger needs: one delivery at a time per partition, each `orderedHopMs`. */
export const partitionsNeeded = (perSecond: number, cost: OrderCost, d: Deployment, a: Assumptions): number => {
  const busiest = Math.max(0, ...d.ordered.map((fn) => cost.deliveries[fn] ?? 0));
  return Math.max(1, Math.ceil((perSecond * busiest * a.orderedHopMs) / 1000 / a.utilisation));
};

export const capacityRow = (ordersPerMinute: number, cost: OrderCost, d: Deployment, a: Assumptions = DEFAULT_ASSUMPTIONS): CapacityRow => {
  const perSecond = ordersPerMinute / 60;
  const busy = (ms: number) => (perSecond * ms) / 1000 / a.utilisation;
  const c = { functions: busy(cost.cpuMs.functions), postgres: busy(cost.cpuMs.postgres), broker: busy(cost.cpuMs.platform), kafka: busy(cost.cpuMs.kafka) };
  let instances = 0;
  let requestedCores = 0;
  const limited: string[] = [];
  for (const [name, fn] of Object.entries(d.functions)) {
    const cpuMs = cost.functionCpuMs[name] ?? 0;
    // An HTTP function the order woke counts one call (Order calls Catalog's validation twice: the CPU row holds both).
    const calls = cost.deliveries[name] ?? (cpuMs > 0 ? 1 : 0);
    const need = instancesNeeded(fn, perSecond, cpuMs, calls, cost.chainMeanMs, a);
    if (need > fn.maxScale) limited.push(name);
    const running = Math.min(need, fn.maxScale);
    instances += running;
    requestedCores += running * fn.cpuRequest;
  }
  return {
    ordersPerMinute,
    cores: { ...c, total: c.functions + c.postgres + c.broker + c.kafka },
    requestedCores,
    instances,
    limited,
    connections: instances * d.poolMax,
    partitions: partitionsNeeded(perSecond, cost, d, a),
  };
};

/** Connections prod may open at worst: every function at its max-scale, each with PG_POOL_MAX. */
export const connectionCeiling = (d: Deployment): number => Object.values(d.functions).reduce((sum, fn) => sum + fn.maxScale * d.poolMax, 0);

/** Instances prod keeps running with no traffic at all (min-scale), and the functions kept warm. */
export const warmSet = (d: Deployment): { instances: number; functions: string[] } => {
  const warm = Object.entries(d.functions).filter(([, fn]) => fn.minScale > 0);
  return { instances: warm.reduce((sum, [, fn]) => sum + fn.minScale, 0), functions: warm.map(([name]) => name).sort() };
};

const fixed = (n: number) => (n >= 10 ? n.toFixed(0) : n >= 1 ? n.toFixed(1) : n.toFixed(2));

/** The table as Markdown (what README.md's "Capacity" section holds), then what it rests on. */
export const capacityMarkdown = (rows: readonly CapacityRow[], cost: OrderCost, d: Deployment, a: Assumptions, source: string): string => {
  const warm = warmSet(d);
  const lines = [
    `| orders a minute | cores busy at ${a.utilisation * 100}% (functions / PostgreSQL / broker / Kafka) | cores requested | instances | PostgreSQL connections | Kafka partitions (prod: ${d.partitions}) |`,
    '|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const c = r.cores;
      const limited = r.limited.length > 0 ? ` (at max-scale: ${r.limited.join(', ')})` : '';
      return `| ${r.ordersPerMinute} | ${fixed(c.total)} (${fixed(c.functions)} / ${fixed(c.postgres)} / ${fixed(c.broker)} / ${fixed(c.kafka)}) | ${fixed(r.requestedCores)} | ${r.instances}${limited} | ${r.connections} | ${r.partitions} |`;
    }),
    '',
    `Measured (${source}): CPU ms per warm order ${fixed(cost.cpuMs.functions)} functions, ${fixed(cost.cpuMs.postgres)} PostgreSQL, ` +
      `${fixed(cost.cpuMs.platform)} broker and gateway, ${fixed(cost.cpuMs.kafka)} Kafka; warm chain mean ${fixed(cost.chainMeanMs)} ms; ` +
      `ordered deliveries per order: ${
        d.ordered
          .filter((fn) => (cost.deliveries[fn] ?? 0) > 0)
          .map((fn) => `${fn} ${cost.deliveries[fn]}`)
          .join(', ') || 'none'
      }.`,
    `From the prod overlay: PG_POOL_MAX ${d.poolMax}; ${d.partitions} partitions; warm set (min-scale) ${warm.instances} instances; ` +
      `every function at max-scale would hold ${connectionCeiling(d)} connections.`,
    `Assumed: ${a.utilisation * 100}% utilisation target; ${a.instanceCores} core per instance (one JavaScript thread); ` +
      `${a.orderedHopMs} ms per ordered delivery on its partition (Knative's dispatcher, slowest ordered hop); ` +
      `a function called at least once per ${a.stableWindowSeconds} s stays up; no call of an order lasts longer on average than the whole warm chain.`,
  ];
  return lines.join('\n');
};

type Cpu = OrderCost['cpuMs'] & { byFunction: Record<string, number> };

/** An order's cost from the run's parts: its cart and item, then its checkout to the broker idle. */
export const orderCost = (cart: Cpu, checkout: Cpu, deliveries: Record<string, number>, chainMeanMs: number): OrderCost => {
  const functionCpuMs: Record<string, number> = { ...cart.byFunction };
  for (const [name, ms] of Object.entries(checkout.byFunction)) functionCpuMs[name] = (functionCpuMs[name] ?? 0) + ms;
  return {
    cpuMs: {
      platform: cart.platform + checkout.platform,
      functions: cart.functions + checkout.functions,
      postgres: cart.postgres + checkout.postgres,
      kafka: cart.kafka + checkout.kafka,
    },
    functionCpuMs,
    deliveries,
    chainMeanMs,
  };
};
