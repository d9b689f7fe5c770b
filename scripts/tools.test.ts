// The local tools beside a running `npm start` on the same data directory, as a user runs them:
// migrate, seed and token go through the platform or refuse saying what to do, a second
// `npm start` refuses, and the platform's data is intact afterwards.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryKeyFile, localSigningKey } from '../functions/runtime/token-source.js';
import { checkedFetch, httpClient, spawnPlatform, waitFor, type SpawnedPlatform } from '../local/testing.js';

const exec = promisify(execFile);
const dataDir = mkdtempSync(join(tmpdir(), 'gotuto-tools-'));
const env: NodeJS.ProcessEnv = { ...process.env, GOTUTO_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
// The embedded database and broker: the data directory is what these tools must not damage.
for (const name of ['DATABASE_URL', 'JWT_SECRET', 'KAFKA_BROKERS', 'K_SINK', 'PORT', 'GOTUTO_URL']) delete env[name];

/** Runs `npm run <args>` (or `npm start`) with `extra` in the environment; never throws. */
const npm = async (args: string[], extra: NodeJS.ProcessEnv = {}) => {
  try {
    const { stdout, stderr } = await exec('npm', args, { env: { ...env, ...extra }, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
};

let platform: SpawnedPlatform;
const http = httpClient(() => platform.url);
const productSkus = async () => ((await http('GET', '/catalog/products?limit=100')).body.items as Array<{ sku: string }>).map((p) => p.sku).sort();
const categoryNames = async () => {
  const roots = (await http('GET', '/catalog/categories')).body.items as Array<{ name: string; children: Array<{ name: string }> }>;
  return roots.map((r) => `${r.name}: ${r.children.map((c) => c.name).join(', ')}`);
};
let before: { skus: string[]; categories: string[] };

beforeAll(async () => {
  platform = await spawnPlatform(env);
  // npm start seeds the empty catalog once it answers.
  await waitFor(productSkus, (skus) => skus.length === 12, 60_000);
  before = { skus: await productSkus(), categories: await categoryNames() };
}, 180_000);

afterAll(async () => {
  await platform?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('beside a running npm start on the same data directory', () => {
  it('the platform records where it serves its database and how it signs tokens', () => {
    const lock = JSON.parse(readFileSync(join(dataDir, 'platform.lock'), 'utf8'));
    expect(lock).toMatchObject({ command: 'npm start', dataDir, url: platform.url, port: Number(new URL(platform.url).port) });
    expect(lock.databaseUrl).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres/);
    expect(lock.jwt).toMatchObject({ source: expect.stringContaining('secret file'), fingerprint: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(JSON.stringify(lock)).not.toContain(readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim());
  });

  it('a second npm start refuses, naming the first', async () => {
    const second = await npm(['start'], { PORT: '0' });
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`in use by \`npm start\``);
    expect(second.stderr).toContain(dataDir);
  }, 120_000);

  it('migrate up goes through the platform database', async () => {
    const run = await npm(['run', '-s', 'migrate', '--', 'up']);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('through the database of `npm start`');
    expect(run.stdout).toContain('nothing to do');
  }, 120_000);

  it('migrate down refuses, saying to stop the platform first', async () => {
    const run = await npm(['run', '-s', 'migrate', '--', 'down', '--all']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('stop it');
  }, 120_000);

  it('token signs with the platform secret, or names the setting that differs', async () => {
    const run = await npm(['run', '-s', 'token', '--', '--role', 'admin']);
    expect(run.code).toBe(0);
    expect((await http('GET', '/customers', run.stdout.trim())).status).toBe(200);

    const other = await npm(['run', '-s', 'token', '--', '--role', 'admin'], { JWT_SECRET: 'not-the-platform-secret' });
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(`the platform signs tokens with the secret file ${join(dataDir, 'jwt-secret')}, this command with JWT_SECRET`);
    expect(other.stderr).toContain('JWT_SECRET unset');
    const help = await npm(['run', '-s', 'token', '--', '--help']);
    expect(help).toMatchObject({ code: 0, stderr: '' });
    expect(help.stdout).toContain('usage: npm run token');

    // A publisher token: POST /broker admits it, and nothing without it.
    const publisher = await npm(['run', '-s', 'token', '--', '--publisher']);
    expect(publisher.code).toBe(0);
    const post = (headers: Record<string, string>) =>
      checkedFetch(`${platform.url}/broker`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'ce-specversion': '1.0',
          'ce-id': `t-${Date.now()}`,
          'ce-type': 'com.gotuto.test.tool.v1',
          'ce-source': '/tools',
          ...headers,
        },
        body: '{}',
      });
    expect((await post({ authorization: `Bearer ${publisher.stdout.trim()}` })).status).toBe(202);
    expect((await post({})).status).toBe(401);
  }, 120_000);

  it('seed finds the platform, and --force keeps what exists instead of making it twice', async () => {
    const plain = await npm(['run', '-s', 'seed']);
    expect(plain.stdout).toContain('already has categories');
    const forced = await npm(['run', '-s', 'seed', '--', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain(`seeded 0 products into ${platform.url} (12 were there already)`);
    // npm's own --force (no `--`) reaches the seed too.
    expect((await npm(['run', '-s', 'seed', '--force'])).stdout).toContain('12 were there already');

    const elsewhere = await npm(['run', '-s', 'seed'], { PORT: '1' });
    expect(elsewhere.code).toBe(1);
    expect(elsewhere.stderr).toContain(`PORT is 1 here, but the platform on this data directory listens on ${new URL(platform.url).port}`);
  }, 180_000);

  it('from another data directory, seed and token name the platform and the GOTUTO_DATA_DIR it uses', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'gotuto-tools-other-'));
    try {
      const port = new URL(platform.url).port;
      const token = await npm(['run', '-s', 'token', '--', '--role', 'admin'], { GOTUTO_DATA_DIR: elsewhere, PORT: port });
      expect(token.code).toBe(1);
      expect(token.stderr).toContain(`run this with GOTUTO_DATA_DIR=${dataDir}`);
      // A publisher token from another data directory's key (none there yet, then another key) is refused.
      const publisher = await npm(['run', '-s', 'token', '--', '--publisher'], { GOTUTO_DATA_DIR: elsewhere, PORT: port });
      expect(publisher.code).toBe(1);
      expect(publisher.stderr).toContain(`run this with GOTUTO_DATA_DIR=${dataDir}`);
      await localSigningKey(deliveryKeyFile(elsewhere), true);
      const otherKey = await npm(['run', '-s', 'token', '--', '--publisher'], { GOTUTO_DATA_DIR: elsewhere, PORT: port });
      expect(otherKey.code).toBe(1);
      expect(otherKey.stderr).toMatch(
        new RegExp(`the platform's delivery key is \\S+, the one in ${elsewhere}\\S+ is \\S+: run this with GOTUTO_DATA_DIR=${dataDir}`),
      );
      const seed = await npm(['run', '-s', 'seed', '--', '--force'], { GOTUTO_DATA_DIR: elsewhere, GOTUTO_URL: platform.url });
      expect(seed.code).toBe(1);
      expect(seed.stderr).toContain(`run this with GOTUTO_DATA_DIR=${dataDir}`);
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  }, 120_000);

  it("leaves the platform's data as it was, and the platform serving", async () => {
    expect(await productSkus()).toEqual(before.skus);
    expect(await categoryNames()).toEqual(before.categories);
    expect((await http('GET', '/healthz')).status).toBe(200);
  });
});

describe('once the platform stops', () => {
  it('its lock is gone, and the tools open the data directory themselves', async () => {
    await platform.kill('SIGTERM');
    // npm itself exits at once; the platform stops its database, then releases the directory.
    expect(
      await waitFor(
        async () => existsSync(join(dataDir, 'platform.lock')),
        (held) => !held,
        30_000,
      ),
    ).toBe(false);
    const run = await npm(['run', '-s', 'migrate', '--', 'up']);
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain('through the database');
    expect(run.stdout).toContain('nothing to do');
    expect(existsSync(join(dataDir, 'platform.lock'))).toBe(false);
  }, 120_000);

  it('a lock left by a killed platform is taken over by the next npm start', async () => {
    platform = await spawnPlatform(env);
    await platform.kill('SIGKILL');
    expect(existsSync(join(dataDir, 'platform.lock'))).toBe(true);
    platform = await spawnPlatform(env);
    expect(await productSkus()).toEqual(before.skus);
  }, 240_000);
});

describe('beside a platform that the tools cannot go through', () => {
  // A live process holding a data directory as an `npm start` would, at the moments that matter.
  const holding = async (record: object, check: (dir: string) => Promise<void>) => {
    const dir = mkdtempSync(join(tmpdir(), 'gotuto-tools-held-'));
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)']);
    try {
      writeFileSync(
        join(dir, 'platform.lock'),
        JSON.stringify({ pid: holder.pid, command: 'npm start', dataDir: dir, startedAt: new Date().toISOString(), ...record }),
      );
      await check(dir);
    } finally {
      holder.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('migrate refuses while the platform is still starting, and opens nothing', async () => {
    await holding({}, async (dir) => {
      const run = await npm(['run', '-s', 'migrate', '--', 'up'], { GOTUTO_DATA_DIR: dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('is still starting: run this again once it is up');
      expect(existsSync(join(dir, 'pg'))).toBe(false);
    });
  }, 60_000);

  it('migrate without DATABASE_URL refuses beside a platform on PostgreSQL, saying to set it', async () => {
    await holding({ url: 'http://127.0.0.1:1', port: 1, externalDatabase: true }, async (dir) => {
      const run = await npm(['run', '-s', 'migrate', '--', 'up'], { GOTUTO_DATA_DIR: dir });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('runs on PostgreSQL at its DATABASE_URL: run this with the same DATABASE_URL');
      expect(existsSync(join(dir, 'pg'))).toBe(false);
    });
  }, 60_000);
});
