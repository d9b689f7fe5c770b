// .tekton/: Tekton publishes no structural schema, so this test names the fields the release
// pipeline relies on (tekton.dev/v1 Pipeline: params, workspaces, results, tasks[].runAfter,
// params, workspaces and taskSpec with params, workspaces, results, sidecars and steps; PipelineRun:
// pipelineRef, params, workspaces, and Pipelines as Code's annotations) and checks them: every
// $(...) reference resolves, the tasks run in order, the test task runs .ci/run's steps against
// PostgreSQL and Kafka sidecars configured as .ci/run's, the build pushes by digest, and the
// promotion moves the staging overlay to that digest (scripts/knative/set-image.ts).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { IMAGE } from './generate.js';
import { setImage } from './set-image.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(join(root, file), 'utf8');

type Param = { name: string; value?: string; default?: string };
type Step = { name: string; image: string; script?: string; env?: { name: string; value?: string }[]; workingDir?: string };
type TaskSpec = { params?: Param[]; workspaces?: { name: string }[]; results?: { name: string }[]; sidecars?: (Step & { args?: string[] })[]; steps: Step[] };
type PipelineTask = { name: string; runAfter?: string[]; params?: Param[]; workspaces?: { name: string; workspace: string }[]; taskSpec: TaskSpec };
type Pipeline = { metadata: { name: string }; spec: { params: Param[]; workspaces: { name: string }[]; results?: Param[]; tasks: PipelineTask[] } };
type PipelineRun = {
  metadata: { name: string; annotations: Record<string, string> };
  spec: { pipelineRef: { name: string }; params: Param[]; workspaces: { name: string }[] };
};

const docs = () =>
  ['pipeline.yaml', 'push.yaml'].flatMap((f) => parseAllDocuments(read(`.tekton/${f}`)).map((d) => d.toJS() as { apiVersion: string; kind: string }));
const pipeline = () => docs().find((d) => d.kind === 'Pipeline') as unknown as Pipeline;
const run = () => docs().find((d) => d.kind === 'PipelineRun') as unknown as PipelineRun;
const task = (name: string) => pipeline().spec.tasks.find((t) => t.name === name) as PipelineTask;
const refs = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => m.slice(1));

/** Tasks that run before `name`, through runAfter. */
const before = (name: string): Set<string> => {
  const seen = new Set<string>();
  const visit = (n: string) => task(n).runAfter?.forEach((t) => !seen.has(t) && (seen.add(t), visit(t)));
  visit(name);
  return seen;
};

const ci = read('.ci/run');
const ciValue = (name: string) => new RegExp(`^${name}="?\\$\\{${name}:-([^}]+)\\}"?$|^${name}=([^\\s$]+)$`, 'm').exec(ci)?.slice(1).find(Boolean);

