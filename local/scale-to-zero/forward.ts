// A request the gateway has read, sent on to a function's own process, as Knative's activator and
// queue-proxy pass a request to the container: the same method, path, query, headers and body, with
// the gateway's hop added to X-Forwarded-For; the answer comes back whole.
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { HttpRequest, HttpResponse } from '../../functions/runtime/http.js';

/** Headers of one connection, not of the request (RFC 9110 section 7.6.1): never passed on. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Thrown when the process gave no answer (refused, reset); `stale` when a kept connection was reset as it was reused. */
export class NoAnswer extends Error {
  constructor(
    message: string,
    readonly stale = false,
  ) {
    super(message);
  }
}

const pathOf = (req: HttpRequest): string => {
  const query = new URLSearchParams(Object.entries(req.query).map(([key, value]) => [key, String(value)])).toString();
  return query ? `${req.path}?${query}` : req.path;
};

const outgoingHeaders = (req: HttpRequest): Record<string, string | string[]> => {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'content-length') headers[name] = value;
  }
  if (req.remoteAddress) {
    const before = req.headers['x-forwarded-for'];
    headers['x-forwarded-for'] = before ? `${String(before)}, ${req.remoteAddress}` : req.remoteAddress;
  }
  if (req.rawBody) headers['content-length'] = String(req.rawBody.length);
  return headers;
};

const answerHeaders = (headers: IncomingHttpHeaders): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    // The body is handed back whole: the gateway sets its own framing.
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'content-length') continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
};

const send = (port: number, agent: Agent, req: HttpRequest): Promise<HttpResponse> =>
  new Promise((resolve, reject) => {
    const out = httpRequest({ host: '127.0.0.1', port, agent, method: req.method, path: pathOf(req), headers: outgoingHeaders(req) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: answerHeaders(res.headers), body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (error) => reject(new NoAnswer(`the answer was cut off: ${error.message}`)));
    });
    out.on('error', (error: NodeJS.ErrnoException) => reject(new NoAnswer(error.message, out.reusedSocket && error.code === 'ECONNRESET')));
    out.end(req.rawBody);
  });

/**
 * Sends `req` to 127.0.0.1:`port` over `agent`; rejects with NoAnswer when no answer came. A kept
 * connection the process closed as idle just as it was reused is reset before the request was
 * read: that request is sent once more, on a new connection.
 */
export const forward = (port: number, agent: Agent, req: HttpRequest): Promise<HttpResponse> =>
  send(port, agent, req).catch((error: unknown) => {
    if (error instanceof NoAnswer && error.stale) return send(port, agent, req);
    throw error;
  });

/** An agent that keeps connections to one process open between requests. */
export const keepAliveAgent = (): Agent => new Agent({ keepAlive: true, maxSockets: 64 });
