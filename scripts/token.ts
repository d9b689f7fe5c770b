// npm run token -- --role admin|customer [--sub <uuid>] [--expires 12h]
// Prints a JWT that the runtime accepts: signed with JWT_SECRET, or with the local secret kept in
// the data directory (created on first use) when JWT_SECRET is unset. Beside a running `npm start`
// on the same data directory, it refuses when its settings would sign a token that platform rejects.
// npm run token -- --publisher: a token for the broker's audience, signed with the platform's
// delivery key in the data directory, which `POST /broker` admits.
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { signToken } from '../functions/runtime/auth.js';
import { isUuid } from '../functions/runtime/paging.js';
import { publisherToken } from './publisher-token.js';
import { differences, refuse, targetPlatform } from './running-platform.js';

const USAGE = `usage: npm run token -- --role admin|customer [--sub <uuid>] [--expires <duration>]
       npm run token -- --publisher [--sub <name>] [--expires <duration>]
  --role       the caller's role
  --publisher  a publisher token for POST /broker instead of a user's token
  --sub        the caller's id, a UUID (default: a new one); a publisher's name (default: publisher:<login>)
  --expires    lifetime: 30m, 12h, 7d, ... (default 12h)
Signs with JWT_SECRET, else with the secret file in GOTUTO_DATA_DIR (default .data), as npm start does;
a publisher token with the delivery key npm start keeps there, for the issuer it runs as.`;

const parse = (args: string[]) => {
  try {
    return parseArgs({
      args,
      options: {
        role: { type: 'string' },
        publisher: { type: 'boolean' },
        sub: { type: 'string' },
        expires: { type: 'string', default: '12h' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    return refuse('token', [`${(error as Error).message}\n${USAGE}`]);
  }
};

const values = parse(process.argv.slice(2));
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (values.publisher) {
  const made = await publisherToken(values.sub ?? `publisher:${userInfo().username}`, values.expires);
  if ('refused' in made) refuse('token', made.refused);
  else console.log(made.token);
  process.exit(0);
}
if (values.role !== 'admin' && values.role !== 'customer') {
  console.error(USAGE);
  process.exit(2);
}
if (values.sub !== undefined && !isUuid(values.sub)) refuse('token', [`--sub must be a UUID, got "${values.sub}"`]);

const platform = targetPlatform();
if (platform) {
  const differ = differences(platform);
  if (differ.length > 0) refuse('token', differ);
}

try {
  console.log(await signToken({ id: values.sub ?? randomUUID(), role: values.role }, values.expires));
} catch (error) {
  // jose refuses a lifetime it cannot read ("12 hours" is fine, "soon" is not).
  refuse('token', [`--expires "${values.expires}" is not a duration such as 30m, 12h or 7d (${(error as Error).message})`]);
}
