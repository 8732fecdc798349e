import type { Application } from '../core/model.js';
import type { Services } from '../services.js';
import { parseClaimsRequest, type ClaimsRequest } from './claims-request.js';
import { findClient } from './client-auth.js';
import { AADSTS, OAuthError } from './oauth-errors.js';
import type { Params } from './params.js';
import { isValidChallenge } from './pkce.js';
import { redirectKind, type RedirectKind } from './redirect-uri.js';
import { parseDelegatedScopes, type RequestedScopes } from './scopes.js';

export type ResponseMode = 'query' | 'fragment' | 'form_post';
export type Prompt = 'login' | 'none' | 'consent' | 'select_account';

/** An authorization request whose client and redirect URI are known good. */
export interface AuthorizeRequest {
  app: Application;
  redirectUri: string;
  kind: RedirectKind;
  responseMode: ResponseMode;
  state: string | null;
  nonce: string | null;
  scopes: RequestedScopes;
  codeChallenge: string | null;
  prompt: Prompt | null;
  loginHint: string | null;
  /** The validated `claims` parameter (OIDC Core §5.5): CAE capabilities and challenge claims. */
  claims: ClaimsRequest;
  /** The original parameters, carried through the sign-in form and re-validated on POST. */
  raw: URLSearchParams;
}

/**
 * An error found before the redirect URI was validated: it is shown on a page, never redirected
 * (RFC 6749 §4.1.2.1).
 */
export class UnredirectableError extends Error {
  constructor(readonly error: OAuthError) {
    super(error.message);
  }
}

/** An error to send back to the client's redirect URI. */
export class RedirectableError extends Error {
  constructor(
    readonly error: OAuthError,
    readonly request: Pick<AuthorizeRequest, 'redirectUri' | 'responseMode' | 'state'>,
  ) {
    super(error.message);
  }
}

const PROMPTS: readonly string[] = ['login', 'none', 'consent', 'select_account'];
const MODES: readonly string[] = ['query', 'fragment', 'form_post'];

/** The steps of RFC 6749 §4.1.1 + RFC 7636 §4.3 + OIDC Core §3.1.2.1, in order. */
export async function validateAuthorizeRequest(params: Params, services: Services): Promise<AuthorizeRequest> {
  let app: Application;
  let redirectUri: string;
  let kind: RedirectKind | null;
  try {
    app = await findClient(services, params.require('client_id'));
    redirectUri = params.require('redirect_uri');
    kind = redirectKind(app, redirectUri);
  } catch (e) {
    if (e instanceof OAuthError) throw new UnredirectableError(e);
    throw e;
  }
  if (kind === null) throw new UnredirectableError(AADSTS.redirectUriMismatch(redirectUri.slice(0, 300), app.appId));

  const state = params.get('state') ?? null;
  const modeParam = params.get('response_mode');
  const responseMode = (modeParam && MODES.includes(modeParam) ? modeParam : 'query') as ResponseMode;
  const target = { redirectUri, responseMode, state };
  try {
    if (modeParam && !MODES.includes(modeParam)) throw AADSTS.unsupportedResponseMode(modeParam.slice(0, 50));
    const responseType = params.require('response_type');
    if (responseType !== 'code') throw AADSTS.unsupportedResponseType(responseType.slice(0, 50));
    const scopes = await parseDelegatedScopes(params.get('scope'), { services, app });
    const challenge = params.get('code_challenge') ?? null;
    const method = params.get('code_challenge_method');
    if (challenge !== null) {
      // S256 only: `plain` gives no protection if the request leaks (RFC 7636 §7.2).
      if ((method ?? 'plain') !== 'S256' || !isValidChallenge(challenge)) throw AADSTS.pkceMethod();
    } else if (kind === 'public' || kind === 'spa') {
      throw AADSTS.pkceRequired();
    }
    const prompt = params.get('prompt') ?? null;
    if (prompt !== null && !PROMPTS.includes(prompt)) throw AADSTS.invalidPrompt(prompt.slice(0, 50));
    const claims = parseClaimsRequest(params.get('claims'));
    return {
      app,
      redirectUri,
      kind,
      responseMode,
      state,
      nonce: params.get('nonce') ?? null,
      scopes,
      codeChallenge: challenge,
      prompt: prompt as Prompt | null,
      loginHint: params.get('login_hint') ?? null,
      claims,
      raw: params.toSearchParams(),
    };
  } catch (e) {
    if (e instanceof OAuthError) throw new RedirectableError(e, target);
    throw e;
  }
}
