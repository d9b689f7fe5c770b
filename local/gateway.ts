// The gateway: one HTTP server in front of every function. It only mounts: a request goes to a
// route of the platform itself (health, broker ingress, function table), to a function by name at
// /functions/<name>/<path> (its Knative Service URL), or to the function whose route it matches.
// Authentication, parsing, validation and paging are the functions' own (the runtime's).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { config } from '../functions/runtime/config.js';
import { NotFound, PayloadTooLarge } from '../functions/runtime/errors.js';
import { problemResponse, type HttpResponse } from '../functions/runtime/http.js';
import type { Logger } from '../functions/runtime/log.js';
import { toHttpRequest, writeResponse } from '../functions/runtime/serve.js';
import { directTarget, functionFor, type Mounts } from './mounts.js';

/** An answer whose body may be binary (the OTLP receiver answers protobuf to protobuf). */
export type GatewayResponse = Omit<HttpResponse, 'body'> & { body?: string | Uint8Array };

/** A route of the platform itself, matched on its exact method and path. */
export interface PlatformRoute {
  method: string;
  path: string;
  handle(req: IncomingMessage, body: Buffer): Promise<GatewayResponse>;
}

export interface GatewayOptions {
  mounts: Mounts;
  platformRoutes: PlatformRoute[];
  /** Static pages of the platform (the published contracts and their reference pages), by method and path. */
  pages?: (method: string, path: string) => HttpResponse | undefined;
  log: Logger;
}

const readBody = (req: IncomingMessage, limit: number): Promise<Buffer> =>
  new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new PayloadTooLarge(`the body is over the limit of ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks)));
    req.on('error', reject);
  });

const dispatch =
  (options: GatewayOptions, routes: Map<string, PlatformRoute>) =>
  async (req: IncomingMessage, url: URL, body: Buffer): Promise<GatewayResponse> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const own = routes.get(`${method} ${url.pathname}`);
    if (own) return own.handle(req, body);
    const page = options.pages?.(method, url.pathname);
    if (page) return page;
    const withBody = Object.assign(req, { rawBody: body });
    const direct = directTarget(url.pathname);
    if (direct) {
      const target = options.mounts.byName.get(direct.name);
      if (!target) throw new NotFound(`no function ${direct.name}`);
      return target.invoke(toHttpRequest(withBody, direct.path + url.search));
    }
    const target = functionFor(options.mounts, method, url.pathname);
    if (!target) throw new NotFound(`no route ${method} ${url.pathname}`);
    return target.invoke(toHttpRequest(withBody, url.pathname + url.search));
  };

export const createGateway = (options: GatewayOptions): Server => {
  const routes = new Map(options.platformRoutes.map((r) => [`${r.method} ${r.path}`, r]));
  const handle = dispatch(options, routes);
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > config.bodyLimit()) {
      // Refused unread: the connection closes rather than drain a body nobody wants.
      res.setHeader('connection', 'close');
      writeResponse(res, problemResponse(new PayloadTooLarge(`the body is ${declared} bytes; the limit is ${config.bodyLimit()}`)));
      req.resume();
      return;
    }
    readBody(req, config.bodyLimit())
      .then((body) => handle(req, url, body))
      .then((response) => {
        res.writeHead(response.status, response.headers);
        res.end(response.body);
      })
      .catch((error: unknown) => {
        if (problemResponse(error).status >= 500) options.log.error('gateway error', { path: url.pathname, error: String(error) });
        writeResponse(res, problemResponse(error));
      });
  });
};

/** Listens on `port` and `host`; resolves with the URL the platform is reached at. */
export const listen = async (server: Server, port: number, host: string): Promise<string> => {
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok());
  });
  const bound = (server.address() as AddressInfo).port;
  return `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${bound}`;
};

export const closeGateway = async (server: Server): Promise<void> => {
  server.closeAllConnections();
  await new Promise<void>((done) => server.close(() => done()));
};
