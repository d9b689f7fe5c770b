// Starts the local platform for a test file: on a fresh database of DATABASE_URL's server when set,
// else on embedded PostgreSQL in a temporary data directory.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPlatform, type Platform, type PlatformOptions } from './platform.js';

process.env.LOG_LEVEL ??= 'warn';

export interface TestEnvironment {
  dataDir: string;
  /** Starts (or restarts) the platform on this environment's database and data directory. */
  start(options?: PlatformOptions): Promise<Platform>;
  dispose(): Promise<void>;
}

export const createTestEnvironment = async (): Promise<TestEnvironment> => {
  const adminUrl = process.env.GOTUTO_TEST_ADMIN_URL ?? process.env.DATABASE_URL;
  if (adminUrl) process.env.GOTUTO_TEST_ADMIN_URL = adminUrl;
  const dataDir = mkdtempSync(join(tmpdir(), 'gotuto-platform-'));
  const name = `gotuto_platform_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  let databaseUrl: string | undefined;
  if (adminUrl) {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
  }
  let running: Platform | undefined;
  return {
    dataDir,
    start: async (options = {}) => {
      if (databaseUrl) process.env.DATABASE_URL = databaseUrl;
      else delete process.env.DATABASE_URL;
      running = await startPlatform({ port: 0, dataDir, brokerPollMs: 20, ...options });
      const platform = running;
      const stop = platform.stop;
      platform.stop = async () => {
        await stop();
        if (running === platform) running = undefined;
      };
      return platform;
    },
    dispose: async () => {
      if (running) await running.stop();
      if (adminUrl) {
        const admin = new pg.Client({ connectionString: adminUrl });
        await admin.connect();
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
};

export type Answer = { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A JSON client of the platform at `base()` (read at each call, since a restart changes the port). */
export const httpClient =
  (base: () => string) =>
  async (method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(base() + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

/** Reads until `ok` holds or `ms` have passed; returns the last reading either way. */
export const waitFor = async <T>(read: () => Promise<T>, ok: (v: T) => boolean, ms = 60_000): Promise<T> => {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
};
