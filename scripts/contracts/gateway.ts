// The OpenAPI operations of the gateway's own routes (local/platform-routes.ts, local/contracts.ts,
// local/otlp, local/journey): the broker ingress, the function table, health, the published
// contracts, the OTLP/HTTP receiver and the order journey page. They belong to no
// function, so each is tagged `gateway` and named `gateway-<what>`. `x-local-only: true` marks a
// route only `npm start` serves; the others the cluster's Gateway serves too (its HTTPRoutes,
// scripts/knative/gateway.ts), which scripts/contracts/contracts.test.ts holds them to.
import { BROKER_PUBLIC_PATH } from '../knative/gateway.js';
import { refTo, SCHEMA_BASE } from './schemas.js';

const PREFIX = '#/components/schemas';
type Operation = Record<string, unknown>;

export const GATEWAY_TAG = 'gateway';

const problem = (status: number) => ({ [String(status)]: { $ref: `#/components/responses/problem${status}` } });
const ref = (name: string) => refTo(`${SCHEMA_BASE}gateway/${name}.json`, PREFIX);
const problems = (...statuses: number[]) => statuses.reduce((all, s) => ({ ...all, ...problem(s) }), {});
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
      'application/cloudevents+json': { schema: ref('cloud-event') },
      'application/cloudevents-batch+json': { schema: ref('cloud-event-batch') },
      '*/*': { schema: { description: "binary mode: the event's data, in its datacontenttype" } },
    },
  },
  responses: {
    '202': { description: 'Every event of the request is stored' },
    ...problems(400, 401, 403, 413, 500, 503),
  },
};

const localGet = (operationId: string, description: string, responses: Record<string, unknown>): Operation => ({
  operationId,
  summary: description,
  tags: [GATEWAY_TAG],
  'x-local-only': true,
  responses,
});

// OTLP/HTTP answers in the encoding of the request: binary protobuf, or OTLP JSON.
const PROTOBUF = 'application/x-protobuf';
const otlp = (signal: 'traces' | 'metrics', what: string, message: string): Operation => ({
  operationId: `gateway-otlp-${signal}`,
  summary: `OTLP/HTTP: ${what}`,
  tags: [GATEWAY_TAG],
  'x-local-only': true,
  description:
    `The OTLP/HTTP receiver npm start points its functions' exporters at: an Export${message}ServiceRequest, binary protobuf or OTLP JSON, ` +
    'gzip or not. 200 with an export response in the encoding of the request (a partial success counts what was refused and says why); ' +
    '400 with a google.rpc.Status for a body that cannot be read; 415 for another content type or encoding. A database that is down answers 503, which exporters retry.',
  parameters: [{ name: 'Content-Encoding', in: 'header', required: false, description: 'gzip, or none', schema: { enum: ['gzip', 'identity'] } }],
  requestBody: {
    required: true,
    content: {
      [PROTOBUF]: { schema: { description: `an Export${message}ServiceRequest, binary protobuf` } },
      'application/json': { schema: { description: `an Export${message}ServiceRequest, OTLP JSON`, type: 'object' } },
    },
  },
  responses: {
    '200': {
      description: `Kept: an Export${message}ServiceResponse`,
      content: { [PROTOBUF]: { schema: { description: 'binary protobuf' } }, 'application/json': { schema: ref('otlp-export-response') } },
    },
    '400': {
      description: 'The body is not an export request: a google.rpc.Status with code 3 (INVALID_ARGUMENT)',
      content: { [PROTOBUF]: { schema: { description: 'binary protobuf' } }, 'application/json': { schema: ref('otlp-status') } },
    },
    ...problems(413, 415, 500, 503),
  },
});

// The journey page's fragments and metrics are an admin's.
const adminGet = (operationId: string, description: string, parameters: unknown[], responses: Record<string, unknown>): Operation => ({
  ...localGet(operationId, description, { ...responses, ...problems(401, 403, 500, 503) }),
  security: [{ bearer: [] }],
  parameters,
});

