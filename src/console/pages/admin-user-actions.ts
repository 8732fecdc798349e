/** Disable, enable and reset password: one PATCH /users/{id} each (docs/graph-api.md, "Users"). */
import { randomPassword } from '../../core/demo-seed.js';
import { graph } from '../graph.js';
import type { Outcome, PageContext } from '../page-context.js';
import { userPath } from './admin-user.js';

const back = (ctx: PageContext) => ({ redirect: `/admin/users/${encodeURIComponent(ctx.params.id ?? '')}` });

export async function disableUser(ctx: PageContext): Promise<Outcome> {
  await graph(ctx.rt, ctx.session, 'PATCH', userPath(ctx.params.id ?? ''), { accountEnabled: false });
  return back(ctx);
}

export async function enableUser(ctx: PageContext): Promise<Outcome> {
  await graph(ctx.rt, ctx.session, 'PATCH', userPath(ctx.params.id ?? ''), { accountEnabled: true });
  return back(ctx);
}

/** The new password goes to the session's one-time flash, shown on the next page and then forgotten. */
export async function resetPassword(ctx: PageContext): Promise<Outcome> {
  const password = randomPassword(16);
  await graph(ctx.rt, ctx.session, 'PATCH', userPath(ctx.params.id ?? ''), {
    passwordProfile: { password, forceChangePasswordNextSignIn: true },
  });
  ctx.session.flash = { title: 'New temporary password', lines: [['Password', password]] };
  return back(ctx);
}
