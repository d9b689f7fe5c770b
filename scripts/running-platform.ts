// What the local tools (migrate, seed, token) learn from the `npm start` running on their data
// directory (functions/runtime/data-lock.ts): where its database and gateway are, and whether this
// process would sign tokens it accepts. Each difference is named, with what to change.
import { createHash } from 'node:crypto';
import { signingKey } from '../functions/runtime/auth.js';
import { config } from '../functions/runtime/config.js';
import { dataDirHolder, heldDataDirs, type DataDirRecord } from '../functions/runtime/data-lock.js';

export type JwtSettings = NonNullable<DataDirRecord['jwt']>;

/** How this process signs tokens; undefined when it has no key (no JWT_SECRET, no secret file). */
export const jwtSettings = (): JwtSettings | undefined => {
  let key: Uint8Array;
  try {
    key = signingKey(false);
  } catch {
    return undefined;
  }
  return {
    source: process.env.JWT_SECRET ? 'JWT_SECRET' : `the secret file ${config.localSecretFile()}`,
    issuer: config.jwtIssuer(),
    audience: config.jwtAudience(),
    // Enough to tell two secrets apart, nothing to sign with.
    fingerprint: createHash('sha256').update(key).digest('hex').slice(0, 12),
  };
};

/** The other process holding this data directory, if one runs. */
export const runningPlatform = (): DataDirRecord | undefined => {
  const holder = dataDirHolder(config.dataDir());
  return holder && holder.pid !== process.pid ? holder : undefined;
};

/**
 * The platform a tool would talk to: the one on this data directory, else one running on another
 * data directory at GOTUTO_URL, or on PORT (8080) when GOTUTO_URL is unset.
 */
export const targetPlatform = (): DataDirRecord | undefined => {
  const here = runningPlatform();
  if (here) return here;
  const url = process.env.GOTUTO_URL?.replace(/\/+$/, '');
  const port = Number(process.env.PORT ?? 8080);
  return heldDataDirs().find((held) => held.pid !== process.pid && held.url !== undefined && (url ? held.url === url : held.port === port));
};

const isFile = (source: string) => source.startsWith('the secret file');

const jwtDifferences = (platform: DataDirRecord, theirs: JwtSettings, mine: JwtSettings | undefined): string[] => {
  // The platform's secret file is in its data directory: pointing this one there is the fix.
  const fix = isFile(theirs.source)
    ? `run this with GOTUTO_DATA_DIR=${platform.dataDir}${process.env.JWT_SECRET ? ' and JWT_SECRET unset' : ''}`
    : 'export the JWT_SECRET that npm start runs with';
  if (!mine) return [`the platform signs tokens with ${theirs.source}; here JWT_SECRET is unset and ${config.localSecretFile()} does not exist: ${fix}`];
  const found: string[] = [];
  if (mine.source !== theirs.source) {
    found.push(`the platform signs tokens with ${theirs.source}, this command with ${mine.source}: ${fix}`);
  } else if (mine.fingerprint !== theirs.fingerprint) {
    found.push(
      `${isFile(mine.source) ? mine.source : 'JWT_SECRET'} is not the platform's (fingerprint ${mine.fingerprint} here, ${theirs.fingerprint} there): ${fix}`,
    );
  }
  if (mine.issuer !== theirs.issuer) found.push(`JWT_ISSUER is "${mine.issuer}" here, "${theirs.issuer}" for the platform`);
  if (mine.audience !== theirs.audience) found.push(`JWT_AUDIENCE is "${mine.audience}" here, "${theirs.audience}" for the platform`);
  return found;
};

/** Every setting of this process that differs from the running platform's, each with its fix. */
export const differences = (platform: DataDirRecord): string[] => {
  const found = platform.jwt ? jwtDifferences(platform, platform.jwt, jwtSettings()) : [];
  const port = process.env.PORT;
  if (port && platform.port !== undefined && Number(port) !== platform.port) {
    found.push(`PORT is ${port} here, but the platform on this data directory listens on ${platform.port}: unset PORT or set it to ${platform.port}`);
  }
  return found;
};

/** Describes the platform for a tool's first line. */
export const describe = (platform: DataDirRecord): string =>
  `\`${platform.command}\` (pid ${platform.pid}${platform.url ? `, ${platform.url}` : ''}) on ${platform.dataDir}`;

/** Prints why a tool will not run, and what to do, and ends the process. */
export const refuse = (tool: string, reasons: string[]): never => {
  console.error(`${tool}: ${reasons.length === 1 ? reasons[0] : reasons.map((r) => `\n  - ${r}`).join('')}`);
  process.exit(1);
};
