// The check the test clients apply to every answer they receive: its status is one the published
// OpenAPI document lists for the route's function, a problem is an RFC 9457 problem, and a success
// body satisfies the function's response schema. A mismatch throws, failing the test that saw it.
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { RegisteredFunction } from '../../functions/runtime/definition.js';
import { loadSchemas, SCHEMA_BASE } from './schemas.js';

// ajv-formats is CommonJS: its default export arrives wrapped under some loaders.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv2020, formats: string[]) => Ajv2020;

type OpenApi = { paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>> };

let ajv: Ajv2020 | undefined;
let statuses: Map<string, Set<number>> | undefined;

const validatorFor = (id: string): ValidateFunction => {
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv, ['uuid', 'email', 'date', 'date-time', 'uri']);
    for (const schema of loadSchemas()) ajv.addSchema(schema);
  }
  const validate = ajv.getSchema(id);
  if (!validate) throw new Error(`no schema ${id} under schemas/`);
  return validate;
};

/** The statuses the published OpenAPI document lists, by operationId (function name). */
const documented = (name: string): Set<number> | undefined => {
  if (!statuses) {
    const document = JSON.parse(readFileSync(new URL('../../schemas/contracts/openapi.json', import.meta.url), 'utf8')) as OpenApi;
    statuses = new Map(
      Object.values(document.paths)
        .flatMap((methods) => Object.values(methods))
        .map((op) => [op.operationId, new Set(Object.keys(op.responses).map(Number))]),
    );
  }
  return statuses.get(name);
};

const mismatch = (what: string, errors: ValidateFunction['errors']) =>
  new Error(`${what}: ${(errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`).join('; ')}`);

/**
 * Throws when an answer breaks the contract: `fn` is the function that answered (undefined for the
 * gateway's own routes, whose problems are still checked).
 */
export const checkResponse = (fn: RegisteredFunction | undefined, status: number, contentType: string, body: unknown): void => {
  // Node's HTTP server refuses a request line and headers over its limit (16 KiB) with a bare 431
  // before any function sees the request: no part of a function's contract.
  if (status === 431) return;
  const label = `${fn?.name ?? 'gateway'} answered ${status}`;
  const listed = fn ? documented(fn.name) : undefined;
  if (listed && !listed.has(status)) throw new Error(`${label}, a status its OpenAPI operation does not list (${[...listed].join(', ')})`);
  if (status >= 400) {
    if (!contentType.startsWith('application/problem+json')) throw new Error(`${label} as ${contentType || 'no content type'}, not application/problem+json`);
    const validate = validatorFor(`${SCHEMA_BASE}problem.json`);
    if (!validate(body)) throw mismatch(`${label} with a body that is not a problem`, validate.errors);
    if ((body as { status: number }).status !== status) throw new Error(`${label} with a problem whose status is ${(body as { status: number }).status}`);
    return;
  }
  const def = fn?.definition;
  if (!def || def.kind === 'handler' || status === 204 || status >= 300) return;
  // Functions that only a test defines have no schema; that every published one has one is
  // scripts/contracts/contracts.test.ts's to check.
  if (!def.response) return;
  const validate = validatorFor(def.response.$id);
  if (!validate(body)) throw mismatch(`${label} with a body that does not satisfy ${def.response.$id}`, validate.errors);
};
