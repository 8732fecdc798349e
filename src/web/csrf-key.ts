import { newOpaqueToken } from '../crypto/random.js';
import type { Services } from '../services.js';
import type { Store } from '../store/store.js';

/** The row of server_secrets that holds the key (store/*\/migrations.ts, version 50). */
const NAME = 'csrf-hmac-key';

const loaded = new WeakMap<Store, Promise<Buffer>>();

/**
 * The server secret CSRF tokens are HMACs under: 256 random bits, created by whichever instance
 * needs it first and kept in the store, so every instance on one database (PostgreSQL) computes
 * the same tokens. Read once per store and kept in memory; a failed read (store down) is
 * forgotten, so the next request tries again.
 */
export function csrfKey(services: Pick<Services, 'store' | 'clock'>): Promise<Buffer> {
  const { store } = services;
  let key = loaded.get(store);
  if (!key) {
    key = store.secrets.getOrCreate(NAME, newOpaqueToken(32), services.clock.now()).then((v) => Buffer.from(v, 'base64url'));
    loaded.set(store, key);
    key.catch(() => loaded.delete(store));
  }
  return key;
}
