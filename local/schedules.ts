// PingSource schedules, fired on their cron: a `dev.knative.sources.ping` CloudEvent POSTed to the
// sink, as the PingSource adapter does in a cluster. A handler's `schedule.env` overrides the cron.
import { Cron } from 'croner';
import { randomUUID } from 'node:crypto';
import { PING_EVENT_TYPE, type RegisteredFunction } from '../functions/runtime/definition.js';
import type { Logger } from '../functions/runtime/log.js';
import { tokenHeadersFor } from './identity.js';
import type { Destination, PingSpec } from './routing.js';

export interface Schedules {
  stop(): void;
}

const scheduleOf = (ping: PingSpec, functions: Map<string, { fn: RegisteredFunction }>): string => {
  const target = ping.sink.service ? functions.get(ping.sink.service) : undefined;
  const envName = target?.fn.definition.kind === 'handler' ? target.fn.definition.schedule?.env : undefined;
  return (envName && process.env[envName]) || ping.schedule;
};

const fire = async (ping: PingSpec, url: string, log: Logger): Promise<void> => {
  // A PingSource's sink carries its function's audience: the tick brings a token for it.
  const event = {
    specversion: '1.0',
    id: randomUUID(),
    type: PING_EVENT_TYPE,
    source: `/apis/v1/namespaces/local/pingsources/${ping.name}`,
    time: new Date().toISOString(),
    datacontenttype: 'application/json',
    data: ping.data ? JSON.parse(ping.data) : {},
  };
  try {
    const headers = { 'content-type': 'application/cloudevents+json', ...(await tokenHeadersFor(ping.sink)) };
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(event) });
    await response.arrayBuffer();
    log.info('ping', { source: ping.name, status: response.status });
  } catch (error) {
    log.warn('ping failed', { source: ping.name, error: String(error) });
  }
};

export const startSchedules = (
  pings: PingSpec[],
  functions: Map<string, { fn: RegisteredFunction }>,
  resolve: (d: Destination) => string,
  log: Logger,
): Schedules => {
  // `protect`: a tick that comes while the previous one still runs is skipped, not stacked.
  const crons = pings.map((ping) => new Cron(scheduleOf(ping, functions), { protect: true }, () => fire(ping, resolve(ping.sink), log)));
  return {
    stop: () => {
      for (const c of crons) c.stop();
    },
  };
};
