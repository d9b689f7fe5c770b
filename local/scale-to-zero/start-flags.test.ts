// The command line of the scale-to-zero mode: a flag it does not know, or one that makes no sense,
// stops `npm start` at once with a message and usage (exit 64), before anything is opened.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'gotuto-start-flags-'));

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const start = async (...args: string[]) => {
  try {
    await run(process.execPath, ['--import', 'tsx', 'scripts/start.ts', ...args], { env: { ...process.env, GOTUTO_DATA_DIR: dataDir }, timeout: 60_000 });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code?: number; stderr?: string };
    return { code: failed.code, stderr: failed.stderr ?? '' };
  }
};

describe('npm start flags', () => {
  it.each([
    [['--idle', '5s'], '--idle needs --scale-to-zero'],
    [['--scale-to-zero', '--idle', 'soon'], '--idle soon: not a duration'],
    [['--scale-to-zero', '--idle', '0s'], 'must be more than zero'],
    [['--scale-to-zero', '--fast'], "Unknown option '--fast'"],
  ])(
    'refuses %j with a message and usage, opening nothing',
    async (args, message) => {
      const { code, stderr } = await start(...args);
      expect(code).toBe(64);
      expect(stderr).toContain(message);
      expect(stderr).toContain('usage: npm start [-- --scale-to-zero [--idle');
      expect(readdirSync(dataDir)).toEqual([]);
    },
    60_000,
  );
});
