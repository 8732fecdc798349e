import type { Grant, RefreshTokenRecord, User } from '../core/model.js';
import { digestCredential } from '../crypto/digest.js';
import type { Services } from '../services.js';

export interface FoundRefreshToken {
  record: RefreshTokenRecord;
  grant: Grant | null;
  user: User | null;
  /** Would the token endpoint redeem it now (the same rules as GrantStore.rotate, read only)? */
  active: boolean;
}

/**
 * A presented refresh token, found by its digest (only digests are stored, I5), with its state:
 * unconsumed, unexpired, of a live grant, of an existing, enabled user whose epoch it carries.
 */
export async function findRefreshToken(presented: string, services: Services): Promise<FoundRefreshToken | null> {
  const found = await services.store.grants.findRefreshToken(digestCredential(presented));
  if (!found || found.token.tenantId !== services.tenant.id) return null;
  const { token: record, grant } = found;
  const user = await services.store.users.findById(record.tenantId, record.userId);
  const active =
    record.consumedAt === null &&
    record.expiresAt > services.clock.now() &&
    grant !== null &&
    grant.revokedAt === null &&
    user !== null &&
    user.accountEnabled &&
    user.revocationEpoch === record.epoch;
  return { record, grant, user, active };
}
