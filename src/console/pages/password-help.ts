/**
 * Where "This wasn't me" ends. Portcullis has no self-service password change (a user may change
 * only their own displayName, docs/graph-api.md "Permissions"), so this page says what was done
 * and who can set a new password. Shown without a session: the user was just signed out everywhere.
 */
import { layout } from '../layout.js';

export function passwordHelpPage(): string {
  return layout(
    { area: 'account', title: 'You were signed out everywhere' },
    `<section><p>Every browser and app signed in with your account has been signed out, this one too. Whoever signed in as you has lost access, unless they know your password.</p>
<h2>Change your password</h2>
<p>Portcullis has no self-service password change. Ask your administrator (or helpdesk) to reset your password: they can do it from the admin console (<strong>Users</strong> → your name → <strong>Reset password</strong>), which also signs out everything again.</p>
<p>Until then, tell them which sign-in you did not recognise: they can see it in the sign-in log.</p>
<p><a class="button" href="/myaccount">Sign in again</a></p></section>`,
  );
}
