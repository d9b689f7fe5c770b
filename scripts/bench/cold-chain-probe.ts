// What the cold-chain benchmark (scripts/bench/cold-chain.ts) reads from its platform process: the
// functions' processes and the broker's idleness over IPC, when an order's saga ended, PostgreSQL's
// backends of its database, and the CPU time all of them spent between two readings.
import type pg from 'pg';
import type { InstanceView } from '../../local/scale-to-zero/instance.js';
import { ask, type Receiver } from './broker.js';
import type { FromReceiver } from './broker-event.js';
import { kafkaPids, processCpuMs } from './cpu.js';

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface CpuPerOrder {
  platform: number;
  functions: number;
  postgres: number;
  /** Kafka's JVM, when the broker is on Kafka (a shared Kafka counts what others make it do). */
  kafka: number;
  total: number;
}

/** What the benchmark asks of the platform process over IPC. */
export interface Probe {
  platform: Receiver;
  overKafka: boolean;
  instances(): Promise<InstanceView[]>;
  settle(): Promise<void>;
  /** Resolves with monotonicMs() when the saga of `orderId` ended, and how. */
  ended(orderId: string, timeoutMs: number): Promise<{ at: number; confirmed: boolean }>;
  /** The pids of PostgreSQL's backends serving the benchmark's database (none when embedded). */
  backends(): Promise<number[]>;
}

export const probeOf = (platform: Receiver, overKafka: boolean, admin: pg.Client | undefined, database: string | undefined): Probe => {
  const ends = new Map<string, { at: number; confirmed: boolean }>();
  platform.child.proc.on('message', (m: FromReceiver) => {
    if (m.type === 'ended') ends.set(m.subject, { at: m.at, confirmed: /order-confirmed/.test(m.eventType) });
  });
  return {
    platform,
    overKafka,
    instances: async () => (await ask(platform.child, { type: 'instances' }, 'instances')).instances,
    settle: async () => {
      const settled = await ask(platform.child, { type: 'settle' }, 'settled', 130_000);
      if (settled.error) throw new Error(`the broker did not settle: ${settled.error}`);
    },
    ended: async (orderId, timeoutMs) => {
      const deadline = performance.now() + timeoutMs;
      while (!ends.has(orderId)) {
        if (performance.now() > deadline) throw new Error(`order ${orderId}: no order-confirmed or order-cancelled within ${timeoutMs} ms`);
        await sleep(2);
      }
      return ends.get(orderId) as { at: number; confirmed: boolean };
    },
    backends: async () =>
      admin && database
        ? (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database])).rows.map(
            (r) => r.pid,
          )
        : [],
  };
};

/**
 * CPU ms of the platform, the functions' processes and the database's backends, from now to `stop()`;
 * `byFunction`: each function's share of the functions' figure.
 */
export const meter = async (probe: Probe) => {
  const read = async () => {
    const instances = (await probe.instances()).flatMap((i) => (i.pid ? [[i.pid, i.name] as const] : []));
    const group = (pids: number[]) => new Map(pids.map((pid) => [pid, processCpuMs(pid) ?? 0]));
    return {
      names: new Map(instances),
      platform: group([probe.platform.child.pid]),
      functions: group(instances.map(([pid]) => pid)),
      postgres: group(await probe.backends()),
      kafka: group(probe.overKafka ? kafkaPids() : []),
    };
  };
  const before = await read();
  return async (orders: number): Promise<CpuPerOrder & { byFunction: Record<string, number> }> => {
    const after = await read();
    type Group = 'platform' | 'functions' | 'postgres' | 'kafka';
    const spent = (name: Group) => [...after[name]].reduce((sum, [pid, ms]) => sum + ms - (before[name].get(pid) ?? 0), 0) / orders;
    const cpu = { platform: spent('platform'), functions: spent('functions'), postgres: spent('postgres'), kafka: spent('kafka') };
    const byFunction: Record<string, number> = {};
    for (const [pid, ms] of after.functions) {
      const name = after.names.get(pid) as string;
      byFunction[name] = round((byFunction[name] ?? 0) + (ms - (before.functions.get(pid) ?? 0)) / orders, 2);
    }
    return {
      platform: round(cpu.platform, 2),
      functions: round(cpu.functions, 2),
      postgres: round(cpu.postgres, 2),
      kafka: round(cpu.kafka, 2),
      total: round(cpu.platform + cpu.functions + cpu.postgres + cpu.kafka, 2),
      byFunction,
    };
  };
};
