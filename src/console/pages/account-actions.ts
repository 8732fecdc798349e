/** My Account's actions: each one Graph call on /me (docs/graph-api.md, "Targeted revocation"). */
import { graph } from '../graph.js';
import { CHANGE_PASSWORD_PATH } from './change-password.js';
import type { Outcome, PageContext } from '../page-context.js';

interface Cut {
  sessionCount: number;
  grantCount: number;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const counts = (c: Cut) => `sessions=${c.sessionCount}&grants=${c.grantCount}`;

export async function revokeMySession(ctx: PageContext): Promise<Outcome> {
  const sid = ctx.form.sessionId ?? '';
  if (!GUID.test(sid)) return { redirect: '/myaccount' };
  const cut = await graph<Cut>(ctx.rt, ctx.session, 'POST', `/me/signInSessions/${encodeURIComponent(sid)}/revoke`, {});
  return { redirect: `/myaccount?done=one&${counts(cut)}` };
}

export async function signOutOthers(ctx: PageContext): Promise<Outcome> {
  if (!ctx.session.sid) return { redirect: '/myaccount' };
  const cut = await graph<Cut>(ctx.rt, ctx.session, 'POST', '/me/signInSessions/revokeAllExcept', { sessionId: ctx.session.sid });
  return { redirect: `/myaccount?done=others&${counts(cut)}` };
}

/** Everything, this browser too: the console session goes with it, and the next page asks to sign in. */
export async function signOutEverywhere(ctx: PageContext): Promise<Outcome> {
  await graph(ctx.rt, ctx.session, 'POST', '/me/revokeSignInSessions', {});
  ctx.rt.sessions.delete(ctx.session.id);
  return { redirect: '/myaccount' };
}

/**
 * "This wasn't me": revoke everything, then the password change. This browser was signed out too,
 * so the change page first asks to sign in again and then comes back to it (page-context.ts).
 */
export async function notMe(ctx: PageContext): Promise<Outcome> {
  await graph(ctx.rt, ctx.session, 'POST', '/me/revokeSignInSessions', {});
  ctx.rt.sessions.delete(ctx.session.id);
  return { redirect: `${CHANGE_PASSWORD_PATH}?from=not-me` };
}

export async function revokeMyApp(ctx: PageContext): Promise<Outcome> {
  const appId = ctx.form.appId ?? '';
  if (!GUID.test(appId)) return { redirect: '/myaccount/apps' };
  const cut = await graph<Cut>(ctx.rt, ctx.session, 'POST', '/me/signInSessions/revokeForApp', { appId });
  return { redirect: `/myaccount/apps?done=app&${counts(cut)}` };
}
