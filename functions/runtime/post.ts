// The one HTTP client for CloudEvents: an outbox publishing to its sink, the local brokers
// delivering to subscribers. node:http with kept-alive connections: it spends about half the CPU of
// fetch for a small POST, and a publish follows every command.
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { toBinaryHttp, type ReceivedEvent } from '../../events/index.js';

export interface Answer {
  status: number;
  /** Lower-case names. */
  headers: Record<string, string>;
  text: string;
}

/**
 * Whether a Knative broker retries a delivery that ended with `status` (null: no answer at all,
 * a refused connection or a timeout): 404, 408, 409, 429 and 5xx are, any other 4xx is final.
 * The one copy of the rule, shared by the handlers that answer and the local brokers that deliver.
 */
export const isRetried = (status: number | null): boolean =>
  status === null || status >= 500 || status === 404 || status === 408 || status === 409 || status === 429;

const agents = { 'http:': new HttpAgent({ keepAlive: true, maxSockets: 256 }), 'https:': new HttpsAgent({ keepAlive: true, maxSockets: 256 }) };

/** Parsed once per URL: a broker delivers to a few subscribers many times over. */
const targets = new Map<string, URL>();
const targetOf = (url: string): URL => {
  let target = targets.get(url);
  if (!target) {
    if (targets.size >= 1000) targets.clear();
    targets.set(url, (target = new URL(url)));
  }
  return target;
};

/** The answer's headers as strings: Node joins repeats itself, all but `set-cookie`, its one array. */
const flatHeaders = (headers: Record<string, string | string[] | undefined>): Record<string, string> => {
  if (!Array.isArray(headers['set-cookie'])) return headers as Record<string, string>;
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
};

/**
 * POSTs a body and reads the whole answer. `signal` destroys the request with its reason, and so
 * does `timeoutMs`, with a TimeoutError: one listener and one timer, removed when the request
 * closes, cost a broker's delivery less than the request's own `signal` option or an
 * AbortController per attempt (npm run bench -- broker). Node writes the Content-Length of a body
 * given to `end` itself.
 */
export const postHttp = (url: string, headers: Record<string, string>, body: string, signal: AbortSignal, timeoutMs?: number): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const target = targetOf(url);
    const https = target.protocol === 'https:';
    const req = (https ? httpsRequest : httpRequest)(target, { method: 'POST', headers, agent: agents[https ? 'https:' : 'http:'] }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = chunks.length === 0 ? '' : Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: flatHeaders(res.headers), text });
      });
      res.on('error', reject);
    });
    const abort = () => req.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
    if (signal.aborted) abort();
    else {
      const timer =
        timeoutMs === undefined ? undefined : setTimeout(() => req.destroy(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
      signal.addEventListener('abort', abort, { once: true });
      req.once('close', () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', abort);
      });
    }
    req.on('error', reject);
    req.end(body);
  });

/** POSTs an event in CloudEvents binary mode and reads the whole answer. */
export const postEvent = (url: string, event: ReceivedEvent<unknown>, signal: AbortSignal, extraHeaders: Record<string, string> = {}): Promise<Answer> => {
  const { headers, body } = toBinaryHttp(event);
  return postHttp(url, { ...headers, ...extraHeaders }, body, signal);
};
