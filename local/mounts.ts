// The functions the gateway mounts, and which one serves a request. Resolution lives in
// `functionFor` alone, so the rule that picks between routes can change in one place.
import type { RegisteredFunction } from '../functions/runtime/definition.js';
import type { HttpRequest, HttpResponse } from '../functions/runtime/http.js';
import { parseRoute, type Route } from '../functions/runtime/route.js';
import { invokerFor } from '../functions/runtime/serve.js';

export interface Mounted {
  fn: RegisteredFunction;
  /** Its route at the gateway; none for an event handler, reached only at /functions/<name>. */
  route: Route | undefined;
  invoke(req: HttpRequest): Promise<HttpResponse>;
}

export interface Mounts {
  all: Mounted[];
  byName: Map<string, Mounted>;
}

export const mount = (functions: RegisteredFunction[]): Mounts => {
  const all = functions.map((fn) => ({
    fn,
    route: fn.definition.kind === 'handler' ? undefined : parseRoute(fn.definition.route),
    invoke: invokerFor(fn),
  }));
  return { all, byName: new Map(all.map((m) => [m.fn.name, m])) };
};

/** The function that serves `method path` at the gateway, if any. */
export const functionFor = (mounts: Mounts, method: string, path: string): Mounted | undefined =>
  mounts.all.find((m) => m.route !== undefined && m.route.method === method && m.route.match(path) !== undefined);

const DIRECT = /^\/functions\/([a-z0-9-]+)(\/.*)?$/;

/** `/functions/<name>/<path>`: the function's name and the path its own Service URL would receive. */
export const directTarget = (path: string): { name: string; path: string } | undefined => {
  const found = DIRECT.exec(path);
  return found ? { name: found[1] as string, path: found[2] ?? '/' } : undefined;
};
