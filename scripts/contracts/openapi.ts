// The OpenAPI 3.1 document of the HTTP API, built from the function registry and the schemas:
// one operation per command and query, named after its function, with what the runtime makes of
// its definition (who may call, the statuses it can answer, Idempotency-Key, If-Match and ETag,
// paging). Every status that is not a success answers an RFC 9457 problem.
import type { CommandDefinition, QueryDefinition, RegisteredFunction } from '../../functions/runtime/definition.js';
import { parseRoute } from '../../functions/runtime/route.js';
import { GATEWAY_TAG, gatewayPaths, publisherTokenScheme } from './gateway.js';
import { components, keyOf, refTo, SCHEMA_BASE, type JsonSchema } from './schemas.js';

const PREFIX = '#/components/schemas';
type Http = CommandDefinition | QueryDefinition;
type Operation = Record<string, unknown>;

const PROBLEMS: Record<number, string> = {
  400: 'The request is malformed: a body that is not JSON, a header that is not well-formed',
  401: 'No token, or a token that cannot be verified',
  403: 'The caller may not do this',
  404: 'Nothing there, or nothing the caller may see',
  409: 'A business rule or a concurrent change refuses it',
  412: 'If-Match names a version that is no longer current',
  413: 'The body is larger than the limit',
  415: 'The body is not application/json',
  422: 'The input fails its schema, or names something that cannot exist (errors[] points at the fields)',
  429: 'Too many requests; retry after Retry-After seconds',
  500: 'An unexpected failure; it has been logged and nothing is revealed',
  503: 'A dependency is down; retry after Retry-After seconds',
};

const retryAfter = { 'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer', minimum: 0 } } };

const problemResponses = () =>
  Object.fromEntries(
    Object.entries(PROBLEMS).map(([status, description]) => [
      `problem${status}`,
      {
        description,
        ...(status === '429' || status === '503' ? { headers: retryAfter } : {}),
        content: { 'application/problem+json': { schema: refTo(`${SCHEMA_BASE}problem.json`, PREFIX) } },
      },
    ]),
  );

const isPaged = (def: Http): boolean => {
  const properties = (def.query?.properties ?? {}) as Record<string, unknown>;
  return 'limit' in properties && 'cursor' in properties;
};

const problemStatuses = (fn: RegisteredFunction, def: Http): number[] => {
  // A token that is sent is verified, even on a public route (401); what a route names may be
  // absent, and so may the caller's own account (404).
  const statuses = new Set([400, 401, 404, 500, 503]);
  if (def.access !== 'public') statuses.add(403);
  if (def.kind === 'command') [409, 413, 415, 422].forEach((s) => statuses.add(s));
  if (def.query) statuses.add(422);
  if (def.ifMatch) statuses.add(412);
  if (def.throttled) statuses.add(429);
  return [...statuses].sort((a, b) => a - b);
};

const parametersOf = (fn: RegisteredFunction, def: Http, pathParams: string[], method: string) => {
  const parameters: unknown[] = pathParams.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const query = def.query;
  const required = new Set((query?.required as string[] | undefined) ?? []);
  for (const name of Object.keys(query?.properties ?? {})) {
    parameters.push({ name, in: 'query', required: required.has(name), schema: { $ref: `${PREFIX}/${keyOf((query as JsonSchema).$id)}/properties/${name}` } });
  }
  if (def.kind === 'command' && method === 'POST') parameters.push({ $ref: '#/components/parameters/idempotencyKey' });
  if (def.ifMatch) parameters.push({ $ref: '#/components/parameters/ifMatch' });
  return parameters;
};

