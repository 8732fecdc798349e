import { userTarget } from '../core/audit.js';
import type { Subject } from '../core/attempt-limiter.js';
import { lockoutKey } from '../core/lockout.js';
import type { User } from '../core/model.js';
import { hashSecret, verifySecret } from '../crypto/passwords.js';
import type { Services } from '../services.js';

export type PasswordCheck =
  | { ok: true; user: User }
  | { ok: false; reason: 'bad_credentials' | 'disabled' | 'locked' | 'source_locked' };

/**
 * A hash no password matches, verified for unknown usernames so that they cost the same argon2
 * time as a wrong password (no timing oracle for which accounts exist).
 */
let decoyHash: Promise<string> | null = null;
const decoy = () => (decoyHash ??= hashSecret(`decoy-${Math.random()}`));

/**
 * The one password check behind every password entry: the sign-in form, the device sign-in page
 * and the ROPC grant. Smart lockout (core/lockout.ts) per user and per source address: a locked
 * subject is refused before the password is looked at (AADSTS50053), every failure is charged to
 * both, and a success resets the user's count (never the source's, or one valid account would
 * let a guesser reset its own address's count).
 */
export async function checkPassword(
  services: Services,
  attempt: { username: string; password: string; source: string; correlationId: string },
): Promise<PasswordCheck> {
  const limits = services.config.abuse;
  const source: Subject = { key: lockoutKey.signInSource(attempt.source), policy: limits.sourceSignIn };
  if ((await services.limiter.lockedFor([source])) > 0) return { ok: false, reason: 'source_locked' };
  const user = attempt.username ? await services.store.users.findByUserPrincipalName(services.tenant.id, attempt.username) : null;
  const account: Subject | null = user
    ? { key: lockoutKey.user(user.tenantId, user.id), policy: limits.userSignIn, target: userTarget(user) }
    : null;
  if (account && (await services.limiter.lockedFor([account])) > 0) return { ok: false, reason: 'locked' };
  const hash = user?.passwordHash ?? null;
  const matches = attempt.password !== '' && (await verifySecret(hash ?? (await decoy()), attempt.password));
  if (!user || !hash || !matches) {
    await services.limiter.recordFailure(account ? [source, account] : [source], attempt.correlationId);
    return { ok: false, reason: 'bad_credentials' };
  }
  await services.limiter.reset(account!);
  if (!user.accountEnabled) return { ok: false, reason: 'disabled' };
  return { ok: true, user };
}
