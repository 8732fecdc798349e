import type { Application } from '../core/model.js';
import {
  GRAPH_RESOURCE_APP_ID,
  GRAPH_RESOURCE_URI,
  OIDC_SCOPES,
  canonicalPermission,
  isKnownDelegatedPermission,
} from '../core/permissions.js';
import { AADSTS } from './oauth-errors.js';

/**
 * The `scope` parameter of the Microsoft identity platform: OIDC scopes plus permissions of one
 * resource, written bare (`User.Read`), resource-qualified (`https://graph.microsoft.com/User.Read`)
 * or as `{resource}/.default` (every permission consented for the app).
 */
export interface RequestedScopes {
  /** openid, profile, email, offline_access (lower case). */
  oidc: string[];
  /** Canonical Graph permission names granted. */
  graph: string[];
  /** What the token response's `scope` says, in the spelling the client used. */
  echo: string[];
}

/** Permission every app holds without consent (as Entra's default User.Read). */
const IMPLICIT = 'User.Read';

function isGraphResource(resource: string, publicUrl: string): boolean {
  const r = resource.replace(/\/+$/, '').toLowerCase();
  return r === GRAPH_RESOURCE_URI || r === GRAPH_RESOURCE_APP_ID || r === publicUrl.toLowerCase();
}

export function splitScopeParam(raw: string | undefined): string[] {
  return (raw ?? '').split(/\s+/).filter(Boolean);
}

/** Parses delegated scopes and checks the app holds (admin consent for) each Graph permission. */
export function parseDelegatedScopes(raw: string | undefined, app: Application, publicUrl: string, tenantName: string): RequestedScopes {
  const oidc = new Set<string>();
  const graph = new Set<string>();
  const echo: string[] = [];
  const consented = new Set(app.delegatedPermissions.map((p) => p.toLowerCase()));
  for (const s of splitScopeParam(raw)) {
    const lower = s.toLowerCase();
    if ((OIDC_SCOPES as readonly string[]).includes(lower)) {
      oidc.add(lower);
      echo.push(lower);
      continue;
    }
    const slash = s.lastIndexOf('/');
    const resource = slash >= 0 ? s.slice(0, slash) : null;
    const name = slash >= 0 ? s.slice(slash + 1) : s;
    if (resource !== null && !isGraphResource(resource, publicUrl)) throw AADSTS.unknownResource(resource.slice(0, 200), tenantName);
    if (name === '.default') {
      for (const p of app.delegatedPermissions) graph.add(canonicalPermission(p) ?? p);
      graph.add(IMPLICIT);
      for (const p of graph) echo.push(`${GRAPH_RESOURCE_URI}/${p}`);
      continue;
    }
    const canonical = canonicalPermission(name);
    if (!canonical || !isKnownDelegatedPermission(canonical)) throw AADSTS.invalidScope(s.slice(0, 200));
    if (canonical !== IMPLICIT && !consented.has(canonical.toLowerCase())) throw AADSTS.notConsented(app.appId, canonical);
    graph.add(canonical);
    echo.push(s);
  }
  if (graph.size === 0) {
    graph.add(IMPLICIT);
    echo.push(IMPLICIT);
  }
  return { oidc: [...oidc], graph: [...graph], echo: [...new Set(echo)] };
}

/** Client credentials: exactly `{resource}/.default` (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc; AADSTS1002012). */
export function checkClientCredentialsScope(raw: string, publicUrl: string, tenantName: string): void {
  const parts = splitScopeParam(raw);
  if (parts.length !== 1) throw AADSTS.clientCredentialsScope(raw.slice(0, 200));
  const s = parts[0] as string;
  if (!s.endsWith('/.default')) throw AADSTS.clientCredentialsScope(s.slice(0, 200));
  const resource = s.slice(0, -'/.default'.length);
  if (!isGraphResource(resource, publicUrl)) throw AADSTS.unknownResource(resource.slice(0, 200), tenantName);
}
