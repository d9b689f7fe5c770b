// The broker's own spans, in the trace of the event they carry: one for the ingress (POST /broker)
// and one per delivery attempt, so a retried delivery shows each try. An attempt's span is the
// parent the subscriber continues: its context is the `traceparent` header of the POST.
import { context, SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import type { ReceivedEvent } from '../events/index.js';
import type { Headers } from '../functions/runtime/http.js';
import { contextOf, eventContext, inSpan, telemetryActive } from '../functions/runtime/telemetry.js';
import type { Attempt } from './engine.js';
import type { TriggerSpec } from './routing.js';

const statusOf = (attempt: Attempt): number | null | undefined =>
  attempt.state === 'delivered' || attempt.state === 'retry' || attempt.state === 'dead' ? attempt.status : undefined;

/** Runs one delivery attempt as a CLIENT span `deliver <trigger>` under the event's trace (attributes: trigger, attempt, status). */
export const attemptSpan = (trigger: TriggerSpec, event: ReceivedEvent<unknown>, attempt: number, work: () => Promise<Attempt>): Promise<Attempt> => {
  if (!telemetryActive()) return work();
  const attributes: Attributes = {
    'gotuto.trigger': trigger.name,
    'gotuto.delivery.attempt': attempt,
    'gotuto.subscriber': trigger.subscriber.service ?? trigger.subscriber.uri ?? '',
    'cloudevents.event_id': event.id,
    'cloudevents.event_type': event.type,
  };
  if (event.correlationid) attributes['gotuto.correlation_id'] = event.correlationid;
  return inSpan(`deliver ${trigger.name}`, SpanKind.CLIENT, attributes, eventContext(event), async (span) => {
    const ended = await work();
    span.setAttribute('gotuto.delivery.outcome', ended.state);
    const status = statusOf(ended);
    if (typeof status === 'number') span.setAttribute('http.response.status_code', status);
    if (ended.state === 'retry' || ended.state === 'dead') span.setStatus({ code: SpanStatusCode.ERROR, message: ended.error.slice(0, 200) });
    return ended;
  });
};

/** The hand-over of a given-up delivery to the dead-letter sink, a span of its own under the attempt. */
export const deadLetterSpan = <T>(trigger: TriggerSpec, event: ReceivedEvent<unknown>, work: () => Promise<T>): Promise<T> =>
  telemetryActive()
    ? inSpan(`dead-letter ${trigger.name}`, SpanKind.CLIENT, { 'gotuto.trigger': trigger.name, 'cloudevents.event_id': event.id }, context.active(), () =>
        work(),
      )
    : work();

const headerOf = (headers: Headers, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** Runs the broker ingress as a SERVER span `POST /broker`, continuing the publisher's `traceparent`. */
export const ingressSpan = <T>(req: Headers, work: () => Promise<T>): Promise<T> => {
  if (!telemetryActive()) return work();
  const attributes: Attributes = { 'http.request.method': 'POST', 'url.path': '/broker', 'http.route': '/broker' };
  const id = headerOf(req, 'ce-id');
  if (id) attributes['cloudevents.event_id'] = id;
  const type = headerOf(req, 'ce-type');
  if (type) attributes['cloudevents.event_type'] = type;
  const parent = contextOf(headerOf(req, 'traceparent') ?? headerOf(req, 'ce-traceparent'), headerOf(req, 'tracestate') ?? headerOf(req, 'ce-tracestate'));
  return inSpan('POST /broker', SpanKind.SERVER, attributes, parent, () => work());
};
