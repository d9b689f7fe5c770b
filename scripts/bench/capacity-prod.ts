// The capacity table of one cold-chain run (scripts/bench/cold-chain.ts) against prod as deployed:
// knative/overlays/prod rendered by `kubectl kustomize` (scripts/deploy.ts), so that the table reads
// the overlay's own min-/max-scale, concurrency, requests, PG_POOL_MAX and partitions, never copies.
import { renderOverlay } from '../deploy.js';
import {
  capacityMarkdown,
  capacityRow,
  DEFAULT_ASSUMPTIONS,
  deploymentOf,
  ORDER_RATES,
  orderCost,
  type Assumptions,
  type CapacityRow,
  type Deployment,
  type OrderCost,
} from './capacity.js';
import type { ColdChainResult } from './cold-chain.js';
import { medianRss } from './order-footprint.js';

export interface Capacity {
  /** What the table extrapolates from, in words: the run's broker and database, its date. */
  source: string;
  cost: OrderCost;
  deployment: Deployment;
  assumptions: Assumptions;
  rows: CapacityRow[];
  markdown: string;
}

/** prod's deployment, or why it could not be read (kubectl missing, say). */
export const prodDeployment = (root: string): Deployment | string => {
  try {
    return deploymentOf(renderOverlay('prod', root));
  } catch (error) {
    return `no capacity table: knative/overlays/prod could not be rendered (${(error as Error).message.split('\n')[0]})`;
  }
};

export const capacityOf = (run: ColdChainResult, deployment: Deployment, at = new Date()): Capacity => {
  const { warm } = run;
  const checkout = { ...warm.cpuMsPerOrder, byFunction: warm.checkoutByFunction };
  const cost = orderCost(warm.cartCpuMsPerOrder, checkout, warm.footprint.deliveries, warm.meanMs);
  const source = `${run.broker} broker, ${run.database}, ${warm.orders} warm orders, ${at.toISOString().slice(0, 10)}`;
  const rows = ORDER_RATES.map((rate) => capacityRow(rate, cost, deployment, DEFAULT_ASSUMPTIONS));
  const rss = Object.values(warm.footprint.rssMiB);
  const memory = `An idle function instance after the warm orders: median ${medianRss(warm.footprint.rssMiB).toFixed(1)} MiB resident (${rss.length} functions, ${Math.min(...rss)}-${Math.max(...rss)} MiB).`;
  const markdown = `${capacityMarkdown(rows, cost, deployment, DEFAULT_ASSUMPTIONS, source)}\n${memory}`;
  return { source, cost, deployment, assumptions: DEFAULT_ASSUMPTIONS, rows, markdown };
};
