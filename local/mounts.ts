// The functions the gateway mounts, and which one serves a request: the runtime's route table, the
// rule the test helpers and the manifest generator resolve by too (a literal segment wins over a
// parameter, whatever the order of registration).
import type { RegisteredFunction } from '../functions/runtime/definition.js';
import type { HttpRequest, HttpResponse } from '../functions/runtime/http.js';
import { functionRoutes } from '../functions/runtime/registry.js';
import { parseRoute, type Route, type RouteTable } from '../functions/runtime/route.js';
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
  routes: RouteTable<RegisteredFunction>;
}

/** How a function is invoked when not in this process: its own process, in the scale-to-zero mode. */
export type Elsewhere = (fn: RegisteredFunction) => ((req: HttpRequest) => Promise<HttpResponse>) | undefined;

export const mount = (functions: RegisteredFunction[], elsewhere?: Elsewhere): Mounts => {
  const all = functions.map((fn) => ({
    fn,
    route: fn.definition.kind === 'handler' ? undefined : parseRoute(fn.definition.route),
    invoke: elsewhere?.(fn) ?? invokerFor(fn),
  }));
  return { all, byName: new Map(all.map((m) => [m.fn.name, m])), routes: functionRoutes(functions) };
};

/** The function that serves `method path` at the gateway, if any. */
export const functionFor = (mounts: Mounts, method: string, path: string): Mounted | undefined => {
  const found = mounts.routes.resolve(method, path);
  return found ? mounts.byName.get(found.entry.name) : undefined;
};

const DIRECT = /^\/functions\/([a-z0-9-]+)(\/.*)?$/;

/** `/functions/<name>/<path>`: the function's name and the path its own Service URL would receive. */
export const directTarget = (path: string): { name: string; path: string } | undefined => {
  const found = DIRECT.exec(path);
  return found ? { name: found[1] as string, path: found[2] ?? '/' } : undefined;
};
