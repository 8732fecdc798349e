import { randomInt } from 'node:crypto';
import type { Clock } from '../clock.js';
import { sha256Base64url } from '../crypto/digest.js';
import { randomBase64url } from '../crypto/random.js';
import type { AppConfig } from '../config.js';
import type { KeyRing } from './key-ring.js';
import type { Application, Tenant, User } from './model.js';
import { GRAPH_RESOURCE_APP_ID } from './permissions.js';

/**
 * Mints the JWTs of the Microsoft identity platform v2.0 endpoint with the claims of
 * https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference. Access tokens are for Portcullis's Graph-compatible API or for an app that exposes an API.
 */
/**
 * A resource other than Microsoft Graph: an app that exposes an API. Its token follows the
 * version the API asked for, with that version's claims (src/identity/api-resource.ts).
 */
export interface TokenAudience {
  resourceAppId: string;
  /** v1.0: the resource as requested (identifier URI or appId); v2.0: the appId. */
  aud: string;
  version: '1.0' | '2.0';
}

export interface DelegatedTokenRequest {
  user: User;
  app: Application;
  /** Delegated permissions granted (the `scp` claim): Graph's, or the `resource` API's scope values. */
  graphScopes: string[];
  /** Absent: a token for Portcullis's Graph-compatible API. */
  resource?: TokenAudience;
  /** OIDC scopes asked for (openid, profile, email, offline_access). */
  oidcScopes: string[];
  sessionId: string | null;
  authTime: number;
  nonce: string | null;
  /** `azpacr`: 0 public client, 1 client secret. */
  clientAuthenticated: boolean;
  /**
   * The revocation epoch of the credential the token comes from, published as `pc_epoch` so the
   * Graph API can refuse the token exactly when the user's epoch has moved on (I6, docs/revocation-model.md).
   */
  epoch?: number;
  /**
   * The grant the token comes from, published as `pc_gid` so the Graph API can refuse the token
   * once that grant is revoked (RFC 7009 §2.1: revoking a refresh token should invalidate the
   * access tokens of the same grant).
   */
  grantId?: string;
  /** Declared client capabilities (`xms_cc`, https://learn.microsoft.com/entra/identity-platform/claims-challenge); `cp1` marks a CAE-capable client. */
  clientCapabilities?: string[];
}

/** An app-only token for an API: its audience and the assigned app roles' values. */
export interface AppOnlyAudience extends TokenAudience {
  roles: string[];
}

export interface IssuedTokens {
  accessToken: string;
  expiresIn: number;
  idToken: string | null;
  /** True when the token got the long CAE lifetime (config.tokens.caeAccessToken*Seconds). */
  longLived?: boolean;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

/** Entra's `uti`: a unique token identifier, 16 random bytes base64url. */
const uti = (): string => randomBase64url(16);

export class TokenIssuer {
  constructor(
    private readonly keys: KeyRing,
    private readonly clock: Clock,
    private readonly config: Readonly<AppConfig>,
    private readonly tenant: Tenant,
  ) {}

  get issuer(): string {
    return `${this.config.publicUrl}/${this.tenant.id}/v2.0`;
  }

  /**
   * The `iss` of v1.0 access tokens (an API with requestedAccessTokenVersion null or 1). Entra
   * writes `https://sts.windows.net/{tid}/`; ours is the v2.0 issuer without its `v2.0` segment,
   * on this deployment's own origin.
   */
  get issuerV1(): string {
    return `${this.config.publicUrl}/${this.tenant.id}/`;
  }

  /** `sub` is pairwise per application (Entra: unique to the user and app). */
  pairwiseSubject(userId: string, appId: string): string {
    return sha256Base64url(`${this.tenant.id}|${userId}|${appId}`).slice(0, 43);
  }

  private accessTokenLifetime(): number {
    const { accessTokenMinSeconds: min, accessTokenMaxSeconds: max } = this.config.tokens;
    return min === max ? min : randomInt(min, max + 1);
  }

  /**
   * A CAE-capable client (cp1) may get a long-lived token when configured: Graph refuses it at
   * once after a revoke with a claims challenge the client knows how to answer (https://learn.microsoft.com/entra/identity-platform/claims-challenge).
   */
  private delegatedLifetime(req: DelegatedTokenRequest): { seconds: number; longLived: boolean } {
    const { caeAccessTokenMinSeconds: min, caeAccessTokenMaxSeconds: max } = this.config.tokens;
    if (max > 0 && (req.clientCapabilities ?? []).includes('cp1')) {
      return { seconds: min === max ? min : randomInt(min, max + 1), longLived: true };
    }
    return { seconds: this.accessTokenLifetime(), longLived: false };
  }

