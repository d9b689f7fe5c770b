import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUse, dataDirHolder, heldDataDirs, lockDataDir, lockFile, recordInDataDir } from './data-lock.js';

const dirs: string[] = [];
const fresh = () => {
  const dir = mkdtempSync(join(tmpdir(), 'gotuto-lock-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const holdBy = (dir: string, pid: number) =>
  writeFileSync(lockFile(dir), JSON.stringify({ pid, command: 'npm start', dataDir: dir, startedAt: '2026-01-01T00:00:00.000Z' }));

/** The pid of a process that has ended. */
const deadPid = async (): Promise<number> => {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => child.once('exit', r));
  return child.pid as number;
};

describe('the data directory lock', () => {
  it('is taken, recorded, and released', () => {
    const dir = fresh();
    const release = lockDataDir(dir);
    recordInDataDir(dir, { databaseUrl: 'postgres://postgres@127.0.0.1:5/postgres' });
    expect(dataDirHolder(dir)).toMatchObject({ pid: process.pid, dataDir: dir, databaseUrl: 'postgres://postgres@127.0.0.1:5/postgres' });
    expect(lockDataDir(dir)).toBeTypeOf('function');
    // Tools pointed at another directory find it through this user's index of held directories.
    expect(heldDataDirs().map((held) => held.dataDir)).toContain(dir);
    release();
    expect(existsSync(lockFile(dir))).toBe(false);
    expect(heldDataDirs().map((held) => held.dataDir)).not.toContain(dir);
  });

  it('is refused while a live process holds it, naming that process', async () => {
    const dir = fresh();
    const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
    try {
      holdBy(dir, sleeper.pid as number);
      expect(() => lockDataDir(dir)).toThrow(DataDirInUse);
      expect(() => lockDataDir(dir)).toThrow(`in use by \`npm start\` (pid ${sleeper.pid}`);
      expect(JSON.parse(readFileSync(lockFile(dir), 'utf8')).pid).toBe(sleeper.pid);
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('is taken over from a process that is gone', async () => {
    const dir = fresh();
    holdBy(dir, await deadPid());
    expect(dataDirHolder(dir)).toBeUndefined();
    lockDataDir(dir);
    expect(dataDirHolder(dir)?.pid).toBe(process.pid);
  });

  it('is taken over when the lock file was left half written', () => {
    const dir = fresh();
    writeFileSync(lockFile(dir), '{"pid": 12');
    lockDataDir(dir);
    expect(dataDirHolder(dir)?.pid).toBe(process.pid);
  });
});
