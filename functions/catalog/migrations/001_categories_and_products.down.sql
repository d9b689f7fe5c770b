-- Reverts 001: drops Catalog's tables, dependants first, and the search function. The extensions
-- stay: other contexts sharing the database may use them.
DROP TABLE IF EXISTS catalog.products;
DROP TABLE IF EXISTS catalog.categories;
DROP FUNCTION IF EXISTS catalog.search_text(text);
