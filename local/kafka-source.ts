// What a KafkaSource does in a cluster, for the local platform: when the outboxes publish straight
// to Kafka (OUTBOX_KAFKA_TOPIC), one consumer group reads those topics and hands every record to the
// broker's ingress, committing an offset only once the broker has accepted the event.
import type { Consumer } from 'kafkajs';
import { fromKafkaRecord } from '../events/index.js';
import { kafkaClient } from '../functions/runtime/kafka.js';
import type { Logger } from '../functions/runtime/log.js';
import type { Broker } from './broker.js';
import { ensureTopics } from './kafka-log.js';
import type { TopicSpec } from './routing.js';

export interface KafkaSource {
  topics: string[];
  stop(): Promise<void>;
}

export const startKafkaSource = async (options: {
  topics: string[];
  topicSpec: TopicSpec;
  broker: Broker;
  groupId: string;
  log: Logger;
}): Promise<KafkaSource> => {
  const { topics, broker, log } = options;
  const kafka = kafkaClient('gotuto-kafka-source');
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureTopics(admin, topics, options.topicSpec);
  } finally {
    await admin.disconnect();
  }
  const consumer: Consumer = kafka.consumer({ groupId: options.groupId, maxWaitTimeInMs: 250, retry: { retries: 8, restartOnFailure: async () => true } });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    partitionsConsumedConcurrently: options.topicSpec.partitions,
    // One record at a time per partition: the order of an aggregate's events is kept. A record the
    // broker does not take throws, and kafkajs fetches it again from the last commit.
    eachMessage: async ({ topic, partition, message }) => {
      let event;
      try {
        event = fromKafkaRecord(message.headers, message.value, message.key);
      } catch (error) {
        log.error('a record of an outbox topic is not a CloudEvent; skipped', { topic, partition, offset: message.offset, error: String(error) });
        return;
      }
      await broker.accept(event);
    },
  });
  return { topics, stop: () => consumer.disconnect() };
};
