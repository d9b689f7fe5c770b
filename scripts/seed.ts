// The demo catalog: a few categories two levels deep and a dozen products, created through the
// Catalog commands over HTTP so that their events flow like any other. `npm run seed` sends them to
// a running platform (GOTUTO_URL, default http://127.0.0.1:8080); `npm start` seeds an empty
// catalog by itself.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { signToken } from '../functions/runtime/auth.js';

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
      { name: 'Coffee', description: 'Beans and gear', products: [
        ['Espresso Beans 1 kg', 'KIT-COF-001', 2490, 'Dark roast, whole beans'],
        ['Pour-over Dripper', 'KIT-COF-002', 1990, 'Ceramic, size 02'],
        ['Burr Grinder', 'KIT-COF-003', 8900, 'Conical burrs, 40 settings'],
      ] },
      { name: 'Baking', description: 'For the oven', products: [
        ['Crème Brûlée Ramekins (4)', 'KIT-BAK-001', 1590, 'Porcelain, 150 ml'],
        ['Silicone Baking Mat', 'KIT-BAK-002', 1290, 'Fits half-sheet pans'],
        ['Digital Kitchen Scale', 'KIT-BAK-003', 2290, 'To the gram, up to 5 kg'],
      ] },
    ],
  },
  {
    name: 'Outdoors',
    description: 'For trails and camps',
    children: [
      { name: 'Camping', description: 'Sleep under the stars', products: [
        ['Two-Person Tent', 'OUT-CMP-001', 17900, 'Three seasons, 2.1 kg'],
        ['Down Sleeping Bag', 'OUT-CMP-002', 21900, 'Comfort down to -5 °C'],
        ['Titanium Spork', 'OUT-CMP-003', 990, 'Weighs 18 g'],
      ] },
      { name: 'Hiking', description: 'On the trail', products: [
        ['Trekking Poles (pair)', 'OUT-HIK-001', 6900, 'Carbon, foldable'],
        ['Trail Running Shoes', 'OUT-HIK-002', 12900, 'Grippy soles, drop 6 mm'],
        ['Insulated Water Bottle', 'OUT-HIK-003', 2990, 'Keeps cold for 24 h'],
      ] },
    ],
  },
];

const post = async (base: string, token: string, path: string, body: unknown): Promise<{ id: string }> => {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `seed:${path}:${JSON.stringify(body)}`.slice(0, 200) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201 && res.status !== 200) throw new Error(`POST ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as { id: string };
};

/** Creates the demo catalog through the platform at `base`; returns how many products were made. */
export const seedCatalog = async (base: string): Promise<number> => {
  const token = await signToken({ id: randomUUID(), role: 'admin' }, '10m');
  let products = 0;
  for (const top of DEMO_CATALOG) {
    const parent = await post(base, token, '/catalog/categories', { name: top.name, description: top.description });
    for (const child of top.children) {
      const category = await post(base, token, '/catalog/categories', { name: child.name, description: child.description, parentId: parent.id });
      for (const [name, sku, amount, description] of child.products) {
        await post(base, token, '/catalog/products', { name, sku, description, categoryId: category.id, price: { amount, currency: 'EUR' } });
        products += 1;
      }
    }
  }
  return products;
};

/** True when the catalog at `base` has no category yet. */
export const catalogIsEmpty = async (base: string): Promise<boolean> => {
  const res = await fetch(`${base}/catalog/categories`);
  if (!res.ok) throw new Error(`GET /catalog/categories answered ${res.status}`);
  const body = (await res.json()) as { items?: unknown[] } | unknown[];
  const items = Array.isArray(body) ? body : (body.items ?? []);
  return items.length === 0;
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const base = process.env.GOTUTO_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;
  try {
    if (!(await catalogIsEmpty(base)) && !process.argv.includes('--force')) {
      console.log('the catalog already has categories; nothing seeded (use --force to add the demo catalog anyway)');
    } else {
      console.log(`seeded ${await seedCatalog(base)} products into ${base}`);
    }
  } catch (error) {
    console.error(`seeding failed: ${(error as Error).message} (is the platform running at ${base}?)`);
    process.exitCode = 1;
  }
}
