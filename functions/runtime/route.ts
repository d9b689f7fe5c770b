// Routes such as `POST /billing/invoices/{id}/send`, compiled once into a matcher.

export interface Route {
  method: string;
  pattern: string;
  /** Path parameters of `path`, or undefined when the path is not this route's. */
  match(path: string): Record<string, string> | undefined;
}

export const parseRoute = (route: string): Route => {
  const [method, pattern] = route.trim().split(/\s+/) as [string, string | undefined];
  if (!pattern || !pattern.startsWith('/')) throw new Error(`route "${route}" is not "METHOD /path"`);
  const names: string[] = [];
  const source = pattern
    .split('/')
    .map((segment) => {
      const param = /^\{([a-zA-Z][a-zA-Z0-9]*)\}$/.exec(segment);
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
      names.forEach((name, i) => {
        params[name] = decodeURIComponent(found[i + 1] as string);
      });
      return params;
    },
  };
};
