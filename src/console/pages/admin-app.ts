/**
 * One app registration: its ids, redirect URIs by platform (edited with one PATCH), client
 * secrets (their hints only; a new secret's text is shown once, from the session's flash) and the
 * API it exposes (identifier URIs and delegated scopes). Each form is disabled with its reason when
 * the admin's roles may not take it (permission-reason.ts); the server decides regardless.
 */
import { esc } from '../../web/html.js';
import { takeFlash } from '../flash.js';
import { graph } from '../graph.js';
import { actionForm, layout, table, text, when } from '../layout.js';
import type { Outcome, PageContext } from '../page-context.js';
import { whyNotForApps } from '../permission-reason.js';
import { CONSOLE_APP_ID } from '../registration.js';
import { adminOf, appPath, consoleAppPath, type GraphApplication, PLATFORMS } from './app-model.js';

const csrfField = (csrf: string) => `<input type="hidden" name="csrf" value="${esc(csrf)}">`;

/** A form whose submit is disabled, with the reason, when the admin may not send it. */
function guardedForm(o: { action: string; csrf: string; fields: string; label: string; id: string; why: string | null }): string {
  if (o.why)
    return `${o.fields.replace(/<(input|textarea|select)\b/g, '<$1 disabled')}${actionForm({ action: o.action, csrf: o.csrf, label: o.label, disabledReason: o.why, id: o.id })}`;
  return `<form method="post" action="${esc(o.action)}">${csrfField(o.csrf)}${o.fields}<p><button type="submit" id="${o.id}">${esc(o.label)}</button></p></form>`;
}

function redirectSection(app: GraphApplication, ctx: PageContext, why: string | null): string {
  const fields = PLATFORMS.map(
    ([p, label]) =>
      `<label for="uris-${p}">${esc(label)}</label><textarea id="uris-${p}" name="${p}" rows="3">${esc(app[p].redirectUris.join('\n'))}</textarea>`,
  ).join('');
  return `<section aria-labelledby="redirects"><h2 id="redirects">Redirect URIs</h2>
<p class="muted">One a line: <code>https</code>, or <code>http</code> on localhost. Saving replaces all three lists.</p>
${guardedForm({ action: `${consoleAppPath(app.id)}/redirect-uris`, csrf: ctx.csrf, fields, label: 'Save redirect URIs', id: 'save-redirects', why })}</section>`;
}

function secretsSection(app: GraphApplication, ctx: PageContext, why: string | null): string {
  const act = consoleAppPath(app.id);
  const rows = app.passwordCredentials.map((s) => [
    text(s.displayName),
    s.hint ? `<code>${esc(s.hint)}…</code>` : '—',
    when(s.startDateTime),
    when(s.endDateTime),
    actionForm({
      action: `${act}/secrets/remove`,
      csrf: ctx.csrf,
      label: 'Remove',
      fields: { keyId: s.keyId },
      style: 'danger',
      disabledReason: why,
    }),
  ]);
  const add = `<label for="secret-name">Description</label><input id="secret-name" name="displayName" type="text" maxlength="100" autocomplete="off">`;
  return `<section aria-labelledby="secrets"><h2 id="secrets">Client secrets</h2>
${table(['Description', 'Value', 'Valid from', 'Expires', ''], rows, 'Client secrets')}
<h3>New client secret</h3><p class="muted">Valid two years. Its value is shown once, on the next page.</p>
${guardedForm({ action: `${act}/secrets/add`, csrf: ctx.csrf, fields: add, label: 'Add secret', id: 'add-secret', why })}</section>`;
}

function scopesSection(app: GraphApplication, ctx: PageContext, why: string | null): string {
  const uris = app.identifierUris.length > 0 ? app.identifierUris.map((u) => `<code>${esc(u)}</code>`).join('<br>') : '—';
  const rows = app.api.oauth2PermissionScopes.map((s) => [
    `<code>${esc(s.value)}</code>`,
    esc(s.type === 'Admin' ? 'Admins only' : 'Admins and users'),
    esc(s.adminConsentDisplayName),
    s.isEnabled ? '<span class="tag ok">enabled</span>' : '<span class="tag off">disabled</span>',
  ]);
  const fields = `<label for="scope-value">Scope name</label><input id="scope-value" name="value" type="text" required maxlength="120" autocomplete="off" placeholder="Files.Read">
<label for="scope-type">Who can consent</label><select id="scope-type" name="type"><option value="User">Admins and users</option><option value="Admin">Admins only</option></select>
<label for="scope-title">Consent display name</label><input id="scope-title" name="adminConsentDisplayName" type="text" required maxlength="200" autocomplete="off">
<label for="scope-description">Consent description</label><input id="scope-description" name="adminConsentDescription" type="text" required maxlength="400" autocomplete="off">`;
  return `<section aria-labelledby="api"><h2 id="api">Exposed API</h2><dl class="props"><dt>Application ID URI</dt><dd id="identifier-uris">${uris}</dd></dl>
${table(['Scope', 'Who can consent', 'Display name', 'State'], rows, 'Scopes')}
<h3>Add a scope</h3>${app.identifierUris.length === 0 ? `<p class="muted">The app has no Application ID URI: <code>api://${esc(app.appId)}</code> is set with the scope.</p>` : ''}
${guardedForm({ action: `${consoleAppPath(app.id)}/scopes/add`, csrf: ctx.csrf, fields, label: 'Add scope', id: 'add-scope', why })}</section>`;
}

export async function adminAppPage(ctx: PageContext): Promise<Outcome> {
  const [app, admin] = await Promise.all([graph<GraphApplication>(ctx.rt, ctx.session, 'GET', appPath(ctx.params.id ?? '')), adminOf(ctx)]);
  // registration.ts rewrites the console's own redirect URIs at every start; until then a change can lock the console out.
  const own =
    app.appId === CONSOLE_APP_ID
      ? '<p class="notice">This is the console’s own registration. Portcullis restores its redirect URIs at every start; changing them sooner can stop the console from signing in.</p>'
      : '';
  const body = `${takeFlash(ctx.session)}${own}<dl class="props"><dt>Application (client) ID</dt><dd><code id="app-id">${esc(app.appId)}</code></dd>
<dt>Object ID</dt><dd><code>${esc(app.id)}</code></dd><dt>Created</dt><dd>${when(app.createdDateTime)}</dd></dl>
${redirectSection(app, ctx, whyNotForApps(admin, 'updateApplication'))}
${secretsSection(app, ctx, whyNotForApps(admin, 'updateApplicationCredentials'))}
${scopesSection(app, ctx, whyNotForApps(admin, 'updateApplication'))}
<p><a href="/admin/apps">All app registrations</a></p>`;
  return { html: layout(ctx.frame(app.displayName, '/admin/apps'), body) };
}
