// The spans the local platform received, in its database (local/migrations/003_journey): written one
// statement per export, pruned to the newest OTLP_RECEIVER_MAX_SPANS, and read by trace id or by
// the keys the journey page searches for.
import type { Queryable } from '../../functions/runtime/db.js';
import type { ReceivedSpan } from './decode.js';

/**
 * The span attributes a trace is found by: Order's own (its functions name the order on the span of
 * each change), the correlation id (the runtime's invocation and delivery spans), and the CloudEvents
 * and messaging conventions of OpenTelemetry for the event a span handled (the runtime and the local
 * broker set `cloudevents.event_id`; the others are for exporters that follow those conventions).
 * Names of functions or Triggers are not keys: every span would be found by them.
 */
export const SEARCH_ATTRIBUTES = [
  'gotuto.order.id',
  'gotuto.order.number',
  'gotuto.correlation_id',
  'messaging.message.conversation_id',
  'messaging.message.id',
  'cloudevents.event_id',
  'cloudevents.event_subject',
] as const;

const keysOf = (span: ReceivedSpan): string[] =>
  SEARCH_ATTRIBUTES.map((name) => span.attributes[name])
    .filter((v): v is string | number => typeof v === 'string' || typeof v === 'number')
    .map(String);

/** Stores `spans` (a span sent twice is kept once) and drops the oldest beyond `max`. */
export const keepSpans = async (db: Queryable, spans: ReceivedSpan[], max: number): Promise<void> => {
  if (spans.length === 0) return;
  const rows = spans.map((s) => ({
    trace_id: s.traceId,
    span_id: s.spanId,
    parent_span_id: s.parentSpanId,
    name: s.name,
    kind: s.kind,
    service: s.service,
    start_us: s.startUs,
    end_us: s.endUs,
    status_code: s.statusCode,
    status_message: s.statusMessage,
    attributes: s.attributes,
    events: s.events,
  }));
  const { rows: inserted } = await db.query<{ seq: string; trace_id: string; span_id: string }>(
    `INSERT INTO platform.spans (trace_id, span_id, parent_span_id, name, kind, service, start_us, end_us, status_code, status_message, attributes, events)
     SELECT trace_id, span_id, parent_span_id, name, kind, service, start_us, end_us, status_code, status_message, attributes, events
     FROM jsonb_to_recordset($1::jsonb) AS r(trace_id text, span_id text, parent_span_id text, name text, kind smallint, service text,
       start_us bigint, end_us bigint, status_code smallint, status_message text, attributes jsonb, events jsonb)
     ON CONFLICT (trace_id, span_id) DO NOTHING
     RETURNING seq, trace_id, span_id`,
    [JSON.stringify(rows)],
  );
  const bySpan = new Map(spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
  const keys = inserted.flatMap((r) =>
    keysOf(bySpan.get(`${r.trace_id}/${r.span_id}`) as ReceivedSpan).map((key) => ({ key, trace_id: r.trace_id, seq: r.seq })),
  );
  if (keys.length > 0) {
    await db.query(
      `INSERT INTO platform.span_keys (key, trace_id, seq)
       SELECT key, trace_id, max(seq) FROM jsonb_to_recordset($1::jsonb) AS r(key text, trace_id text, seq bigint) GROUP BY key, trace_id
       ON CONFLICT (key, trace_id) DO UPDATE SET seq = greatest(platform.span_keys.seq, excluded.seq)`,
      [JSON.stringify(keys)],
    );
  }
  await prune(db, max);
};

/** Deletes what lies more than `max` spans behind the newest (by arrival), spans and keys alike. */
const prune = async (db: Queryable, max: number): Promise<void> => {
  const { rows } = await db.query<{ cutoff: string | null }>('SELECT max(seq) - $1::bigint AS cutoff FROM platform.spans', [max]);
  const cutoff = rows[0]?.cutoff;
  if (cutoff === null || cutoff === undefined || Number(cutoff) <= 0) return;
  await db.query('DELETE FROM platform.spans WHERE seq <= $1', [cutoff]);
  await db.query('DELETE FROM platform.span_keys WHERE seq <= $1', [cutoff]);
};

/** The traces whose spans carry one of `keys` in a search attribute. */
export const tracesFor = async (db: Queryable, keys: string[]): Promise<string[]> => {
  if (keys.length === 0) return [];
  const { rows } = await db.query<{ trace_id: string }>('SELECT DISTINCT trace_id FROM platform.span_keys WHERE key = ANY($1::text[])', [keys]);
  return rows.map((r) => r.trace_id);
};

/** Every span kept of `traceIds`, earliest first. */
export const spansOf = async (db: Queryable, traceIds: string[]): Promise<ReceivedSpan[]> => {
  if (traceIds.length === 0) return [];
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT trace_id, span_id, parent_span_id, name, kind, service, start_us, end_us, status_code, status_message, attributes, events
     FROM platform.spans WHERE trace_id = ANY($1::text[]) ORDER BY start_us, seq`,
    [traceIds],
  );
  return rows.map((r) => ({
    traceId: r.trace_id as string,
    spanId: r.span_id as string,
    parentSpanId: (r.parent_span_id as string | null) ?? null,
    name: r.name as string,
    kind: Number(r.kind),
    service: (r.service as string | null) ?? null,
    startUs: Number(r.start_us),
    endUs: Number(r.end_us),
    statusCode: Number(r.status_code),
    statusMessage: (r.status_message as string | null) ?? null,
    attributes: r.attributes as ReceivedSpan['attributes'],
    events: r.events as ReceivedSpan['events'],
  }));
};
