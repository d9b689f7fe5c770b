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

/** POSTs a body and reads the whole answer. */
export const postHttp = (url: string, headers: Record<string, string>, body: string, signal: AbortSignal): Promise<Answer> =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const https = target.protocol === 'https:';
    const req = (https ? httpsRequest : httpRequest)(
      target,
      { method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, agent: agents[https ? 'https:' : 'http:'], signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const flat: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headers)) if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
          resolve({ status: res.statusCode ?? 0, headers: flat, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });

/** POSTs an event in CloudEvents binary mode and reads the whole answer. */
export const postEvent = (url: string, event: ReceivedEvent<unknown>, signal: AbortSignal, extraHeaders: Record<string, string> = {}): Promise<Answer> => {
  const { headers, body } = toBinaryHttp(event);
  return postHttp(url, { ...headers, ...extraHeaders }, body, signal);
};
