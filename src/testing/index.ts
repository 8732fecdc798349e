/**
 * portcullis/testing: Portcullis inside a test suite (docs/testing-kit.md).
 */
// First, before start.js loads the server's modules: ES modules run in import order, so the
// signing key's generation (on the thread pool) overlaps the rest of this import.
import './begin-signing-key.js';
export { startPortcullis, DEFAULT_ENTRA_REVOCATION_DELAY_MS } from './start.js';
export type { CookieTarget, RunningPortcullis, StartOptions, TokenOptions, TokenResponse, UserCredentials } from './start.js';
export { TEST_APPS, TEST_DOMAIN, TEST_TENANT_ID, TEST_USERS, defaultSeed } from './default-seed.js';
export { SignInError, TokenError } from './http-flows.js';
export type { TestClockOptions } from './test-clock.js';
export type { User } from '../core/model.js';
