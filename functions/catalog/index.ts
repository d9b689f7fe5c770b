// Every Catalog function, keyed by its source path under functions/, for the registry.
import catalogChangePrice from './commands/change-price.js';
import catalogCreateCategory from './commands/create-category.js';
import catalogCreateProduct from './commands/create-product.js';
import catalogDeleteCategory from './commands/delete-category.js';
import catalogDeleteProduct from './commands/delete-product.js';
import catalogUpdateCategory from './commands/update-category.js';
import catalogUpdateProduct from './commands/update-product.js';
import catalogValidateProducts from './commands/validate-products.js';
import catalogRelayOutbox from './handlers/relay-outbox.js';
import catalogGetCategory from './queries/get-category.js';
import catalogGetCategoryTree from './queries/get-category-tree.js';
import catalogGetProduct from './queries/get-product.js';
import catalogListProducts from './queries/list-products.js';

export const catalogFunctions = {
  'catalog/commands/create-category': catalogCreateCategory,
  'catalog/commands/update-category': catalogUpdateCategory,
  'catalog/commands/delete-category': catalogDeleteCategory,
  'catalog/queries/get-category-tree': catalogGetCategoryTree,
  'catalog/queries/get-category': catalogGetCategory,
  'catalog/commands/create-product': catalogCreateProduct,
  'catalog/commands/update-product': catalogUpdateProduct,
  'catalog/commands/change-price': catalogChangePrice,
  'catalog/commands/delete-product': catalogDeleteProduct,
  'catalog/commands/validate-products': catalogValidateProducts,
  'catalog/queries/list-products': catalogListProducts,
  'catalog/queries/get-product': catalogGetProduct,
  'catalog/handlers/relay-outbox': catalogRelayOutbox,
};
