// Gateway API's request matching (HTTPRoute, standard channel), so that tests can say where the
// generated routes send a request: a rule's match takes a request when its path (Exact,
// PathPrefix, or RegularExpression as a full match) and method agree; of several, the spec's
// precedence picks one: Exact over the longest PathPrefix, a method over none, then the route's
// namespace/name, then the rule's order. RegularExpression matches rank last here; their order is
// left to each implementation, which is why the generator makes them disjoint (paths.ts).

export interface HttpRouteDoc {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}

interface PathMatch {
  type?: 'Exact' | 'PathPrefix' | 'RegularExpression';
  value?: string;
}
interface Match {
  path?: PathMatch;
  method?: string;
}
interface BackendRef {
  name: string;
  namespace?: string;
  port?: number;
}
interface Filter {
  type: string;
  urlRewrite?: { hostname?: string; path?: { type: string; replaceFullPath?: string; replacePrefixMatch?: string } };
}
interface Rule {
  matches?: Match[];
  filters?: Filter[];
  backendRefs?: BackendRef[];
}

/** Where a request goes: the route and rule that took it, its backend, and the host and path it arrives with. */
export interface Routed {
  route: string;
  rule: number;
  backend: BackendRef & { namespace: string };
  host: string | undefined;
  path: string;
}

const pathMatches = (match: PathMatch | undefined, path: string): boolean => {
  const type = match?.type ?? 'PathPrefix';
  const value = match?.value ?? '/';
  if (type === 'Exact') return path === value;
  if (type === 'RegularExpression') return new RegExp(`^(?:${value})$`).test(path);
  const prefix = value.replace(/\/+$/, '');
  return prefix === '' || path === prefix || path.startsWith(`${prefix}/`);
};

// Lower sorts first: the kind of path match, then the longer prefix, then a method over none.
const rank = (match: Match): [number, number, number] => {
  const type = match.path?.type ?? 'PathPrefix';
  const kind = type === 'Exact' ? 0 : type === 'PathPrefix' ? 1 : 2;
  return [kind, type === 'PathPrefix' ? -(match.path?.value ?? '/').length : 0, match.method ? 0 : 1];
};

interface Candidate {
  doc: HttpRouteDoc;
  rule: Rule;
  index: number;
  match: Match;
}

/** Every rule match of `routes` attached to `gateway` that takes `method` and `path`. */
export const candidates = (routes: readonly HttpRouteDoc[], gateway: string, method: string, path: string): Candidate[] =>
  routes
    .filter((doc) => doc.kind === 'HTTPRoute' && ((doc.spec?.parentRefs as { name: string }[] | undefined) ?? []).some((p) => p.name === gateway))
    .flatMap((doc) =>
      ((doc.spec?.rules as Rule[] | undefined) ?? []).flatMap((rule, index) =>
        (rule.matches && rule.matches.length > 0 ? rule.matches : [{}])
          .filter((match) => (!match.method || match.method === method) && pathMatches(match.path, path))
          .map((match) => ({ doc, rule, index, match })),
      ),
    );

const compare = (a: Candidate, b: Candidate): number => {
  const [x, y] = [rank(a.match), rank(b.match)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return (x[i] as number) - (y[i] as number);
  const [na, nb] = [`${a.doc.metadata.namespace ?? ''}/${a.doc.metadata.name}`, `${b.doc.metadata.namespace ?? ''}/${b.doc.metadata.name}`];
  return na < nb ? -1 : na > nb ? 1 : a.index - b.index;
};

/** Where the routes of `gateway` send `method path`, or undefined when no rule takes it (404 at the gateway). */
export const routeRequest = (routes: readonly HttpRouteDoc[], gateway: string, method: string, path: string): Routed | undefined => {
  const best = candidates(routes, gateway, method, path).sort(compare)[0];
  if (!best) return undefined;
  const backend = best.rule.backendRefs?.[0];
  if (!backend) throw new Error(`HTTPRoute ${best.doc.metadata.name} rule ${best.index} has no backend`);
  const rewrite = best.rule.filters?.find((f) => f.type === 'URLRewrite')?.urlRewrite;
  const full = rewrite?.path?.type === 'ReplaceFullPath' ? rewrite.path.replaceFullPath : undefined;
  return {
    route: best.doc.metadata.name,
    rule: best.index,
    backend: { ...backend, namespace: backend.namespace ?? best.doc.metadata.namespace ?? '' },
    host: rewrite?.hostname,
    path: full ?? path,
  };
};
