import type { Application } from '../core/model.js';
import {
  GRAPH_RESOURCE_APP_ID,
  GRAPH_RESOURCE_URI,
  OIDC_SCOPES,
  canonicalPermission,
  isKnownDelegatedPermission,
} from '../core/permissions.js';
import type { Services } from '../services.js';
import { AADSTS } from './oauth-errors.js';
import { type ApiResource, delegatedApiScopes, findApiResource, appRolesAssigned } from './api-resource.js';

/**
 * The `scope` parameter of the Microsoft identity platform: OIDC scopes plus permissions of ONE
 * resource — Microsoft Graph (bare `User.Read`, `https://graph.microsoft.com/User.Read`) or an app
 * that exposes an API (`{identifier URI}/{value}` or `{appId}/{value}`) — or `{resource}/.default`
 * (every permission consented for the client).
 * https://learn.microsoft.com/entra/identity-platform/scopes-oidc
 */
export type ScopeResource = { kind: 'graph' } | ApiResource;

export interface RequestedScopes {
  /** openid, profile, email, offline_access (lower case). */
  oidc: string[];
  /** Whose permissions these are (the access token's audience). */
  resource: ScopeResource;
  /** Permission values granted: the `scp` claim (canonical Graph names, or the API's scope values). */
  permissions: string[];
  /** What the token response's `scope` says, in the spelling the client used. */
  echo: string[];
}

/** Who asks: the client application, and where to look resources up. */
export interface ScopeContext {
  services: Pick<Services, 'store' | 'tenant' | 'config'>;
  app: Application;
}

/** Permission every app holds without consent (as Entra's default User.Read). */
const IMPLICIT = 'User.Read';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** An absolute URI (RFC 3986 §3.1 scheme followed by ':'), e.g. `api://…` or `https://…`. */
const ABSOLUTE_URI = /^[a-z][a-z0-9+.-]*:/i;

function isGraphResource(resource: string, publicUrl: string): boolean {
  const r = resource.replace(/\/+$/, '').toLowerCase();
  return r === GRAPH_RESOURCE_URI || r === GRAPH_RESOURCE_APP_ID || r === publicUrl.toLowerCase();
}

export function splitScopeParam(raw: string | undefined): string[] {
  return (raw ?? '').split(/\s+/).filter(Boolean);
}

/**
 * The resource a scope's prefix names. A prefix that is neither a GUID nor an absolute URI is a
 * format error (AADSTS70011); one naming no app that exposes an API is AADSTS500011.
 */
async function resolveResource(prefix: string, scope: string, ctx: ScopeContext): Promise<ScopeResource> {
  const { services } = ctx;
  if (isGraphResource(prefix, services.config.publicUrl)) return { kind: 'graph' };
  if (!GUID.test(prefix) && !ABSOLUTE_URI.test(prefix)) throw AADSTS.invalidScopeFormat(scope.slice(0, 200));
  const api = await findApiResource(services, prefix);
  if (!api) throw AADSTS.unknownResource(prefix.slice(0, 200), services.tenant.domain);
  return api;
}

const resourceKey = (r: ScopeResource): string => (r.kind === 'graph' ? GRAPH_RESOURCE_APP_ID : r.app.appId);

/**
 * Parses delegated scopes and checks the client holds admin consent for each permission: Graph's
 * in `delegatedPermissions`, another API's in `resourceGrants` (only its enabled scopes count).
 */
export async function parseDelegatedScopes(raw: string | undefined, ctx: ScopeContext): Promise<RequestedScopes> {
  const oidc = new Set<string>();
  const permissions = new Set<string>();
  const echo: string[] = [];
  let resource: ScopeResource | null = null;
  for (const s of splitScopeParam(raw)) {
    const lower = s.toLowerCase();
    if ((OIDC_SCOPES as readonly string[]).includes(lower)) {
      oidc.add(lower);
      echo.push(lower);
      continue;
    }
    const slash = s.lastIndexOf('/');
    const name = slash >= 0 ? s.slice(slash + 1) : s;
    const here: ScopeResource = slash >= 0 ? await resolveResource(s.slice(0, slash), s, ctx) : { kind: 'graph' };
    // One resource per token request (https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow).
    if (resource !== null && resourceKey(resource) !== resourceKey(here)) throw AADSTS.multipleResources(splitScopeParam(raw).join(' '));
    resource ??= here;
    if (resource.kind === 'api') {
      for (const value of delegatedApiScopes(resource, ctx.app, name, s)) {
        permissions.add(value);
        echo.push(`${resource.requestedAs}/${value}`);
      }
      continue;
    }
    if (name === '.default') {
      const graph = new Set([...ctx.app.delegatedPermissions.map((p) => canonicalPermission(p) ?? p), IMPLICIT]);
      for (const p of graph) {
        permissions.add(p);
        echo.push(`${GRAPH_RESOURCE_URI}/${p}`);
      }
      continue;
    }
    const canonical = canonicalPermission(name);
    if (!canonical || !isKnownDelegatedPermission(canonical)) throw AADSTS.invalidScope(s.slice(0, 200));
    const consented = ctx.app.delegatedPermissions.some((p) => p.toLowerCase() === canonical.toLowerCase());
    if (canonical !== IMPLICIT && !consented) throw AADSTS.notConsented(ctx.app.appId, canonical);
    permissions.add(canonical);
    echo.push(s);
  }
  if (resource === null) {
    resource = { kind: 'graph' };
    permissions.add(IMPLICIT);
    echo.push(IMPLICIT);
  }
  return { oidc: [...oidc], resource, permissions: [...permissions], echo: [...new Set(echo)] };
}

/**
 * What a grant records so a later refresh can re-parse it: Graph permissions by their bare names
 * (as before resources existed), another API's as `{resource as requested}/{value}`.
 */
export function grantScopes(scopes: RequestedScopes): string[] {
  const r = scopes.resource;
  const permissions = r.kind === 'graph' ? scopes.permissions : scopes.permissions.map((p) => `${r.requestedAs}/${p}`);
  return [...scopes.oidc, ...permissions];
}

/** The target of a client-credentials request and the app roles it carries (`roles`). */
export type AppOnlyTarget = { kind: 'graph' } | (ApiResource & { roles: string[] });

/**
 * Client credentials: exactly `{resource}/.default` (AADSTS1002012,
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow). For an
 * API, the client must hold at least one of its enabled application roles (AADSTS501051).
 */
export async function resolveClientCredentialsScope(raw: string, ctx: ScopeContext): Promise<AppOnlyTarget> {
  const parts = splitScopeParam(raw);
  if (parts.length !== 1) throw AADSTS.clientCredentialsScope(raw.slice(0, 200));
  const s = parts[0] as string;
  if (!s.endsWith('/.default')) throw AADSTS.clientCredentialsScope(s.slice(0, 200));
  const resource = await resolveResource(s.slice(0, -'/.default'.length), s, ctx);
  if (resource.kind === 'graph') return resource;
  const roles = appRolesAssigned(resource.app, ctx.app);
  if (roles.length === 0) throw AADSTS.appRoleNotAssigned(ctx.app, resource.app);
  return { ...resource, roles };
}
