// Names functions after their source path: `billing/commands/create-invoice` is the function
// `billing-create-invoice` of the context `billing`. A registry whose routes could shadow each other
// is refused here, when it loads, rather than answered by whichever route was registered first.
import type { FunctionDefinition, RegisteredFunction } from './definition.js';
import { routeTable, type RouteTable } from './route.js';

const PATH = /^([a-z][a-z0-9]*)\/(commands|queries|handlers)\/([a-z][a-z0-9-]*)$/;

/** The HTTP routes of functions, resolved by the one precedence rule of functions/runtime/route.ts. */
export const functionRoutes = (functions: readonly RegisteredFunction[]): RouteTable<RegisteredFunction> =>
  routeTable(functions, (fn) => (fn.definition.kind === 'handler' ? undefined : fn.definition.route));

export const register = (modules: Record<string, FunctionDefinition>): RegisteredFunction[] => {
  const functions = Object.entries(modules).map(([path, definition]) => {
    const match = PATH.exec(path);
    if (!match) throw new Error(`function path "${path}" is not <context>/(commands|queries|handlers)/<name>`);
    const [, context, folder, file] = match as unknown as [string, string, string, string];
    const expected = { commands: 'command', queries: 'query', handlers: 'handler' }[folder];
    if (definition.kind !== expected) throw new Error(`${path} is in ${folder}/ but defines a ${definition.kind}`);
    return { name: `${context}-${file}`, context, path, definition };
  });
  functionRoutes(functions);
  return functions;
};
