import { createHash, timingSafeEqual } from 'node:crypto';
import { validateAccessToken, type AccessTokenClaims, type AccessTokenRules } from './access-token.js';
import { insufficientScope, invalidToken, missingToken, revokedToken, type Refusal } from './challenge.js';
import type { Fetch } from './http-json.js';
import { fetchIssuerMetadata, fetchTransmitterMetadata, ssfConfigurationUrl, type IssuerMetadata } from './issuer-metadata.js';
import { IssuerKeys } from './issuer-keys.js';
import { PollingReceiver, type PollOptions, type SetSink } from './poll-receiver.js';
import { RevocationJournal } from './revocation-journal.js';
import { RevocationList } from './revocation-list.js';
import { verifySecurityEventToken, type SetResult, type SetRules } from './security-event.js';

/**
 * The framework-neutral core of `portcullis/resource-server`: validates access tokens, learns
 * revocations from SSF Security Event Tokens (push or poll), and refuses revoked tokens with the
 * CAE claims challenge. express.ts and fastify.ts adapt it to their frameworks.
 */
export interface ResourceServerOptions {
  /** The token issuer, `https://{host}/{tenant id}/v2.0` (the `iss` of Portcullis tokens). */
  issuer: string;
  /**
   * Your API's accepted `aud` values: its identifier URI (what v1.0 tokens carry when the client
   * asked with it, e.g. `api://contoso-todo`) and/or its appId (v2.0 tokens always carry the
   * appId; v1.0 ones when the client asked with `{appId}/scope`). Tokens for any other audience
   * are refused — another API's, and Microsoft Graph's unless `allowGraphTokens` is set.
   */
  audience: string | readonly string[];
  /**
   * Also accept tokens Portcullis issues for its Graph-compatible API (aud
   * `00000003-0000-0000-c000-000000000000` or `https://graph.microsoft.com`). Off by default: a
   * Graph token is meant for Graph, and an API that accepts it lets any app holding one for
   * User.Read call it (https://learn.microsoft.com/entra/identity-platform/access-tokens,
   * "validate tokens": only tokens for your API). Naming a Graph audience without this is an error.
   */
  allowGraphTokens?: boolean;
  /** The tenant id (`tid`); by default the issuer's first path segment. */
  tenantId?: string;
  /** Tolerated clock difference on `exp` / `nbf`, in seconds (default 60). */
  clockSkewSeconds?: number;
  jwks?: {
    /** Least time between two refetches caused by an unknown `kid` (default 10 s). */
    minRefetchIntervalMs?: number;
    /** Keys are refetched in the background after this long (default 1 h). */
    maxAgeMs?: number;
  };
  /** Where revocations come from; without it tokens are validated but never known revoked. */
  events?: {
    /** The stream's `aud` (createSsfStream returns it). */
    audience: string | readonly string[];
    /** SSF transmitter metadata; by default derived from the issuer (ssfConfigurationUrl). */
    transmitterConfigurationUrl?: string;
    /**
     * The exact Authorization header value the transmitter must send with pushes (the stream's
     * `authorization_header`, RFC 8935 §2.2 / SSF 1.0 §8.1.1). Pushes without it are refused.
     */
    pushAuthorization?: string;
  };
  revocations?: {
    /** Append-only file that keeps acknowledged revocations across restarts. */
    journalFile?: string;
    /**
     * How long a revocation is remembered (default 29 h: Portcullis's longest access token, a
     * CAE-capable one of up to 28 h, plus margin).
     */
    retentionSeconds?: number;
  };
  fetch?: Fetch;
  now?: () => number;
}

export type AuthOutcome = { ok: true; claims: AccessTokenClaims } | ({ ok: false } & Refusal);

/**
 * What a route needs of the token: a user's token must carry one of `scopes` in `scp`, an
 * app-only token one of `roles` in `roles` (https://learn.microsoft.com/entra/identity-platform/scenario-protected-web-api-verification-scope-app-roles).
 * Without `scopes`, user tokens are refused; without `roles`, app-only tokens are.
 */
export interface Requirement {
  scopes?: readonly string[];
  roles?: readonly string[];
}

