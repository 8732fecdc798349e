/**
 * Client secrets added at runtime (Graph `application: addPassword`,
 * https://learn.microsoft.com/graph/api/application-addpassword): generated here, shown once, stored
 * only as an argon2id hash (crypto/passwords.ts, the same as seeded secrets) with a three-character hint.
 */
import { hashSecret } from '../crypto/passwords.js';
import { newGuid, newOpaqueToken } from '../crypto/random.js';
import type { ClientSecret } from './model.js';

/** addPassword's default lifetime: "endDateTime … defaults to two years from startDateTime" (the page above). */
export const DEFAULT_SECRET_LIFETIME_MS = 2 * 365.25 * 24 * 3600_000;

/** 30 random bytes → 40 base64url characters (240 bits); Entra's secrets are 16 to 64 characters. */
const SECRET_BYTES = 30;

export interface NewPassword {
  credential: ClientSecret;
  /** The only time the text exists outside the caller: never stored, never logged. */
  secretText: string;
}

export async function newPasswordCredential(options: {
  displayName: string | null;
  startDateTime: number;
  endDateTime: number;
}): Promise<NewPassword> {
  const secretText = newOpaqueToken(SECRET_BYTES);
  return {
    secretText,
    credential: {
      keyId: newGuid(),
      hash: await hashSecret(secretText),
      hint: secretText.slice(0, 3),
      displayName: options.displayName,
      startDateTime: options.startDateTime,
      endDateTime: options.endDateTime,
    },
  };
}
