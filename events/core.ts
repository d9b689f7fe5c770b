// The core of the events package: event definitions, stamping, and CloudEvents over HTTP.
import { randomUUID } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import common from '../schemas/common.json' with { type: 'json' };
import type { Address, Money } from './schemas.generated.js';
import { violations, type SchemaViolation } from './validation.js';

export { violations, type SchemaViolation } from './validation.js';

type JsonSchema = { $id: string } & Record<string, unknown>;

/** The largest amount Money may hold, read from its schema so the bound is written once. */
export const MAX_AMOUNT: number = common.$defs.money.properties.amount.maximum;

/** An amount in integer minor units of an ISO 4217 currency (`common.json#/$defs/money`), and a postal address. */
export type { Address, Money };

export interface EventDefinition<Data> {
  /** `com.gotuto.<context>.<name>.v<version>` */
  type: string;
  context: string;
  name: string;
  version: number;
  /** `/gotuto/<context>` */
  source: string;
  /** The `$id` of the data schema; the CloudEvent's `dataschema`. */
  dataschema: string;
  schema: JsonSchema;
  /** An event to emit about aggregate `subject`. */
  build(subject: string, data: Data): NewEvent<Data>;
  /** Phantom field carrying the data type; never set. */
  readonly __data?: Data;
}

/** An event built by the model, not yet stored: the runtime adds id, time and trace extensions. */
export interface NewEvent<Data = unknown> {
  definition: EventDefinition<Data>;
  subject: string;
  data: Data;
}

/** The CloudEvent attributes the platform sets on every event. */
export interface EventEnvelope {
  id: string;
  type: string;
  source: string;
  subject: string;
  time: string;
  dataschema?: string;
  correlationid?: string;
  causationid?: string;
  partitionkey?: string;
  traceparent?: string;
}

export interface ReceivedEvent<Data> extends EventEnvelope {
  data: Data;
  /** Any other extension attributes the event carried (e.g. Knative's `knativeerrorcode`). */
  extensions?: Record<string, string>;
}

export class InvalidEventData extends Error {
  constructor(
    readonly type: string,
    readonly violations: SchemaViolation[],
  ) {
    super(`${type} data is invalid: ${violations.map((v) => `${v.pointer} ${v.message}`).join('; ')}`);
    this.name = 'InvalidEventData';
  }
}

const registry = new Map<string, EventDefinition<unknown>>();

/** Declares an event type with its schema, and registers it for reading. */
export const defineEvent = <Data>(context: string, name: string, version: number, schema: object): EventDefinition<Data> => {
  const type = `com.gotuto.${context}.${name}.v${version}`;
  const jsonSchema = schema as JsonSchema;
  const definition: EventDefinition<Data> = {
    type,
    context,
    name,
    version,
    source: `/gotuto/${context}`,
    dataschema: jsonSchema.$id,
    schema: jsonSchema,
    build: (subject, data) => ({ definition, subject, data }),
  };
  registry.set(type, definition);
  return definition;
};

/** Every event type this process has defined, in the order they were declared. */
export const eventDefinitions = (): EventDefinition<unknown>[] => [...registry.values()];

/** The registered definition of an event type, if this process knows it. */
export const definitionOf = (type: string): EventDefinition<unknown> | undefined => registry.get(type);

/** Throws InvalidEventData when `data` does not satisfy the event's schema (producers and consumers). */
export const assertValidData = (definition: EventDefinition<unknown>, data: unknown): void => {
  const found = violations(definition.schema, data);
  if (found.length > 0) throw new InvalidEventData(definition.type, found);
};

export interface StampOptions {
  correlationId: string;
  causationId: string;
  time: Date;
  traceparent?: string;
}

/** Gives a built event its identity and extensions, validating the data first. */
export const stamp = <Data>(event: NewEvent<Data>, options: StampOptions): ReceivedEvent<Data> => {
  assertValidData(event.definition, event.data);
  const envelope: ReceivedEvent<Data> = {
    id: randomUUID(),
    type: event.definition.type,
    source: event.definition.source,
    subject: event.subject,
    time: options.time.toISOString(),
    dataschema: event.definition.dataschema,
    correlationid: options.correlationId,
    causationid: options.causationId,
    partitionkey: event.subject,
    data: event.data,
  };
  if (options.traceparent) envelope.traceparent = options.traceparent;
  return envelope;
};

const toCloudEvent = (event: ReceivedEvent<unknown>): CloudEvent<unknown> => {
  const { extensions, ...rest } = event;
  const attributes: Record<string, unknown> = { ...extensions, ...rest, datacontenttype: 'application/json', specversion: '1.0' };
  for (const key of Object.keys(attributes)) if (attributes[key] === undefined || (key === 'subject' && attributes[key] === '')) delete attributes[key];
  return new CloudEvent(attributes, false);
};

/** Headers and body of an event in CloudEvents HTTP binary mode. */
export const toBinaryHttp = (event: ReceivedEvent<unknown>): { headers: Record<string, string>; body: string } => {
  const message = HTTP.binary(toCloudEvent(event));
  return { headers: message.headers as Record<string, string>, body: String(message.body) };
};

/** Headers and body of an event in CloudEvents HTTP structured mode. */
export const toStructuredHttp = (event: ReceivedEvent<unknown>): { headers: Record<string, string>; body: string } => {
  const message = HTTP.structured(toCloudEvent(event));
  return { headers: message.headers as Record<string, string>, body: String(message.body) };
};

/** The CloudEvents extensions the platform sets on every event, held as envelope fields. */
export const ENVELOPE_EXTENSIONS = ['correlationid', 'causationid', 'partitionkey', 'traceparent'] as const;

/**
 * Reads the one CloudEvent of an HTTP request (binary or structured mode). Throws
 * InvalidCloudEvent when the message is not a valid CloudEvent; the data is parsed JSON (or the
 * bytes of other content) but not yet validated against its schema.
 */
export { eventFromHttp as fromHttp } from './cloudevents.js';
