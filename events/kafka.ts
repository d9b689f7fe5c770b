// CloudEvents over Kafka, binary content mode (the CloudEvents Kafka protocol binding, as Knative's
// Kafka broker stores events): every attribute in a `ce_<name>` header, `content-type` for
// datacontenttype, the data as the record value, and `partitionkey` as the record key, so the
// events of one aggregate land on one partition, in order.
import { ENVELOPE_EXTENSIONS, fromHttp, toBinaryHttp, type ReceivedEvent } from './core.js';

export interface KafkaRecord {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** The record as the CloudEvents SDK's binary-mode serializer makes it: every case, slowly. */
const sdkRecord = (event: ReceivedEvent<unknown>, extraHeaders: Record<string, string>): KafkaRecord => {
  const { headers, body } = toBinaryHttp(event);
  const recordHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    recordHeaders[lower.startsWith('ce-') ? `ce_${lower.slice(3)}` : lower] = value;
  }
  return { key: event.partitionkey ?? (event.subject || null), value: body, headers: { ...recordHeaders, ...extraHeaders } };
};

/** Names the SDK reads as attributes of their own: an extension of such a name takes the SDK's path. */
const SDK_ATTRIBUTES = new Set([
  'id',
  'time',
  'type',
  'source',
  'specversion',
  'datacontenttype',
  'subject',
  'datacontentencoding',
  'dataschema',
  'data',
  'data_base64',
  'schemaurl',
]);

/** The body the SDK writes for data it does not encode in base64; undefined for anything else. */
const plainBody = (data: unknown): string | undefined => {
  if (typeof data === 'string') return data;
  if (typeof data === 'number' || typeof data === 'boolean') return String(data);
  if (typeof data === 'object' && !ArrayBuffer.isView(data)) return JSON.stringify(data);
  return undefined;
};

/**
 * The Kafka record of an event; `extraHeaders` (not CloudEvents attributes) ride along. The same
 * record the SDK's serializer makes (events/kafka.test.ts compares them), written directly for an
 * event with a time and JSON data: the SDK's event object and its checks cost about 20 µs an event
 * at the Kafka broker's ingress.
 */
export const toKafkaRecord = (event: ReceivedEvent<unknown>, extraHeaders: Record<string, string> = {}): KafkaRecord => {
  const value = plainBody(event.data);
  const extensions = event.extensions ?? {};
  if (value === undefined || !event.id || !event.time || Object.keys(extensions).some((name) => SDK_ATTRIBUTES.has(name)))
    return sdkRecord(event, extraHeaders);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, v] of Object.entries(extensions)) if (v !== undefined) headers[`ce_${name.toLowerCase()}`] = v;
  const { extensions: _extensions, data: _data, time, ...attributes } = event;
  for (const [name, v] of Object.entries(attributes)) if (v !== undefined && (name !== 'subject' || v !== '')) headers[`ce_${name.toLowerCase()}`] = v;
  headers.ce_specversion = '1.0';
  headers.ce_time = new Date(time).toISOString();
  return { key: event.partitionkey ?? (event.subject || null), value, headers: { ...headers, ...extraHeaders } };
};

const text = (value: Buffer | string | (Buffer | string)[] | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const one = Array.isArray(value) ? value[value.length - 1] : value;
  return one === undefined ? undefined : one.toString();
};

/**
 * Reads an event back from a Kafka record in binary (or structured) mode; throws when the record
 * is not a valid CloudEvent. A record key stands in for a missing `ce_partitionkey`.
 */
export const fromKafkaRecord = (headers: RecordHeaders | undefined, value: Buffer | string | null, key?: Buffer | string | null): ReceivedEvent<unknown> => {
  const http: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const v = text(raw);
    if (v === undefined) continue;
    const lower = name.toLowerCase();
    if (lower.startsWith('ce_')) http[`ce-${lower.slice(3)}`] = v;
    else if (lower === 'content-type') http['content-type'] = v;
  }
  if (!http['ce-partitionkey'] && key !== undefined && key !== null && http['ce-id']) http['ce-partitionkey'] = key.toString();
  return fromHttp(http, value === null ? '' : value.toString());
};

/**
 * The CloudEvents attributes of a binary-mode record, read from its headers without parsing or
 * validating the data: enough to match a Trigger's filters before paying for the whole event.
 */
export const recordAttributes = (headers: RecordHeaders | undefined, key?: Buffer | string | null): ReceivedEvent<unknown> => {
  const attributes: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    if (!lower.startsWith('ce_')) continue;
    const v = text(raw);
    if (v !== undefined) attributes[lower.slice(3)] = v;
  }
  const {
    id = '',
    type = '',
    source = '',
    subject = '',
    time = '',
    specversion: _specversion,
    datacontenttype: _contenttype,
    dataschema,
    ...extensions
  } = attributes;
  const event: ReceivedEvent<unknown> = { id, type, source, subject, time, data: undefined, extensions };
  if (dataschema !== undefined) event.dataschema = dataschema;
  for (const name of ENVELOPE_EXTENSIONS) {
    if (extensions[name] !== undefined) {
      event[name] = extensions[name];
      delete extensions[name];
    }
  }
  if (event.partitionkey === undefined && key !== undefined && key !== null) event.partitionkey = key.toString();
  return event;
};

/** The HTTP headers of a binary-mode record's event (`ce_x` to `ce-x`, and its content type), as it is delivered. */
export const recordHttpHeaders = (headers: RecordHeaders | undefined): Record<string, string> => {
  const http: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const lower = name.toLowerCase();
    const v = lower.startsWith('ce_') || lower === 'content-type' ? text(raw) : undefined;
    if (v !== undefined) http[lower === 'content-type' ? lower : `ce-${lower.slice(3)}`] = v;
  }
  return http;
};

/** The value of a plain (non-CloudEvents) record header, as a string. */
export const recordHeader = (headers: RecordHeaders | undefined, name: string): string | undefined => text(headers?.[name]);
