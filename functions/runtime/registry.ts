// Names functions after their source path: `billing/commands/create-invoice` is the function
// `billing-create-invoice` of the context `billing`.
import type { FunctionDefinition, RegisteredFunction } from './definition.js';

const PATH = /^([a-z][a-z0-9]*)\/(commands|queries|handlers)\/([a-z][a-z0-9-]*)$/;

export const register = (modules: Record<string, FunctionDefinition>): RegisteredFunction[] =>
  Object.entries(modules).map(([path, definition]) => {
    const match = PATH.exec(path);
    if (!match) throw new Error(`function path "${path}" is not <context>/(commands|queries|handlers)/<name>`);
    const [, context, folder, file] = match as unknown as [string, string, string, string];
    const expected = { commands: 'command', queries: 'query', handlers: 'handler' }[folder];
    if (definition.kind !== expected) throw new Error(`${path} is in ${folder}/ but defines a ${definition.kind}`);
    return { name: `${context}-${file}`, context, path, definition };
  });
