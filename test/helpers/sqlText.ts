import { readFileSync } from 'node:fs';

// Loads `.sql` files as their text, as the bundle does (build.mjs: loader '.sql': 'text'), so a test or
// a test's child process can open the daemon's store under tsx. Import it before daemon/store/database.
require.extensions['.sql'] = (module, filename) => {
  module.exports = readFileSync(filename, 'utf8');
};
