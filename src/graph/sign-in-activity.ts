/**
 * `signInActivity` on users, "returned only on $select" and only to callers allowed to read the
 * sign-in log (https://learn.microsoft.com/graph/api/resources/signinactivity;
 * core/authorization/log-readers.ts). null for a user who never signed in.
 */
import { mayReadLog } from '../core/authorization/log-readers.js';
import type { User } from '../core/model.js';
import type { SignInActivity } from '../core/sign-in.js';
import { actorOf, demand } from './authorize.js';
import type { GraphContext } from './http.js';

export const SIGN_IN_ACTIVITY = 'signInActivity';

/** The activity of `users` when $select names signInActivity (refused without the right); undefined otherwise. */
export async function selectedActivity(
  ctx: GraphContext,
  select: readonly string[] | null,
  users: readonly User[],
): Promise<ReadonlyMap<string, SignInActivity> | undefined> {
  if (!select?.includes(SIGN_IN_ACTIVITY)) return undefined;
  demand(mayReadLog(actorOf(ctx.caller), 'readSignInActivity'));
  // Sign-ins this instance recorded are visible at once (the recorder's buffer is written first).
  await ctx.services.signIns.flush();
  return ctx.services.store.signIns.activity(users.map((u) => u.id));
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function signInActivityJson(a: SignInActivity | undefined): Record<string, unknown> | null {
  if (!a) return null;
  return {
    lastSignInDateTime: iso(a.lastSignInAt),
    lastSignInRequestId: a.lastSignInRequestId,
    lastNonInteractiveSignInDateTime: iso(a.lastNonInteractiveSignInAt),
    lastNonInteractiveSignInRequestId: a.lastNonInteractiveSignInRequestId,
    lastSuccessfulSignInDateTime: iso(a.lastSuccessfulSignInAt),
    lastSuccessfulSignInRequestId: a.lastSuccessfulSignInRequestId,
  };
}
