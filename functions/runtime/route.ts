// Routes such as `POST /billing/invoices/{id}/send`, compiled once into a matcher, and the one rule
// that chooses between routes, whatever order they were registered in: the local gateway, the test
// helpers and the manifest generator all resolve through `routeTable`.
//
// The rule, as mature routers apply it: of the routes that match a request, the one with a literal
// segment where the others have a parameter, at the first segment where they differ, wins
// (`GET /catalog/products/count` beats `GET /catalog/products/{id}`). Two routes that differ only in
// their parameters' names would match the same requests with the same precedence: such a pair is
// refused when the table is built, never settled by registration order.

export interface Route {
  method: string;
  pattern: string;
  /** Path parameters of `path`, or undefined when the path is not this route's. */
  match(path: string): Record<string, string> | undefined;
}

const PARAM = /^\{([a-zA-Z][a-zA-Z0-9]*)\}$/;

const decode = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    // A malformed escape (`%E0%A4%A`) names no resource: the route does not match.
    return undefined;
  }
};

export const parseRoute = (route: string): Route => {
  const [method, pattern] = route.trim().split(/\s+/) as [string, string | undefined];
  if (!pattern || !pattern.startsWith('/')) throw new Error(`route "${route}" is not "METHOD /path"`);
  const names: string[] = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      const param = PARAM.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1] as string);
      return '([^/]+)';
    })
    .join('/');
  const regex = new RegExp(`^${source}/?$`);
  return {
    method: method.toUpperCase(),
    pattern,
    match: (path) => {
      const found = regex.exec(path);
      if (!found) return undefined;
      const params: Record<string, string> = {};
      for (const [i, name] of names.entries()) {
        const value = decode(found[i + 1] as string);
        if (value === undefined) return undefined;
        params[name] = value;
      }
      return params;
    },
  };
};

/** What decides precedence: per segment, 0 for a literal and 1 for a parameter. */
const rank = (pattern: string): number[] => pattern.split('/').map((segment) => (PARAM.test(segment) ? 1 : 0));

/** The first segment where two ranks differ, or -1. */
const firstDifference = (a: number[], b: number[]): number => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
};

/** Literal segments first, at the first segment where two routes differ. */
const byPrecedence = (a: number[], b: number[]): number => {
  const i = firstDifference(a, b);
  return i === -1 ? a.length - b.length : (a[i] as number) - (b[i] as number);
};

/**
 * Whether route pattern `a` takes a request both could match before `b`: at the first segment where
 * one has a literal and the other a parameter, `a` has the literal. The rule of `routeTable`, for
 * generators of another router's rules (the cluster's HTTPRoutes).
 */
export const outranks = (a: string, b: string): boolean => {
  const ra = rank(a);
  const rb = rank(b);
  const i = firstDifference(ra, rb);
  return i !== -1 && ra[i] === 0;
};

/** The requests a route matches, its parameters' names left out: `GET /catalog/products/{}`. */
const shape = (route: Route): string =>
  `${route.method} ${route.pattern
    .split('/')
    .map((s) => (PARAM.test(s) ? '{}' : s))
    .join('/')}`;

export interface RouteTable<T> {
  /** Every route in precedence order: what a generator of routing rules evaluated in order emits. */
  routes: ReadonlyArray<{ entry: T; route: Route }>;
  /** The entry whose route serves `method path`, with the path's parameters; undefined for none. */
  resolve(method: string, path: string): { entry: T; route: Route; params: Record<string, string> } | undefined;
}

/**
 * The routes of `entries` (functions, or anything named with a route), in precedence order.
 * Throws when two of them would match the same requests with the same precedence, naming both.
 */
export const routeTable = <T extends { name: string }>(entries: readonly T[], routeOf: (entry: T) => string | undefined): RouteTable<T> => {
  const seen = new Map<string, { name: string; route: Route }>();
  const routes: Array<{ entry: T; route: Route; rank: number[] }> = [];
  for (const entry of entries) {
    const text = routeOf(entry);
    if (text === undefined) continue;
    const route = parseRoute(text);
    const other = seen.get(shape(route));
    if (other) {
      throw new Error(
        `routes ${route.method} ${other.route.pattern} (${other.name}) and ${route.method} ${route.pattern} (${entry.name}) match the same requests: ` +
          'change one of them so that a literal segment tells them apart',
      );
    }
    seen.set(shape(route), { name: entry.name, route });
    routes.push({ entry, route, rank: rank(route.pattern) });
  }
  // Routes that never match the same request keep a fixed order too, so generated rules do not churn.
  routes.sort((a, b) => byPrecedence(a.rank, b.rank) || a.route.pattern.localeCompare(b.route.pattern) || a.route.method.localeCompare(b.route.method));
  return {
    routes: routes.map(({ entry, route }) => ({ entry, route })),
    resolve: (method, path) => {
      const wanted = method.toUpperCase();
      for (const { entry, route } of routes) {
        if (route.method !== wanted) continue;
        const params = route.match(path);
        if (params) return { entry, route, params };
      }
      return undefined;
    },
  };
};
