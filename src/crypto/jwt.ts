import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import type { SigningKey } from '../core/model.js';
import { decodeBase64url } from './base64url.js';

/**
 * RS256 JSON Web Tokens with node:crypto directly: the private key is imported once and every
 * token costs one signature (RFC 7515 §5.1, RFC 7518 §3.3). Entra and its clients expect RS256.
 */

export type JwtPayload = Record<string, unknown>;

export interface LoadedKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

const b64json = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** RFC 7638 JWK thumbprint: a stable key id derived from the public key. */
function thumbprint(jwk: { e: string; kty: string; n: string }): string {
  const canonical = JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n });
  return createHash('sha256').update(canonical).digest('base64url');
}

export function generateSigningKey(now: number): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return toSigningKey(privateKey, publicKey, now);
}

/**
 * generateSigningKey on libuv's thread pool. An RSA-2048 key takes 50 to 600 ms to find (its
 * primes are searched at random); the first start makes one, and meanwhile the event loop can
 * build the HTTP server.
 */
export function generateSigningKeyAsync(now: number): Promise<SigningKey> {
  return new Promise((resolve, reject) => {
    generateKeyPair('rsa', { modulusLength: 2048 }, (error, publicKey, privateKey) => {
      if (error) reject(error);
      else resolve(toSigningKey(privateKey, publicKey, now));
    });
  });
}

function toSigningKey(privateKey: KeyObject, publicKey: KeyObject, now: number): SigningKey {
  const jwk = publicKey.export({ format: 'jwk' }) as { e: string; kty: string; n: string };
  const kid = thumbprint(jwk);
  return {
    kid,
    alg: 'RS256',
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicJwk: { kty: 'RSA', use: 'sig', alg: 'RS256', kid, n: jwk.n, e: jwk.e },
    createdAt: now,
    activatesAt: now,
    retiredAt: null,
  };
}

export function loadKey(k: SigningKey): LoadedKey {
  const privateKey = createPrivateKey(k.privateKeyPem);
  return { kid: k.kid, privateKey, publicKey: createPublicKey(privateKey), publicJwk: k.publicJwk };
}

/**
 * The encoded JOSE header (RFC 7515 §4) of a key and `typ`: the same bytes for every token the key
 * signs, so it is encoded once per key and type rather than per token.
 */
const encodedHeaders = new WeakMap<LoadedKey, Map<string, string>>();
function encodedHeader(key: LoadedKey, typ: string): string {
  let byTyp = encodedHeaders.get(key);
  if (!byTyp) {
    byTyp = new Map();
    encodedHeaders.set(key, byTyp);
  }
  let header = byTyp.get(typ);
  if (header === undefined) {
    header = b64json({ typ, alg: 'RS256', kid: key.kid });
    byTyp.set(typ, header);
  }
  return header;
}

export function signJwt(key: LoadedKey, payload: JwtPayload, typ = 'JWT'): string {
  const signingInput = `${encodedHeader(key, typ)}.${b64json(payload)}`;
  const signature = sign('sha256', Buffer.from(signingInput), key.privateKey).toString('base64url');
  return `${signingInput}.${signature}`;
}

/**
 * The same token as signJwt, but the RSA private-key operation (about a quarter of a millisecond
 * for 2048 bits, the largest cost of a token response) runs on libuv's thread pool: the event loop
 * meanwhile parses, commits and answers other requests, and a single process uses every core.
 */
export function signJwtAsync(key: LoadedKey, payload: JwtPayload, typ = 'JWT'): Promise<string> {
  const signingInput = `${encodedHeader(key, typ)}.${b64json(payload)}`;
  return new Promise((resolve, reject) => {
    sign('sha256', Buffer.from(signingInput), key.privateKey, (error, signature) => {
      if (error) reject(error);
      else resolve(`${signingInput}.${signature.toString('base64url')}`);
    });
  });
}

export type JwtVerifyFailure = 'malformed' | 'unknown_key' | 'bad_signature';

/** A JSON object from one canonical base64url segment; null for anything else. */
function jsonSegment(segment: string): JwtPayload | null {
  const bytes = decodeBase64url(segment);
  if (!bytes) return null;
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JwtPayload) : null;
  } catch {
    return null;
  }
}

/**
 * Checks structure and signature only; claims (exp, aud, iss) are the caller's to check
 * (src/core/access-token-reader.ts for access tokens). Every segment must be canonical base64url
 * (crypto/base64url.ts), the signature included: a re-spelled signature is `malformed`.
 */
export function verifyJwtSignature(
  token: string,
  keyById: (kid: string) => LoadedKey | undefined,
): { ok: true; header: JwtPayload; payload: JwtPayload } | { ok: false; reason: JwtVerifyFailure } {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [h, p, s] = parts as [string, string, string];
  const header = jsonSegment(h);
  const payload = jsonSegment(p);
  const signature = decodeBase64url(s);
  if (!header || !payload || !signature) return { ok: false, reason: 'malformed' };
  if (header.alg !== 'RS256' || typeof header.kid !== 'string') return { ok: false, reason: 'unknown_key' };
  const key = keyById(header.kid);
  if (!key) return { ok: false, reason: 'unknown_key' };
  const good = verify('sha256', Buffer.from(`${h}.${p}`), key.publicKey, signature);
  return good ? { ok: true, header, payload } : { ok: false, reason: 'bad_signature' };
}
