import { userTarget } from '../core/audit.js';
import type { Subject } from '../core/attempt-limiter.js';
import { lockoutKey } from '../core/lockout.js';
import type { User } from '../core/model.js';
import { hashSecret, verifySecret } from '../crypto/passwords.js';
import { newOpaqueToken } from '../crypto/random.js';
import type { Services } from '../services.js';
import { AADSTS, type OAuthError } from './oauth-errors.js';

export type PasswordRefusal = 'bad_credentials' | 'disabled' | 'locked' | 'source_locked';

/** `user`: the account the attempt was for, when it exists (the sign-in log records the failure against it). */
export type PasswordCheck = { ok: true; user: User } | { ok: false; reason: PasswordRefusal; user?: User };

/** The AADSTS error each refusal is answered (ROPC) or logged (sign-in pages) with. */
export function passwordRefusalError(reason: PasswordRefusal): OAuthError {
  switch (reason) {
    case 'bad_credentials':
      return AADSTS.badCredentials();
    case 'disabled':
      return AADSTS.userDisabled();
    case 'locked':
      return AADSTS.accountLocked();
    case 'source_locked':
      return AADSTS.sourceLocked();
  }
}

/**
 * A hash no password matches, verified for unknown usernames so that they cost the same argon2
 * time as a wrong password (no timing oracle for which accounts exist).
 */
let decoyHash: Promise<string> | null = null;
const decoy = () => (decoyHash ??= hashSecret(newOpaqueToken()));

/**
 * The one password check behind every password entry: the sign-in form, the device sign-in page
 * and the ROPC grant. Smart lockout (core/lockout.ts) per user and per source address: a locked
 * subject is refused before the password is looked at (AADSTS50053), every failure is charged to
 * both, and a success resets the user's count (never the source's, or one valid account would
 * let a guesser reset its own address's count).
 */
export async function checkPassword(
  services: Services,
  attempt: { username: string; password: string; source: string | null; correlationId: string },
): Promise<PasswordCheck> {
  const limits = services.config.abuse;
  // A few sign-ins from one address may be checked at once (an office behind one NAT); one per user.
  // No source (null): the caller is already signed in as the user (a password change), so it can
  // only guess that one account's password, which the per-user count bounds.
  const sources: Subject[] =
    attempt.source === null
      ? []
      : [{ key: lockoutKey.signInSource(attempt.source), policy: limits.sourceSignIn, concurrency: SOURCE_CONCURRENCY }];
  const sourceBusy = (): PasswordCheck => ({ ok: false, reason: 'source_locked' });
  return services.limiter.exclusive(
    sources,
    async () => {
      if ((await services.limiter.lockedFor(sources)) > 0) return sourceBusy();
      const user = attempt.username ? await services.store.users.findByUserPrincipalName(services.tenant.id, attempt.username) : null;
      if (!user) {
        // An unknown user name costs the same argon2 time as a wrong password.
        await matches(await decoy(), attempt.password);
        return failed(services, sources, attempt);
      }
      const account: Subject = { key: lockoutKey.user(user.tenantId, user.id), policy: limits.userSignIn, target: userTarget(user) };
      return services.limiter.exclusive(
        [account],
        async () => {
          if ((await services.limiter.lockedFor([account])) > 0) return { ok: false, reason: 'locked', user };
          if (!user.passwordHash || !(await matches(user.passwordHash, attempt.password)))
            return { ...(await failed(services, [...sources, account], attempt)), user };
          await services.limiter.reset(account);
          if (!user.accountEnabled) return { ok: false, reason: 'disabled', user };
          return { ok: true, user };
        },
        () => ({ ok: false, reason: 'locked', user }),
      );
    },
    sourceBusy,
  );
}

const SOURCE_CONCURRENCY = 4;

async function matches(hash: string, password: string): Promise<boolean> {
  return password !== '' && (await verifySecret(hash, password));
}

/** Unknown user or wrong password: the same answer, and a failure counted against `subjects`. */
async function failed(
  services: Services,
  subjects: Subject[],
  attempt: { correlationId: string },
): Promise<{ ok: false; reason: 'bad_credentials' }> {
  await services.limiter.recordFailure(subjects, attempt.correlationId);
  return { ok: false, reason: 'bad_credentials' };
}
