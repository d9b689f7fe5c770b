import { describe, expect, it } from 'vitest';
import { CONFIG_DEFAULTS, KAFKA_DEFAULTS, type Manifest } from '../knative/generate.js';
import {
  capacityMarkdown,
  capacityRow,
  connectionCeiling,
  cores,
  deploymentOf,
  instancesNeeded,
  orderCost,
  partitionsNeeded,
  warmSet,
  type Assumptions,
  type Deployment,
  type OrderCost,
} from './capacity.js';

const service = (name: string, trigger: string, scale: { min: number; max: number; target: number; cc: number }, cpu = '100m'): Manifest => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name, labels: { 'gotuto.dev/trigger': trigger } },
  spec: {
    template: {
      metadata: {
        annotations: {
          'autoscaling.knative.dev/min-scale': String(scale.min),
          'autoscaling.knative.dev/max-scale': String(scale.max),
          'autoscaling.knative.dev/target': String(scale.target),
        },
      },
      spec: { containerConcurrency: scale.cc, containers: [{ name: 'function', resources: { requests: { cpu } } }] },
    },
  },
});
const trigger = (subscriber: string, order: 'ordered' | 'unordered'): Manifest => ({
  apiVersion: 'eventing.knative.dev/v1',
  kind: 'Trigger',
  metadata: { name: subscriber, annotations: { 'kafka.eventing.knative.dev/delivery.order': order } },
  spec: { subscriber: { ref: { kind: 'Service', name: subscriber } } },
});
const configMap = (name: string, data: Record<string, string>): Manifest => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data });

const manifests: Manifest[] = [
  service('order-checkout', 'http', { min: 1, max: 30, target: 50, cc: 0 }),
  service('order-on-stock-reserved', 'event', { min: 0, max: 10, target: 4, cc: 4 }),
  service('inventory-on-order-placed', 'event', { min: 0, max: 10, target: 4, cc: 4 }, '250m'),
  service('order-sweep-deadlines', 'schedule', { min: 0, max: 1, target: 1, cc: 1 }),
  // Not a function: no trigger label.
  { apiVersion: 'serving.knative.dev/v1', kind: 'Service', metadata: { name: 'platform-dead-letters' }, spec: {} },
  trigger('order-on-stock-reserved', 'ordered'),
  trigger('inventory-on-order-placed', 'unordered'),
  configMap('gotuto-config', { PG_POOL_MAX: '4' }),
  configMap('kafka-broker-config', { 'default.topic.partitions': '10' }),
];

const a: Assumptions = { utilisation: 0.5, instanceCores: 1, orderedHopMs: 250, stableWindowSeconds: 60 };

describe('deploymentOf: what prod deploys, read from the rendered manifests', () => {
  it('reads each function, the pool, the partitions and the ordered Triggers', () => {
    const d = deploymentOf(manifests);
    expect(Object.keys(d.functions).sort()).toEqual(['inventory-on-order-placed', 'order-checkout', 'order-on-stock-reserved', 'order-sweep-deadlines']);
    expect(d.functions['inventory-on-order-placed']).toEqual({
      trigger: 'event',
      minScale: 0,
      maxScale: 10,
      target: 4,
      containerConcurrency: 4,
      cpuRequest: 0.25,
    });
    expect(d.poolMax).toBe(4);
    expect(d.partitions).toBe(10);
    expect(d.ordered).toEqual(['order-on-stock-reserved']);
    expect(warmSet(d)).toEqual({ instances: 1, functions: ['order-checkout'] });
    expect(connectionCeiling(d)).toBe((30 + 10 + 10 + 1) * 4);
  });

  it('reads no max-scale, or 0, as no limit', () => {
    const unbounded = service('x', 'http', { min: 0, max: 0, target: 50, cc: 0 });
    expect(deploymentOf([unbounded]).functions.x?.maxScale).toBe(Infinity);
  });

  it("takes the generator's defaults where the overlay sets no pool size or partitions", () => {
    const d = deploymentOf([]);
    expect(d.poolMax).toBe(Number(CONFIG_DEFAULTS.PG_POOL_MAX));
    expect(d.partitions).toBe(Number(KAFKA_DEFAULTS['default.topic.partitions']));
  });

  it('refuses a setting that is not a number', () => {
    expect(() => deploymentOf([configMap('gotuto-config', { PG_POOL_MAX: 'many' })])).toThrow(/PG_POOL_MAX/);
  });

  it('reads CPU quantities in cores', () => {
    expect(cores('100m')).toBe(0.1);
    expect(cores('2')).toBe(2);
    expect(cores('0.5')).toBe(0.5);
    expect(cores(undefined)).toBe(0);
  });
});