/** Microsoft Graph's audiences in Portcullis tokens (appId and resource URI). */
const GRAPH_AUDIENCES: readonly string[] = ['00000003-0000-0000-c000-000000000000', 'https://graph.microsoft.com'];

export interface PushRequest {
  contentType: string | undefined;
  authorization: string | undefined;
  body: string;
}

/**
 * RFC 8935 §2.2 success (202, no body) or §2.3 failure (400 with `err`, `description`), which a
 * transmitter treats as final. 503 when the SET could not be checked yet (its signing key is new
 * and the key set cannot be refetched at this moment): a status the transmitter retries.
 */
export type PushOutcome =
  | { status: 202 }
  | { status: 400; body: { err: string; description: string } }
  | { status: 503; retryAfterSeconds: number; body: { err: string; description: string } };

const DEFAULT_RETENTION_SECONDS = 29 * 3600;
const asSet = (v: string | readonly string[]): ReadonlySet<string> => new Set(typeof v === 'string' ? [v] : v);
const digest = (v: string): Buffer => createHash('sha256').update(v).digest();

function tenantOf(issuer: string): string {
  const segment = new URL(issuer).pathname.split('/').filter(Boolean)[0];
  if (!segment) throw new Error(`cannot tell the tenant from issuer ${issuer}; pass tenantId`);
  return segment;
}

/** A user token (`scp`) needs one of the scopes; an app-only token (`roles`, no `scp`) one of the roles. */
function meets(claims: AccessTokenClaims, required: Requirement): boolean {
  if (typeof claims.scp === 'string') {
    const held = new Set(claims.scp.split(' '));
    return (required.scopes ?? []).some((s) => held.has(s));
  }
  const roles = Array.isArray(claims.roles) ? claims.roles : [];
  return (required.roles ?? []).some((r) => roles.includes(r));
}

export class ResourceServer implements SetSink {
  private readonly polls = new Set<PollingReceiver>();

  private constructor(
    private readonly options: ResourceServerOptions,
    readonly metadata: IssuerMetadata,
    private readonly tokenKeys: IssuerKeys,
    private readonly tokenRules: AccessTokenRules,
    private readonly setKeys: IssuerKeys | null,
    private readonly setRules: SetRules | null,
    readonly revocations: RevocationList,
    private readonly journal: RevocationJournal | null,
  ) {}

  /** Fetches discovery, the JWKS and (with `events`) the SSF metadata; rejects if unreachable. */
  static async create(options: ResourceServerOptions): Promise<ResourceServer> {
    const fetchImpl = options.fetch ?? fetch;
    const now = options.now ?? Date.now;
    const metadata = await fetchIssuerMetadata(fetchImpl, options.issuer);
    const keysAt = (jwksUri: string) =>
      IssuerKeys.load({
        jwksUri,
        fetch: fetchImpl,
        minRefetchIntervalMs: options.jwks?.minRefetchIntervalMs ?? 10_000,
        maxAgeMs: options.jwks?.maxAgeMs ?? 3_600_000,
      });
    const tokenKeys = await keysAt(metadata.jwksUri);
    const tenantId = options.tenantId ?? tenantOf(options.issuer);
    const audiences = asSet(options.audience);
    const namesGraph = [...audiences].some((a) => GRAPH_AUDIENCES.includes(a.replace(/\/+$/, '').toLowerCase()));
    if (namesGraph && !options.allowGraphTokens) {
      throw new Error('audience names Microsoft Graph: set allowGraphTokens: true to accept Graph tokens, or use your API’s own audience');
    }
    const tokenRules: AccessTokenRules = {
      // v1.0 tokens (an API with requestedAccessTokenVersion null or 1) carry the issuer without `v2.0`.
      issuers: [metadata.issuer, metadata.issuer.replace(/v2\.0\/?$/, '')],
      audiences: options.allowGraphTokens ? new Set([...audiences, ...GRAPH_AUDIENCES]) : audiences,
      tenantId,
      clockSkewSeconds: options.clockSkewSeconds ?? 60,
      now,
    };

    let setKeys: IssuerKeys | null = null;
    let setRules: SetRules | null = null;
    if (options.events) {
      const transmitter = await fetchTransmitterMetadata(
        fetchImpl,
        options.events.transmitterConfigurationUrl ?? ssfConfigurationUrl(options.issuer),
      );
      setKeys = transmitter.jwksUri === metadata.jwksUri ? tokenKeys : await keysAt(transmitter.jwksUri);
      setRules = { issuer: transmitter.issuer, audiences: asSet(options.events.audience), tenantId };
    }

    const retentionSeconds = options.revocations?.retentionSeconds ?? DEFAULT_RETENTION_SECONDS;
    const journalFile = options.revocations?.journalFile;
    const journal = journalFile ? await RevocationJournal.open(journalFile, now() / 1000, retentionSeconds) : null;
    const revocations = new RevocationList({ retentionSeconds, now, journal: journal ?? undefined });
    return new ResourceServer(options, metadata, tokenKeys, tokenRules, setKeys, setRules, revocations, journal);
  }

