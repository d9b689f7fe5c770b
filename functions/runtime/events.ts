// The CloudEvent side of the runtime: an event handler receives a CloudEvent (binary or
// structured mode) over HTTP and answers as the Knative delivery rules expect: 204 when done,
// 404/409/5xx to be retried, 422 (kept with its reason) for an event that can never apply.
import middy from '@middy/core';
import { InvalidCloudEvent, InvalidEventData, assertValidData, fromHttp, stamp, type ReceivedEvent } from '../../events/index.js';
import { afterCommit } from './after-commit.js';
import { existingPool, inTransaction, poolFor, type Queryable } from './db.js';
import { PING_EVENT_TYPE, type HandlerDefinition, type RegisteredFunction, type Tx } from './definition.js';
import { BadRequest, ValidationError, problemFor } from './errors.js';
import { flattenQuery, problemResponse, type HttpRequest, type HttpResponse } from './http.js';
import { rootLogger, type Logger } from './log.js';
import { config } from './config.js';
import { checkDelivery, warnWhenUnchecked } from './delivery-auth.js';
import { count } from './metrics.js';
import { isRetried } from './post.js';
import { publishStored, pruneMessaging, relayOutbox, storeEvents, table, type StoredEvent } from './outbox.js';

interface Delivery {
  req: HttpRequest;
  event: ReceivedEvent<unknown> | undefined;
}

const keepRejected = async (db: Queryable, fn: RegisteredFunction, event: ReceivedEvent<unknown>, reason: string) => {
  await db.query(
    `INSERT INTO ${table(fn.context, 'rejected_events')} (handler, event_id, type, event, reason)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (handler, event_id) DO UPDATE SET reason = EXCLUDED.reason, rejected_at = now()`,
    [fn.name, event.id, event.type, JSON.stringify(event), reason],
  );
};

export interface EventFunction {
  invoke(req: HttpRequest): Promise<HttpResponse>;
}

/** Builds the request handler of one event-handler function. */
export const eventFunction = (fn: RegisteredFunction, options: { now?: () => Date; logger?: Logger } = {}): EventFunction => {
  const def = fn.definition as HandlerDefinition<unknown>;
  const expectedType = def.event?.type ?? PING_EVENT_TYPE;
  const now = options.now ?? (() => new Date());
  const log = (options.logger ?? rootLogger).child({ function: fn.name });
  warnWhenUnchecked(options.logger);

  const base = async (delivery: Delivery): Promise<HttpResponse> => {
    const { event } = delivery;
    const received = event as ReceivedEvent<unknown>;
    const pool = existingPool(fn.context) ?? (await poolFor(fn.context));
    if (def.relay) {
      const result = await relayOutbox(pool, fn.context);
      await pruneMessaging(pool, fn.context, config.retentionDays());
      log.info('outbox relayed', { ...result, tick: received.id });
      return { status: 204, headers: {} };
    }
    const correlationId = received.correlationid ?? received.id;
    const stored: StoredEvent[] = [];
    const committed = afterCommit();
    await inTransaction(pool, async (client) => {
      const { rowCount } = def.noInbox
        ? { rowCount: 1 }
        : await client.query(`INSERT INTO ${table(fn.context, 'inbox')} (handler, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [fn.name, received.id]);
      if (rowCount === 0) {
        log.debug('duplicate delivery ignored', { eventId: received.id });
        count((m) => m.inboxDuplicates, { handler: fn.name });
        return;
      }
      const tx: Tx = {
        query: (sql, params) => client.query(sql, params),
        afterCommit: committed.add,
        emit: async (...events) => {
          const stamped = events.map((e) => stamp(e, { correlationId, causationId: received.id, time: now() }));
          stored.push(...(await storeEvents(client, fn.context, stamped)));
        },
      };
      let child: Logger | undefined;
      await def.handle(received, {
        tx,
        // Read by the dead-letter sink alone (its URL names the Trigger).
        get query() {
          return flattenQuery(delivery.req.query);
        },
        now,
        correlationId,
        // Made when the handler logs, which most deliveries never do.
        get log() {
          return (child ??= log.child({ correlationId, eventId: received.id }));
        },
      });
    });
    committed.run();
    await publishStored(pool, fn.context, stored);
    return { status: 204, headers: {} };
  };

  const stack = middy<Delivery, HttpResponse>(base, { timeoutEarlyInMillis: 0 })
    // First: nothing of a delivery is read, stored or kept before its sender is known.
    .use({ before: ({ event: delivery }) => checkDelivery(delivery.req.headers, fn.name) })
    .use({
      before: ({ event: delivery }) => {
        if (delivery.req.method.toUpperCase() !== 'POST') throw new BadRequest('event handlers take CloudEvents by POST');
        try {
          delivery.event = fromHttp(delivery.req.headers, delivery.req.rawBody ?? '');
        } catch (error) {
          if (!(error instanceof InvalidCloudEvent)) throw error;
          throw new BadRequest(`not a valid CloudEvent: ${error.message}`, [{ pointer: error.pointer, message: error.message }]);
        }
      },
    })
    .use({
      before: ({ event: delivery }) => {
        const event = delivery.event as ReceivedEvent<unknown>;
        if (!def.anyType && event.type !== expectedType) {
          throw new ValidationError(`${fn.name} handles ${expectedType}, not ${event.type}`);
        }
        if (def.event) {
          try {
            assertValidData(def.event, event.data);
          } catch (error) {
            if (error instanceof InvalidEventData) {
              throw new ValidationError(error.message, error.violations);
            }
            throw error;
          }
        }
      },
    })
    .use({
      onError: async (request) => {
        const { error } = request;
        const problem = problemFor(error);
        const event = request.event.event;
        if (problem.status >= 500) {
          log.error('event handling failed', { eventId: event?.id, error: (error as Error)?.stack ?? String(error) });
        } else if (!isRetried(problem.status) && event) {
          // Refused for good: keep the event and the reason, since the broker will not retry it.
          try {
            await keepRejected(await poolFor(fn.context), fn, event, problem.detail);
          } catch (keepError) {
            log.error('could not keep a rejected event', { eventId: event.id, error: String(keepError) });
            request.response = problemResponse(keepError);
            return;
          }
          log.warn('event rejected', { eventId: event.id, type: event.type, status: problem.status, reason: problem.detail });
        }
        request.response = problemResponse(error);
      },
    });

  const invoke = async (req: HttpRequest): Promise<HttpResponse> => {
    const started = performance.now();
    const delivery: Delivery = { req, event: undefined };
    const response = await stack(delivery, {});
    log.info('invocation', {
      eventId: delivery.event?.id,
      type: delivery.event?.type,
      status: response.status,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      correlationId: delivery.event?.correlationid ?? delivery.event?.id,
    });
    return response;
  };

  return { invoke };
};
