// The image's invariants, read from the Containerfile (no container engine needed), and its
// entrypoint run for real: it must refuse to start without a known FUNCTION_TARGET.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** Instructions per stage, with comments dropped and continuation lines joined. */
const parse = (text: string): Stage[] => {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  const stages: Stage[] = [];
  for (const line of logical) {
    const [keyword = '', ...rest] = line.split(/\s+/);
    const args = rest.join(' ');
    if (keyword.toUpperCase() === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      stages.push({ from: match?.[1] ?? args, name: match?.[2], instructions: [] });
    } else if (stages.length > 0) {
      stages.at(-1)?.instructions.push({ keyword: keyword.toUpperCase(), args });
    }
  }
  return stages;
};

const containerfile = readFileSync(join(root, 'Containerfile'), 'utf8');
const stages = parse(containerfile);
const builder = stages[0] as Stage;
const runtime = stages.at(-1) as Stage;
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);
const nodeImage = /node:22-bookworm-slim/;
const resolveImage = (from: string) =>
  from.replace(/^\$\{?(\w+)\}?$/, (_, arg: string) => new RegExp(`^ARG\\s+${arg}=(\\S+)`, 'm').exec(containerfile)?.[1] ?? from);

describe('Containerfile', () => {
  it('is multi-stage: a node:22-bookworm-slim builder that installs and bundles, a runtime that copies the result', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(resolveImage(builder.from)).toMatch(nodeImage);
    expect(resolveImage(runtime.from)).toMatch(nodeImage);
    const builderRuns = all(builder, 'RUN').join('\n');
    expect(builderRuns).toMatch(/npm ci\b/);
    expect(builderRuns).toMatch(/npm run build\b/);
    expect(builderRuns).toMatch(/functions\/\*\/migrations/);
    const copies = all(runtime, 'COPY');
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy).toMatch(new RegExp(`--from=${builder.name ?? 0}\\b`));
  });

  it('keeps build tools and dependencies out of the runtime stage', () => {
    expect(all(runtime, 'RUN').join('\n')).not.toMatch(/npm (ci|install)/);
    for (const copy of all(runtime, 'COPY')) expect(copy).not.toMatch(/node_modules/);
  });

  it('runs as a non-root user, in production mode, on port 8080', () => {
    const user = last(runtime, 'USER');
    expect(user, 'the runtime stage sets USER').toBeDefined();
    const uid = (user as string).split(':')[0];
    expect(['root', '0']).not.toContain(uid);
    expect(all(runtime, 'ENV').join(' ')).toMatch(/\bNODE_ENV=production\b/);
    expect(all(runtime, 'EXPOSE').join(' ')).toMatch(/\b8080\b/);
  });

  it('makes the app group-0 readable for an arbitrary uid (OpenShift)', () => {
    const runs = all(builder, 'RUN').join('\n');
    expect(runs).toMatch(/chgrp -R 0/);
    expect(runs).toMatch(/chmod -R g[o]?=u/);
  });

  it('fills the compile cache of node at image build time, outside /tmp, read-only at run time', () => {
    const env = all(runtime, 'ENV').join(' ');
    const cache = /\bNODE_COMPILE_CACHE=(\S+)/.exec(env)?.[1];
    expect(cache, 'the runtime stage sets NODE_COMPILE_CACHE').toBeDefined();
    expect(cache).not.toMatch(/^\/tmp/);
    const runs = all(runtime, 'RUN').join('\n');
    expect(runs).toMatch(/compile-cache\.sh/);
    expect(runs).toMatch(new RegExp(`chmod -R go=u-w ${cache}`));
    // Filled before the runtime user takes over, so that user cannot change it.
    const order = runtime.instructions.map((i) => i.keyword);
    expect(order.lastIndexOf('RUN')).toBeLessThan(order.indexOf('USER'));
  });

  it('starts the bundle that FUNCTION_TARGET names, through the entrypoint script', () => {
    const cmd = last(runtime, 'CMD') ?? last(runtime, 'ENTRYPOINT');
    expect(cmd).toBeDefined();
    const argv = JSON.parse(cmd as string) as string[];
    expect(argv).toEqual(['/app/scripts/entrypoint.sh']);
    expect(last(runtime, 'WORKDIR')).toBe('/app');
    const script = readFileSync(join(root, 'scripts', 'entrypoint.sh'), 'utf8');
    expect(script).toMatch(/exec node "\$bundle"/);
    expect(script).toMatch(/dist\/functions/);
  });

  it('has a .containerignore that keeps local state out of the build context', () => {
    const ignored = readFileSync(join(root, '.containerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.data', '.cache']) expect(ignored).toContain(entry);
  });
});

