// npm start: the whole platform in one process on embedded defaults (or DATABASE_URL).
import { startPlatform } from '../local/platform.js';
import { catalogIsEmpty, seedCatalog } from './seed.js';

// BROKER_DELIVER=off accepts and stores events without delivering them, to inspect or hold them.
const platform = await startPlatform({ deliver: process.env.BROKER_DELIVER !== 'off' });
const handlers = platform.functions.filter((f) => f.definition.kind === 'handler').length;
console.log(
  [
    '',
    `GoTuto is up at ${platform.url}`,
    `  functions: ${platform.functions.length} (${platform.functions.length - handlers} HTTP, ${handlers} event handlers)`,
    `  triggers:  ${platform.broker.triggers.length}, schedules: ${platform.pings.length}`,
    `  data:      ${platform.embedded ? `embedded PostgreSQL in ${platform.dataDir} (psql ${process.env.DATABASE_URL})` : 'PostgreSQL at DATABASE_URL'}`,
    `  broker:    ${platform.url}/broker (events: ${platform.url}/broker/events, admin)`,
    `  a token:   npm run token -- --role admin`,
    '',
  ].join('\n'),
);

// An empty catalog gets the demo catalog, through the Catalog commands (SEED=off to skip).
if (process.env.SEED !== 'off') {
  try {
    if (await catalogIsEmpty(platform.url)) console.log(`seeded the demo catalog: ${await seedCatalog(platform.url)} products`);
  } catch (error) {
    console.error(`could not seed the demo catalog: ${(error as Error).message}`);
  }
}

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  try {
    await platform.stop();
    process.exit(0);
  } catch (error) {
    console.error(`stop failed: ${(error as Error).message}`);
    process.exit(1);
  }
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
