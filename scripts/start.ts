// npm start: the whole platform in one process on embedded defaults (or DATABASE_URL).
import { config } from '../functions/runtime/config.js';
import { DataDirInUse, lockDataDir, recordInDataDir } from '../functions/runtime/data-lock.js';
import { localSigningKey } from '../functions/runtime/token-source.js';
import { startPlatform } from '../local/platform.js';
import { jwtSettings } from './running-platform.js';
import { catalogIsEmpty, seedCatalog } from './seed.js';

// The data directory is this process's before anything opens it: a second `npm start` on it stops
// here, with the first one's pid, instead of opening the same embedded database twice.
let unlock: () => void;
try {
  unlock = lockDataDir(config.dataDir());
} catch (error) {
  console.error(`npm start: ${error instanceof DataDirInUse ? error.message : String(error)}`);
  process.exit(1);
}

// BROKER_DELIVER=off accepts and stores events without delivering them, to inspect or hold them.
const platform = await startPlatform({ deliver: process.env.BROKER_DELIVER !== 'off' }).catch((error: unknown) => {
  unlock();
  // A port in use, a database that refuses: the message says which; LOG_LEVEL=debug adds where.
  console.error(`npm start: ${error instanceof Error ? error.message : String(error)}`);
  if (process.env.LOG_LEVEL === 'debug' && error instanceof Error) console.error(error.stack);
  process.exit(1);
});
// Tools started beside it (migrate, seed, token) read where it is and how it signs tokens.
recordInDataDir(platform.dataDir, {
  url: platform.url,
  port: Number(new URL(platform.url).port),
  jwt: jwtSettings(),
  deliveryKey: (await localSigningKey())?.kid,
  ...(platform.embedded ? {} : { externalDatabase: true }),
});

const handlers = platform.functions.filter((f) => f.definition.kind === 'handler').map((f) => f.definition);
const count = (n: number, what: string) => `${n} ${what}`;
console.log(
  [
    '',
    `GoTuto is up at ${platform.url}`,
    `  functions: ${platform.functions.length} (` +
      [
        count(platform.functions.length - handlers.length, 'HTTP'),
        count(handlers.filter((h) => h.kind === 'handler' && h.event).length, 'event handlers'),
        count(handlers.filter((h) => h.kind === 'handler' && h.schedule).length, 'scheduled'),
        count(handlers.filter((h) => h.kind === 'handler' && h.anyType).length, 'dead-letter sink'),
      ].join(', ') +
      ')',
    `  triggers:  ${platform.broker.triggers.length}, schedules: ${platform.pings.length}`,
    `  data:      ${platform.embedded ? `embedded PostgreSQL in ${platform.dataDir} (psql ${process.env.DATABASE_URL})` : 'PostgreSQL at DATABASE_URL'}`,
    `  broker:    ${platform.url}/broker (events: ${platform.url}/broker/events, admin)`,
    `  a token:   npm run token -- --role admin (a publisher's for POST /broker: npm run token -- --publisher)`,
    '',
  ].join('\n'),
);

// An empty catalog gets the demo catalog, through the Catalog commands (SEED=off to skip).
if (process.env.SEED !== 'off') {
  try {
    if (await catalogIsEmpty(platform.url)) console.log(`seeded the demo catalog: ${(await seedCatalog(platform.url)).created} products`);
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
    unlock();
    process.exit(0);
  } catch (error) {
    console.error(`stop failed: ${(error as Error).message}`);
    process.exit(1);
  }
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
