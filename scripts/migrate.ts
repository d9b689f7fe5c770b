// npm run migrate -- up|down [context...] [--all]
// Applies or reverts the migrations of every context (or the ones named) on DATABASE_URL, or on
// the embedded database under GOTUTO_DATA_DIR when it is unset. Beside a running `npm start` on
// that data directory, `up` goes through the platform's database (the URL it serves it at) instead
// of opening the directory a second time; `down` refuses, since it would pull tables from under it.
import { ensureAdminFromEnv } from '../functions/customer/admin.js';
import { config } from '../functions/runtime/config.js';
import { closeDatabases, poolFor } from '../functions/runtime/db.js';
import { migrateDown, migrateUp, migratedContexts } from '../functions/runtime/migrate.js';
import { describe, refuse, runningPlatform } from './running-platform.js';

const USAGE = `usage: npm run migrate -- up|down [context...] [--all]
  up        applies every pending migration
  down      reverts the latest migration of each context; with --all, every migration
            (then the platform's own tables, once nothing is migrated)
  context   only these contexts (known: ${migratedContexts().join(', ')})`;

const [direction, ...rest] = process.argv.slice(2);
if (direction === '--help' || direction === '-h' || rest.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const all = rest.includes('--all');
const named = rest.filter((a) => !a.startsWith('--'));
const known = migratedContexts();
const unknown = named.filter((c) => !known.includes(c));
const unknownFlags = rest.filter((a) => a.startsWith('--') && a !== '--all');

if ((direction !== 'up' && direction !== 'down') || unknown.length > 0 || unknownFlags.length > 0) {
  if (unknown.length > 0) console.error(`unknown context: ${unknown.join(', ')} (known: ${known.join(', ')})`);
  if (unknownFlags.length > 0) console.error(`unknown option: ${unknownFlags.join(', ')}`);
  console.error(USAGE);
  process.exit(2);
}

// Without DATABASE_URL the database is the embedded one of the data directory: if a platform holds
// it, this goes through that platform, never opens it a second time.
const platform = config.databaseUrl() ? undefined : runningPlatform();
if (platform) {
  if (platform.externalDatabase) {
    refuse('migrate', [`${describe(platform)} runs on PostgreSQL at its DATABASE_URL: run this with the same DATABASE_URL`]);
  }
  if (direction === 'down') {
    refuse('migrate', [`${describe(platform)} uses this database: stop it (Ctrl-C) before reverting migrations, then run this again`]);
  }
  if (!platform.databaseUrl) refuse('migrate', [`${describe(platform)} is still starting: run this again once it is up`]);
  process.env.DATABASE_URL = platform.databaseUrl;
  console.log(`through the database of ${describe(platform)}`);
}

try {
  const contexts = named.length > 0 ? named : known;
  const done = direction === 'up' ? await migrateUp(contexts) : await migrateDown(contexts, all);
  console.log(done.length === 0 ? 'nothing to do' : `${direction === 'up' ? 'applied' : 'reverted'}: ${done.join(', ')}`);
  // The customer migration (a Job in a cluster) also makes the first admin, when asked to.
  if (direction === 'up' && contexts.includes('customer')) {
    const admin = await ensureAdminFromEnv(await poolFor('customer'));
    if (admin) console.log(admin.created ? `admin ${admin.customer.email} created` : `admin ${admin.customer.email} already exists`);
  }
} catch (error) {
  console.error(`migration failed: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await closeDatabases();
}