const successOf = (def: Http) => {
  const status = def.status ?? 200;
  if (status === 204) return { [status]: { description: 'Done; no body' } };
  const headers: Record<string, unknown> = {};
  // The runtime answers a result's `version` as its ETag.
  if (def.response && Object.keys(def.response.properties ?? {}).includes('version')) {
    headers.ETag = {
      description: 'The version of the answered resource; send it back as If-Match',
      required: true,
      schema: { type: 'string', examples: ['"3"'] },
    };
  }
  if (def.location) headers.Location = { description: 'Where the created resource is', schema: { type: 'string' } };
  if (def.kind === 'command')
    headers['Idempotent-Replayed'] = {
      description: '"true" when this is the recorded answer of an earlier request with the same Idempotency-Key',
      schema: { type: 'string' },
    };
  const schema = def.response ? refTo(def.response.$id, PREFIX) : isPaged(def) ? refTo(`${SCHEMA_BASE}page.json`, PREFIX) : {};
  return { [status]: { description: isPaged(def) ? 'One page of the list' : 'Done', headers, content: { 'application/json': { schema } } } };
};

const operationOf = (fn: RegisteredFunction, def: Http): [string, string, Operation] => {
  const route = parseRoute(def.route);
  const pathParams = [...route.pattern.matchAll(/\{([a-zA-Z0-9]+)\}/g)].map((m) => m[1] as string);
  const operation: Operation = {
    operationId: fn.name,
    summary: def.route,
    tags: [fn.context],
    description: def.access === 'public' ? 'Public.' : `Roles: ${def.access.join(', ')}.`,
    'x-kind': def.kind,
    'x-roles': def.access === 'public' ? [] : [...def.access],
    ...(def.localOnly ? { 'x-local-only': true } : {}),
    security: def.access === 'public' ? [{}, { bearer: [] }] : [{ bearer: [] }],
    parameters: parametersOf(fn, def, pathParams, route.method),
  };
  if (def.body) operation.requestBody = { required: true, content: { 'application/json': { schema: refTo(def.body.$id, PREFIX) } } };
  const problems = Object.fromEntries(problemStatuses(fn, def).map((s) => [String(s), { $ref: `#/components/responses/problem${s}` }]));
  operation.responses = { ...successOf(def), ...problems };
  return [route.pattern, route.method.toLowerCase(), operation];
};

/** The OpenAPI 3.1 document of every command and query of `registry`. */
export const buildOpenApi = (registry: RegisteredFunction[], schemas: JsonSchema[], version: string): Record<string, unknown> => {
  const paths: Record<string, Record<string, Operation>> = gatewayPaths();
  for (const fn of registry) {
    if (fn.definition.kind === 'handler') continue;
    const [path, method, operation] = operationOf(fn, fn.definition);
    const taken = paths[path]?.[method];
    if (taken) throw new Error(`${fn.name}: ${method.toUpperCase()} ${path} is the gateway's own ${String(taken.operationId)}`);
    (paths[path] ??= {})[method] = operation;
  }
  return {
    openapi: '3.1.1',
    info: {
      title: 'GoTuto Functions HTTP API',
      version,
      description:
        'Every command and query of the platform, one function each (operationId is the function name), and the routes of the gateway itself (tag gateway). ' +
        "An operation marked `x-local-only: true` is served only by the local platform (npm start); every other one by the cluster's Gateway too. " +
        'Generated by `npm run contracts` from the function registry and schemas/.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: 'http://127.0.0.1:8080', description: 'the local platform (npm start)' }],
    tags: [...new Set([...registry.map((fn) => fn.context), GATEWAY_TAG])].sort().map((name) => ({ name })),
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
    components: {
      schemas: components(schemas, PREFIX),
      responses: problemResponses(),
      parameters: {
        idempotencyKey: {
          name: 'Idempotency-Key',
          in: 'header',
          required: false,
          description: 'A retried POST with the same key answers the first result instead of acting twice',
          schema: { type: 'string', minLength: 1, maxLength: 200 },
        },
        ifMatch: {
          name: 'If-Match',
          in: 'header',
          required: false,
          description: 'The version last seen (the ETag); a stale one answers 412',
          schema: { type: 'string', examples: ['"3"'] },
        },
      },
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A user token (roles customer, admin): POST /customers/login, or npm run token',
        },
        publisherToken: publisherTokenScheme,
      },
    },
  };
};
