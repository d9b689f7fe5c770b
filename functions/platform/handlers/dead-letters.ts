// platform-dead-letters: every Trigger's deadLetterSink. Knative sends the event that could not be
// delivered with `knativeerrordest` (the subscriber), `knativeerrorcode` (its last status) and
// `knativeerrordata` (its last answer, base64); the event is kept with them until an operator
// replays or discards it.
import { randomUUID } from 'node:crypto';
import { anyEventHandler } from '../../runtime/definition.js';
import { recordDeadLetter } from '../store.js';

const ERROR_EXTENSIONS = ['knativeerrordest', 'knativeerrorcode', 'knativeerrordata'];

/** The function name a destination URL points at: `/functions/<name>` locally, `<name>.<ns>.svc` in a cluster. */
export const subscriberOf = (destination: string): string => {
  try {
    const url = new URL(destination);
    const local = /^\/functions\/([a-z0-9-]+)/.exec(url.pathname);
    if (local) return local[1] as string;
    return url.hostname.split('.')[0] || destination;
  } catch {
    return destination;
  }
};

const decode = (data: string | undefined): string | undefined => {
  if (!data) return undefined;
  const text = Buffer.from(data, 'base64').toString('utf8');
  return text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
};

export default anyEventHandler({
  noInbox: true,
  handle: async (event, ctx) => {
    const extensions = { ...event.extensions };
    const destination = extensions.knativeerrordest ?? 'unknown';
    const code = Number(extensions.knativeerrorcode);
    for (const name of ERROR_EXTENSIONS) delete extensions[name];
    const original = { ...event, extensions: Object.keys(extensions).length > 0 ? extensions : undefined };
    await recordDeadLetter(ctx.tx, {
      id: randomUUID(),
      eventId: event.id,
      type: event.type,
      source: event.source,
      subject: event.subject || undefined,
      correlationId: event.correlationid,
      event: original,
      destination,
      subscriber: subscriberOf(destination),
      // Knative does not send the Trigger: its deadLetterSink names it (`/?trigger=<name>`, generated
      // into knative/base); a sink without it (the Broker's own) takes the subscriber's, after which
      // the generated Triggers are named.
      trigger: ctx.query.trigger || subscriberOf(destination),
      status: Number.isFinite(code) && code > 0 ? code : undefined,
      error: decode(event.extensions?.knativeerrordata),
    });
    ctx.log.warn('dead letter kept', { eventId: event.id, type: event.type, destination, status: code });
  },
});
