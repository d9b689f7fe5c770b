// npm start: the whole platform in one process on embedded defaults (or DATABASE_URL).
import { randomUUID } from 'node:crypto';
import { signToken } from '../functions/runtime/auth.js';
import { config } from '../functions/runtime/config.js';
import { DataDirInUse, lockDataDir, recordInDataDir } from '../functions/runtime/data-lock.js';
import { localSigningKey } from '../functions/runtime/token-source.js';
import { startPlatform, type PlatformOptions } from '../local/platform.js';
import { jwtSettings } from './running-platform.js';
import { catalogIsEmpty, seedCatalog } from './seed.js';
// npm start -- --scale-to-zero [--idle 60s]: each function in a process of its own, started on
// demand and stopped after the idle time, from its built bundle (built first when stale).
import { parseArgs } from 'node:util';
import { registry } from '../functions/index.js';
import { DEFAULT_BUNDLES_DIR, ensureBundles } from '../local/scale-to-zero/bundles.js';
import { DEFAULT_IDLE_MS } from '../local/scale-to-zero/scaler.js';

const USAGE = 'usage: npm start [-- --scale-to-zero [--idle <duration, e.g. 60s, 500ms, 2m>]]';

/** A duration as Knative writes one (`60s`, `500ms`, `2m`, `1h`), or a number of seconds. */
const parseDuration = (text: string): number => {
  const found = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!found) throw new Error(`--idle ${text}: not a duration (e.g. 60s, 500ms, 2m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(found[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  const ms = Number(found[1]) * unit;
  if (ms <= 0) throw new Error(`--idle ${text}: must be more than zero`);
  return ms;
};

/** The mode the command line asks for. */
const modeOf = (args: string[]): Pick<PlatformOptions, 'scaleToZero'> => {
  const { values } = parseArgs({ args, options: { 'scale-to-zero': { type: 'boolean' }, idle: { type: 'string' } }, strict: true });
  if (!values['scale-to-zero']) {
    if (values.idle !== undefined) throw new Error('--idle needs --scale-to-zero');
    return {};
  }
  return { scaleToZero: { bundlesDir: DEFAULT_BUNDLES_DIR, idleMs: values.idle === undefined ? DEFAULT_IDLE_MS : parseDuration(values.idle) } };
};

let mode: Pick<PlatformOptions, 'scaleToZero'>;
try {
  mode = modeOf(process.argv.slice(2));
} catch (error) {
  console.error(`npm start: ${(error as Error).message}\n${USAGE}`);
  process.exit(64);
}

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
const platform = await (async () => {
  if (mode.scaleToZero)
    await ensureBundles(
      mode.scaleToZero.bundlesDir,
      registry.map((fn) => fn.name),
      (line) => console.log(`npm start: ${line}`),
    );
  return startPlatform({ deliver: process.env.BROKER_DELIVER !== 'off', receiveTelemetry: true, ...mode });
})().catch((error: unknown) => {
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

// The journey page's link carries an admin token in its fragment, which the browser keeps to itself.
const journeyToken = await signToken({ id: randomUUID(), role: 'admin' }, '12h');
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
    ...(mode.scaleToZero
      ? [
          `  scale to zero: ${platform.scaler?.instances().length ?? 0} functions each in a process of its own, stopped after ${mode.scaleToZero.idleMs / 1000} s idle`,
        ]
      : []),
    `  data:      ${platform.embedded ? `embedded PostgreSQL in ${platform.dataDir} (psql ${process.env.DATABASE_URL})` : 'PostgreSQL at DATABASE_URL'}`,
    `  broker:    ${platform.url}/broker (events: ${platform.url}/broker/events, admin)`,
    `  journey:   ${platform.url}/journey#token=${journeyToken} (an order's journey, events now; the link's token lasts 12 h)`,
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
