-- Catalog's own state: a tree of categories and the products filed in them. Timestamps come from
-- the application clock so tests can set it.
--
-- Products are soft-deleted (deleted_at): carts and orders keep naming a product after it is
-- withdrawn, and the validate query must tell them "deleted", not "unknown". Categories are
-- deleted for good: only an empty leaf can go, and nothing outside Catalog refers to one.

-- Search is case- and accent-insensitive and served by a trigram index (below). Both extensions
-- are trusted, so the database owner may create them. They stay when this migration is reverted:
-- other contexts sharing the database may use them.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;

-- The text that search compares: without accents, in lower case. unaccent() is only STABLE (the
-- one-argument form finds its dictionary through search_path), and an index expression must be
-- IMMUTABLE. This wrapper names the dictionary and the schema, so its result depends on the
-- dictionary's rules alone; were those rules ever edited, the index would need a REINDEX.
CREATE FUNCTION catalog.search_text(value text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
  RETURN lower(public.unaccent('public.unaccent'::regdictionary, value));

CREATE TABLE catalog.categories (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (name <> ''),
  description text,
  -- No cascade: a category with children cannot be deleted.
  parent_id uuid REFERENCES catalog.categories (id),
  version integer NOT NULL CHECK (version >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK (parent_id IS DISTINCT FROM id)
);
-- Children of a category: the tree walks (recursive CTEs) and the "has children" check.
CREATE INDEX categories_parent ON catalog.categories (parent_id);

CREATE TABLE catalog.products (
  id uuid PRIMARY KEY,
  name text NOT NULL CHECK (name <> ''),
  description text,
  sku text NOT NULL CHECK (sku <> '' AND sku = btrim(sku)),
  price_amount bigint NOT NULL CHECK (price_amount > 0),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- A live product is always in a category, which therefore cannot be deleted under it. A deleted
  -- product keeps its category until that category is deleted.
  category_id uuid REFERENCES catalog.categories (id) ON DELETE SET NULL,
  version integer NOT NULL CHECK (version >= 1),
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  CHECK (deleted_at IS NOT NULL OR category_id IS NOT NULL)
);
-- One live product per SKU, whatever its case; a deleted product's SKU may be used again.
CREATE UNIQUE INDEX products_sku_key ON catalog.products (lower(btrim(sku))) WHERE deleted_at IS NULL;
CREATE INDEX products_page ON catalog.products (created_at, id) WHERE deleted_at IS NULL;
-- Not partial: the foreign key's ON DELETE SET NULL looks up deleted products too.
CREATE INDEX products_category ON catalog.products (category_id, created_at, id);
-- Search by words of the name: each word is `search_text(name) LIKE '%' || search_text(word) || '%'`,
-- a match anywhere in the name, which a B-tree cannot serve. A GIN index of trigrams (pg_trgm) on
-- the same IMMUTABLE expression can: the planner matches the expression and answers LIKE from
-- the index instead of reading every product.
CREATE INDEX products_name_search ON catalog.products
  USING gin (catalog.search_text(name) public.gin_trgm_ops) WHERE deleted_at IS NULL;
