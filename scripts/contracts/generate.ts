// `npm run contracts`: writes the published descriptions of the platform, schemas/contracts/openapi.json
// (HTTP API) and schemas/contracts/asyncapi.json (events), from the function registry, schemas/ and the
// Trigger manifests. `npm run contracts -- --check` only reports whether they are stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { eventDefinitions } from '../../events/index.js';
import { registry } from '../../functions/index.js';
import { loadRouting } from '../../local/routing.js';
import { buildAsyncApi } from './asyncapi.js';
import { buildOpenApi } from './openapi.js';
import { loadSchemas } from './schemas.js';
import { generateTypes } from './types.js';

const root = new URL('../../', import.meta.url);
export const contractFiles = {
  openapi: fileURLToPath(new URL('schemas/contracts/openapi.json', root)),
  asyncapi: fileURLToPath(new URL('schemas/contracts/asyncapi.json', root)),
  types: fileURLToPath(new URL('events/schemas.generated.ts', root)),
};

// Knative's Kafka Broker names its topic after the namespace the overlay sets; the local platform
// uses `local` (KAFKA_BROKER_TOPIC).
const BROKER_TOPIC = 'knative-broker-{namespace}-gotuto';

/** Both documents as the files hold them (two-space JSON, final newline), and the types module. */
export const generateContracts = async (): Promise<Record<keyof typeof contractFiles, string>> => {
  const version = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string }).version;
  const schemas = loadSchemas();
  const routing = loadRouting(fileURLToPath(new URL('knative/base', root)));
  const openapi = buildOpenApi(registry, schemas, version);
  const asyncapi = buildAsyncApi({ events: eventDefinitions(), schemas, registry, triggers: routing.triggers, topic: BROKER_TOPIC, version });
  return { openapi: `${JSON.stringify(openapi, null, 2)}\n`, asyncapi: `${JSON.stringify(asyncapi, null, 2)}\n`, types: await generateTypes(schemas) };
};

const main = async () => {
  const check = process.argv.includes('--check');
  const generated = await generateContracts();
  let stale = false;
  for (const name of ['openapi', 'asyncapi', 'types'] as const) {
    const file = contractFiles[name];
    let current = '';
    try {
      current = readFileSync(file, 'utf8');
    } catch {
      // absent: stale
    }
    if (current === generated[name]) continue;
    stale = true;
    if (check) console.error(`${file} is stale: run npm run contracts`);
    else writeFileSync(file, generated[name]);
  }
  if (check && stale) process.exit(1);
};

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
