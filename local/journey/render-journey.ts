// An order's journey as HTML, rendered on the server (the page's script only fetches and inserts
// it): the order and its saga's steps with their deadlines, the waterfall of its traces, and each
// event with its deliveries, attempts and dead letters. Every value goes through `text` (escape-html).
import type { ReceivedSpan } from '../otlp/decode.js';
import { shortType, text } from './html.js';
import type { Journey, JourneyEvent } from './journey.js';

type Json = Record<string, unknown>;

const time = (iso: unknown): string => (typeof iso === 'string' ? `<time datetime="${text(iso)}">${text(iso.replace('T', ' ').replace('Z', ''))}</time>` : '');
const ms = (us: number): string => `${(us / 1000).toFixed(us < 10_000 ? 2 : 1)} ms`;

const header = (j: Journey): string => {
  const o = j.order ?? {};
  const saga = (o.saga ?? {}) as Json;
  return `<section class="order" data-order-id="${text(j.orderId)}">
  <h2>Order ${text(o.number ?? j.orderId)} <span class="status">${text(o.status ?? "not in Order's view")}</span></h2>
  <dl>
    <dt>id</dt><dd>${text(j.orderId)}</dd>
    <dt>correlation</dt><dd>${j.correlationIds.map(text).join(', ') || 'none'}</dd>
    <dt>saga step</dt><dd>${text(saga.step ?? '')}${saga.deadline ? ` until ${time(saga.deadline)}` : ''}</dd>
  </dl>
</section>`;
};

/** Each step as Order recorded it, with the deadline it set and whether the next step came in time. */
const sagaSteps = (steps: Json[]): string => {
  if (steps.length === 0) return '<section class="saga"><h3>Saga</h3><p>No steps recorded.</p></section>';
  const rows = steps.map((step, i) => {
    const data = (step.data ?? {}) as Json;
    const next = steps[i + 1];
    const deadline = typeof data.deadline === 'string' ? data.deadline : undefined;
    const outcome = !deadline
      ? ''
      : next
        ? Date.parse(String(next.occurredAt)) <= Date.parse(deadline)
          ? `met (${text(shortType(next.type))})`
          : 'missed'
        : Date.parse(deadline) < Date.now()
          ? 'past, waiting for the sweep'
          : 'waiting';
    const reason = typeof data.reason === 'string' ? ` <span class="reason">${text(data.reason)}</span>` : '';
    return `<tr><td>${text(step.version)}</td><td class="step">${text(step.type)}${reason}</td><td>${time(step.occurredAt)}</td><td>${time(deadline)}</td><td class="outcome">${outcome}</td></tr>`;
  });
  return `<section class="saga"><h3>Saga</h3>
<table><thead><tr><th>#</th><th>step</th><th>at</th><th>deadline</th><th>deadline kept</th></tr></thead><tbody>${rows.join('')}</tbody></table></section>`;
};

/** The attributes worth a glance in a waterfall row: trigger, attempt and its outcome, status, event type, cold start. */
const NOTABLE = /trigger|attempt|outcome|status_code|event_type|coldstart|destination/;
const details = (span: ReceivedSpan): string =>
  Object.entries(span.attributes)
    .filter(([key]) => NOTABLE.test(key))
    .map(([key, value]) => `<span class="attr">${text(key)}=${text(value)}</span>`)
    .join(' ');

const KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];

/** A trace's spans in tree order (each after its parent, siblings by start), with their depth. */
const treeOrder = (spans: ReceivedSpan[]): { span: ReceivedSpan; depth: number; orphan: boolean }[] => {
  const ids = new Set(spans.map((s) => s.spanId));
  const children = new Map<string, ReceivedSpan[]>();
  const roots: ReceivedSpan[] = [];
  for (const s of spans) {
    if (s.parentSpanId && ids.has(s.parentSpanId)) children.set(s.parentSpanId, [...(children.get(s.parentSpanId) ?? []), s]);
    else roots.push(s);
  }
  const out: { span: ReceivedSpan; depth: number; orphan: boolean }[] = [];
  const visit = (s: ReceivedSpan, depth: number) => {
    out.push({ span: s, depth, orphan: s.parentSpanId !== null && !ids.has(s.parentSpanId) });
    for (const c of (children.get(s.spanId) ?? []).sort((a, b) => a.startUs - b.startUs)) visit(c, depth + 1);
  };
  for (const r of roots.sort((a, b) => a.startUs - b.startUs)) visit(r, 0);
  return out;
};

