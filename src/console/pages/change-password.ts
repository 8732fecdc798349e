/**
 * My Account's "Change password": current, new and confirmation, sent to Graph's
 * POST /me/changePassword (docs/graph-api.md, "Changing one's own password"), which checks the
 * current password under smart lockout and the new one against the password policy. "This wasn't
 * me" leads here after revoking everything (account-actions.ts): the browser signs in again first
 * and comes back to this page (page-context.ts keeps the target of a page asked for signed out).
 */
import { esc } from '../../web/html.js';
import { graph, GraphRefused } from '../graph.js';
import { layout } from '../layout.js';
import type { Outcome, PageContext } from '../page-context.js';

export const CHANGE_PASSWORD_PATH = '/myaccount/change-password';
const TITLE = 'Change password';

function form(ctx: PageContext, notice: string): string {
  return `${notice}
<form method="post" action="${CHANGE_PASSWORD_PATH}"><input type="hidden" name="csrf" value="${esc(ctx.csrf)}">
<label for="currentPassword">Current password</label><input id="currentPassword" name="currentPassword" type="password" required autocomplete="current-password">
<label for="newPassword">New password</label><input id="newPassword" name="newPassword" type="password" required minlength="8" maxlength="256" autocomplete="new-password" aria-describedby="password-rule">
<p id="password-rule" class="muted">8 to 256 characters, with at least three of: lower case, upper case, digits, symbols.</p>
<label for="confirmPassword">Confirm new password</label><input id="confirmPassword" name="confirmPassword" type="password" required minlength="8" maxlength="256" autocomplete="new-password">
<p><button type="submit">Change password</button></p></form>`;
}

const page = (ctx: PageContext, notice: string, status = 200): Outcome => ({
  html: layout(ctx.frame(TITLE, CHANGE_PASSWORD_PATH), form(ctx, notice)),
  status,
});

const problem = (message: string) => `<p role="alert" class="warning">${esc(message)}</p>`;

export async function changePasswordPage(ctx: PageContext): Promise<Outcome> {
  const notice =
    ctx.query.done === '1'
      ? '<p class="notice" role="status">Your password was changed. Use the new one the next time you sign in.</p>'
      : ctx.query.from === 'not-me'
        ? '<p class="notice" role="status">Every browser and app signed in with your account has been signed out. Choose a new password now: whoever signed in as you may know the current one.</p>'
        : '';
  return page(ctx, notice);
}

export async function changeMyPassword(ctx: PageContext): Promise<Outcome> {
  const { currentPassword = '', newPassword = '', confirmPassword = '' } = ctx.form;
  if (newPassword !== confirmPassword) return page(ctx, problem('The new password and its confirmation differ.'), 400);
  try {
    await graph(ctx.rt, ctx.session, 'POST', '/me/changePassword', { currentPassword, newPassword });
  } catch (e) {
    // Graph's own words: a wrong current password, a new one the policy refuses, a locked account.
    if (e instanceof GraphRefused && (e.status === 400 || e.status === 403)) return page(ctx, problem(e.message), e.status);
    throw e;
  }
  return { redirect: `${CHANGE_PASSWORD_PATH}?done=1` };
}