describe('instancesNeeded', () => {
  const handler = { trigger: 'event', minScale: 0, maxScale: 10, target: 4, containerConcurrency: 4, cpuRequest: 0.1 };

  it('is none for a function the orders never call, and min-scale when it is warm', () => {
    expect(instancesNeeded(handler, 10, 0, 0, 100, a)).toBe(0);
    expect(instancesNeeded({ ...handler, minScale: 2 }, 10, 0, 0, 100, a)).toBe(2);
  });

  it('keeps one up when called at least once per stable window, none when called less often', () => {
    expect(instancesNeeded(handler, 1 / 60, 1, 1, 100, a)).toBe(1);
    expect(instancesNeeded(handler, 1 / 120, 1, 1, 100, a)).toBe(0);
  });

  it('adds instances when the CPU passes the utilisation of one core each', () => {
    // 10 orders/s x 120 ms = 1.2 cores busy, 0.5 core planned per instance: 3 instances.
    expect(instancesNeeded(handler, 10, 120, 1, 10, a)).toBe(3);
  });

  it('adds instances when the calls in flight pass the per-instance concurrency', () => {
    // 20 calls/s x 0.5 s = 10 in flight; min(target 4, containerConcurrency 4) x 0.5 = 2 per instance: 5.
    expect(instancesNeeded(handler, 10, 1, 2, 500, a)).toBe(5);
    // HTTP: no containerConcurrency, the target (50) is the soft limit: 10 in flight / 25 = 1.
    expect(instancesNeeded({ ...handler, target: 50, containerConcurrency: 0 }, 10, 1, 2, 500, a)).toBe(1);
  });
});

describe('partitionsNeeded', () => {
  const d = deploymentOf(manifests);
  const cost = (deliveries: Record<string, number>): OrderCost => ({
    cpuMs: { platform: 0, functions: 0, postgres: 0, kafka: 0 },
    functionCpuMs: {},
    deliveries,
    chainMeanMs: 100,
  });

  it('follows the busiest ordered Trigger: one delivery at a time per partition', () => {
    // 10 orders/s x 2 deliveries x 0.25 s = 5 partitions busy, at 50%: 10.
    expect(partitionsNeeded(10, cost({ 'order-on-stock-reserved': 2, 'inventory-on-order-placed': 9 }), d, a)).toBe(10);
  });

  it('needs one when no ordered Trigger is crossed', () => {
    expect(partitionsNeeded(10, cost({ 'inventory-on-order-placed': 9 }), d, a)).toBe(1);
  });
});

describe('capacityRow', () => {
  const d: Deployment = deploymentOf(manifests);
  const cost: OrderCost = {
    cpuMs: { platform: 20, functions: 60, postgres: 15, kafka: 5 },
    functionCpuMs: { 'order-checkout': 30, 'order-on-stock-reserved': 20, 'inventory-on-order-placed': 10 },
    deliveries: { 'order-on-stock-reserved': 1, 'inventory-on-order-placed': 1 },
    chainMeanMs: 100,
  };

  it('scales the cores with the order rate, divided by the utilisation target', () => {
    const row = capacityRow(600, cost, d, a);
    // 10 orders/s x 100 ms = 1 core busy; at 50%: 2.
    expect(row.cores.total).toBeCloseTo(2);
    expect(row.cores.functions).toBeCloseTo(1.2);
    expect(row.cores.postgres).toBeCloseTo(0.3);
    expect(row.cores.broker).toBeCloseTo(0.4);
    expect(row.cores.kafka).toBeCloseTo(0.1);
  });

  it('counts instances, their CPU requests and pooled connections', () => {
    // 10 orders/s: checkout 0.3 core busy -> 1; stock-reserved 0.2 -> 1; order-placed 0.1 -> 1 (250m requested); the sweep none.
    const row = capacityRow(600, cost, d, a);
    expect(row.instances).toBe(3);
    expect(row.requestedCores).toBeCloseTo(0.1 + 0.1 + 0.25);
    expect(row.connections).toBe(12);
    expect(row.limited).toEqual([]);
    // 10 orders/s x 1 x 0.25 s / 0.5 = 5 partitions.
    expect(row.partitions).toBe(5);
  });

  it('stops at max-scale and says which function it held back', () => {
    const heavy = { ...cost, functionCpuMs: { ...cost.functionCpuMs, 'order-on-stock-reserved': 1000 } };
    // 10 orders/s x 1 s = 10 cores busy: 20 instances wanted, max-scale 10.
    const row = capacityRow(600, heavy, d, a);
    expect(row.limited).toEqual(['order-on-stock-reserved']);
    expect(row.instances).toBe(1 + 10 + 1);
  });

  it('prints the table with what it was measured on and what it assumes', () => {
    const text = capacityMarkdown([capacityRow(600, cost, d, a)], cost, d, a, 'Kafka broker, PostgreSQL 15');
    expect(text).toContain('| 600 | 2.0 (1.2 / 0.30 / 0.40 / 0.10) | 0.45 | 3 | 12 | 5 |');
    expect(text).toContain('Measured (Kafka broker, PostgreSQL 15)');
    expect(text).toContain('order-on-stock-reserved 1');
    expect(text).toContain('250 ms per ordered delivery');
  });
});

describe('orderCost', () => {
  it('adds the cart to the checkout, function by function', () => {
    const cart = { platform: 2, functions: 5, postgres: 1, kafka: 0, byFunction: { 'order-create-cart': 3, 'catalog-validate-products': 2 } };
    const checkout = { platform: 10, functions: 40, postgres: 8, kafka: 4, byFunction: { 'order-checkout': 30, 'catalog-validate-products': 10 } };
    const cost = orderCost(cart, checkout, { x: 1 }, 90);
    expect(cost.cpuMs).toEqual({ platform: 12, functions: 45, postgres: 9, kafka: 4 });
    expect(cost.functionCpuMs).toEqual({ 'order-create-cart': 3, 'catalog-validate-products': 12, 'order-checkout': 30 });
    expect(cost.deliveries).toEqual({ x: 1 });
    expect(cost.chainMeanMs).toBe(90);
  });
});
