import { SHARED_SIGNALS_PERMISSION } from '../../../src/core/permissions.js';
import { hashSecret } from '../../../src/crypto/passwords.js';
import { newGuid } from '../../../src/crypto/random.js';
import type { Store } from '../../../src/store/store.js';
import { application } from '../../helpers/harness.js';

/**
 * Two Shared Signals receivers the fuzz server adds to the seeded tenant: `a` owns the streams the
 * generators aim at, `b` owns one stream that `a` must never see (src/ssf/http.ts ownStream).
 */
export const SSF_RECEIVERS = {
  a: 'f022f022-0000-4000-8000-00000000000a',
  b: 'f022f022-0000-4000-8000-00000000000b',
} as const;
export const SSF_RECEIVER_SECRET = 'fuzz-receiver-secret-0123456789';

export async function addSsfReceivers(store: Store): Promise<void> {
  for (const appId of Object.values(SSF_RECEIVERS)) {
    const secret = {
      keyId: newGuid(),
      hash: await hashSecret(SSF_RECEIVER_SECRET),
      hint: SSF_RECEIVER_SECRET.slice(0, 3),
      displayName: null,
      endDateTime: null,
    };
    await store.applications.upsert(
      application({
        appId,
        displayName: `Fuzz receiver ${appId.slice(-1)}`,
        secrets: [secret],
        applicationPermissions: [SHARED_SIGNALS_PERMISSION],
        delegatedPermissions: [],
      }),
    );
  }
}
