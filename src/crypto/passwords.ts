import argon2 from 'argon2';

// OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
const OPTIONS = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** How a plaintext becomes its stored hash: hashSecret below, or a memo of it (the test kit's, src/testing/known-hashes.ts). */
export type SecretHasher = (plain: string) => Promise<string>;

/** argon2id hash in PHC string form; used for user passwords and client secrets (I5). */
export function hashSecret(plain: string): Promise<string> {
  return argon2.hash(plain, OPTIONS);
}

/** Constant-time verification inside argon2; a malformed stored hash verifies as false. */
export async function verifySecret(hash: string, plain: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, plain);
  } catch {
    return false;
  }
}
