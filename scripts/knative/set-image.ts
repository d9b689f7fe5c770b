// Points an environment's overlay at one image by digest: the `images:` entry of the functions'
// image in knative/overlays/<env>/kustomization.yaml gets `newName` and `digest` (and loses
// `newTag`), comments and everything else kept. The release pipeline (.tekton/) runs it on staging
// with the digest it pushed, then opens the change.
//
//   npx tsx scripts/knative/set-image.ts <env> <registry/name@sha256:...>
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMap, isSeq, parseDocument } from 'yaml';
import { IMAGE } from './generate.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BY_DIGEST = /^([a-z0-9.-]+(?::\d+)?(?:\/[a-z0-9._-]+)+)@(sha256:[a-f0-9]{64})$/;

/** The kustomization text with the functions' image set to `reference` (`name@sha256:<64 hex>`). */
export const setImage = (kustomization: string, reference: string): string => {
  const m = BY_DIGEST.exec(reference);
  if (!m) throw new Error(`"${reference}" is not an image by digest (registry/name@sha256:<64 hex digits>)`);
  const doc = parseDocument(kustomization);
  const images = doc.get('images');
  const entry = isSeq(images) ? images.items.find((i) => isMap(i) && i.get('name') === IMAGE) : undefined;
  if (!isMap(entry)) throw new Error(`the kustomization has no images: entry named ${IMAGE}`);
  entry.set('newName', m[1]);
  entry.delete('newTag');
  entry.set('digest', m[2]);
  return doc.toString({ lineWidth: 0 });
};

const main = (args: string[]): void => {
  const [env, reference, ...rest] = args;
  if (!env || !reference || rest.length > 0 || !/^[a-z0-9-]+$/.test(env)) throw new Error('usage: set-image.ts <env> <registry/name@sha256:...>');
  const file = join(root, 'knative', 'overlays', env, 'kustomization.yaml');
  writeFileSync(file, setImage(readFileSync(file, 'utf8'), reference));
  console.log(`knative/overlays/${env}: ${IMAGE} is ${reference}`);
};

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`set-image: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
}
