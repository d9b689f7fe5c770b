// Bad input derived from JSON Schemas, for the tests that send it to every function: a value the
// schema describes, then broken the ways callers break it (a required field missing, a wrong
// type, numbers and dates out of range, oversized strings, deep nesting, broken cursors and
// limits). fast-check draws the breakages, so a failure shrinks to the smallest one and a seed
// replays it.
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import common from '../../schemas/common.json' with { type: 'json' };

type JsonSchema = Record<string, unknown>;
type Json = unknown;

const COMMON_ID = (common as { $id: string }).$id;

const resolve = (schema: JsonSchema): JsonSchema => {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const [base, fragment = ''] = ref.split('#');
  // Refs name common.json (absolutely, or from inside it); other schemas inline their parts.
  if (base !== '' && base !== COMMON_ID) return {};
  const name = fragment.replace(/^\/\$defs\//, '');
  return resolve((common as { $defs: Record<string, JsonSchema> }).$defs[name] ?? {});
};

const STRING_BY_FORMAT: Record<string, () => string> = {
  uuid: () => randomUUID(),
  email: () => `someone-${randomUUID().slice(0, 8)}@example.test`,
  date: () => '2026-12-31',
  'date-time': () => new Date().toISOString(),
  uri: () => 'https://example.test/x',
};

/** A value the schema describes (close enough: patterns are not honoured). */
export const sampleOf = (raw: JsonSchema): Json => {
  const schema = resolve(raw);
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0) return sampleOf({ ...schema, [key]: undefined, ...resolve(options[0] as JsonSchema) });
  }
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
      return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, sampleOf(property)]));
    }
    case 'array':
      return Array.from({ length: Math.max(1, Number(schema.minItems ?? 1)) }, () => sampleOf((schema.items ?? {}) as JsonSchema));
    case 'string': {
      if (schema.pattern === '^[A-Z]{3}$') return 'EUR';
      const byFormat = typeof schema.format === 'string' ? STRING_BY_FORMAT[schema.format] : undefined;
      return byFormat ? byFormat() : 'x'.repeat(Math.max(1, Number(schema.minLength ?? 1)));
    }
    case 'integer':
    case 'number':
      return Math.max(1, Number(schema.minimum ?? 1));
    case 'boolean':
      return true;
    case 'null':
      return null;
    default:
      return 'x';
  }
};

const nested = (depth: number): Json => {
  let value: Json = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

const badNumber = () => fc.constantFrom(0, -1, 1.5, -0.5, 1e308, -1e308, 2 ** 53 + 2, 2 ** 63, -(2 ** 63));
const badDate = () =>
  fc.constantFrom(
    '0000-01-01',
    '0000-01-01T00:00:00Z',
    '0000-12-31T23:59:59.999999Z',
    '9999-12-31T23:59:59Z',
    '2026-02-30',
    '2026-13-01T00:00:00Z',
    '-000001-01-01T00:00:00Z',
    '+275760-09-13T00:00:00Z',
    '1970-01-01T00:00:00+25:00',
  );
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}/;

/** Values that break schemas, databases and parsers in the ways callers do. */
export const badValue = (): fc.Arbitrary<Json> =>
  fc.oneof(
    fc.constantFrom(null, true, false, '', ' ', '\u0000', 'null', '[]'),
    badNumber(),
    badDate(),
    fc.constantFrom('x'.repeat(10_000), '🚀'.repeat(3_000), `${randomUUID()}\u0000`, "'); DROP TABLE x;--", 'A'.repeat(300)),
    fc.integer({ min: 2, max: 300 }).map(nested),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'grapheme', maxLength: 20 }),
    fc.jsonValue({ maxDepth: 3 }),
  );

type Path = Array<string | number>;

const pathsOf = (value: Json, at: Path = []): Path[] => {
  if (Array.isArray(value)) return [at, ...value.flatMap((item, index) => pathsOf(item, [...at, index]))];
  if (value !== null && typeof value === 'object') {
    return [at, ...Object.entries(value).flatMap(([key, item]) => pathsOf(item, [...at, key]))];
  }
  return [at];
};

