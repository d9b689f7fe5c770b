// The Kafka-backed broker's log as its Triggers read it: per Trigger, a consumer group on the broker
// topic (which kafka-ingress.ts writes). Reading, claiming and committing only; what a delivery
// does is the engine's. Built the way Knative's Kafka broker works:
// - a Trigger's consumer commits an offset only once the deliveries before it have ended, at most
//   once per `commitIntervalMs` (and on stop): a crash delivers again what ended since the last
//   commit, which the subscribers' inboxes absorb, and never skips;
// - an ordered Trigger takes one record at a time per partition, an unordered one up to `limit`.
import type { Admin, Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import { fromKafkaRecord, recordAttributes, recordHttpHeaders, type ReceivedEvent } from '../events/index.js';
import type { Logger } from '../functions/runtime/log.js';
import { outgoingOf, type Outgoing } from './engine.js';
import type { TopicSpec } from './routing.js';

/** Creates those of `topics` that do not exist yet, with the broker config's settings; returns them. */
export const ensureTopics = async (admin: Admin, topics: string[], spec: TopicSpec): Promise<string[]> => {
  const existing = new Set(await admin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length > 0) {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((topic) => ({ topic, numPartitions: spec.partitions, replicationFactor: spec.replicationFactor })),
    });
  }
  return missing;
};

/** The consumer group of a Trigger on a topic. */
export const consumerGroupOf = (topic: string, trigger: string): string => `${topic}.${trigger}`;

// --- a Trigger's consumer -------------------------------------------------------------------------

/** What this process has taken from one partition and not yet committed. */
export interface Lane {
  /** The next offset to take; anything below was taken by this process. */
  next: number;
  /** Offsets taken whose delivery has not ended. */
  open: Set<number>;
  /** Offsets of `open` waiting out a backoff of more than a second (ignored by `idle`). */
  resting: Set<number>;
  committed: number;
  freed?: () => void;
}

export const commitPointOf = (lane: Lane): number => {
  let lowest = lane.next;
  for (const offset of lane.open) if (offset < lowest) lowest = offset;
  return lowest;
};

export type RecordOf = EachBatchPayload['batch']['messages'][number];

/**
 * A record as the engine delivers it. A binary-mode record (what the ingress writes) is matched on
 * its headers and goes out as it is, headers to headers, with no parsing of its data (the ingress
 * validated it); every Trigger reads every record, so only those that match build the request.
 * Any other record is read whole first.
 */
export const recordOutgoing = (message: RecordOf): Outgoing => {
  if (message.headers?.ce_id !== undefined && message.headers.ce_specversion !== undefined) {
    let whole: ReceivedEvent<unknown> | undefined;
    return {
      attributes: recordAttributes(message.headers, message.key),
      request: () => {
        const headers = recordHttpHeaders(message.headers);
        if (!headers['ce-partitionkey'] && message.key) headers['ce-partitionkey'] = message.key.toString();
        return { headers, body: message.value === null ? '' : message.value.toString() };
      },
      whole: () => (whole ??= fromKafkaRecord(message.headers, message.value, message.key)),
    };
  }
  return outgoingOf(fromKafkaRecord(message.headers, message.value, message.key));
};

export interface TriggerConsumer {
  groupId: string;
  consumer: Consumer;
  lanes: Map<number, Lane>;
  commit(): Promise<void>;
}

export interface ConsumerOptions {
  kafka: Kafka;
  topic: string;
  groupId: string;
  partitions: number;
  /** Records in flight per partition. */
  limit: number;
  commitIntervalMs: number;
  log: Logger;
  running(): boolean;
  /**
   * Takes a record: resolves true once its delivery ended (its offset may be committed), false when
   * a stop cut it short (the offset stays uncommitted).
   */
  take(message: RecordOf, lane: Lane, offset: number): Promise<boolean>;
}

/** The offsets of one consumer group, committed behind the deliveries that ended. */
const createCommitter = (consumer: Consumer, o: ConsumerOptions, lanes: Map<number, Lane>) => {
  let committing: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const now = (): Promise<void> => {
    timer = undefined;
    committing = committing.then(async () => {
      const offsets = [...lanes.entries()]
        .map(([partition, lane]) => ({ partition, lane, point: commitPointOf(lane) }))
        .filter((x) => x.point > x.lane.committed);
      if (offsets.length === 0) return;
      try {
        await consumer.commitOffsets(offsets.map((x) => ({ topic: o.topic, partition: x.partition, offset: String(x.point) })));
        for (const x of offsets) x.lane.committed = Math.max(x.lane.committed, x.point);
      } catch (error) {
        // Not committed: a restart delivers these again, which the subscribers' inboxes absorb.
        o.log.warn('offset commit failed; trying again', { group: o.groupId, error: String(error) });
        if (o.running()) timer ??= setTimeout(() => void now(), 1000);
      }
    });
    return committing;
  };
  return {
    schedule: () => {
      timer ??= setTimeout(() => void now(), o.commitIntervalMs);
    },
    now: async () => {
      if (timer) clearTimeout(timer);
      await now();
    },
  };
};

