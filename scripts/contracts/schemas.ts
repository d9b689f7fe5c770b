// Every JSON Schema under schemas/, as components of a published document: each schema gets a key
// made from its `$id` (`https://gotuto.dev/schemas/billing/create-invoice.json` is
// `billing.create-invoice`), and every `$ref` is rewritten to point inside the document, because
// readers of OpenAPI and AsyncAPI documents resolve local pointers, not the schemas' `$id`s.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export type JsonSchema = { $id: string } & Record<string, unknown>;

export const SCHEMA_BASE = 'https://gotuto.dev/schemas/';

export const schemasDir = new URL('../../schemas/', import.meta.url).pathname;

// schemas/contracts holds the generated documents themselves, not schemas.
const GENERATED = 'contracts';

const jsonFiles = (dir: string, top = true): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !(top && entry.isDirectory() && entry.name === GENERATED))
    .flatMap((entry) => (entry.isDirectory() ? jsonFiles(join(dir, entry.name), false) : entry.name.endsWith('.json') ? [join(dir, entry.name)] : []))
    .sort();

/** Every schema file, in path order. */
export const loadSchemas = (dir = schemasDir): JsonSchema[] =>
  jsonFiles(dir).map((file) => {
    const schema = JSON.parse(readFileSync(file, 'utf8')) as JsonSchema;
    if (schema.$id !== SCHEMA_BASE + relative(dir, file)) throw new Error(`${file}: $id must be ${SCHEMA_BASE}${relative(dir, file)}`);
    return schema;
  });

/** The component key of a schema: its `$id` after the base, without `.json`, dots for slashes. */
export const keyOf = (id: string): string => {
  if (!id.startsWith(SCHEMA_BASE) || !id.endsWith('.json')) throw new Error(`"${id}" is not a schema of this project`);
  return id.slice(SCHEMA_BASE.length, -'.json'.length).replaceAll('/', '.');
};

/** The `$id` of the schema with component key `key` (the reverse of `keyOf`; not for a definition). */
export const idOf = (key: string): string => `${SCHEMA_BASE}${key.replaceAll('.', '/')}.json`;

/**
 * A `$ref` (absolute or relative to the schema it is in) as a pointer into `prefix`
 * (`#/components/schemas`); a definition under `$defs` is a component of its own (`common.money`).
 */
const localRef = (ref: string, baseId: string, prefix: string): string => {
  const url = new URL(ref, baseId);
  const fragment = decodeURIComponent(url.hash.slice(1));
  url.hash = '';
  const definition = /^\/\$defs\/([^/]+)(.*)$/.exec(fragment);
  if (definition) return `${prefix}/${keyOf(url.href)}.${definition[1]}${definition[2]}`;
  return `${prefix}/${keyOf(url.href)}${fragment}`;
};

const rewrite = (value: unknown, baseId: string, prefix: string): unknown => {
  if (Array.isArray(value)) return value.map((item) => rewrite(item, baseId, prefix));
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      key === '$ref' && typeof inner === 'string' ? localRef(inner, baseId, prefix) : rewrite(inner, baseId, prefix),
    ]),
  );
};

type Component = Record<string, unknown>;

/**
 * A schema as components: itself (`$schema` and `$id` dropped), and each of its `$defs` beside it,
 * every reference made local to the document. Readers of OpenAPI and AsyncAPI documents take
 * components, not definitions nested in them.
 */
const asComponents = (schema: JsonSchema, prefix: string): Array<[string, Component]> => {
  const { $schema: _dialect, $id, $defs, ...rest } = schema;
  const key = keyOf($id);
  const definitions = Object.entries(($defs ?? {}) as Record<string, unknown>).map(([name, definition]): [string, Component] => [
    `${key}.${name}`,
    rewrite(definition, $id, prefix) as Component,
  ]);
  return [[key, rewrite(rest, $id, prefix) as Component], ...definitions];
};

/** Every schema, and each of its definitions, as components keyed by `keyOf` (`.name` for a definition). */
export const components = (schemas: JsonSchema[], prefix: string): Record<string, Component> =>
  Object.fromEntries(schemas.flatMap((schema) => asComponents(schema, prefix)));

/** A reference to the component of the schema with `$id` `id`. */
export const refTo = (id: string, prefix: string): { $ref: string } => ({ $ref: `${prefix}/${keyOf(id)}` });
