// The embedded database's data directory has one writer: PGlite is one PostgreSQL backend, and two
// processes opening one directory corrupt it. The process that opens it (`npm start`, or a tool
// when no platform runs) holds `platform.lock` there, a JSON record of who it is and where its
// database is served, so that a tool started beside it goes through that process instead. A lock
// whose process is gone (kill -9, a crash) is taken over.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

export interface DataDirRecord {
  pid: number;
  /** What holds the directory: `npm start`, `npm run migrate`, ... */
  command: string;
  dataDir: string;
  startedAt: string;
  /** The loopback URL the embedded database is served at, once it is. */
  databaseUrl?: string;
  /** The platform runs on PostgreSQL at its DATABASE_URL (not written here: it may hold a password). */
  externalDatabase?: boolean;
  /** The gateway, once `npm start` listens. */
  url?: string;
  port?: number;
  /** How the platform signs and checks user tokens; the secret itself is never written here. */
  jwt?: { source: string; issuer: string; audience: string; fingerprint: string };
  /** The key id (`kid`) of its delivery token issuer's key: a publisher token must be signed by it. */
  deliveryKey?: string;
}

export class DataDirInUse extends Error {
  constructor(readonly holder: DataDirRecord) {
    super(
      `the data directory ${holder.dataDir} is in use by \`${holder.command}\` (pid ${holder.pid}, since ${holder.startedAt}): ` +
        'stop it first, or give this one another GOTUTO_DATA_DIR',
    );
  }
}

export const lockFile = (dataDir: string): string => join(dataDir, 'platform.lock');

/** The command this process was started as, for the message another process shows. */
const thisCommand = (): string => {
  const event = process.env.npm_lifecycle_event;
  if (event) return event === 'start' ? 'npm start' : `npm run ${event}`;
  return basename(process.argv[1] ?? process.argv0);
};

/** True while `pid` runs; a zombie (killed, not yet reaped) does not. */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
};

const read = (dataDir: string): DataDirRecord | undefined => {
  try {
    return JSON.parse(readFileSync(lockFile(dataDir), 'utf8')) as DataDirRecord;
  } catch {
    // Absent, or half written by a process that died while writing it: nobody holds it.
    return undefined;
  }
};

/** The live process holding `dataDir`, if any (this process included). */
export const dataDirHolder = (dataDir: string): DataDirRecord | undefined => {
  const record = read(dataDir);
  return record && alive(record.pid) ? record : undefined;
};

const write = (dataDir: string, record: DataDirRecord): void => {
  // Written aside, then renamed: a reader sees the old record or the new one, never half of one.
  const partial = `${lockFile(dataDir)}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(record, null, 2), { mode: 0o600 });
  renameSync(partial, lockFile(dataDir));
};

/**
 * Every data directory held on this machine by this user, one file per holding process, so that a
 * tool pointed at another directory can say which one a running platform uses. Kept only in a
 * directory the user owns.
 */
const index = (): string | undefined => {
  const dir = join(tmpdir(), `gotuto-data-dirs-${process.getuid?.() ?? 'user'}`);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return process.getuid === undefined || statSync(dir).uid === process.getuid() ? dir : undefined;
  } catch {
    return undefined;
  }
};

const indexed = (dataDir: string, held: boolean): void => {
  const dir = index();
  if (!dir) return;
  try {
    if (held) writeFileSync(join(dir, String(process.pid)), dataDir, { mode: 0o600 });
    else rmSync(join(dir, String(process.pid)), { force: true });
  } catch {
    // Only a hint for other tools is lost.
  }
};

/** The live holders of every data directory of this user's processes, forgetting dead ones. */
export const heldDataDirs = (): DataDirRecord[] => {
  const dir = index();
  if (!dir) return [];
  return readdirSync(dir).flatMap((pid) => {
    const path = join(dir, pid);
    let holder: DataDirRecord | undefined;
    try {
      holder = dataDirHolder(readFileSync(path, 'utf8'));
    } catch {
      holder = undefined;
    }
    if (holder?.pid === Number(pid)) return [holder];
    if (!alive(Number(pid))) rmSync(path, { force: true });
    return [];
  });
};

/**
 * Takes `dataDir` for this process, or throws DataDirInUse naming the live process that holds it.
 * Taking it again in the same process is a no-op. Returns the release.
 */
export const lockDataDir = (dataDir: string): (() => void) => {
  mkdirSync(dataDir, { recursive: true });
  const release = () => {
    if (read(dataDir)?.pid !== process.pid) return;
    rmSync(lockFile(dataDir), { force: true });
    indexed(dataDir, false);
  };
  for (let attempt = 0; attempt < 5; attempt++) {
    const record: DataDirRecord = { pid: process.pid, command: thisCommand(), dataDir, startedAt: new Date().toISOString() };
    try {
      const fd = openSync(lockFile(dataDir), 'wx', 0o600);
      writeSync(fd, JSON.stringify(record, null, 2));
      closeSync(fd);
      indexed(dataDir, true);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = read(dataDir);
    if (holder?.pid === process.pid) return release;
    if (holder && alive(holder.pid)) throw new DataDirInUse(holder);
    // A lock of a process that is gone (or an unreadable one): set aside, then taken like a free one.
    try {
      renameSync(lockFile(dataDir), `${lockFile(dataDir)}.stale`);
    } catch {
      // Another process took it over first; the next attempt sees its lock.
    }
  }
  throw new Error(`could not lock the data directory ${dataDir}: ${lockFile(dataDir)} keeps changing`);
};

/** Adds what this process serves to its own lock (a no-op when it does not hold `dataDir`). */
export const recordInDataDir = (dataDir: string, fields: Partial<Omit<DataDirRecord, 'pid'>>): void => {
  const record = read(dataDir);
  if (record?.pid === process.pid) write(dataDir, { ...record, ...fields });
};
