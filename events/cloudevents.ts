// CloudEvents 1.0 read from HTTP, to the letter of the spec, for the broker ingress and for a
// function's own URL alike: binary, structured and batch mode. The SDK's reader is lenient where a
// broker must not be (it invents a missing `id` and `time`, keeps only the first event of a batch,
// leaves `data_base64` undecoded), so the attributes are checked here, each refusal naming the
// offending attribute with a JSON pointer. Every event of a request is returned, or none.
import type { ReceivedEvent } from './core.js';
import { maxJsonDepth, parseBoundedJson, positiveSetting, tooDeepAt } from './json.js';

/** A request that is not a valid CloudEvent (or batch of them); answered 400, nothing kept. */
export class InvalidCloudEvent extends Error {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
    this.name = 'InvalidCloudEvent';
  }
}

export interface CloudEventLimits {
  maxIdLength: number;
  maxSourceLength: number;
  maxTypeLength: number;
  /** Nesting of the data, below the data itself. */
  maxDepth: number;
  maxBatch: number;
}

/** The limits from the environment, with their production defaults. */
export const cloudEventLimits = (): CloudEventLimits => ({
  maxIdLength: positiveSetting('CLOUDEVENT_MAX_ID_LENGTH', 256),
  maxSourceLength: positiveSetting('CLOUDEVENT_MAX_SOURCE_LENGTH', 1024),
  maxTypeLength: positiveSetting('CLOUDEVENT_MAX_TYPE_LENGTH', 256),
  maxDepth: maxJsonDepth(),
  maxBatch: positiveSetting('CLOUDEVENT_MAX_BATCH', 100),
});

type Headers = Record<string, string | string[] | undefined>;
type Attributes = Record<string, unknown>;

const BATCH = /^application\/cloudevents-batch\+json\s*(;|$)/i;
const STRUCTURED = /^application\/cloudevents\+json\s*(;|$)/i;
const JSON_CONTENT = /^(application|text)\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;
// The spec asks names to stay within 20 characters (SHOULD NOT exceed) but does not forbid longer
// ones, and Knative's Kafka dispatcher adds `knativekafkapartition` (21) to every delivery; 64 still
// bounds what a header may name.
const EXTENSION_NAME = /^[a-z0-9]{1,64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// RFC 3339 date-time; the calendar (February 30) is checked below.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const CONTEXT_ATTRIBUTES = new Set(['specversion', 'id', 'source', 'type', 'subject', 'time', 'datacontenttype', 'dataschema']);
const ENVELOPE_EXTENSIONS = new Set(['correlationid', 'causationid', 'partitionkey', 'traceparent']);

const isJsonContent = (type: string | undefined): boolean => type === undefined || JSON_CONTENT.test(type);

const validTime = (value: string): boolean => {
  const match = RFC3339.exec(value);
  if (!match) return false;
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const lastDay = new Date(0);
  lastDay.setUTCFullYear(year, month, 0);
  // A leap second (60) is legal in RFC 3339.
  return month >= 1 && month <= 12 && day >= 1 && day <= lastDay.getUTCDate() && hour < 24 && minute < 60 && second <= 60;
};

const requiredString = (attrs: Attributes, name: string, at: string, max?: number): string => {
  const value = attrs[name];
  if (value === undefined || value === null || value === '') throw new InvalidCloudEvent(`the required attribute ${name} is missing`, `${at}/${name}`);
  if (typeof value !== 'string') throw new InvalidCloudEvent(`${name} must be a string`, `${at}/${name}`);
  if (max !== undefined && value.length > max) throw new InvalidCloudEvent(`${name} is ${value.length} characters; at most ${max}`, `${at}/${name}`);
  return value;
};

const optionalString = (attrs: Attributes, name: string, at: string): string | undefined => {
  const value = attrs[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidCloudEvent(`${name} must be a string`, `${at}/${name}`);
  return value;
};

/** The data of a structured event: `data` as it is, or `data_base64` decoded (and parsed when JSON). */
const structuredData = (attrs: Attributes, at: string, limits: CloudEventLimits): unknown => {
  const contentType = optionalString(attrs, 'datacontenttype', at);
  if (attrs.data_base64 === undefined) {
    const { data } = attrs;
    // A JSON string holding the JSON document (what some SDKs send) is read as that document.
    if (typeof data === 'string' && isJsonContent(contentType)) {
      if (tooDeepAt(data, limits.maxDepth) >= 0) throw new InvalidCloudEvent(`${at}/data nests deeper than ${limits.maxDepth} levels`, `${at}/data`);
      try {
        return JSON.parse(data) as unknown;
      } catch {
        return data; // a plain string: the data schema judges it
      }
    }
    return data;
  }
  if (attrs.data !== undefined) throw new InvalidCloudEvent('an event has data or data_base64, not both', `${at}/data_base64`);
  const encoded = attrs.data_base64;
  if (typeof encoded !== 'string' || !BASE64.test(encoded)) throw new InvalidCloudEvent('data_base64 must be base64 text', `${at}/data_base64`);
  const bytes = Buffer.from(encoded, 'base64');
  return isJsonContent(contentType) ? jsonData(bytes.toString('utf8'), `${at}/data_base64`, limits) : bytes;
};

const jsonData = (text: string, pointer: string, limits: CloudEventLimits): unknown => {
  if (text.length === 0) return undefined;
  try {
    return parseBoundedJson(text, limits.maxDepth, pointer);
  } catch (error) {
    throw new InvalidCloudEvent((error as Error).message, pointer);
  }
};

/** Checks an event's attributes (from any mode) and makes it a ReceivedEvent. */
const toEvent = (attrs: Attributes, data: unknown, at: string, limits: CloudEventLimits): ReceivedEvent<unknown> => {
  const specversion = requiredString(attrs, 'specversion', at);
  if (specversion !== '1.0') throw new InvalidCloudEvent(`specversion must be 1.0, not ${specversion}`, `${at}/specversion`);
  const time = optionalString(attrs, 'time', at);
  if (time !== undefined && !validTime(time)) throw new InvalidCloudEvent(`time must be an RFC 3339 timestamp, not ${time.slice(0, 40)}`, `${at}/time`);
  const event: ReceivedEvent<unknown> = {
    id: requiredString(attrs, 'id', at, limits.maxIdLength),
    type: requiredString(attrs, 'type', at, limits.maxTypeLength),
    source: requiredString(attrs, 'source', at, limits.maxSourceLength),
    subject: optionalString(attrs, 'subject', at) ?? '',
    // An absent time is allowed by the spec: the time it was received stands in for it.
    time: time ?? new Date().toISOString(),
    data,
  };
  const dataschema = optionalString(attrs, 'dataschema', at);
  if (dataschema !== undefined) event.dataschema = dataschema;
  optionalString(attrs, 'datacontenttype', at);
  for (const [name, value] of Object.entries(attrs)) {
    if (CONTEXT_ATTRIBUTES.has(name) || name === 'data' || name === 'data_base64' || value === undefined) continue;
    if (!EXTENSION_NAME.test(name))
      throw new InvalidCloudEvent(`${name} is not a valid extension name (lowercase letters and digits, at most 64)`, `${at}/${name}`);
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new InvalidCloudEvent(`the extension ${name} must be a string, a number or a boolean`, `${at}/${name}`);
    }
    if (ENVELOPE_EXTENSIONS.has(name)) (event as unknown as Record<string, string>)[name] = String(value);
    else (event.extensions ??= {})[name] = String(value);
  }
  return event;
};

const structuredEvent = (value: unknown, at: string, limits: CloudEventLimits): ReceivedEvent<unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidCloudEvent('an event must be a JSON object', at || '/');
  const attrs = value as Attributes;
  return toEvent(attrs, structuredData(attrs, at, limits), at, limits);
};