const traceWaterfall = (traceId: string, spans: ReceivedSpan[]): string => {
  const start = Math.min(...spans.map((s) => s.startUs));
  const total = Math.max(Math.max(...spans.map((s) => s.endUs)) - start, 1);
  const rows = treeOrder(spans).map(({ span, depth, orphan }) => {
    const fn = span.attributes['faas.name'] ?? span.service ?? '';
    const left = (((span.startUs - start) / total) * 100).toFixed(2);
    const width = Math.max(((span.endUs - span.startUs) / total) * 100, 0.3).toFixed(2);
    const error = span.statusCode === 2 ? `<span class="error-message">${text(span.statusMessage ?? 'error')}</span>` : '';
    const missing = orphan ? '<span class="orphan">parent not received</span>' : '';
    return `<li class="span kind-${KINDS[span.kind] ?? 'unspecified'}${span.statusCode === 2 ? ' error' : ''}" data-span-id="${text(span.spanId)}">
  <div class="label" style="padding-left:${depth * 14}px"><span class="fn">${text(fn)}</span> <span class="name">${text(span.name)}</span> ${details(span)} ${error}${missing}</div>
  <div class="track"><div class="bar" style="left:${left}%;width:${width}%"></div></div>
  <div class="dur">${ms(span.endUs - span.startUs)}</div>
</li>`;
  });
  return `<div class="trace" data-trace-id="${text(traceId)}"><h4>trace ${text(traceId)} · ${spans.length} spans · ${ms(total)}</h4><ol class="waterfall">${rows.join('')}</ol></div>`;
};

const waterfall = (spans: ReceivedSpan[]): string => {
  if (spans.length === 0) {
    return '<section class="traces"><h3>Traces</h3><p>No spans received for this order yet: functions export them to this platform when OTEL_EXPORTER_OTLP_ENDPOINT points here (npm start sets it).</p></section>';
  }
  const traces = new Map<string, ReceivedSpan[]>();
  for (const s of spans) traces.set(s.traceId, [...(traces.get(s.traceId) ?? []), s]);
  const ordered = [...traces.entries()].sort(([, a], [, b]) => Math.min(...a.map((s) => s.startUs)) - Math.min(...b.map((s) => s.startUs)));
  return `<section class="traces"><h3>Traces</h3>${ordered.map(([id, list]) => traceWaterfall(id, list)).join('')}</section>`;
};

const deadLetter = (l: Json): string =>
  `<li class="dead-letter">dead letter ${text(l.id)}: <b>${text(l.state)}</b>, ${text(l.failures)} failure(s), status ${text(l.status ?? 'none')}${
    l.error ? ` <q>${text(l.error)}</q>` : ''
  }${l.discardReason ? `, discarded: ${text(l.discardReason)}` : ''}</li>`;

const eventRow = (e: JourneyEvent): string => {
  const ev = e.event;
  const deliveries = e.deliveries.map(
    (d) =>
      `<tr class="delivery state-${text(d.state)}"><td>${text(d.trigger)}</td><td>${text(d.subscriber)}</td><td class="state">${text(d.state)}</td><td class="attempts">${text(d.attempts)} attempt${d.attempts === 1 ? '' : 's'}</td><td>${text(d.lastStatus ?? '')}</td><td class="last-error">${text(d.lastError ?? '')}</td></tr>`,
  );
  return `<li class="event" data-event-id="${text(ev.id)}">
  <div class="event-head"><b class="type">${text(shortType(ev.type))}</b> ${time(e.acceptedAt)} <span class="source">${text(ev.source)}</span> subject ${text(ev.subject ?? '')} · id ${text(ev.id)}</div>
  ${deliveries.length > 0 ? `<table class="deliveries"><thead><tr><th>trigger</th><th>subscriber</th><th>state</th><th>attempts</th><th>last status</th><th>last error</th></tr></thead><tbody>${deliveries.join('')}</tbody></table>` : '<p class="none">no Trigger takes this type</p>'}
  ${e.deadLetters.length > 0 ? `<ul class="dead-letters">${e.deadLetters.map(deadLetter).join('')}</ul>` : ''}
</li>`;
};

const eventList = (events: JourneyEvent[]): string =>
  `<section class="events"><h3>Events (${events.length})</h3>${events.length > 0 ? `<ol>${events.map(eventRow).join('')}</ol>` : '<p>The broker has no events of this order.</p>'}</section>`;

/** The whole journey, one fragment for the page. */
export const renderJourney = (j: Journey): string => [header(j), sagaSteps(j.steps), waterfall(j.spans), eventList(j.events)].join('\n');

export const renderNotFound = (search: string): string =>
  `<p class="not-found">No order matches <q>${text(search)}</q>: search by an order's number (ORD-…), its id, or the correlation id of its checkout.</p>`;
