// The check the test clients apply to every answer they receive: its status is one the published
// OpenAPI document lists for the route's function (or the gateway's own route), a problem is an
// RFC 9457 problem, and a success body satisfies the response schema. A mismatch throws, failing
// the test that saw it.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { RegisteredFunction } from '../../functions/runtime/definition.js';
import { GATEWAY_TAG } from './gateway.js';
import { idOf, loadSchemas, SCHEMA_BASE } from './schemas.js';

// ajv-formats is CommonJS: its default export arrives wrapped under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020, formats: string[]) => Ajv2020;

type MediaTypes = Record<string, { schema?: Record<string, unknown> }>;
type Operation = { operationId: string; tags?: string[]; responses: Record<string, { content?: MediaTypes; $ref?: string }> };
type OpenApi = { paths: Record<string, Record<string, Operation>> };

let ajv: Ajv2020 | undefined;
let statuses: Map<string, Set<number>> | undefined;
let openapi: OpenApi | undefined;

const compiler = (): Ajv2020 => {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv, ['uuid', 'email', 'date', 'date-time', 'uri']);
    for (const schema of loadSchemas()) ajv.addSchema(schema);
  }
  return ajv;
};

const validatorFor = (id: string): ValidateFunction => {
  const validate = compiler().getSchema(id);
  if (!validate) throw new Error(`no schema ${id} under schemas/`);
  return validate;
};

const published = (): OpenApi => (openapi ??= JSON.parse(readFileSync(new URL('../../schemas/contracts/openapi.json', import.meta.url), 'utf8')) as OpenApi);

/** The statuses the published OpenAPI document lists, by operationId (function name). */
const documented = (name: string): Set<number> | undefined => {
  statuses ??= new Map(
    Object.values(published().paths)
      .flatMap((methods) => Object.values(methods))
      .map((op) => [op.operationId, new Set(Object.keys(op.responses).map(Number))]),
  );
  return statuses.get(name);
};

const mismatch = (what: string, errors: ValidateFunction['errors']) =>
  new Error(`${what}: ${(errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')}`);

const checkProblem = (label: string, status: number, contentType: string, body: unknown): void => {
  if (!contentType.startsWith('application/problem+json')) throw new Error(`${label} as ${contentType || 'no content type'}, not application/problem+json`);
  const validate = validatorFor(`${SCHEMA_BASE}problem.json`);
  if (!validate(body)) throw mismatch(`${label} with a body that is not a problem`, validate.errors);
  if ((body as { status: number }).status !== status) throw new Error(`${label} with a problem whose status is ${(body as { status: number }).status}`);
};

/**
 * Throws when an answer breaks the contract: `fn` is the function that answered (undefined for a
 * function no published document knows, such as one a test adds: only its problems are checked).
 */
export const checkResponse = (fn: RegisteredFunction | undefined, status: number, contentType: string, body: unknown): void => {
  // Node's HTTP server refuses a request line and headers over its limit (16 KiB) with a bare 431
  // before any function sees the request: no part of a function's contract.
  if (status === 431) return;
  const label = `${fn?.name ?? 'gateway'} answered ${status}`;
  const listed = fn ? documented(fn.name) : undefined;
  if (listed && !listed.has(status)) throw new Error(`${label}, a status its OpenAPI operation does not list (${[...listed].join(', ')})`);
  if (status >= 400) return checkProblem(label, status, contentType, body);
  const def = fn?.definition;
  if (!def || def.kind === 'handler' || status === 204 || status >= 300) return;
  // Functions that only a test defines have no schema; that every published one has one is
  // scripts/contracts/contracts.test.ts's to check.
  if (!def.response) return;
  const validate = validatorFor(def.response.$id);
  if (!validate(body)) throw mismatch(`${label} with a body that does not satisfy ${def.response.$id}`, validate.errors);
};

// A response schema of the document: a component (one of schemas/, by its `$id`) or written inline.
const inline = new Map<string, ValidateFunction>();
const validatorOf = (schema: Record<string, unknown>): ValidateFunction => {
  const ref = schema.$ref;
  if (typeof ref === 'string') return validatorFor(idOf(ref.slice('#/components/schemas/'.length)));
  const key = JSON.stringify(schema);
  let validate = inline.get(key);
  if (!validate) inline.set(key, (validate = compiler().compile(schema)));
  return validate;
};

/** The gateway's own operation at `method path` (tag gateway), if the published document has one. */
export const gatewayOperation = (method: string, path: string): Operation | undefined => {
  const operation = published().paths[path]?.[method.toLowerCase()];
  return operation?.tags?.includes(GATEWAY_TAG) ? operation : undefined;
};

/**
 * Throws when an answer of the gateway itself breaks the contract: a route the document does not
 * have answers only 404 (or a 413 the gateway gives before routing); one it has answers a status
 * it lists, in the media type and schema it lists.
 */
export const checkGatewayResponse = (method: string, path: string, status: number, contentType: string, body: unknown): void => {
  if (status === 431) return;
  const label = `gateway answered ${status} to ${method} ${path}`;
  const operation = gatewayOperation(method, path);
  if (!operation) {
    if (status !== 404 && status !== 413) throw new Error(`${label}, a route the OpenAPI document does not have`);
    return checkProblem(label, status, contentType, body);
  }
  const response = operation.responses[String(status)];
  if (!response) throw new Error(`${label}, a status its OpenAPI operation does not list (${Object.keys(operation.responses).join(', ')})`);
  if (response.$ref) return checkProblem(label, status, contentType, body);
  const media = Object.entries(response.content ?? {}).find(([type]) => contentType.startsWith(type));
  if (!media && response.content) throw new Error(`${label} as ${contentType || 'no content type'}, not ${Object.keys(response.content).join(' or ')}`);
  if (!media?.[1].schema || !media[0].endsWith('json')) return;
  const validate = validatorOf(media[1].schema);
  if (!validate(body)) throw mismatch(`${label} with a body that does not satisfy its schema`, validate.errors);
};
