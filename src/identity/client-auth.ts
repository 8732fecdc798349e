import type { FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import type { Subject } from '../core/attempt-limiter.js';
import { lockoutKey, sourceOf } from '../core/lockout.js';
import type { Application, ClientSecret } from '../core/model.js';
import { verifySecret } from '../crypto/passwords.js';
import type { Services } from '../services.js';
import { correlationIdOf } from './error-response.js';
import { AADSTS, InvalidRequest } from './oauth-errors.js';
import type { Params } from './params.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface AuthenticatedClient {
  app: Application;
  /** True when the request proved a client secret (azpacr "1"). */
  authenticated: boolean;
}

/**
 * Verified (app, secret digest) pairs, so a confidential client pays for argon2 once per five
 * minutes rather than on every request. Holds only SHA-256 digests, never secrets. An entry
 * remembers WHICH credential (keyId) the secret matched and counts only while the app, read from
 * the store on every request, still holds that credential within its validity: a secret removed
 * or expired on any instance stops working on every instance at once, with no invalidation.
 */
export class VerifiedSecretCache {
  private readonly entries = new Map<string, { until: number; keyId: string }>();
  key(appId: string, secret: string): string {
    return createHash('sha256').update(`${appId}\u0000${secret}`).digest('base64url');
  }
  /** The keyId of the credential a verified secret matched, while it counts; null otherwise. */
  keyIdOf(key: string, app: Application, now: number): string | null {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.until <= now) return null;
    const credential = app.secrets.find((s) => s.keyId === entry.keyId);
    return credential !== undefined && isCurrent(credential, now) ? credential.keyId : null;
  }
  add(key: string, keyId: string, now: number): void {
    if (this.entries.size >= 1000) this.entries.clear();
    this.entries.set(key, { until: now + 5 * 60_000, keyId });
  }
}

/** A credential counts from its startDateTime until (not at) its endDateTime. */
const isCurrent = (s: ClientSecret, now: number): boolean =>
  (s.endDateTime === null || s.endDateTime > now) && (s.startDateTime === undefined || s.startDateTime === null || s.startDateTime <= now);

/** RFC 6749 §2.3.1: HTTP Basic with form-urlencoded id and secret. */
function basicCredentials(req: FastifyRequest): { id: string; secret: string } | null {
  const h = req.headers.authorization;
  if (!h || !/^basic /i.test(h)) return null;
  const decoded = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidRequest(900144, 'The Authorization header is not valid HTTP Basic client authentication.');
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    throw new InvalidRequest(900144, 'The Authorization header is not valid HTTP Basic client authentication.');
  }
}

export async function findClient(services: Services, clientId: string): Promise<Application> {
  if (!GUID.test(clientId)) throw AADSTS.invalidClientId(clientId.slice(0, 100));
  const app = await services.store.applications.findByAppId(services.tenant.id, clientId.toLowerCase());
  if (!app) throw AADSTS.unknownClient(clientId, services.tenant.id);
  return app;
}

/**
 * How far a client authentication got, filled in as it goes, so that a caller catching its error
 * still knows which client was named and what it presented (the sign-in log of app-only requests,
 * grants/client-credentials.ts). Nothing secret: the client id, the application, the keyId of the
 * secret that matched.
 */
export interface ClientAttempt {
  /** The client id, lower-cased, once it is a well-formed GUID (before the application is looked up). */
  clientId?: string;
  app?: Application;
  secretPresented?: boolean;
  /** The keyId of the credential the secret matched. */
  keyId?: string;
}

/** client_secret_post or client_secret_basic (never both, RFC 6749 §2.3); no secret = public client. */
export async function authenticateClient(
  req: FastifyRequest,
  params: Params,
  services: Services,
  cache: VerifiedSecretCache,
  attempt: ClientAttempt = {},
): Promise<AuthenticatedClient> {
  const basic = basicCredentials(req);
  const postedSecret = params.get('client_secret');
  if (basic && postedSecret !== undefined) {
    throw new InvalidRequest(900144, 'The client must use only one authentication method (client_secret_basic or client_secret_post).');
  }
  const clientId = basic?.id ?? params.require('client_id');
  const bodyId = params.get('client_id');
  if (basic && bodyId !== undefined && bodyId !== basic.id)
    throw new InvalidRequest(900144, 'client_id does not match the Authorization header.');
  const secret = basic?.secret ?? postedSecret;
  attempt.secretPresented = secret !== undefined;
  if (GUID.test(clientId)) attempt.clientId = clientId.toLowerCase();
  const app = await findClient(services, clientId);
  attempt.app = app;
  if (secret === undefined) return { app, authenticated: false };

  const now = services.clock.now();
  const key = cache.key(app.appId, secret);
  // A secret verified in the last minutes is right whatever the counters say: a guesser who
  // locked the client id out cannot lock out the client that holds the secret (on this instance).
  const cachedKeyId = cache.keyIdOf(key, app, now);
  if (cachedKeyId !== null) {
    attempt.keyId = cachedKeyId;
    return { app, authenticated: true };
  }
  const limits = services.config.abuse;
  const client: Subject = { key: lockoutKey.client(app.appId), policy: limits.clientSecret };
  const source: Subject = { key: lockoutKey.clientSource(sourceOf(req.ip)), policy: limits.sourceClientSecret, concurrency: 4 };
  // Secret guessing: refused with 429 + Retry-After before the secret is checked (docs/configuration.md).
  const verified = await services.limiter.exclusive(
    [source, client],
    async () => {
      // Another request may have verified the same secret while this one waited at the gate.
      const verifiedMeanwhile = cache.keyIdOf(key, app, now);
      if (verifiedMeanwhile !== null) {
        attempt.keyId = verifiedMeanwhile;
        return true;
      }
      const wait = await services.limiter.lockedFor([source, client]);
      if (wait > 0) throw AADSTS.clientAuthThrottled(wait);
      const matched = await matchingSecret(app, secret, now);
      if (matched === 'expired') return 'expired';
      if (matched) {
        attempt.keyId = matched.keyId;
        cache.add(key, matched.keyId, now);
        await services.limiter.reset(client);
        return true;
      }
      await services.limiter.recordFailure([source, client], correlationIdOf(req));
      return false;
    },
    () => {
      throw AADSTS.clientAuthThrottled(1);
    },
  );
  // The holder of a real (if expired) secret is told so (Entra's AADSTS7000222), as Entra does.
  if (verified === 'expired') throw AADSTS.expiredClientSecret(app.appId);
  if (!verified) throw AADSTS.invalidClientSecret(app.appId);
  return { app, authenticated: true };
}

/**
 * The current credential the secret matches; 'expired' when it matches only one past its
 * endDateTime (checked after the current ones, so a valid secret costs no extra argon2).
 */
async function matchingSecret(app: Application, secret: string, now: number): Promise<ClientSecret | 'expired' | null> {
  for (const s of app.secrets) {
    if (isCurrent(s, now) && (await verifySecret(s.hash, secret))) return s;
  }
  for (const s of app.secrets) {
    if (s.endDateTime !== null && s.endDateTime <= now && (await verifySecret(s.hash, secret))) return 'expired';
  }
  return null;
}

/** Apps that can keep a secret must prove it; public and SPA registrations need not. */
export function isConfidentialOnly(app: Application): boolean {
  return (
    app.secrets.length > 0 && app.publicClientRedirectUris.length === 0 && app.spaRedirectUris.length === 0 && !app.allowPublicClientFlows
  );
}
