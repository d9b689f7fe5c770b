// The published contracts at the gateway: `/openapi.json` and `/asyncapi.json` (the generated files
// in schemas/contracts), and a reference page for each, `/docs/openapi` (Swagger UI) and
// `/docs/asyncapi` (the AsyncAPI React component), from the standalone browser bundles of packages
// installed with the project: the pages need nothing from the internet.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HttpResponse } from '../functions/runtime/http.js';

const require = createRequire(import.meta.url);
const packageDir = (name: string): string => dirname(require.resolve(`${name}/package.json`));
const contractsDir = fileURLToPath(new URL('../schemas/contracts/', import.meta.url));

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

// The only files served from node_modules: a fixed list, so no request names a path.
const assets: Record<string, { file: () => string; type: string }> = {
  'swagger-ui.css': { file: () => join(packageDir('swagger-ui-dist'), 'swagger-ui.css'), type: CSS },
  'swagger-ui-bundle.js': { file: () => join(packageDir('swagger-ui-dist'), 'swagger-ui-bundle.js'), type: JS },
  'asyncapi.css': { file: () => join(packageDir('@asyncapi/react-component'), 'styles', 'default.min.css'), type: CSS },
  'asyncapi-standalone.js': { file: () => join(packageDir('@asyncapi/react-component'), 'browser', 'standalone', 'index.js'), type: JS },
};

const page = (title: string, stylesheet: string, script: string, init: string): string => `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${title}</title>
  <link rel="stylesheet" href="/docs/assets/${stylesheet}">
</head>
<body>
  <div id="reference"></div>
  <script src="/docs/assets/${script}"></script>
  <script>${init}</script>
</body>
</html>
`;

const pages: Record<string, string> = {
  '/docs/openapi': page(
    'GoTuto Functions HTTP API',
    'swagger-ui.css',
    'swagger-ui-bundle.js',
    `window.ui = SwaggerUIBundle({ url: '/openapi.json', dom_id: '#reference', deepLinking: true, displayOperationId: true });`,
  ),
  '/docs/asyncapi': page(
    'GoTuto Functions events',
    'asyncapi.css',
    'asyncapi-standalone.js',
    `AsyncApiStandalone.render({ schema: { url: '/asyncapi.json', options: { method: 'GET' } }, config: { show: { sidebar: true } } }, document.getElementById('reference'));`,
  ),
};

const documents: Record<string, string> = { '/openapi.json': 'openapi.json', '/asyncapi.json': 'asyncapi.json' };

// Read once, on first request: the bundles are megabytes and never change while the process runs.
const cache = new Map<string, string>();
const read = (file: string): string => {
  let text = cache.get(file);
  if (text === undefined) cache.set(file, (text = readFileSync(file, 'utf8')));
  return text;
};

/** The answer to a GET of a contract, a reference page or one of their assets; undefined for any other path. */
export const contractsResponse = (method: string, path: string): HttpResponse | undefined => {
  if (method !== 'GET' && method !== 'HEAD') return undefined;
  const document = documents[path];
  if (document) return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: read(join(contractsDir, document)) };
  const html = pages[path];
  if (html) return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: html };
  const asset = path.startsWith('/docs/assets/') ? assets[path.slice('/docs/assets/'.length)] : undefined;
  if (asset) return { status: 200, headers: { 'content-type': asset.type, 'cache-control': 'public, max-age=3600' }, body: read(asset.file()) };
  return undefined;
};
