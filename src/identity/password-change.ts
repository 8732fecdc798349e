/**
 * A signed-in user's own password change (Graph POST /me/changePassword, My Account's "Change
 * password" page through it). The current password is a password guess like any other, so it goes
 * through the sign-in check (password-sign-in.ts): the same smart lockout per user, a wrong one
 * counted, a locked account refused before it is looked at. Not per source address: the caller is
 * signed in as this user, so it can only guess this one account's password, which the per-user
 * count bounds; and the address is often a server calling for many users (the console), whose
 * address locked by one user's typos would refuse everyone's change. Only then is the new password
 * held to the directory's policy and stored (core/user-management.ts).
 */
import type { ActionContext } from '../core/user-management.js';
import { changeOwnPassword, UserRuleError } from '../core/user-management.js';
import type { User } from '../core/model.js';
import type { Services } from '../services.js';
import { checkPassword } from './password-sign-in.js';

export type PasswordChangeOutcome = 'changed' | 'wrong_password' | 'locked' | 'weak_password' | 'gone';

export async function changePassword(
  services: Services,
  user: User,
  attempt: { currentPassword: string; newPassword: string },
  ctx: ActionContext,
): Promise<PasswordChangeOutcome> {
  const checked = await checkPassword(services, {
    username: user.userPrincipalName,
    password: attempt.currentPassword,
    source: null,
    correlationId: ctx.correlationId,
  });
  if (!checked.ok) {
    if (checked.reason === 'bad_credentials') return 'wrong_password';
    if (checked.reason === 'disabled') return 'gone';
    return 'locked';
  }
  // The name could have moved to another account since the token was issued: change only the caller's.
  if (checked.user.id !== user.id) return 'wrong_password';
  try {
    return (await changeOwnPassword(services, checked.user, attempt.newPassword, ctx)) ? 'changed' : 'gone';
  } catch (e) {
    if (e instanceof UserRuleError && e.violation.kind === 'password_complexity') return 'weak_password';
    throw e;
  }
}
