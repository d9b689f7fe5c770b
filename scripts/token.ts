// npm run token -- --role admin|customer [--sub <uuid>] [--expires 1h]
// Prints a JWT that the runtime accepts: signed with JWT_SECRET, or with the local secret kept in
// the data directory (created on first use) when JWT_SECRET is unset.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { signToken } from '../functions/runtime/auth.js';
import { isUuid } from '../functions/runtime/paging.js';


const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    sub: { type: 'string' },
    expires: { type: 'string', default: '12h' },
  },
});

if (values.role !== 'admin' && values.role !== 'customer') {
  console.error('usage: npm run token -- --role admin|customer [--sub <uuid>] [--expires 12h]');
  process.exit(2);
}
if (values.sub !== undefined && !isUuid(values.sub)) {
  console.error(`--sub must be a UUID, got "${values.sub}"`);
  process.exit(2);
}

console.log(await signToken({ id: values.sub ?? randomUUID(), role: values.role }, values.expires));
