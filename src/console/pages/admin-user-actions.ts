/** Disable, enable and reset password: one PATCH /users/{id} each (docs/graph-api.md, "Users"). */
import { randomInt } from 'node:crypto';
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

/** 16 characters from all four classes (Entra's complexity rule needs three). */
export function temporaryPassword(): string {
  const classes = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '-_.!~'];
  const all = classes.join('');
  const out = classes.map((c) => c[randomInt(c.length)]!);
  while (out.length < 16) out.splice(randomInt(out.length + 1), 0, all[randomInt(all.length)]!);
  return out.join('');
}

/** The new password goes to the session's one-time flash, shown on the next page and then forgotten. */
export async function resetPassword(ctx: PageContext): Promise<Outcome> {
  const password = temporaryPassword();
  await graph(ctx.rt, ctx.session, 'PATCH', userPath(ctx.params.id ?? ''), {
    passwordProfile: { password, forceChangePasswordNextSignIn: true },
  });
  ctx.session.flash = { title: 'New temporary password', lines: [['Password', password]] };
  return back(ctx);
}
