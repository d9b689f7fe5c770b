// The one adapter to functions-framework: every definition (command, query or event handler) is
// registered as an HTTP function, because a `cloudEvent` function cannot choose its status code.
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import type { Domain } from 'node:domain';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { config } from './config.js';
import { closeDatabases, connectEarly } from './db.js';
import type { RegisteredFunction } from './definition.js';
import { BadRequest, PayloadTooLarge, UnsupportedMediaType } from './errors.js';
import { warnWhenUncheckable } from './delivery-auth.js';
import { eventFunction } from './events.js';
import { httpFunction, problemResponse, type HttpRequest, type HttpResponse } from './http.js';
import { drainAll } from './lifecycle.js';
import { rootLogger } from './log.js';
import { observeOutbox } from './metrics.js';
import { startTelemetry, stopTelemetry, traced } from './telemetry.js';

interface FrameworkRequest extends IncomingMessage {
  rawBody?: Buffer;
}

/** The invoke function of any registered function: request in, response out. */
export const invokerFor = (fn: RegisteredFunction): ((req: HttpRequest) => Promise<HttpResponse>) => {
  observeOutbox(fn.context);
  return traced(fn, fn.definition.kind === 'handler' ? eventFunction(fn).invoke : httpFunction(fn).invoke);
};

export const toHttpRequest = (req: IncomingMessage & { rawBody?: Buffer }, url: string): HttpRequest => {
  const parsed = new URL(url, 'http://localhost');
  const query: Record<string, string> = {};
  for (const [key, value] of parsed.searchParams) if (!(key in query)) query[key] = value;
  return { method: req.method ?? 'GET', path: parsed.pathname, query, headers: req.headers, rawBody: req.rawBody, remoteAddress: req.socket?.remoteAddress };
};

export const writeResponse = (res: ServerResponse, response: HttpResponse): void => {
  res.writeHead(response.status, response.headers);
  res.end(response.body);
};

// body-parser failures, which functions-framework raises before our function runs.
const parserProblem = (error: { type?: string; status?: number; message?: string }) => {
  switch (error.type) {
    case 'entity.parse.failed':
      return problemResponse(new BadRequest(`the body is not valid JSON: ${error.message ?? ''}`.trim()));
    case 'entity.too.large':
      return problemResponse(new PayloadTooLarge('the body is too large'));
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return problemResponse(new UnsupportedMediaType(error.message ?? 'unsupported encoding'));
    default:
      return problemResponse(error.status && error.status < 500 ? new BadRequest(error.message ?? 'bad request') : error);
  }
};

/** Registers `fn` with functions-framework and returns its HTTP server (not yet listening). */
export const createFunctionServer = (fn: RegisteredFunction): Server => {
  const invoke = invokerFor(fn);
  registerHttp(fn.name, (req, res) => {
    // functions-framework runs each request inside a `domain`, to answer errors that escape a
    // function; the runtime answers every error itself (below: none escapes). Leaving the domain at
    // once spares each promise of the request the domain's bookkeeping (measured: about a third of
    // the CPU of a warm command) and keeps pooled connections opened now from being bound to it.
    (process as { domain?: Domain }).domain?.exit();
    const out = res as unknown as ServerResponse;
    const fail = (error: unknown) => {
      if (out.headersSent) out.destroy(error instanceof Error ? error : undefined);
      else writeResponse(out, problemResponse(error));
    };
    try {
      // The framework has parsed the path, the query and a JSON body already: reuse them.
      const rawBody = (req as unknown as FrameworkRequest).rawBody;
      const json = rawBody !== undefined && typeof req.body === 'object' && req.body !== null && !Buffer.isBuffer(req.body);
      const request: HttpRequest = {
        method: req.method,
        path: req.path,
        query: req.query,
        headers: req.headers,
        rawBody,
        parsedBody: json ? req.body : undefined,
        remoteAddress: req.socket?.remoteAddress,
      };
      invoke(request)
        .then((response) => writeResponse(out, response))
        .catch(fail)
        .catch((error: unknown) => rootLogger.error('no answer could be written', { function: fn.name, error: String(error) }));
    } catch (error) {
      fail(error);
    }
  });
  const server = getTestServer(fn.name);
  const app = server.listeners('request')[0] as ((req: IncomingMessage, res: ServerResponse) => void) & {
    use(handler: (error: never, req: IncomingMessage, res: ServerResponse, next: unknown) => void): void;
  };
  // Express tells error handlers by their four parameters.
  app.use((error: { type?: string; status?: number; message?: string }, req: IncomingMessage, res: ServerResponse, _next: unknown) => {
    const response = parserProblem(error);
    rootLogger.info('invocation', { function: fn.name, method: req.method, path: req.url, status: response.status });
    writeResponse(res, response);
  });
  // Checked before the framework reads the body: an oversized request is refused unread.
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > config.bodyLimit()) {
      res.setHeader('connection', 'close');
      writeResponse(res, problemResponse(new PayloadTooLarge(`the body is ${length} bytes; the limit is ${config.bodyLimit()}`)));
      req.resume();
      return;
    }
    if (req.method === 'GET' && req.url === '/healthz') {
      writeResponse(res, { status: 200, headers: { 'content-type': 'application/json' }, body: '{"status":"ok"}' });
      return;
    }
    app(req, res);
  });
  return server;
};

/** On SIGTERM: at most this long for background work once requests are done, and for everything. */
const STOP_DRAIN_MS = 8_000;
const STOP_GRACE_MS = 10_000;

/** Serves one function on PORT: what a container of this function runs. */
export const serveFunction = async (fn: RegisteredFunction): Promise<Server> => {
  // The handshake goes on while the telemetry SDK, when there is an endpoint, is loaded.
  connectEarly(fn.context);
  await startTelemetry(fn.name);
  const server = createFunctionServer(fn);
  const port = Number(process.env.PORT ?? 8080);
  await new Promise<void>((resolve) => server.listen(port, process.env.HOST ?? '0.0.0.0', resolve));
  rootLogger.info('function listening', { function: fn.name, port });
  if (fn.definition.kind === 'handler') warnWhenUncheckable();
  const stop = () => {
    // Requests first, then what they started in the background, then the spans and metrics, then the pools.
    server.close(() => {
      void drainAll(STOP_DRAIN_MS)
        .then((done) => {
          if (!done) rootLogger.warn('stopping with background work still running', { function: fn.name, waitedMs: STOP_DRAIN_MS });
        })
        .finally(() => stopTelemetry().finally(() => closeDatabases().finally(() => process.exit(0))));
    });
    setTimeout(() => process.exit(0), STOP_GRACE_MS).unref();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  return server;
};
