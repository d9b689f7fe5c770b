// The Kafka of the broker benchmarks: KAFKA_BROKERS when set, else the one `npm run kafka -- start`
// runs (started here when it is not running yet; left running). Each run gets a topic of its own,
// deleted with its consumer groups afterwards, of BENCH_KAFKA_PARTITIONS (10) partitions, as in the
// comparison with Knative's own Kafka broker data plane. BENCH_KAFKA=off skips the Kafka runs.
import { randomUUID } from 'node:crypto';
import type { BrokerSettings } from './broker.js';
import { bootstrap, optionsFromEnv, start } from '../kafka.js';
import { deleteKafkaTopic } from '../../local/testing.js';

export interface BenchKafka {
  brokers: string;
  /** The runs to a bare subscriber: BENCH_KAFKA_EVENTS (3000), BENCH_KAFKA_CONCURRENCY (50) in flight. */
  settings: BrokerSettings;
  /** Partitions of each run's topic. */
  partitions: number;
  /** Environment of a platform on Kafka, with a topic of its own. */
  env(): { KAFKA_BROKERS: string; KAFKA_BROKER_TOPIC: string };
  /** Deletes a run's topic and consumer groups. */
  drop(topic: string): Promise<void>;
}

export const benchKafka = async (log: (message: string) => void, base: BrokerSettings): Promise<BenchKafka | undefined> => {
  if (process.env.BENCH_KAFKA === 'off') return undefined;
  let brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    const options = optionsFromEnv();
    log(`kafka: KAFKA_BROKERS unset; starting the local Kafka (npm run kafka -- start) at ${bootstrap(options)}`);
    brokers = (await start(options)).brokers;
  }
  const at = brokers;
  log(`kafka: ${at}`);
  const settings = {
    ...base,
    events: Number(process.env.BENCH_KAFKA_EVENTS ?? 3000) || 3000,
    concurrency: Number(process.env.BENCH_KAFKA_CONCURRENCY ?? 50) || 50,
    warmup: Math.max(base.warmup, 200),
  };
  return {
    brokers: at,
    settings,
    partitions: Number(process.env.BENCH_KAFKA_PARTITIONS ?? 10) || 10,
    env: () => ({ KAFKA_BROKERS: at, KAFKA_BROKER_TOPIC: `gotuto-bench-${randomUUID().slice(0, 12)}` }),
    drop: (topic) => deleteKafkaTopic(at, topic).catch(() => undefined),
  };
};
