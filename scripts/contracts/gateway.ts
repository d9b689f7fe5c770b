// The OpenAPI operations of the gateway's own routes (local/platform-routes.ts, local/contracts.ts):
// the broker ingress, the function table, health and the published contracts. They belong to no
// function, so each is tagged `gateway` and named `gateway-<what>`. `x-local-only: true` marks a
// route only `npm start` serves; the others the cluster's Gateway serves too (its HTTPRoutes,
// scripts/knative/gateway.ts), which scripts/contracts/contracts.test.ts holds them to.
import { BROKER_PUBLIC_PATH } from '../knative/gateway.js';
import { refTo, SCHEMA_BASE } from './schemas.js';

const PREFIX = '#/components/schemas';
type Operation = Record<string, unknown>;

export const GATEWAY_TAG = 'gateway';

const problem = (status: number) => ({ [String(status)]: { $ref: `#/components/responses/problem${status}` } });
const json = (description: string, schema: unknown) => ({ description, content: { 'application/json': { schema } } });
const html = (description: string) => ({ description, content: { 'text/html': { schema: { type: 'string' } } } });

// Binary mode carries the context attributes as ce-* headers; these four are required in it.
const binaryHeaders = [
  ['ce-specversion', 'binary mode: the CloudEvents version, 1.0'],
  ['ce-id', 'binary mode: the event id'],
  ['ce-source', 'binary mode: the event source'],
  ['ce-type', 'binary mode: the event type'],
].map(([name, description]) => ({ name, in: 'header', required: false, description, schema: { type: 'string' } }));

const ingress: Operation = {
  operationId: 'gateway-broker-ingress',
  summary: `POST ${BROKER_PUBLIC_PATH}`,
  tags: [GATEWAY_TAG],
  description:
    'The broker ingress (the Knative Broker in a cluster): one CloudEvent in binary mode (ce-* headers, the data as the body) or ' +
    'structured mode, or a batch. 202 once every event of the request is stored; a refused request keeps none of them. ' +
    "Publishers present a token for the broker's audience: none, or one that cannot be verified, is a 401; a publisher the broker does not admit, a 403.",
  security: [{ publisherToken: [] }],
  parameters: binaryHeaders,
  requestBody: {
    required: true,
    content: {
      'application/cloudevents+json': { schema: refTo(`${SCHEMA_BASE}gateway/cloud-event.json`, PREFIX) },
      'application/cloudevents-batch+json': { schema: refTo(`${SCHEMA_BASE}gateway/cloud-event-batch.json`, PREFIX) },
      '*/*': { schema: { description: "binary mode: the event's data, in its datacontenttype" } },
    },
  },
  responses: {
    '202': { description: 'Every event of the request is stored' },
    ...[400, 401, 403, 413, 500, 503].reduce((all, s) => ({ ...all, ...problem(s) }), {}),
  },
};

const localGet = (operationId: string, description: string, responses: Record<string, unknown>): Operation => ({
  operationId,
  summary: description,
  tags: [GATEWAY_TAG],
  'x-local-only': true,
  responses,
});

/** The gateway's own operations, by path and method. */
export const gatewayPaths = (): Record<string, Record<string, Operation>> => ({
  [BROKER_PUBLIC_PATH]: { post: ingress },
  '/functions': {
    get: localGet('gateway-functions', 'Every function served, with the dead letters waiting for it', {
      '200': json('The function table', refTo(`${SCHEMA_BASE}gateway/function-table.json`, PREFIX)),
    }),
  },
  '/healthz': {
    get: localGet('gateway-health', 'Whether the platform is ready', {
      '200': json('Migrations ran and every function is mounted', refTo(`${SCHEMA_BASE}gateway/health.json`, PREFIX)),
      '503': json('Still starting', refTo(`${SCHEMA_BASE}gateway/health.json`, PREFIX)),
    }),
  },
  '/openapi.json': { get: localGet('gateway-openapi', 'This document', { '200': json('The OpenAPI 3.1 document', { type: 'object' }) }) },
  '/asyncapi.json': { get: localGet('gateway-asyncapi', 'The events', { '200': json('The AsyncAPI 3 document', { type: 'object' }) }) },
  '/docs/openapi': { get: localGet('gateway-docs-openapi', 'A readable reference of this document', { '200': html('Swagger UI') }) },
  '/docs/asyncapi': { get: localGet('gateway-docs-asyncapi', 'A readable reference of the events', { '200': html('The AsyncAPI reference') }) },
});

export const publisherTokenScheme = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    "A publisher's token for the broker's audience (eventing.knative.dev/broker/<namespace>/<broker>): in a cluster a projected " +
    'service-account token, locally the file PUBLISHER_TOKEN_FILE names, kept fresh by npm start',
};
