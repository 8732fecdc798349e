/**
 * Changes to one app registration, each one Graph call (docs/graph-api.md "Applications"):
 * redirect URIs and a new scope by PATCH (collections are replaced wholesale, so the current ones
 * are sent along), secrets by addPassword / removePassword.
 */
import { randomUUID } from 'node:crypto';
import { graph } from '../graph.js';
import type { Outcome, PageContext } from '../page-context.js';
import { appPath, consoleAppPath, type GraphApplication, PLATFORMS, uriLines } from './app-model.js';

const back = (ctx: PageContext, anchor: string): Outcome => ({ redirect: `${consoleAppPath(ctx.params.id ?? '')}#${anchor}` });

export async function saveRedirectUris(ctx: PageContext): Promise<Outcome> {
  const patch = Object.fromEntries(PLATFORMS.map(([p]) => [p, { redirectUris: uriLines(ctx.form[p]) }]));
  await graph(ctx.rt, ctx.session, 'PATCH', appPath(ctx.params.id ?? ''), patch);
  return back(ctx, 'redirects');
}

/** The secret text is in addPassword's answer only: it goes to the one-time flash, never to a URL or the log. */
export async function addSecret(ctx: PageContext): Promise<Outcome> {
  const displayName = (ctx.form.displayName ?? '').trim();
  const created = await graph<{ secretText: string; keyId: string }>(
    ctx.rt,
    ctx.session,
    'POST',
    `${appPath(ctx.params.id ?? '')}/addPassword`,
    displayName ? { passwordCredential: { displayName } } : {},
  );
  ctx.session.flash = { title: 'New client secret', lines: [['Value', created.secretText]] };
  return back(ctx, 'secrets');
}

export async function removeSecret(ctx: PageContext): Promise<Outcome> {
  await graph(ctx.rt, ctx.session, 'POST', `${appPath(ctx.params.id ?? '')}/removePassword`, { keyId: ctx.form.keyId ?? '' });
  return back(ctx, 'secrets');
}

export async function addScope(ctx: PageContext): Promise<Outcome> {
  const path = appPath(ctx.params.id ?? '');
  const app = await graph<GraphApplication>(ctx.rt, ctx.session, 'GET', path);
  const scope = {
    id: randomUUID(),
    value: (ctx.form.value ?? '').trim(),
    type: ctx.form.type === 'Admin' ? 'Admin' : 'User',
    isEnabled: true,
    adminConsentDisplayName: (ctx.form.adminConsentDisplayName ?? '').trim(),
    adminConsentDescription: (ctx.form.adminConsentDescription ?? '').trim(),
  };
  await graph(ctx.rt, ctx.session, 'PATCH', path, {
    ...(app.identifierUris.length === 0 ? { identifierUris: [`api://${app.appId}`] } : {}),
    api: { ...app.api, oauth2PermissionScopes: [...app.api.oauth2PermissionScopes, scope] },
  });
  return back(ctx, 'api');
}
