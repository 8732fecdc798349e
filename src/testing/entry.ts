/**
 * What `import … from 'portcullis/testing'` loads (package.json `exports`, the "import"
 * condition): index.ts, after the process's signing key has begun.
 *
 * An ES module graph is loaded and parsed whole before its first module runs, so a key begun by
 * index.ts's first import (begin-signing-key.ts) starts only after the server's modules (Fastify,
 * the routes, the store) are parsed — hundreds of ms of CPU — and the first startPortcullis()
 * then waited for it: finding an RSA-2048 key takes 50–500 ms, at random (BENCHMARKS.md,
 * "portcullis/testing"). This module imports only the key's code statically, starts the key, and
 * then loads the rest, so the two overlap. The top-level await is why it is the "import" entry
 * only: `require('portcullis/testing')` (require(esm), Node.js 20.19 and later) refuses a module
 * with top-level await, so it gets index.ts itself. Types: index.d.ts (the "types" condition).
 */
import { startSigningKey } from './process-signing-key.js';

startSigningKey();

const kit = await import('./index.js');

export const {
  startPortcullis,
  DEFAULT_ENTRA_REVOCATION_DELAY_MS,
  TEST_APPS,
  TEST_DOMAIN,
  TEST_TENANT_ID,
  TEST_USERS,
  defaultSeed,
  SignInError,
  TokenError,
} = kit;
