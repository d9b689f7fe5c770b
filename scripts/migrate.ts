// npm run migrate -- up|down [context...] [--all]
// Applies or reverts the migrations of every context (or the ones named) on DATABASE_URL, or on
// the embedded database under GOTUTO_DATA_DIR when it is unset.
import { ensureAdminFromEnv } from '../functions/customer/admin.js';
import { closeDatabases, poolFor } from '../functions/runtime/db.js';
import { migrateDown, migrateUp, migratedContexts } from '../functions/runtime/migrate.js';

const [direction, ...rest] = process.argv.slice(2);
const all = rest.includes('--all');
const named = rest.filter((a) => !a.startsWith('--'));
const known = migratedContexts();
const unknown = named.filter((c) => !known.includes(c));

if ((direction !== 'up' && direction !== 'down') || unknown.length > 0) {
  if (unknown.length > 0) console.error(`unknown context: ${unknown.join(', ')} (known: ${known.join(', ')})`);
  console.error('usage: npm run migrate -- up|down [context...] [--all]');
  process.exit(2);
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
