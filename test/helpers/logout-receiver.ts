import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';

/**
 * A relying party's back-channel logout endpoint on loopback (OpenID Connect Back-Channel
 * Logout 1.0 §2.5): records every raw POST, answers with the status `respond` chooses (200 by
 * default). Tests count the raw POSTs, so a duplicate delivery cannot hide.
 */
export interface ReceivedPost {
  path: string;
  contentType: string | undefined;
  /** Every form field name, to prove logout_token is the only one. */
  fields: string[];
  logoutToken: string | null;
  status: number;
}

export class LogoutReceiver {
  readonly posts: ReceivedPost[] = [];
  /**
   * The status answered to the n-th (1-based) POST to `path`; `sameJti` counts the earlier POSTs
   * of a token with the same jti (0 for its first attempt).
   */
  respond: (path: string, n: number, sameJti: number) => number = () => 200;

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(port = 0): Promise<LogoutReceiver> {
    let receiver: LogoutReceiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = receiver!;
        const path = (req.url ?? '/').split('?')[0]!;
        const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
        const n = r.posts.filter((p) => p.path === path).length + 1;
        const logoutToken = form.get('logout_token');
        const jti = jtiOf(logoutToken);
        const sameJti = r.posts.filter((p) => jti !== null && jtiOf(p.logoutToken) === jti).length;
        const status = req.method === 'POST' ? r.respond(path, n, sameJti) : 405;
        r.posts.push({ path, contentType: req.headers['content-type'], fields: [...form.keys()], logoutToken, status });
        // §2.8: the RP answers 200 with Cache-Control: no-store.
        res.writeHead(status, { 'cache-control': 'no-store' }).end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    receiver = new LogoutReceiver(server, (server.address() as AddressInfo).port);
    return receiver;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  accepted(path?: string): ReceivedPost[] {
    return this.posts.filter((p) => p.status >= 200 && p.status < 300 && (path === undefined || p.path === path));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The jti of a JWT without verifying it (for counting attempts only). */
function jtiOf(token: string | null): string | null {
  try {
    const jti = token ? (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { jti?: unknown }).jti : null;
    return typeof jti === 'string' ? jti : null;
  } catch {
    return null;
  }
}

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * Verifies a logout token as a relying party must (§2.6): signature with the issuer's JWKS,
 * explicit type, iss, aud, iat/exp, jti, the events claim, sub and/or sid, no nonce.
 * Returns the verified payload and the kid it was signed with.
 */
export async function verifyLogoutToken(
  token: string,
  jwks: JSONWebKeySet,
  expected: { issuer: string; audience: string },
): Promise<{ payload: JWTPayload & { sid?: string; events?: unknown; nonce?: unknown }; kid: string }> {
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: expected.issuer,
    audience: expected.audience,
    algorithms: ['RS256'],
    typ: 'logout+jwt',
  });
  assert.equal(protectedHeader.typ, 'logout+jwt');
  assert.equal(typeof payload.jti, 'string');
  assert.equal(typeof payload.iat, 'number');
  assert.ok(typeof payload.exp === 'number' && payload.exp > payload.iat! && payload.exp - payload.iat! <= 300, 'short-lived');
  assert.deepEqual(payload.events, { [BACKCHANNEL_LOGOUT_EVENT]: {} });
  assert.ok(payload.sub || payload.sid, 'sub and/or sid');
  assert.equal((payload as { nonce?: unknown }).nonce, undefined, 'a logout token must not carry a nonce');
  return { payload, kid: decodeProtectedHeader(token).kid! };
}
