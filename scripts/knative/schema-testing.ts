// Validation of manifests without a cluster: custom resources against the CRD schemas kept in
// knative/schemas (ajv), core Kubernetes kinds against the OpenAPI schemas of kubernetes-models.
// Used by the manifest tests; kinds with neither (KnativeKafka, Tekton, Kuadrant) get structural
// tests of their own.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type AnySchemaObject, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';

const schemaDir = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'knative', 'schemas');
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
// OpenShift's Route and Tempo's schemas are draft-04, which Ajv 8 reads through ajv-draft-04.
const AjvDraft04 = ((AjvDraft04Module as unknown as { default?: unknown }).default ?? AjvDraft04Module) as new (options: object) => Ajv;

// CRD patterns are Go (RE2) expressions; the only RE2 syntax in the kept schemas that JavaScript
// lacks is the leading case-insensitive flag `(?i)` (PrometheusRule), which JavaScript writes as `i`.
const GO_CASELESS = /^(\^?)\(\?i\)/;
const goRegExp = Object.assign(
  (pattern: string, flags: string) => (GO_CASELESS.test(pattern) ? new RegExp(pattern.replace(GO_CASELESS, '$1'), `${flags}i`) : new RegExp(pattern, flags)),
  { code: 'new RegExp' },
);

export interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

// The draft a schema declares picks the Ajv class; the Knative files declare none (draft-07 rules).
const ajvs = new Map<string, Ajv>();
const ajvFor = (schema: { $schema?: unknown }): Ajv => {
  const declared = typeof schema.$schema === 'string' ? schema.$schema : '';
  const draft = declared.includes('2020-12') ? '2020-12' : declared.includes('2019-09') ? '2019-09' : declared.includes('draft-04') ? 'draft-04' : 'draft-07';
  let ajv = ajvs.get(draft);
  if (!ajv) {
    const options = { strict: false, allErrors: true, code: { regExp: goRegExp } };
    ajv =
      draft === '2020-12'
        ? new Ajv2020(options)
        : draft === '2019-09'
          ? new Ajv2019(options)
          : draft === 'draft-04'
            ? new AjvDraft04(options)
            : new Ajv(options);
    addFormats(ajv);
    ajvs.set(draft, ajv);
  }
  return ajv;
};

const validators = new Map<string, ValidateFunction | null>();
/** The validator of `<group>/<kind>_<version>.json`, or null when there is no schema for it. */
export const validatorFor = (doc: Doc): ValidateFunction | null => {
  if (!existsSync(schemaDir)) throw new Error(`the CRD schemas are not at ${schemaDir}`);
  const [group, version] = doc.apiVersion.includes('/') ? doc.apiVersion.split('/') : ['', doc.apiVersion];
  const file = join(schemaDir, group ?? '', `${doc.kind.toLowerCase()}_${version}.json`);
  if (!validators.has(file)) {
    if (!group || !existsSync(file)) validators.set(file, null);
    else {
      const schema = JSON.parse(readFileSync(file, 'utf8')) as AnySchemaObject;
      validators.set(file, ajvFor(schema).compile(schema));
    }
  }
  return validators.get(file) ?? null;
};

/** Schema errors of every manifest that has a CRD schema, and which were checked (`Kind/name`). */
export const schemaErrors = (docs: readonly Doc[]): { checked: string[]; errors: string[] } => {
  const checked: string[] = [];
  const errors: string[] = [];
  for (const doc of docs) {
    const validate = validatorFor(doc);
    if (!validate) continue;
    const id = `${doc.kind}/${doc.metadata.name}`;
    checked.push(id);
    if (!validate(doc)) for (const e of validate.errors ?? []) errors.push(`${id}${e.instancePath}: ${e.message ?? ''}`);
  }
  return { checked, errors };
};

/**
 * Errors of core Kubernetes kinds (ConfigMap, Job, NetworkPolicy, ...) against the OpenAPI schemas
 * that kubernetes-models ships, loaded by apiVersion and kind; throws for a kind it does not have.
 */
export const coreSchemaErrors = async (docs: readonly Doc[]): Promise<string[]> => {
  const errors: string[] = [];
  for (const doc of docs) {
    const module = (await import(`kubernetes-models/${doc.apiVersion}/${doc.kind}`)) as Record<string, new (data: unknown) => { validate(): void }>;
    const Model = module[doc.kind];
    if (!Model) throw new Error(`kubernetes-models has no ${doc.apiVersion} ${doc.kind}`);
    try {
      new Model(doc).validate();
    } catch (error) {
      errors.push(`${doc.kind}/${doc.metadata.name}: ${(error as Error).message}`);
    }
  }
  return errors;
};