const flatHeaders = (headers: Headers): Record<string, string> => {
  const flat: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) flat[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  return flat;
};

// Binary-mode header values are percent-encoded where they hold what a header cannot.
const headerValue = (raw: string, name: string): string => {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new InvalidCloudEvent(`the header ${name} holds a broken percent-encoding`, `/headers/${name}`);
  }
};

const binaryEvent = (headers: Record<string, string>, body: string, limits: CloudEventLimits): ReceivedEvent<unknown> => {
  const attrs: Attributes = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith('ce-')) attrs[name.slice(3)] = headerValue(value, name);
  }
  const contentType = headers['content-type'];
  if (contentType !== undefined) attrs.datacontenttype = contentType;
  const data = isJsonContent(contentType) ? jsonData(body, '/data', limits) : Buffer.from(body, 'utf8');
  try {
    return toEvent(attrs, data, '', limits);
  } catch (error) {
    // A binary event's attributes are headers: the pointer names the header.
    if (error instanceof InvalidCloudEvent && error.pointer !== '/data') throw new InvalidCloudEvent(error.message, `/headers/ce-${error.pointer.slice(1)}`);
    throw error;
  }
};

const parseBody = (text: string, limits: CloudEventLimits, batch: boolean): unknown => {
  // The envelope adds a level (and the batch's array another) above each event's data.
  const element = tooDeepAt(text, limits.maxDepth + (batch ? 2 : 1));
  if (element >= 0) {
    const pointer = batch ? `/${element}/data` : '/data';
    throw new InvalidCloudEvent(`${pointer} nests deeper than ${limits.maxDepth} levels`, pointer);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InvalidCloudEvent(`the body is not valid JSON: ${(error as Error).message}`, '/');
  }
};

/**
 * Every CloudEvent of an HTTP request: one in binary or structured mode, all of a batch
 * (`application/cloudevents-batch+json`). Throws InvalidCloudEvent, naming the offending attribute,
 * when any of them is invalid: a batch is taken whole or refused whole.
 */
export const eventsFromHttp = (headers: Headers, body: string | Buffer, limits: CloudEventLimits = cloudEventLimits()): ReceivedEvent<unknown>[] => {
  const flat = flatHeaders(headers);
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const contentType = flat['content-type'];
  if (contentType !== undefined && BATCH.test(contentType)) {
    const batch = parseBody(text, limits, true);
    if (!Array.isArray(batch)) throw new InvalidCloudEvent('a batch must be a JSON array of events', '/');
    if (batch.length > limits.maxBatch) throw new InvalidCloudEvent(`a batch holds at most ${limits.maxBatch} events, not ${batch.length}`, '/');
    return batch.map((value, index) => structuredEvent(value, `/${index}`, limits));
  }
  if (contentType !== undefined && STRUCTURED.test(contentType)) return [structuredEvent(parseBody(text, limits, false), '', limits)];
  if (flat['ce-specversion'] === undefined) {
    throw new InvalidCloudEvent('not a CloudEvent: no ce-specversion header, and not application/cloudevents+json', '/headers/ce-specversion');
  }
  return [binaryEvent(flat, text, limits)];
};

/** The one CloudEvent of a delivery (binary or structured mode); a batch is refused: a delivery carries one event. */
export const eventFromHttp = (headers: Headers, body: string | Buffer, limits: CloudEventLimits = cloudEventLimits()): ReceivedEvent<unknown> => {
  const contentType = flatHeaders(headers)['content-type'];
  if (contentType !== undefined && BATCH.test(contentType)) throw new InvalidCloudEvent('a delivery carries one event, not a batch', '/');
  return eventsFromHttp(headers, body, limits)[0] as ReceivedEvent<unknown>;
};
