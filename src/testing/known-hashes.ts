import { hashSecret, type SecretHasher } from '../crypto/passwords.js';
import { TEST_APPS, TEST_USERS } from './default-seed.js';

/**
 * The argon2id hashes of the default seed's passwords and client secret, made once with the
 * parameters of src/crypto/passwords.ts (the PHC string carries them and the salt, so argon2
 * verifies them like any stored hash). These secrets are published in default-seed.ts, so their
 * hashes hide nothing; shipping them spares a suite's first start four argon2 runs, the larger
 * part of its cost. test/testing/first-start.test.ts verifies each one.
 */
export const DEFAULT_SEED_HASHES: Readonly<Record<string, string>> = {
  [TEST_USERS.alice.password]: '$argon2id$v=19$m=19456,p=1,t=2$W5Ohrbg41r987a9rTIyI/g$u7/LrnVgWq+8YuoTuRmQknAkXCCFFx4BX9Ntv7begMY',
  [TEST_USERS.bob.password]: '$argon2id$v=19$m=19456,p=1,t=2$mXFAyyMwo0zRMSJd9R2UiQ$CP5GQ9ATJIP5VVJ1NDOwgHbYubvT3XxBmdyxxcNxOPc',
  [TEST_USERS.admin.password]: '$argon2id$v=19$m=19456,p=1,t=2$tBEQCZLgR9gw7rrtj7v4Jw$KwYvHSUxNfsVLqHRV5/KaHsgd3737pSX/z6+BJ9oLXI',
  [TEST_APPS.webApp.secret]: '$argon2id$v=19$m=19456,p=1,t=2$lpNodeU0jmln6TnE+MBFrA$R0nN1dJEO2SO0ItmzEdkYeUKePDWqAbqPefwdUKUTRY',
};

/** Hashes made in this process, by plaintext: a seed's password is hashed once per process, not once per start. */
const made = new Map<string, Promise<string>>(Object.entries(DEFAULT_SEED_HASHES).map(([plain, hash]) => [plain, Promise.resolve(hash)]));

/**
 * What the kit hashes seed secrets with: crypto/passwords.ts hashSecret, remembered per
 * plaintext. Only the kit uses it (`serve` hashes every secret with its own salt); a test tenant's
 * users who share a password then share its hash, which a test cannot tell apart.
 */
export const knownHashes: SecretHasher = (plain) => {
  let hash = made.get(plain);
  if (!hash) {
    hash = hashSecret(plain);
    made.set(plain, hash);
    hash.catch(() => made.delete(plain));
  }
  return hash;
};
