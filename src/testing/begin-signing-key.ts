/**
 * Imported first by index.ts, for its effect: the process's signing key (process-signing-key.ts)
 * starts generating while the rest of portcullis/testing loads.
 */
import { startSigningKey } from './process-signing-key.js';

startSigningKey();
