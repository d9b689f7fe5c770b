// The demo catalog: a few categories two levels deep and a dozen products, created through the
// Catalog commands over HTTP so that their events flow like any other. `npm start` seeds an empty
// catalog by itself; `npm run seed [-- --force]` sends it to the platform running on the data
// directory (else GOTUTO_URL, else http://127.0.0.1:$PORT). Seeding is idempotent: a category that
// exists (by name, under the same parent) and a product whose SKU exists are kept, never made twice.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { signToken } from '../functions/runtime/auth.js';
import { describe, differences, refuse, targetPlatform } from './running-platform.js';

interface SeedCategory {
  name: string;
  description: string;
  children: Array<{ name: string; description: string; products: Array<[name: string, sku: string, cents: number, description: string]> }>;
}

export const DEMO_CATALOG: SeedCategory[] = [
  {
    name: 'Kitchen',
    description: 'Cook, bake and brew',
    children: [
      {
        name: 'Coffee',
        description: 'Beans and gear',
        products: [
          ['Espresso Beans 1 kg', 'KIT-COF-001', 2490, 'Dark roast, whole beans'],
          ['Pour-over Dripper', 'KIT-COF-002', 1990, 'Ceramic, size 02'],
          ['Burr Grinder', 'KIT-COF-003', 8900, 'Conical burrs, 40 settings'],
        ],
      },
      {
        name: 'Baking',
        description: 'For the oven',
        products: [
          ['Crème Brûlée Ramekins (4)', 'KIT-BAK-001', 1590, 'Porcelain, 150 ml'],
          ['Silicone Baking Mat', 'KIT-BAK-002', 1290, 'Fits half-sheet pans'],
          ['Digital Kitchen Scale', 'KIT-BAK-003', 2290, 'To the gram, up to 5 kg'],
        ],
      },
    ],
  },
  {
    name: 'Outdoors',
    description: 'For trails and camps',
    children: [
      {
        name: 'Camping',
        description: 'Sleep under the stars',
        products: [
          ['Two-Person Tent', 'OUT-CMP-001', 17900, 'Three seasons, 2.1 kg'],
          ['Down Sleeping Bag', 'OUT-CMP-002', 21900, 'Comfort down to -5 °C'],
          ['Titanium Spork', 'OUT-CMP-003', 990, 'Weighs 18 g'],
        ],
      },
      {
        name: 'Hiking',
        description: 'On the trail',
        products: [
          ['Trekking Poles (pair)', 'OUT-HIK-001', 6900, 'Carbon, foldable'],
          ['Trail Running Shoes', 'OUT-HIK-002', 12900, 'Grippy soles, drop 6 mm'],
          ['Insulated Water Bottle', 'OUT-HIK-003', 2990, 'Keeps cold for 24 h'],
        ],
      },
    ],
  },
];

/** An answer the seed cannot go on from: the platform's own words, with what to check. */
class SeedRefused extends Error {}

const post = async (base: string, token: string, path: string, body: unknown): Promise<{ status: number; body: { id: string } }> => {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status === 401 || res.status === 403) {
    throw new SeedRefused(
      `the platform at ${base} refused the admin token (${res.status}): it signs tokens with another secret. ` +
        'Run this with the same GOTUTO_DATA_DIR and JWT_SECRET as npm start',
    );
  }
  if (res.status !== 201 && res.status !== 200 && res.status !== 409) throw new SeedRefused(`POST ${path} answered ${res.status}: ${text}`);
  return { status: res.status, body: JSON.parse(text) as { id: string } };
};

interface Node {
  id: string;
  name: string;
  children: Node[];
}

const categoryTree = async (base: string): Promise<Node[]> => {
  const res = await fetch(`${base}/catalog/categories`);
  if (!res.ok) throw new SeedRefused(`GET /catalog/categories answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { items: Node[] }).items;
};

/** The category named `name` among `siblings`, created under `parentId` when there is none. */
const category = async (base: string, token: string, siblings: Node[], name: string, description: string, parentId?: string): Promise<Node> => {
  const found = siblings.find((node) => node.name === name);
  if (found) return found;
  const created = await post(base, token, '/catalog/categories', { name, description, ...(parentId ? { parentId } : {}) });
  return { id: created.body.id, name, children: [] };
};

/**
 * Completes the demo catalog at `base`: creates the categories and products it lacks, keeps the
 * rest. Returns how many products were created and how many were there already.
 */
export const seedCatalog = async (base: string): Promise<{ created: number; kept: number }> => {
  const token = await signToken({ id: randomUUID(), role: 'admin' }, '10m');
  const tree = await categoryTree(base);
  let created = 0;
  let kept = 0;
  for (const top of DEMO_CATALOG) {
    const parent = await category(base, token, tree, top.name, top.description);
    for (const child of top.children) {
      const node = await category(base, token, parent.children, child.name, child.description, parent.id);
      for (const [name, sku, amount, description] of child.products) {
        const answer = await post(base, token, '/catalog/products', { name, sku, description, categoryId: node.id, price: { amount, currency: 'EUR' } });
        // 409: a product with this SKU exists already, which is what seeding asks for.
        if (answer.status === 409) kept += 1;
        else created += 1;
      }
    }
  }
  return { created, kept };
};

/** True when the catalog at `base` has no category yet. */
export const catalogIsEmpty = async (base: string): Promise<boolean> => (await categoryTree(base)).length === 0;

const USAGE = `usage: npm run seed [-- --force]
  Seeds the demo catalog into the platform running on GOTUTO_DATA_DIR (else GOTUTO_URL, else
  http://127.0.0.1:$PORT) when its catalog is empty; --force completes it when it is not (what
  exists is kept, nothing is made twice).`;

const main = async (args: string[]): Promise<void> => {
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return;
  }
  // `npm run seed --force` (without `--`) hands --force to npm, which passes it on as npm_config_force.
  const force = args.includes('--force') || process.env.npm_config_force === 'true';
  const unknown = args.filter((a) => a !== '--force');
  if (unknown.length > 0) refuse('seed', [`unknown argument(s) ${unknown.join(' ')}\n${USAGE}`]);
  const platform = targetPlatform();
  if (platform) {
    const differ = differences(platform);
    if (differ.length > 0) refuse('seed', differ);
    if (!platform.url) refuse('seed', [`${describe(platform)} is still starting: run this again once it is up`]);
  }
  const base = process.env.GOTUTO_URL ?? platform?.url ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;
  try {
    if (!(await catalogIsEmpty(base)) && !force) {
      console.log('the catalog already has categories; nothing seeded (--force completes the demo catalog, keeping what exists)');
      return;
    }
    const { created, kept } = await seedCatalog(base);
    console.log(`seeded ${created} products into ${base}${kept > 0 ? ` (${kept} were there already)` : ''}`);
  } catch (error) {
    if (error instanceof SeedRefused) refuse('seed', [error.message]);
    // fetch failed: nothing listens there.
    refuse('seed', [`no platform answers at ${base} (${(error as Error).message}): start it with npm start, or set GOTUTO_URL`]);
  }
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
