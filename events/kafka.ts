// CloudEvents over Kafka, binary content mode (the CloudEvents Kafka protocol binding, as Knative's
// Kafka broker stores events): every attribute in a `ce_<name>` header, `content-type` for
// datacontenttype, the data as the record value, and `partitionkey` as the record key, so the
// events of one aggregate land on one partition, in order.
import { fromHttp, toBinaryHttp, type ReceivedEvent } from './core.js';

export interface KafkaRecord {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

type RecordHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

/** The Kafka record of an event; `extraHeaders` (not CloudEvents attributes) ride along. */
export const toKafkaRecord = (event: ReceivedEvent<unknown>, extraHeaders: Record<string, string> = {}): KafkaRecord => {
  const { headers, body } = toBinaryHttp(event);
  const recordHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    recordHeaders[lower.startsWith('ce-') ? `ce_${lower.slice(3)}` : lower] = value;
  }
  return { key: event.partitionkey ?? (event.subject || null), value: body, headers: { ...recordHeaders, ...extraHeaders } };
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

/** The value of a plain (non-CloudEvents) record header, as a string. */
export const recordHeader = (headers: RecordHeaders | undefined, name: string): string | undefined => text(headers?.[name]);
