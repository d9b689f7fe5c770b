// The ingress of the Kafka-backed broker: it writes events to the broker topic as CloudEvents
// records in binary mode (`ce_` headers, the data as the value, `partitionkey` as the key) with acks
// from every in-sync replica, and answers 503 (Unavailable) when Kafka does not take them within
// the ingress timeout. Events that wait while a send is in flight go in the next one.
import type { Producer } from 'kafkajs';
import { toKafkaRecord, type ReceivedEvent } from '../events/index.js';
import { Unavailable } from '../functions/runtime/errors.js';

/** An event to write, with the record headers that are not CloudEvents attributes. */
export interface Produced {
  event: ReceivedEvent<unknown>;
  headers: Record<string, string>;
}

type KafkaRecord = ReturnType<typeof toKafkaRecord>;
type Waiting = { records: KafkaRecord[]; done: (error?: Error) => void };

/** A value made on first use (made again after a failure or a reset), and closed only if it was made. */
export interface Lazy<T> {
  get(): Promise<T>;
  /** Closes the value; the next `get` makes a new one. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

export const lazy = <T>(make: () => Promise<T>, close: (value: T) => Promise<void>): Lazy<T> => {
  let made: Promise<T> | undefined;
  const closeMade = async () => {
    const value = await made?.catch(() => undefined);
    made = undefined;
    if (value !== undefined) await close(value).catch(() => undefined);
  };
  return {
    get: () =>
      (made ??= make().catch((error: unknown) => {
        made = undefined;
        throw error;
      })),
    reset: closeMade,
    close: closeMade,
  };
};

/** Races `work` against `timeoutMs`: the Unavailable error that answers 503, or undefined once Kafka has it. */
const withinTime = async (work: Promise<unknown>, timeoutMs: number): Promise<Unavailable | undefined> => {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Unavailable(`Kafka did not take the event within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return undefined;
  } catch (error) {
    // Work that still lands after the 503 delivers the events once more; consumers drop a repeated id.
    work.catch(() => undefined);
    return error instanceof Unavailable ? error : new Unavailable(`Kafka did not take the event: ${(error as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
};

/** A queue whose waiting entries go out together, whole entries only, about a thousand records at once. */
const createLane = (write: (records: KafkaRecord[]) => Promise<Error | undefined>) => {
  let queue: Waiting[] = [];
  let sending = false;
  const drain = async () => {
    sending = true;
    while (queue.length > 0) {
      let count = 0;
      let taken = 0;
      while (taken < queue.length && (taken === 0 || count + (queue[taken]?.records.length ?? 0) <= 1000)) count += queue[taken++]?.records.length ?? 0;
      const batch = queue.slice(0, taken);
      queue = queue.slice(taken);
      const failure = await write(batch.flatMap((w) => w.records));
      for (const w of batch) w.done(failure);
    }
    sending = false;
  };
  return {
    push: (records: KafkaRecord[]) =>
      new Promise<void>((resolve, reject) => {
        queue.push({ records, done: (error) => (error ? reject(error) : resolve()) });
        if (!sending) void drain();
      }),
    busy: () => sending || queue.length > 0,
  };
};

/**
 * Writes events to the topic. A single event goes through the idempotent producer (one record is
 * taken or refused whole); a batch of the ingress spans partitions, which one send does not make
 * atomic, so it goes in a Kafka transaction (`transactional`, made on first use): consumers read
 * committed records only, so a batch is delivered whole or not at all.
 */
export const createIngress = (producer: Producer, transactional: Lazy<Producer>, topic: string, timeoutMs: number) => {
  const single = createLane((messages) => withinTime(producer.send({ topic, acks: -1, messages }), timeoutMs));
  let settled: Promise<unknown> = Promise.resolve();
  const batches = createLane(async (messages) => {
    // One transaction at a time: the next waits for this one to end, even past a 503.
    const work = settled.then(async () => {
      const tx = await (await transactional.get()).transaction();
      try {
        await tx.send({ topic, acks: -1, messages });
        await tx.commit();
      } catch (error) {
        await tx.abort().catch(() => undefined);
        // A producer whose transaction failed starts afresh: a new one under the same id aborts
        // whatever the old one left open, so no reader waits for it.
        await transactional.reset();
        throw error;
      }
    });
    settled = work.catch(() => undefined);
    return withinTime(work, timeoutMs);
  });
  return {
    /** Resolves once Kafka has every one of `entries`; rejects (Unavailable) when it took none of them. */
    produce: (entries: Produced[]): Promise<void> => {
      const records = entries.map((e) => toKafkaRecord(e.event, e.headers));
      return records.length > 1 ? batches.push(records) : single.push(records);
    },
    busy: () => single.busy() || batches.busy(),
  };
};
