// The core of the events package: event definitions, stamping, and CloudEvents over HTTP.
import { randomUUID } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import { violations, type SchemaViolation } from './validation.js';

export { violations, type SchemaViolation } from './validation.js';

type JsonSchema = { $id: string } & Record<string, unknown>;

import type { Address, Money } from './schemas.generated.js';

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
  constructor(readonly type: string, readonly violations: SchemaViolation[]) {
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
  registry.set(type, definition as EventDefinition<unknown>);
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
  assertValidData(event.definition as EventDefinition<unknown>, event.data);
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
  return new CloudEvent(attributes as never, false);
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
const CORE = new Set(['id', 'type', 'source', 'subject', 'time', 'data', 'data_base64', 'dataschema', 'datacontenttype', 'specversion', ...ENVELOPE_EXTENSIONS]);

/**
 * Reads a CloudEvent from an HTTP request (binary or structured mode). Throws when the message is
 * not a valid CloudEvent; the data is returned as parsed JSON but not yet validated.
 */
export const fromHttp = (headers: Record<string, string | string[] | undefined>, body: string | Buffer): ReceivedEvent<unknown> => {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) flat[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  // The SDK's JSON parser builds two errors for every message it reads, to throw only on bad input;
  // without stack frames they cost next to nothing (its errors are reworded below anyway).
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let parsed: ReturnType<typeof HTTP.toEvent>;
  try {
    parsed = HTTP.toEvent({ headers: flat, body: typeof body === 'string' ? body : body.toString('utf8') });
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
  const ce = (Array.isArray(parsed) ? parsed[0] : parsed) as CloudEvent<unknown> | undefined;
  if (!ce) throw new Error('no CloudEvent in the request');
  // The SDK parses leniently; a broker must refuse what is not a valid CloudEvent 1.0.
  if (ce.specversion !== '1.0') throw new Error(`specversion must be 1.0, not ${String(ce.specversion)}`);
  for (const name of ['id', 'type', 'source'] as const) {
    if (typeof ce[name] !== 'string' || ce[name].length === 0) throw new Error(`the required attribute ${name} is missing`);
  }
  try {
    ce.validate();
  } catch (error) {
    const detail = (error as { errors?: unknown }).errors;
    throw new Error(`invalid CloudEvent: ${detail ? JSON.stringify(detail).slice(0, 300) : (error as Error).message}`);
  }
  let data: unknown = ce.data;
  if (data === undefined && ce.data_base64) data = JSON.parse(Buffer.from(ce.data_base64, 'base64').toString('utf8'));
  if (typeof data === 'string' && (ce.datacontenttype ?? 'application/json').includes('json')) {
    try {
      data = JSON.parse(data);
    } catch {
      // left as the string it is: the schema check reports it
    }
  }
  const event: ReceivedEvent<unknown> = {
    id: ce.id,
    type: ce.type,
    source: ce.source,
    subject: ce.subject ?? '',
    time: ce.time ?? new Date().toISOString(),
    data,
  };
  if (ce.dataschema) event.dataschema = ce.dataschema;
  for (const name of ENVELOPE_EXTENSIONS) {
    const value = (ce as unknown as Record<string, unknown>)[name];
    if (typeof value === 'string') event[name] = value;
  }
  for (const [name, value] of Object.entries(ce as unknown as Record<string, unknown>)) {
    if (!CORE.has(name) && value !== undefined && typeof value !== 'function') {
      (event.extensions ??= {})[name] = String(value);
    }
  }
  return event;
};