const search = {
  name: 'q',
  in: 'query',
  required: true,
  description: "An order's number or id, or the correlation id of a request of its journey",
  schema: { type: 'string', minLength: 1, maxLength: 200 },
};
const seconds = {
  name: 'seconds',
  in: 'query',
  required: false,
  description: 'How far back the view reaches',
  schema: { type: 'integer', minimum: 10, maximum: 86_400, default: 300 },
};

const journeyPaths = (): Record<string, Record<string, Operation>> => ({
  '/journey': { get: localGet('gateway-journey', "The order journey page: one order's journey, and the events flowing now", { '200': html('The page') }) },
  '/journey/script.js': {
    get: localGet('gateway-journey-script', "The page's script", {
      '200': { description: 'The script', content: { 'text/javascript': { schema: { type: 'string' } } } },
    }),
  },
  '/journey/order': {
    get: adminGet('gateway-journey-order', "One order's journey: its saga, its events and their deliveries, its spans", [search], {
      '200': html('The journey, an HTML fragment'),
      '404': html('No order matches, an HTML fragment'),
      ...problems(422),
    }),
  },
  '/journey/flow': {
    get: adminGet('gateway-journey-flow', 'The events flowing now: by type, to which Triggers, retries and dead letters, and the metrics received', [seconds], {
      '200': html('The view, an HTML fragment'),
      ...problems(422),
    }),
  },
  '/journey/metrics': {
    get: adminGet('gateway-journey-metrics', 'The metric series received over OTLP', [], {
      '200': json('The latest point of each series', ref('journey-metrics')),
    }),
  },
});

/** The gateway's own operations, by path and method. */
export const gatewayPaths = (): Record<string, Record<string, Operation>> => ({
  [BROKER_PUBLIC_PATH]: { post: ingress },
  '/functions': {
    get: localGet('gateway-functions', 'Every function served, with the dead letters waiting for it', {
      '200': json('The function table', ref('function-table')),
    }),
  },
  '/healthz': {
    get: localGet('gateway-health', 'Whether the platform is ready', {
      '200': json('Migrations ran and every function is mounted', ref('health')),
      '503': json('Still starting', ref('health')),
    }),
  },
  '/.well-known/openid-configuration': {
    get: localGet(
      'gateway-openid-configuration',
      "The local issuer's OpenID Connect discovery document: the issuer of delivery and publisher tokens, and where its keys are",
      {
        '200': json('The discovery document', {
          type: 'object',
          required: ['issuer', 'jwks_uri'],
          properties: { issuer: { type: 'string', format: 'uri' }, jwks_uri: { type: 'string', format: 'uri' } },
        }),
      },
    ),
  },
  '/openid/v1/jwks': {
    get: localGet('gateway-jwks', "The local issuer's public keys (JWKS), by which functions verify delivery and publisher tokens", {
      '200': json('The key set', {
        type: 'object',
        required: ['keys'],
        properties: { keys: { type: 'array', items: { type: 'object', required: ['kty'], properties: { kty: { type: 'string' } } } } },
      }),
    }),
  },
  '/openapi.json': { get: localGet('gateway-openapi', 'This document', { '200': json('The OpenAPI 3.1 document', { type: 'object' }) }) },
  '/asyncapi.json': { get: localGet('gateway-asyncapi', 'The events', { '200': json('The AsyncAPI 3 document', { type: 'object' }) }) },
  '/docs/openapi': { get: localGet('gateway-docs-openapi', 'A readable reference of this document', { '200': html('Swagger UI') }) },
  '/docs/asyncapi': { get: localGet('gateway-docs-asyncapi', 'A readable reference of the events', { '200': html('The AsyncAPI reference') }) },
  '/v1/traces': { post: otlp('traces', 'receive spans', 'Trace') },
  '/v1/metrics': { post: otlp('metrics', 'receive metric points', 'Metrics') },
  ...journeyPaths(),
});

export const publisherTokenScheme = {
  type: 'http',
  scheme: 'bearer',
  bearerFormat: 'JWT',
  description:
    "A publisher's token for the broker's audience (eventing.knative.dev/broker/<namespace>/<broker>): in a cluster a projected " +
    'service-account token, locally the file PUBLISHER_TOKEN_FILE names, kept fresh by npm start',
};