/** Waits until `lane` has room for one more record, keeping the consumer's session alive. */
const room = async (lane: Lane, limit: number, running: () => boolean, heartbeat: () => Promise<void>) => {
  while (lane.open.size >= limit && running()) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      lane.freed = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    lane.freed = undefined;
    await heartbeat().catch(() => undefined);
  }
};

/**
 * How long a batch waits for its deliveries before the next fetch, at most. kafkajs fetches again
 * as soon as every partition's batch returned: without the wait a busy Trigger fetched 15 records
 * at a time instead of about 75 (the bare kafkajs pipeline, which awaits its deliveries), and each fetch
 * costs the same CPU whatever it brings. A delivery that takes longer (a slow subscriber, a
 * backoff) holds the next fetch back by this much only.
 */
const SETTLE_MS = 5;

/** Waits until the lane's deliveries ended, or `ms` passed. */
const settle = async (lane: Lane, ms: number) => {
  if (lane.open.size === 0) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      lane.freed = undefined;
      resolve();
    };
    const timer = setTimeout(done, ms);
    lane.freed = () => {
      if (lane.open.size === 0) done();
    };
  });
};

export const startTriggerConsumer = async (o: ConsumerOptions): Promise<TriggerConsumer> => {
  const { topic, log } = o;
  const consumer = o.kafka.consumer({
    groupId: o.groupId,
    sessionTimeout: 30_000,
    heartbeatInterval: 3000,
    // A fetch returns as soon as a record arrives; the wait only bounds an idle poll (and a stop).
    maxWaitTimeInMs: 1000,
    retry: { initialRetryTime: 300, maxRetryTime: 5000, retries: 8, restartOnFailure: async () => true },
  });
  const lanes = new Map<number, Lane>();
  const committer = createCommitter(consumer, o, lanes);
  const laneOf = (partition: number, firstOffset: number): Lane => {
    let lane = lanes.get(partition);
    if (!lane) lanes.set(partition, (lane = { next: firstOffset, open: new Set(), resting: new Set(), committed: firstOffset }));
    return lane;
  };

  const ended = (lane: Lane, offset: number) => (done: boolean) => {
    if (!done) return;
    lane.open.delete(offset);
    lane.freed?.();
    committer.schedule();
  };

  const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) => {
    const lane = laneOf(batch.partition, Number(batch.firstOffset() ?? 0));
    for (const message of batch.messages) {
      if (!o.running() || !isRunning() || isStale()) return;
      const offset = Number(message.offset);
      // Taken by this process already (a fetch from an older commit after a restart of the consumer).
      if (offset < lane.next) {
        resolveOffset(message.offset);
        continue;
      }
      await room(lane, o.limit, o.running, heartbeat);
      if (!o.running()) return;
      lane.next = offset + 1;
      resolveOffset(message.offset);
      lane.open.add(offset);
      void o
        .take(message, lane, offset)
        .catch((error: unknown) => {
          // Not ended: the offset stays uncommitted, and a restart delivers the record again.
          log.error('delivery failed', { topic, group: o.groupId, partition: batch.partition, offset, error: String(error) });
          return false;
        })
        .then(ended(lane, offset));
    }
    // Past the batch's end: the marker a committed or aborted transaction leaves is never a message.
    lane.next = Math.max(lane.next, Number(batch.lastOffset()) + 1);
    await settle(lane, SETTLE_MS);
  };
  // A fetch of transaction markers or aborted records only never reaches eachBatch: moved past too.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize !== 0 || payload.topic !== topic) return;
    const lane = laneOf(payload.partition, Number(payload.firstOffset ?? payload.lastOffset));
    lane.next = Math.max(lane.next, Number(payload.lastOffset) + 1);
    committer.schedule();
  });

  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: o.partitions, eachBatch });
  return { groupId: o.groupId, consumer, lanes, commit: committer.now };
};