  /**
   * Checks the request's Authorization header (and, with `required`, the token's scopes or
   * roles); the outcome says what to answer if it fails.
   */
  async authenticate(authorization: string | undefined, required?: Requirement): Promise<AuthOutcome> {
    // RFC 6750 §2.1: `Bearer` is case-insensitive, one token, no other scheme.
    const match = typeof authorization === 'string' ? /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization) : null;
    if (!match) {
      return {
        ok: false,
        ...(authorization
          ? invalidToken('The Authorization header is not a bearer token.')
          : missingToken(this.metadata.authorizationEndpoint)),
      };
    }
    const result = await validateAccessToken(match[1] as string, this.tokenKeys, this.tokenRules);
    if (!result.ok) return { ok: false, ...invalidToken(result.description) };
    const refusedUntil = this.revocations.refusedUntil(result.claims);
    if (refusedUntil !== null) return { ok: false, ...revokedToken(result.claims, refusedUntil, this.metadata.authorizationEndpoint) };
    if (required && !meets(result.claims, required)) return { ok: false, ...insufficientScope(required) };
    return result;
  }

  /** Verifies one SET and records the revocations it carries (durably with a journal). */
  async ingest(token: string): Promise<SetResult> {
    if (!this.setKeys || !this.setRules)
      return { ok: false, err: 'access_denied', description: 'This resource server receives no events.' };
    const result = await verifySecurityEventToken(token, this.setKeys, this.setRules);
    if (result.ok) {
      await this.revocations.record(result.revocations);
      if (result.verificationState !== undefined) this.lastVerificationState = result.verificationState;
    }
    return result;
  }

  private get jwksRefetchIntervalMs(): number {
    return this.options.jwks?.minRefetchIntervalMs ?? 10_000;
  }

  /** The `state` of the last SSF verification event received (null: one without state). */
  lastVerificationState: string | null | undefined = undefined;

  /** An RFC 8935 push: the outcome to answer with. */
  async receivePush(request: PushRequest): Promise<PushOutcome> {
    const expected = this.options.events?.pushAuthorization;
    // Compared as digests so the comparison takes the same time whatever the lengths.
    if (expected !== undefined && !timingSafeEqual(digest(request.authorization ?? ''), digest(expected))) {
      return { status: 400, body: { err: 'authentication_failed', description: 'The push did not carry the expected authorization.' } };
    }
    const type = (request.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/secevent+jwt') {
      return { status: 400, body: { err: 'invalid_request', description: 'The content type is not application/secevent+jwt.' } };
    }
    const result = await this.ingest(request.body);
    if (result.ok) return { status: 202 };
    const body = { err: result.err, description: result.description };
    return result.transient
      ? { status: 503, retryAfterSeconds: Math.ceil(this.jwksRefetchIntervalMs / 1000), body }
      : { status: 400, body };
  }

  /** Starts an RFC 8936 poll loop into this server; resolves after the initial drain. */
  async poll(options: PollOptions): Promise<PollingReceiver> {
    const receiver = new PollingReceiver(this, { fetch: this.options.fetch, ...options });
    await receiver.start();
    this.polls.add(receiver);
    return receiver;
  }

  async close(): Promise<void> {
    await Promise.all([...this.polls].map((p) => p.stop()));
    this.polls.clear();
    await this.journal?.close();
  }
}
