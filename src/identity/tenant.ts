import type { Tenant } from '../core/model.js';
import { AADSTS } from './oauth-errors.js';

/**
 * The `{tenant}` path segment: the tenant GUID, its domain, or the multi-tenant aliases
 * `common` and `organizations` (https://learn.microsoft.com/entra/identity-platform/v2-protocols-oidc). This deployment serves one tenant.
 */
export function resolveTenant(segment: string, tenant: Tenant): Tenant {
  const s = segment.toLowerCase();
  if (s === tenant.id.toLowerCase() || s === tenant.domain.toLowerCase() || s === 'common' || s === 'organizations') return tenant;
  throw AADSTS.tenantNotFound(segment.slice(0, 100));
}
