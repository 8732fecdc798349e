import type { SigningKey } from '../core/model.js';
import { generateSigningKeyAsync } from '../crypto/jwt.js';

/**
 * One RSA signing key per process, shared by every server the kit starts (the seeded template of
 * start.ts shares it between servers of one seed already). Finding an RSA-2048 key takes 50 to
 * 600 ms; it starts on libuv's thread pool when portcullis/testing is imported, so it overlaps
 * the rest of the import and the test file's own set-up instead of the first start. Servers of
 * one process then publish the same key, but their issuers differ (each has its own port), so a
 * token of one is still refused by another.
 */
let pending: Promise<SigningKey> | null = null;

export function startSigningKey(): void {
  if (pending) return;
  pending = generateSigningKeyAsync(0);
  // A failure is reported to the start that awaits it (and the next start tries again).
  pending.catch(() => {
    pending = null;
  });
}

/** The process's key, dated `now` on the kit's clock (which may run ahead or be frozen in the past). */
export async function processSigningKey(now: number): Promise<SigningKey> {
  startSigningKey();
  const key = await pending!;
  return { ...key, createdAt: now, activatesAt: now };
}