describe('.tekton', () => {
  it('is a tekton.dev/v1 Pipeline and a PipelineRun that Pipelines as Code starts on a push to main', () => {
    expect(
      docs()
        .map((d) => `${d.apiVersion} ${d.kind}`)
        .sort(),
    ).toEqual(['tekton.dev/v1 Pipeline', 'tekton.dev/v1 PipelineRun']);
    const { metadata, spec } = run();
    expect(metadata.annotations['pipelinesascode.tekton.dev/on-event']).toBe('[push]');
    expect(metadata.annotations['pipelinesascode.tekton.dev/on-target-branch']).toBe('[main]');
    expect(spec.pipelineRef.name).toBe(pipeline().metadata.name);
    const declared = pipeline().spec.params;
    expect(spec.params.map((p) => p.name).sort()).toEqual(
      declared
        .filter((p) => p.default === undefined)
        .map((p) => p.name)
        .sort(),
    );
    for (const p of spec.params) expect(p.value, p.name).toMatch(/^\{\{ [a-z_]+ \}\}$/);
    expect(spec.workspaces.map((w) => w.name)).toEqual(pipeline().spec.workspaces.map((w) => w.name));
  });

  it('resolves every $(params), $(workspaces), $(results) and $(tasks) reference, each task after those it reads', () => {
    const p = pipeline();
    const pipelineParams = new Set(p.spec.params.map((x) => x.name));
    for (const t of p.spec.tasks) {
      const outer = JSON.stringify([t.params, t.workspaces]);
      for (const [name] of refs(outer, /\$\(params\.([a-z-]+)\)/g)) expect(pipelineParams, `${t.name}: $(params.${name})`).toContain(name);
      for (const [from, result] of refs(outer, /\$\(tasks\.([a-z-]+)\.results\.([A-Z_]+)\)/g)) {
        expect(
          task(from as string).taskSpec.results?.map((r) => r.name),
          `${t.name} reads ${from}.${result}`,
        ).toContain(result);
        expect(before(t.name), `${t.name} runs after ${from}`).toContain(from);
      }
      expect((t.workspaces ?? []).map((w) => w.workspace).every((w) => p.spec.workspaces.some((x) => x.name === w))).toBe(true);
      const inner = JSON.stringify(t.taskSpec);
      for (const [name] of refs(inner, /\$\(params\.([a-z-]+)\)/g))
        expect(
          t.taskSpec.params?.map((x) => x.name),
          `${t.name}: $(params.${name})`,
        ).toContain(name);
      for (const [name] of refs(inner, /\$\(workspaces\.([a-z-]+)\.path\)/g))
        expect(
          t.taskSpec.workspaces?.map((x) => x.name),
          `${t.name}: workspace ${name}`,
        ).toContain(name);
      for (const [name] of refs(inner, /\$\(results\.([A-Z_]+)\.path\)/g))
        expect(
          t.taskSpec.results?.map((x) => x.name),
          `${t.name}: result ${name}`,
        ).toContain(name);
      expect(t.taskSpec.params?.map((x) => x.name).sort() ?? [], `${t.name} passes every param its taskSpec declares`).toEqual(
        t.params?.map((x) => x.name).sort() ?? [],
      );
    }
    expect(['fetch', 'test', 'build', 'promote'].map((n) => [...before(n)].sort())).toEqual([[], ['fetch'], ['fetch', 'test'], ['build', 'fetch', 'test']]);
  });

  it("tests as .ci/run does: its steps but the two that start PostgreSQL and Kafka, which are sidecars configured as .ci/run's", () => {
    const t = task('test').taskSpec;
    const steps = (/^STEPS=\(([^)]*)\)$/m.exec(ci)?.[1] ?? '').split(/\s+/);
    expect(steps).toEqual(expect.arrayContaining(['postgres', 'kafka']));
    const script = t.steps.map((s) => s.script ?? '').join('\n');
    expect(script).toContain(`.ci/run ${steps.filter((s) => s !== 'postgres' && s !== 'kafka').join(' ')}`);
    const postgres = t.sidecars?.find((s) => s.name === 'postgres');
    const env = Object.fromEntries((postgres?.env ?? []).map((e) => [e.name, e.value]));
    expect(postgres?.image).toMatch(new RegExp(`postgres:${ciValue('PG_VERSION')}$`));
    expect(env).toEqual({ POSTGRES_USER: ciValue('DB_USER'), POSTGRES_PASSWORD: ciValue('DB_PASSWORD'), POSTGRES_DB: ciValue('DB_NAME') });
    expect(ciValue('PG_HOST')).toBe('127.0.0.1');
    expect(ciValue('PG_PORT')).toBe('5432');
    const kafka = Object.fromEntries((t.sidecars?.find((s) => s.name === 'kafka')?.env ?? []).map((e) => [e.name, e.value]));
    const brokers = t.steps.flatMap((s) => s.env ?? []).find((e) => e.name === 'KAFKA_BROKERS')?.value;
    expect(kafka.KAFKA_ADVERTISED_LISTENERS).toBe(`PLAINTEXT://${brokers}`);
    // .ci/run uses the Kafka that KAFKA_BROKERS names instead of starting one.
    expect(ci).toMatch(/if \[\[ -n "\$\{KAFKA_BROKERS:-\}" \]\]; then/);
  });

  it('builds the Containerfile with buildah and pushes it, its digest a result; the promotion sets staging to it', () => {
    const build = task('build').taskSpec;
    const script = build.steps.map((s) => s.script ?? '').join('\n');
    expect(build.steps.map((s) => s.image).join(' ')).toMatch(/buildah/);
    expect(script).toMatch(/buildah bud .*-f Containerfile/);
    expect(existsSync(join(root, 'Containerfile'))).toBe(true);
    expect(script).toMatch(/buildah push .*--digestfile/);
    const promote = task('promote');
    expect(promote.params?.find((p) => p.name === 'image-url')?.value).toBe('$(tasks.build.results.IMAGE_URL)');
    expect(promote.taskSpec.steps.map((s) => s.script).join('\n')).toContain('npx tsx scripts/knative/set-image.ts staging "$(params.image-url)"');
  });
});

describe('set-image', () => {
  const work = mkdtempSync(join(tmpdir(), 'gotuto-set-image-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const digest = `sha256:${'ab12'.repeat(16)}`;

  it('points every Service and migration Job of the overlay at the image by digest, keeping the rest of the file', () => {
    cpSync(join(root, 'knative'), join(work, 'knative'), { recursive: true });
    const file = join(work, 'knative/overlays/staging/kustomization.yaml');
    const before = readFileSync(file, 'utf8');
    const after = setImage(before, `quay.io/gotuto/gotuto-functions@${digest}`);
    writeFileSync(file, after);
    expect(after.split('\n').filter((l) => l.trim().startsWith('#'))).toEqual(before.split('\n').filter((l) => l.trim().startsWith('#')));
    const entry = (parse(after) as { images: Record<string, string>[] }).images.find((i) => i.name === IMAGE);
    expect(entry).toEqual({ name: IMAGE, newName: 'quay.io/gotuto/gotuto-functions', digest });
    const rendered = spawnSync('kubectl', ['kustomize', join(work, 'knative/overlays/staging')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const images = [...rendered.stdout.matchAll(/^\s+image: (\S+)$/gm)].map((m) => m[1]);
    expect(images.length).toBeGreaterThan(10);
    expect(new Set(images)).toEqual(new Set([`quay.io/gotuto/gotuto-functions@${digest}`]));
  });

  it('refuses a reference that is not by digest, and an overlay without the image', () => {
    const text = read('knative/overlays/staging/kustomization.yaml');
    expect(() => setImage(text, 'quay.io/gotuto/gotuto-functions:1.0')).toThrow(/not an image by digest/);
    expect(() => setImage(text, 'quay.io/gotuto/gotuto-functions@sha256:abc')).toThrow(/not an image by digest/);
    expect(() => setImage('resources: [../../base]\n', `quay.io/a/b@${digest}`)).toThrow(/no images: entry/);
  });
});
