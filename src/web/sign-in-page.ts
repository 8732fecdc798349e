import { esc, hidden, page } from './html.js';

/**
 * The sign-in form. Works without JavaScript: a plain POST of `username` and `password` with the
 * CSRF token and the original authorization request in hidden fields.
 */
export function signInPage(args: {
  action: string;
  csrf: string;
  appName: string;
  username: string;
  error: string | null;
  hiddenFields: Record<string, string>;
  tenantName: string;
}): string {
  const fields = Object.entries(args.hiddenFields)
    .map(([k, v]) => hidden(k, v))
    .join('');
  const error = args.error ? `<p class="error" role="alert">${esc(args.error)}</p>` : '';
  return page(
    'Sign in to your account',
    `<h1>Sign in</h1><p class="muted">to continue to ${esc(args.appName)}</p>${error}
<form method="post" action="${esc(args.action)}">${hidden('csrf', args.csrf)}${fields}
<label for="username">Email or username</label><input id="username" name="username" type="text" autocomplete="username" value="${esc(args.username)}" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form><p class="muted">${esc(args.tenantName)}</p>`,
  );
}

export function errorPage(title: string, message: string, detail: string): string {
  return page(title, `<h1>${esc(title)}</h1><p>${esc(message)}</p><p class="muted"><code>${esc(detail)}</code></p>`);
}

export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${esc(title)}</h1><p>${esc(message)}</p>`);
}
