// vitest for the example only (https://vitest.dev/config/): its *.vitest.ts files, run in this
// directory; the repository's own tests use node:test.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('.', import.meta.url)),
    include: ['*.vitest.ts'],
    // One file: a worker thread is the cheapest start.
    pool: 'threads',
    // Here portcullis/testing is this repository's own dist/, not a package under node_modules:
    // load it with Node as an installed package would be, rather than through vite's transform.
    server: { deps: { external: [/\/dist\//] } },
  },
});