/** `value` with the node at `path` replaced (or, for undefined, removed). */
const replaced = (value: Json, path: Path, by: Json): Json => {
  if (path.length === 0) return by;
  // An earlier breakage may have replaced what this path went through: nothing left to break.
  if (value === null || typeof value !== 'object') return value;
  const [head, ...rest] = path as [string | number, ...Path];
  if (Array.isArray(value)) return value.map((item, index) => (index === head ? replaced(item, rest, by) : item)).filter((item) => item !== undefined);
  const record = value as Record<string, Json>;
  const next = { ...record, [head]: replaced(record[head], rest, by) };
  if (next[head] === undefined) delete next[head];
  return next;
};

/** A value of the schema with one to three of its fields broken (missing, wrong, out of range, too big, too deep). */
export const brokenSample = (schema: JsonSchema): fc.Arbitrary<Json> => {
  const sample = sampleOf(schema);
  const paths = pathsOf(sample);
  // A date is most often broken as a date, a number as a number: where the bugs are likeliest.
  const badFor = (path: Path): fc.Arbitrary<Json> => {
    const current = path.reduce<Json>((value, key) => (value as Record<string | number, Json>)[key], sample);
    const typed = typeof current === 'number' ? badNumber() : typeof current === 'string' && DATE_LIKE.test(current) ? badDate() : undefined;
    const any = fc.oneof({ weight: 1, arbitrary: fc.constant(undefined) }, { weight: 5, arbitrary: badValue() });
    return typed ? fc.oneof({ weight: 3, arbitrary: typed }, { weight: 2, arbitrary: any }) : any;
  };
  const breakage = fc.constantFrom(...paths).chain((path) => badFor(path).map((by) => [path, by] as const));
  return fc.array(breakage, { minLength: 1, maxLength: 3 }).map((breakages) => breakages.reduce((value, [path, by]) => replaced(value, path, by), sample));
};

const cursorOf = (parts: Json): string => Buffer.from(JSON.stringify(parts), 'utf8').toString('base64url');

/** Query strings of a query's schema, broken: a list's cursor and limit above all, then its filters. */
export const brokenQuery = (schema: JsonSchema | undefined): fc.Arbitrary<Record<string, string>> => {
  const names = Object.keys((schema && resolve(schema).properties) ?? {});
  const text = badValue().map((value) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? '')));
  const cursor = fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .constantFrom('0000-01-01T00:00:00.000000Z', '0000-12-31T23:59:59.999999Z', '2026-02-30T00:00:00.000000Z', '9999-12-31T23:59:59.999999Z')
        .map((at) => cursorOf([at, randomUUID()])),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map(cursorOf) },
    { weight: 1, arbitrary: fc.string({ maxLength: 60 }) },
  );
  const limit = fc.oneof(fc.constantFrom('-1', '0', '1e9', '1.5', 'abc', '99999999999999999999', '', 'NaN'), fc.integer().map(String));
  const broken = fc.record(Object.fromEntries(names.map((name) => [name, name === 'cursor' ? cursor : name === 'limit' ? limit : text])), {
    requiredKeys: [],
  }) as fc.Arbitrary<Record<string, string>>;
  if (!names.includes('cursor')) return broken;
  // A broken cursor beside valid parameters reaches the query; beside other broken ones it
  // would only ever meet the schema's 422.
  const paging = fc.record({ cursor, limit: fc.oneof(fc.constantFrom('1', '10'), limit) }, { requiredKeys: ['cursor'] });
  return fc.oneof({ weight: 2, arbitrary: paging }, { weight: 1, arbitrary: broken });
};

/** A path parameter: a UUID that names nothing, or text that is no UUID at all. */
export const pathParameter = (): fc.Arbitrary<string> =>
  fc.oneof(
    fc.uuid(),
    fc.constantFrom('0', 'me', '%00', '00000000-0000-0000-0000-000000000000'),
    fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== '' && s !== '.' && s !== '..'),
  );
