// `npm run bench -- pool`: one warm instance of billing-create-invoice (its bundle) for each pool
// size PG_POOL_MAX (2, 4, 10, 20) and each number of requests in flight (10, 50, 100: the
// containerConcurrency an instance would be given), req/s, p50/p99 and CPU per request, what
// explains each cell (scripts/bench/warm.ts), and the PostgreSQL connections it holds. Then the
// same matrix through PgBouncer in transaction mode, started here as a plain process with a
// generated ini in a temporary directory, holding PGBOUNCER_SERVER_POOL server connections
// whatever the instance's pool: how many server connections a function needs, and what the hop
// costs. PgBouncer is used only when `pgbouncer` is on PATH; the report says so otherwise.
import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, startProcess, temporaryDir, type Child } from './processes.js';
import { describeRun, measureRun, startWarm, type RunFigures, type WarmContext, type WarmLoad, type WarmServer } from './warm.js';

export const POOL_SIZES = [2, 4, 10, 20];
export const CONCURRENCY = [10, 50, 100];
/** The server connections PgBouncer holds for the function's database, whatever the instance's pool. */
export const PGBOUNCER_SERVER_POOL = 4;

export interface PoolContext extends Omit<WarmContext, 'env'> {
  server: WarmServer;
  load: Omit<WarmLoad, 'connections'>;
  databaseUrl: string;
  /** The environment of the server listening on `port`, with this pool size and database. */
  env(port: number, poolMax: number, databaseUrl: string): NodeJS.ProcessEnv;
}

export interface PoolCell {
  poolMax: number;
  concurrency: number;
  via: 'direct' | 'pgbouncer';
  /** The PostgreSQL connections the instance holds at most (through PgBouncer: the server pool's). */
  serverConnections: number;
  run: RunFigures;
}

export interface PoolFigures {
  cells: PoolCell[];
  pgbouncer: string;
}

/** PgBouncer in transaction mode in front of the server of `databaseUrl`, on a free loopback port. */
const startPgbouncer = async (ctx: PoolContext, databaseUrl: string): Promise<{ url: string; child: Child; stop(): Promise<void> }> => {
  const target = new URL(databaseUrl);
  const port = await freePort();
  const dir = temporaryDir('gotuto-pgbouncer-');
  const user = decodeURIComponent(target.username);
  const password = decodeURIComponent(target.password);
  const quote = (value: string) => `"${value.replaceAll('"', '""')}"`;
  writeFileSync(join(dir.path, 'userlist.txt'), `${quote(user)} ${quote(password)}\n`);
  writeFileSync(
    join(dir.path, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${target.hostname} port=${target.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${join(dir.path, 'userlist.txt')}`,
      'pool_mode = transaction',
      `default_pool_size = ${PGBOUNCER_SERVER_POOL}`,
      'max_client_conn = 1000',
      '',
    ].join('\n'),
  );
  // PgBouncer refuses to run as root; it then runs as nobody, who must read its files.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) for (const name of ['', 'userlist.txt', 'pgbouncer.ini']) chmodSync(join(dir.path, name), name ? 0o644 : 0o755);
  const child = startProcess('pgbouncer', [...(asRoot ? ['-u', 'nobody'] : []), join(dir.path, 'pgbouncer.ini')], {
    logFile: join(ctx.logs, 'pgbouncer.log'),
  });
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  const stop = async () => {
    await child.stop();
    dir.remove();
  };
  // Listening once a connection is accepted.
  for (let attempt = 0; ; attempt++) {
    const client = new pg.Client({ connectionString: url.toString() });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      break;
    } catch (error) {
      await client.end().catch(() => undefined);
      if (attempt >= 50) {
        await stop();
        throw new Error(`PgBouncer did not answer: ${(error as Error).message}; ${child.output().slice(-500)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return { url: url.toString(), child, stop };
};

const pgbouncerVersion = (): string | undefined => {
  const found = spawnSync('pgbouncer', ['--version'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.split('\n')[0]?.trim() : undefined;
};

const measureCells = async (ctx: PoolContext, via: PoolCell['via'], databaseUrl: string): Promise<PoolCell[]> => {
  const cells: PoolCell[] = [];
  for (const poolMax of POOL_SIZES) {
    for (const concurrency of CONCURRENCY) {
      const load: WarmLoad = { ...ctx.load, connections: concurrency };
      const name = `pool-${via}-${poolMax}-${concurrency}`;
      const instance = await startWarm({ ...ctx, env: (port) => ctx.env(port, poolMax, databaseUrl) }, ctx.server, load, name);
      try {
        const run = await measureRun(instance, load);
        const serverConnections = via === 'direct' ? poolMax : Math.min(poolMax, PGBOUNCER_SERVER_POOL);
        cells.push({ poolMax, concurrency, via, serverConnections, run });
        ctx.log(`pool ${via}, PG_POOL_MAX ${poolMax}, ${concurrency} in flight: ${describeRun(run)}`);
      } finally {
        await instance.child.stop();
      }
    }
  }
  return cells;
};

export const poolScenario = async (ctx: PoolContext): Promise<PoolFigures> => {
  const cells = await measureCells(ctx, 'direct', ctx.databaseUrl);
  const version = pgbouncerVersion();
  if (!version) {
    ctx.log('pool: pgbouncer is not on PATH (e.g. apt-get install pgbouncer): the matrix through a pooler is left out');
    return { cells, pgbouncer: 'not on PATH: left out' };
  }
  const bouncer = await startPgbouncer(ctx, ctx.databaseUrl);
  try {
    cells.push(...(await measureCells(ctx, 'pgbouncer', bouncer.url)));
  } finally {
    await bouncer.stop();
  }
  return { cells, pgbouncer: `${version}, transaction mode, ${PGBOUNCER_SERVER_POOL} server connections` };
};

/** The report's rows: one per cell, req/s with p99 beside it. */
export const poolRows = (figures: PoolFigures, fmt: (value: number) => string): string[][] => {
  const rows: string[][] = [];
  for (const via of ['direct', 'pgbouncer'] as const) {
    const of = figures.cells.filter((c) => c.via === via);
    if (of.length === 0) {
      rows.push([`pool matrix through PgBouncer: ${figures.pgbouncer}`, '', '', '', '', '', '']);
      continue;
    }
    const title = via === 'direct' ? 'straight to PostgreSQL' : `through PgBouncer (${figures.pgbouncer})`;
    rows.push([`pool matrix ${title}: req/s, p99 ms, CPU ms/request, waiting for a connection`, '', '', '', '', '', '']);
    for (const c of of) {
      const waiting = c.run.diagnostics ? fmt(Math.round(c.run.diagnostics.pool.waitingMean * 10) / 10) : 'n/a';
      rows.push([
        `  PG_POOL_MAX ${c.poolMax}, ${c.concurrency} in flight (${c.serverConnections} server connections)`,
        fmt(c.run.requestsPerSecond),
        `p99 ${fmt(c.run.p99Ms)}`,
        `CPU ${fmt(c.run.cpuMsPerRequest.server)}`,
        `waiting ${waiting}`,
        '',
        '',
      ]);
    }
  }
  return rows;
};