  /** The claims of a delegated access token and, when `openid` was granted, of its ID token. */
  private delegatedClaims(req: DelegatedTokenRequest): {
    access: Record<string, unknown>;
    id: Record<string, unknown> | null;
    expiresIn: number;
    longLived: boolean;
  } {
    const now = seconds(this.clock.now());
    const { seconds: expiresIn, longLived } = this.delegatedLifetime(req);
    const { user, app } = req;
    const common = {
      iss: this.issuer,
      iat: now,
      nbf: now,
      tid: this.tenant.id,
      oid: user.id,
      preferred_username: user.userPrincipalName,
      name: user.displayName,
      ver: '2.0',
    };
    const access: Record<string, unknown> = req.resource
      ? this.apiUserClaims(req, req.resource, now, expiresIn)
      : {
          aud: GRAPH_RESOURCE_APP_ID,
          ...common,
          exp: now + expiresIn,
          sub: this.pairwiseSubject(user.id, GRAPH_RESOURCE_APP_ID),
          azp: app.appId,
          azpacr: req.clientAuthenticated ? '1' : '0',
          // Entra lists the granted OIDC scopes in a Graph token's scp as well (not offline_access,
          // which is about the refresh token): the userinfo endpoint needs `openid` there (https://learn.microsoft.com/entra/identity-platform/userinfo).
          scp: [...req.graphScopes, ...req.oidcScopes.filter((s) => s !== 'offline_access')].join(' '),
          uti: uti(),
          idtyp: 'user',
        };
    if (user.roleTemplateIds.length > 0) access.wids = user.roleTemplateIds;
    if (req.sessionId) access.sid = req.sessionId;
    if (req.epoch !== undefined) access.pc_epoch = req.epoch;
    if (req.grantId !== undefined) access.pc_gid = req.grantId;
    // Entra emits xms_cc only when the client declared capabilities (https://learn.microsoft.com/entra/identity-platform/claims-challenge).
    if (req.clientCapabilities && req.clientCapabilities.length > 0) access.xms_cc = [...req.clientCapabilities];

    let id: Record<string, unknown> | null = null;
    if (req.oidcScopes.includes('openid')) {
      id = {
        aud: app.appId,
        ...common,
        exp: now + this.config.tokens.idTokenSeconds,
        sub: this.pairwiseSubject(user.id, app.appId),
        auth_time: seconds(req.authTime),
        uti: uti(),
      };
      if (req.nonce) id.nonce = req.nonce;
      if (req.sessionId) id.sid = req.sessionId;
      if (req.oidcScopes.includes('email') && user.mail) id.email = user.mail;
    }
    return { access, id, expiresIn, longLived };
  }

  /**
   * A user's access token for an API, in the shape its version prescribes
   * (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference): v1.0 names
   * the client `appid`/`appidacr` and the user `unique_name`/`upn`; v2.0 `azp`/`azpacr` and
   * `preferred_username`. The revocation claims are added by the caller, as for Graph tokens.
   */
  private apiUserClaims(req: DelegatedTokenRequest, resource: TokenAudience, now: number, expiresIn: number): Record<string, unknown> {
    const { user, app } = req;
    const acr = req.clientAuthenticated ? '1' : '0';
    const v1 = resource.version === '1.0';
    return {
      aud: resource.aud,
      iss: v1 ? this.issuerV1 : this.issuer,
      iat: now,
      nbf: now,
      exp: now + expiresIn,
      tid: this.tenant.id,
      oid: user.id,
      sub: this.pairwiseSubject(user.id, resource.resourceAppId),
      name: user.displayName,
      ...(v1
        ? { appid: app.appId, appidacr: acr, unique_name: user.userPrincipalName, upn: user.userPrincipalName }
        : { azp: app.appId, azpacr: acr, preferred_username: user.userPrincipalName }),
      scp: req.graphScopes.join(' '),
      uti: uti(),
      ver: resource.version,
      idtyp: 'user',
    };
  }

  issueDelegated(req: DelegatedTokenRequest): IssuedTokens {
    const { access, id, expiresIn, longLived } = this.delegatedClaims(req);
    return { accessToken: this.keys.sign(access), expiresIn, idToken: id ? this.keys.sign(id) : null, longLived };
  }

  /**
   * The token endpoint's path: the same tokens as issueDelegated, both signed at once on the
   * thread pool, so the event loop keeps serving while the two RSA signatures are computed.
   */
  async issueDelegatedAsync(req: DelegatedTokenRequest): Promise<IssuedTokens> {
    const { access, id, expiresIn, longLived } = this.delegatedClaims(req);
    const [accessToken, idToken] = await Promise.all([this.keys.signAsync(access), id ? this.keys.signAsync(id) : null]);
    return { accessToken, expiresIn, idToken, longLived };
  }

  private appOnlyClaims(app: Application, api?: AppOnlyAudience): { claims: Record<string, unknown>; expiresIn: number } {
    const now = seconds(this.clock.now());
    const expiresIn = this.accessTokenLifetime();
    const v1 = api?.version === '1.0';
    const claims: Record<string, unknown> = {
      aud: api?.aud ?? GRAPH_RESOURCE_APP_ID,
      iss: v1 ? this.issuerV1 : this.issuer,
      iat: now,
      nbf: now,
      exp: now + expiresIn,
      ...(v1 ? { appid: app.appId, appidacr: '1' } : { azp: app.appId, azpacr: '1' }),
      oid: app.appId,
      sub: app.appId,
      tid: this.tenant.id,
      roles: api?.roles ?? app.applicationPermissions,
      uti: uti(),
      ver: api?.version ?? '2.0',
      idtyp: 'app',
    };
    return { claims, expiresIn };
  }

  /**
   * Client credentials: an app-only token whose `roles` are the app's application permissions
   * (Graph), or, for an API, the app roles of that API assigned to the client.
   */
  issueAppOnly(app: Application, api?: AppOnlyAudience): IssuedTokens {
    const { claims, expiresIn } = this.appOnlyClaims(app, api);
    return { accessToken: this.keys.sign(claims), expiresIn, idToken: null };
  }

  /** issueAppOnly with the signature on the thread pool (the token endpoint's path). */
  async issueAppOnlyAsync(app: Application, api?: AppOnlyAudience): Promise<IssuedTokens> {
    const { claims, expiresIn } = this.appOnlyClaims(app, api);
    return { accessToken: await this.keys.signAsync(claims), expiresIn, idToken: null };
  }

  /** MSAL's client_info (base64url of {uid, utid}) so it builds Entra-shaped account ids. */
  clientInfo(user: User): string {
    return Buffer.from(JSON.stringify({ uid: user.id, utid: this.tenant.id })).toString('base64url');
  }
}
