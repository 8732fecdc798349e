import {
  contentType,
  damageRequest,
  encodeForm,
  mutateForm,
  tenantSegment,
  wireHeaderValue,
  wirePath,
  type Form,
} from '../lib/http-input.js';
import type { Rng } from '../lib/rng.js';
import type { FuzzContext, HttpTarget } from '../lib/target.js';
import { nastyString, randomString } from '../lib/values.js';
import { fetchMetadata } from './device.js';

const NAMES = [
  'client_id',
  'response_type',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'prompt',
  'response_mode',
  'code_challenge',
  'code_challenge_method',
  'login_hint',
  'domain_hint',
  'claims',
  'max_age',
  'request',
  'request_uri',
  'ui_locales',
  'id_token_hint',
];

/** A valid authorize request of one of the seeded clients (RFC 6749 §4.1.1, OIDC Core §3.1.2.1). */
function authorizeParams(rng: Rng, ctx: FuzzContext): Form {
  const [client, redirect] = rng.pick([
    [ctx.apps.publicClient, ctx.redirects.publicClient],
    [ctx.apps.webApp, ctx.redirects.web],
    [ctx.apps.spa, ctx.redirects.spa],
  ] as const);
  const form: Form = [
    ['client_id', client],
    ['response_type', rng.pick(['code', 'code', 'token', 'id_token', 'code id_token', 'none'])],
    ['redirect_uri', redirect],
    ['scope', rng.pick(['openid profile offline_access User.Read', 'openid', 'User.Read', '.default', 'offline_access'])],
  ];
  if (rng.chance(0.7)) form.push(['state', randomString(rng, 20)]);
  if (rng.chance(0.5)) form.push(['nonce', randomString(rng, 20)]);
  if (rng.chance(0.6))
    form.push(['code_challenge', randomString(rng, 43)], ['code_challenge_method', rng.pick(['S256', 'plain', 's256', 'x'])]);
  if (rng.chance(0.3)) form.push(['prompt', rng.pick(['none', 'login', 'select_account', 'consent', 'create', 'none login'])]);
  if (rng.chance(0.3)) form.push(['response_mode', rng.pick(['query', 'fragment', 'form_post', 'web_message'])]);
  if (rng.chance(0.2)) form.push(['login_hint', rng.chance(0.5) ? rng.pick(ctx.targetUsers).upn : nastyString(rng)]);
  return form;
}

function query(rng: Rng, ctx: FuzzContext): Form {
  return rng.chance(0.8) ? mutateForm(rng, authorizeParams(rng, ctx), NAMES) : authorizeParams(rng, ctx);
}

/** GET /authorize with a mutated query, sometimes with a (junk or real-looking) SSO cookie. */
function getAuthorize(rng: Rng, ctx: FuzzContext) {
  const headers: Record<string, string> = {};
  if (rng.chance(0.2)) headers.cookie = wireHeaderValue(`portcullis_sso=${randomString(rng, 43)}`);
  const qs = encodeForm(rng, query(rng, ctx));
  return { method: 'GET', path: wirePath(`/${tenantSegment(rng, ctx.tenantId, ctx.domain)}/oauth2/v2.0/authorize?${qs}`), headers };
}

/**
 * The sign-in form's POST: usually a real browser's cookie and token (so the form is processed),
 * the carried authorize request is mutated, and the credentials are mostly of unknown users
 * (a known user costs an argon2 verification).
 */
function postSignIn(rng: Rng, ctx: FuzzContext) {
  // Mostly the token of a real browser's sign-in form with its cookie; else a planted pair.
  const real = rng.chance(0.8);
  const planted = randomString(rng, 32) || 'x';
  const csrf = real ? ctx.browser.signInCsrf : planted;
  const form: Form = [
    ['csrf', rng.chance(0.85) ? csrf : nastyString(rng)],
    ['authorize_request', rng.chance(0.9) ? encodeForm(rng, query(rng, ctx)) : nastyString(rng)],
    ['username', rng.chance(0.04) ? rng.pick(ctx.targetUsers).upn : nastyString(rng)],
    ['password', rng.chance(0.5) ? ctx.password : nastyString(rng)],
  ];
  const headers: Record<string, string> = fetchMetadata(rng, {
    cookie: wireHeaderValue(real ? ctx.browser.cookie : `__Host-portcullis_csrf=${planted}`),
  });
  const type = contentType(rng, 'application/x-www-form-urlencoded');
  if (type !== undefined) headers['content-type'] = type;
  const body = encodeForm(
    rng,
    rng.chance(0.6) ? mutateForm(rng, form, ['csrf', 'authorize_request', 'username', 'password', 'login']) : form,
  );
  return { method: 'POST', path: `/${tenantSegment(rng, ctx.tenantId, ctx.domain)}/oauth2/v2.0/authorize`, headers, body };
}

export const authorizeTarget: HttpTarget = {
  name: 'GET|POST /authorize',
  generate(rng, ctx) {
    const req = rng.chance(0.6) ? getAuthorize(rng, ctx) : postSignIn(rng, ctx);
    return rng.chance(0.08) ? damageRequest(rng, req) : req;
  },
};
