// The order journey page of the local platform, at `/journey`: a static shell and its small script
// (both from this folder: no build step, nothing from the internet), and the fragments the script
// inserts, rendered here: `/journey/order?q=` (one order's journey) and `/journey/flow?seconds=`
// (events flowing now). The fragments and `/journey/metrics` are for admins: the script sends the
// bearer token the banner's link carries in its fragment (never sent to the server) or one pasted in.
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { GatewayJourneyMetrics } from '../../events/schemas.generated.js';
import { authenticate } from '../../functions/runtime/auth.js';
import type { Queryable } from '../../functions/runtime/db.js';
import { ValidationError } from '../../functions/runtime/errors.js';
import type { GatewayResponse, PlatformRoute } from '../gateway.js';
import type { Mounts } from '../mounts.js';
import type { MetricStore } from '../otlp/metrics.js';
import { journeyOf, readerFor } from './journey.js';
import { renderFlow } from './render-flow.js';
import { renderJourney, renderNotFound } from './render-journey.js';
import { flowOf } from './store.js';

const HTML = 'text/html; charset=utf-8';
// The shell's styles are inline and its bars are placed with style attributes; scripts come only from here.
const POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self'; img-src 'self' data:";

const html = (status: number, body: string): GatewayResponse => ({ status, headers: { 'content-type': HTML, 'content-security-policy': POLICY }, body });

const file = (name: string): string => readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');

const queryOf = (req: IncomingMessage): URLSearchParams => new URL(req.url ?? '/', 'http://localhost').searchParams;

const asAdmin = async (req: IncomingMessage): Promise<string> => {
  await authenticate(req.headers.authorization, ['admin']);
  return req.headers.authorization ?? '';
};

const MAX_SEARCH = 200;
const searchOf = (req: IncomingMessage): string => {
  const q = (queryOf(req).get('q') ?? '').trim();
  if (q.length === 0 || q.length > MAX_SEARCH) {
    throw new ValidationError(`q must be an order's number, id or correlation id (1 to ${MAX_SEARCH} characters)`, [
      { pointer: '/q', message: `must be 1 to ${MAX_SEARCH} characters` },
    ]);
  }
  return q;
};

const DEFAULT_WINDOW = 300;
const secondsOf = (req: IncomingMessage): number => {
  const raw = queryOf(req).get('seconds');
  const seconds = raw === null ? DEFAULT_WINDOW : Number(raw);
  if (!Number.isInteger(seconds) || seconds < 10 || seconds > 86_400) {
    throw new ValidationError('seconds must be a whole number from 10 to 86400', [{ pointer: '/seconds', message: 'must be an integer from 10 to 86400' }]);
  }
  return seconds;
};

export interface JourneyPageOptions {
  db: () => Promise<Queryable>;
  mounts: Mounts;
  metrics: MetricStore;
}

const get = (path: string, handle: PlatformRoute['handle']): PlatformRoute => ({ method: 'GET', path, handle });

/** The page's routes, to mount at the gateway. */
export const journeyRoutes = ({ db, mounts, metrics }: JourneyPageOptions): PlatformRoute[] => [
  get('/journey', async () => html(200, file('page.html'))),
  get('/journey/script.js', async () => ({ status: 200, headers: { 'content-type': 'text/javascript; charset=utf-8' }, body: file('script.js') })),
  get('/journey/order', async (req) => {
    const authorization = await asAdmin(req);
    const search = searchOf(req);
    const journey = await journeyOf(await db(), readerFor(mounts, authorization), search);
    return journey ? html(200, renderJourney(journey)) : html(404, renderNotFound(search));
  }),
  get('/journey/flow', async (req) => {
    await asAdmin(req);
    return html(200, renderFlow(await flowOf(await db(), secondsOf(req)), metrics.series()));
  }),
  get('/journey/metrics', async (req) => {
    await asAdmin(req);
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ items: metrics.series() } satisfies GatewayJourneyMetrics),
    };
  }),
];