describe('the entrypoint', () => {
  // The image's layout in a temporary directory: /app/scripts/entrypoint.sh beside /app/dist.
  const app = mkdtempSync(join(tmpdir(), 'gotuto-entrypoint-'));
  mkdirSync(join(app, 'scripts'));
  mkdirSync(join(app, 'dist', 'functions'), { recursive: true });
  copyFileSync(join(root, 'scripts', 'entrypoint.sh'), join(app, 'scripts', 'entrypoint.sh'));
  chmodSync(join(app, 'scripts', 'entrypoint.sh'), 0o755);
  writeFileSync(
    join(app, 'dist', 'functions', 'billing-create-invoice.js'),
    'process.stdout.write(JSON.stringify({ argv: process.argv.slice(2), pid: process.pid }));\n',
  );
  for (const library of ['telemetry-sdk', 'outbox-kafka']) writeFileSync(join(app, 'dist', 'functions', `${library}.js`), 'process.stdout.write("ran");\n');
  afterAll(() => rmSync(app, { recursive: true, force: true }));

  const run = (target: string | undefined, database: Record<string, string> = { DATABASE_URL: 'postgres://db/gotuto' }) => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, ...database };
    if (target !== undefined) env.FUNCTION_TARGET = target;
    return spawnSync(join(app, 'scripts', 'entrypoint.sh'), [], { env, encoding: 'utf8', timeout: 10_000 });
  };

  it('fails with a clear message when FUNCTION_TARGET is unset', () => {
    for (const target of [undefined, '']) {
      const result = run(target);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/FUNCTION_TARGET is not set/);
      expect(result.stderr).toContain('billing-create-invoice');
      expect(result.stdout).toBe('');
    }
  });

  it('fails with a clear message when FUNCTION_TARGET names no function of the image', () => {
    const result = run('billing-no-such-function');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/unknown FUNCTION_TARGET "billing-no-such-function"/);
    expect(result.stderr).toContain('billing-create-invoice');
  });

  it('refuses the bundles that are not functions, and does not list them as functions', () => {
    for (const target of ['telemetry-sdk', 'outbox-kafka']) {
      const result = run(target);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(new RegExp(`unknown FUNCTION_TARGET "${target}"`));
      expect(result.stdout).toBe('');
      const listed = /functions in this image: (.*)/.exec(result.stderr)?.[1]?.split(' ');
      expect(listed).toEqual(['billing-create-invoice']);
    }
  });

  it('refuses a FUNCTION_TARGET that is not a function name (no path tricks)', () => {
    for (const target of ['../migrate', 'billing/create-invoice', '-e']) {
      const result = run(target);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/is not a function name/);
    }
  });

  it('fails with a clear message when no database URL is set (the image has no embedded database)', () => {
    const result = run('billing-create-invoice', {});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/neither DATABASE_URL nor BILLING_DATABASE_URL is set/);
    expect(result.stdout).toBe('');
  });

  it("accepts the context's own database URL instead of DATABASE_URL", () => {
    const result = run('billing-create-invoice', { BILLING_DATABASE_URL: 'postgres://db/billing' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('execs node on the named bundle, so that the function itself is the process that gets signals', () => {
    const result = run('billing-create-invoice');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // Same pid as the script: exec replaced the shell.
    expect(JSON.parse(result.stdout)).toEqual({ argv: [], pid: result.pid });
  });
});
