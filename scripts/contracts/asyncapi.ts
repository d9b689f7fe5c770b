// The AsyncAPI 3 document of the events, built from the event registry, the schemas and the Trigger
// manifests in knative/base: each event type is a channel on the Broker (the Broker's Kafka topic,
// filtered by `type`), sent by the context that owns it and received by every function whose
// Trigger filters on it. A message carries the CloudEvents attributes as `ce_*` headers (binary
// mode), its data as the payload, and `partitionkey` as the Kafka key.
import type { EventDefinition } from '../../events/index.js';
import type { RegisteredFunction } from '../../functions/runtime/definition.js';
import type { TriggerSpec } from '../../local/routing.js';
import { components, refTo, type JsonSchema } from './schemas.js';

const PREFIX = '#/components/schemas';

const text = (description: string) => ({ type: 'string', description });

// The attributes the platform sets on every event (events/core.ts `stamp`), as Kafka headers.
const headersOf = (event: EventDefinition<unknown>) => ({
  type: 'object',
  required: [
    'ce_specversion',
    'ce_id',
    'ce_type',
    'ce_source',
    'ce_subject',
    'ce_time',
    'ce_dataschema',
    'ce_correlationid',
    'ce_causationid',
    'ce_partitionkey',
  ],
  properties: {
    ce_specversion: { type: 'string', const: '1.0' },
    ce_id: { type: 'string', format: 'uuid', description: 'Unique per event; consumers keep an inbox keyed by it' },
    ce_type: { type: 'string', const: event.type },
    ce_source: { type: 'string', const: event.source },
    ce_subject: text('The aggregate id'),
    ce_time: { type: 'string', format: 'date-time' },
    ce_dataschema: { type: 'string', const: event.dataschema },
    'content-type': { type: 'string', const: 'application/json' },
    ce_correlationid: text('Extension: the saga or request that started it'),
    ce_causationid: text('Extension: the event or request that caused it'),
    ce_partitionkey: text('Extension: the aggregate id, the Kafka key (ordering per aggregate)'),
    ce_traceparent: text('Extension: W3C trace context'),
  },
});

const keyOfEvent = (event: EventDefinition<unknown>) => `${event.context}.${event.name}.v${event.version}`;

/** The functions a Trigger of `triggers` delivers `type` to (exact `filter.attributes.type`, or `filters` exact). */
const consumersOf = (type: string, triggers: TriggerSpec[], registry: RegisteredFunction[]): RegisteredFunction[] =>
  triggers
    .filter((t) => t.attributes?.type === type || t.filters?.some((f) => f.exact?.type === type))
    .map((t) => registry.find((fn) => fn.name === t.subscriber.service))
    .filter((fn): fn is RegisteredFunction => fn !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));

/** The schema's title when it has one (a string), else the event's name. */
const titleOf = (schema: JsonSchema, event: EventDefinition<unknown>): string => (typeof schema.title === 'string' ? schema.title : event.name);

const channelOf = (event: EventDefinition<unknown>, schema: JsonSchema, topic: string) => ({
  address: event.type,
  title: event.type,
  description: `${titleOf(schema, event)}. On the Broker gotuto (Kafka topic ${topic}), selected by the CloudEvents type.`,
  servers: [{ $ref: '#/servers/broker' }, { $ref: '#/servers/kafka' }],
  messages: { [event.name]: { $ref: `#/components/messages/${keyOfEvent(event)}` } },
  bindings: { kafka: { topic, bindingVersion: '0.5.0' } },
});

const messageOf = (event: EventDefinition<unknown>, schema: JsonSchema) => ({
  name: event.type,
  title: event.type,
  summary: titleOf(schema, event),
  contentType: 'application/json',
  headers: headersOf(event),
  payload: refTo(event.dataschema, PREFIX),
  correlationId: { description: 'The saga or request that started it', location: '$message.header#/ce_correlationid' },
  bindings: { kafka: { key: { type: 'string', description: 'partitionkey: the aggregate id (the CloudEvents subject)' }, bindingVersion: '0.5.0' } },
  'x-cloudevents': { type: event.type, source: event.source, dataschema: event.dataschema, subject: 'the aggregate id', partitionkey: 'the aggregate id' },
});

export interface AsyncApiInput {
  events: EventDefinition<unknown>[];
  schemas: JsonSchema[];
  registry: RegisteredFunction[];
  triggers: TriggerSpec[];
  topic: string;
  version: string;
}

/** The AsyncAPI 3 document of every event type of `events`. */
export const buildAsyncApi = ({ events, schemas, registry, triggers, topic, version }: AsyncApiInput): Record<string, unknown> => {
  const byId = new Map(schemas.map((s) => [s.$id, s]));
  const sorted = [...events].sort((a, b) => a.type.localeCompare(b.type));
  const channels: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  for (const event of sorted) {
    const schema = byId.get(event.dataschema);
    if (!schema) throw new Error(`${event.type}: no schema with $id ${event.dataschema} under schemas/`);
    const key = keyOfEvent(event);
    channels[key] = channelOf(event, schema, topic);
    messages[key] = messageOf(event, schema);
    const channel = { $ref: `#/channels/${key}` };
    operations[`${key}.send`] = {
      action: 'send',
      channel,
      title: `${event.context} publishes ${event.name}`,
      description: `Produced by the ${event.context} context (source ${event.source}), from its outbox after the change commits.`,
      'x-producer': event.context,
    };
    for (const fn of consumersOf(event.type, triggers, registry)) {
      operations[`${key}.${fn.name}`] = {
        action: 'receive',
        channel,
        title: `${fn.name} receives ${event.name}`,
        description: `Delivered by the Trigger ${fn.name} to the function ${fn.name}; 2xx when done, 4xx refused for good, 5xx retried.`,
        'x-consumer': fn.name,
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'GoTuto Functions events',
      version,
      description:
        'Every domain event of the platform, as CloudEvents 1.0 on the Knative Broker. Generated by `npm run contracts` from the event registry, schemas/events and the Trigger manifests in knative/base.',
    },
    defaultContentType: 'application/json',
    servers: {
      broker: {
        host: '127.0.0.1:8080',
        pathname: '/broker',
        protocol: 'http',
        description: 'The Broker ingress (the local platform; K_SINK in a cluster): CloudEvents over HTTP, binary or structured mode',
      },
      kafka: {
        host: '127.0.0.1:9092',
        protocol: 'kafka',
        description: 'The Kafka behind the Broker: binary mode, value = data as JSON, key = partitionkey, headers ce_*',
      },
    },
    channels,
    operations,
    components: { schemas: components(schemas, PREFIX), messages },
  };
};
