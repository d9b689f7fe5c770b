// What a bundle need not load at start because it only ever runs on node, as a function: two probes
// of its libraries that pull in a large part of node's web APIs at every start for nothing. Each is
// a patch of the library's code made as esbuild reads it; the build fails if the code it patches is
// no longer there, rather than shipping the cost unseen. Measured with --cpu-prof, one start of
// billing-create-invoice on node 20.
import type * as esbuild from 'esbuild';
import { readFile } from 'node:fs/promises';

interface Patch {
  /** The module, by the end of its path. */
  file: RegExp;
  /** Each text to find, and what replaces it. */
  replace: [string, string][];
}

const PATCHES: Patch[] = [
  // pg tells Cloudflare Workers apart by building a fetch `Response` when `navigator` is missing,
  // as it is on node 20: that loads undici, node's fetch (about 30 ms of CPU). Answered "no" here.
  { file: /[\\/]pg[\\/]lib[\\/]stream\.js$/, replace: [["typeof Response === 'function'", 'false']] },
  // @middy/core imports node:stream/web (web streams, about 6 ms) for AWS Lambda's streamed
  // responses, which a function never makes: the class is looked up on that path only.
  {
    file: /[\\/]@middy[\\/]core[\\/]index\.js$/,
    replace: [
      ['import { ReadableStream } from "node:stream/web";', ''],
      ['handlerBody instanceof ReadableStream', 'handlerBody instanceof globalThis.ReadableStream'],
    ],
  },
];

export const nodeOnlyPlugin: esbuild.Plugin = {
  name: 'node-only',
  setup(b) {
    for (const patch of PATCHES) {
      b.onLoad({ filter: patch.file }, async (args) => {
        let source = await readFile(args.path, 'utf8');
        for (const [text, replacement] of patch.replace) {
          if (!source.includes(text)) return { errors: [{ text: `${args.path} no longer has "${text}": check scripts/build-node-only.ts` }] };
          source = source.replace(text, replacement);
        }
        return { contents: source, loader: 'js' };
      });
    }
  },
};
