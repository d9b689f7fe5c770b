// What the broker benchmark's sender (scripts/bench/broker.ts) and its receivers share: the event
// type it publishes, the clock it stamps events with, and the IPC messages of the receivers
// (scripts/bench/broker-platform.ts, the platform with a no-op handler, and
// scripts/bench/fixtures/http-sink.cjs, the bare node:http baseline).
//
// The clock is process.hrtime, i.e. CLOCK_MONOTONIC, which every process of the machine shares:
// "received minus sent" across two processes needs no wall-clock sync and has sub-ms resolution.
import { defineEvent } from '../../events/index.js';
import type { InstanceView } from '../../local/scale-to-zero/instance.js';

export interface BenchPing {
  /** The event's number in its run. */
  seq: number;
  /** monotonicMs() when the sender started the request. */
  sentAt: number;
}

export const benchPinged = defineEvent<BenchPing>('bench', 'pinged', 1, {
  $id: 'https://gotuto.dev/schemas/events/bench/pinged.v1.json',
  type: 'object',
  required: ['seq', 'sentAt'],
  additionalProperties: false,
  properties: { seq: { type: 'integer', minimum: 0 }, sentAt: { type: 'number' } },
});

export const BENCH_SOURCE = '/bench/broker';

/** Milliseconds on the machine-wide monotonic clock (the same in every process). */
export const monotonicMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Parent to receiver: how many events arrived so far; hand over (and forget) what was measured;
 * (the cold-chain platform, scripts/bench/cold-platform.ts) the functions' processes; an answer once the broker is idle.
 */
export type ToReceiver = { type: 'count' } | { type: 'take' } | { type: 'instances' } | { type: 'settle' };

export type FromReceiver =
  | { type: 'ready'; url: string }
  | { type: 'count'; count: number }
  /** Per event, received minus sent (ms); `lastAt` is monotonicMs() of the last one received. */
  | { type: 'samples'; latenciesMs: number[]; lastAt: number }
  | { type: 'instances'; instances: InstanceView[] }
  | { type: 'settled'; error?: string }
  /** An order's saga ended: its order-confirmed or order-cancelled was accepted by the broker at monotonicMs() `at`. */
  | { type: 'ended'; eventType: string; subject: string; at: number };
