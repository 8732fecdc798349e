import { PUBLIC_URL } from '../../helpers/harness.js';
import {
  contentType,
  damageRequest,
  encodeForm,
  mutateForm,
  tenantSegment,
  wireHeaderValue,
  wirePath,
  type Form,
  type FuzzRequest,
} from '../lib/http-input.js';
import type { Rng } from '../lib/rng.js';
import type { FuzzContext, HttpTarget } from '../lib/target.js';
import { nastyString, randomString } from '../lib/values.js';

function withType(rng: Rng, headers: Record<string, string>): Record<string, string> {
  const type = contentType(rng, 'application/x-www-form-urlencoded');
  if (type !== undefined) headers['content-type'] = type;
  return headers;
}

/** POST /{tenant}/oauth2/v2.0/devicecode (RFC 8628 §3.1). */
function deviceAuthorization(rng: Rng, ctx: FuzzContext) {
  const form: Form = [
    ['client_id', rng.pick([ctx.apps.publicClient, ctx.apps.webApp, ctx.apps.spa, nastyString(rng)])],
    ['scope', rng.pick(['openid profile offline_access User.Read', 'User.Read', '.default', nastyString(rng)])],
  ];
  const body = encodeForm(rng, rng.chance(0.7) ? mutateForm(rng, form, ['client_id', 'scope', 'claims', 'client_secret']) : form);
  return {
    method: 'POST',
    path: `/${tenantSegment(rng, ctx.tenantId, ctx.domain)}/oauth2/v2.0/devicecode`,
    headers: withType(rng, {}),
    body,
  };
}

/**
 * Where a browser says a form post came from (same-origin-posts.ts): usually nothing (a script)
 * or our own page, sometimes another site, `null` or junk.
 */
export function fetchMetadata(rng: Rng, headers: Record<string, string>): Record<string, string> {
  if (rng.chance(0.5)) return headers;
  const own = PUBLIC_ORIGIN;
  if (rng.chance(0.7))
    headers['sec-fetch-site'] = wireHeaderValue(
      rng.pick(['same-origin', 'same-origin', 'none', 'cross-site', 'same-site', nastyString(rng)]),
    );
  if (rng.chance(0.7))
    headers.origin = wireHeaderValue(rng.pick([own, own, 'null', 'http://localhost:5555', `${own}:8443`, nastyString(rng)]));
  return headers;
}

const PUBLIC_ORIGIN = new URL(PUBLIC_URL).origin;

/**
 * The device page (GET and both form POSTs). Mostly with the pre-session cookie and token of a
 * real browser (so the post reaches the code lookup, the password check and the confirmation
 * page), sometimes a planted cookie equal to the field (refused), or garbage.
 */
function devicePage(rng: Rng, ctx: FuzzContext) {
  if (rng.chance(0.2))
    return {
      method: 'GET',
      path: wirePath(`/devicelogin${rng.chance(0.5) ? `?${encodeForm(rng, [['code', nastyString(rng)]])}` : ''}`),
      headers: {},
    };
  const real = rng.chance(0.8);
  const planted = randomString(rng, 43) || 'x';
  const csrf = real ? ctx.browser.deviceCsrf : planted;
  const approve = rng.chance(0.5);
  const userCode = rng.weighted<() => string>([
    [3, () => ctx.userCode],
    [1, () => ctx.userCode.toLowerCase().replace(/(.{4})/, '$1-')],
    [3, () => nastyString(rng)],
  ])();
  const form: Form = [
    ['csrf', rng.chance(0.85) ? csrf : nastyString(rng)],
    ['user_code', userCode],
  ];
  if (approve) {
    // 'decline' would end the seeded code for the rest of the run: keep it rare. 'confirm' needs
    // a session-bound token, which no generated request has: it is always refused.
    form.push([
      'action',
      rng.weighted<string>([
        [6, 'sign-in'],
        [2, 'confirm'],
        [1, 'continue'],
        [0.2, 'decline'],
        [1, nastyString(rng)],
      ]),
    ]);
    form.push(['username', rng.chance(0.03) ? rng.pick(ctx.targetUsers).upn : nastyString(rng)]);
    form.push(['password', rng.chance(0.5) ? ctx.password : nastyString(rng)]);
  }
  const cookie = real ? ctx.browser.cookie : rng.pick([`__Host-portcullis_csrf=${planted}`, `portcullis_csrf=${planted}`]);
  const sso = rng.chance(0.2) ? `; __Host-portcullis_sso=${randomString(rng, 43)}` : '';
  const headers = fetchMetadata(rng, withType(rng, { cookie: wireHeaderValue(cookie + sso) }));
  const body = encodeForm(rng, rng.chance(0.6) ? mutateForm(rng, form, ['csrf', 'user_code', 'action', 'username', 'password']) : form);
  return { method: 'POST', path: approve ? '/devicelogin/approve' : '/devicelogin', headers, body };
}

/** GET|POST /{tenant}/oauth2/v2.0/logout (OIDC RP-Initiated Logout): redirect targets, hints, cookies. */
function logout(rng: Rng, ctx: FuzzContext) {
  const form: Form = [];
  if (rng.chance(0.7))
    form.push([
      'post_logout_redirect_uri',
      rng.pick([ctx.redirects.web, ctx.redirects.spa, ctx.redirects.publicClient, `${ctx.redirects.web}/evil`, nastyString(rng)]),
    ]);
  if (rng.chance(0.6)) form.push(['client_id', rng.pick([ctx.apps.webApp, ctx.apps.spa, ctx.apps.publicClient, nastyString(rng)])]);
  if (rng.chance(0.3))
    form.push([
      'id_token_hint',
      rng.pick([
        ctx.appToken,
        ctx.adminToken,
        `${randomString(rng, 20)}.${randomString(rng, 40)}.${randomString(rng, 40)}`,
        nastyString(rng),
      ]),
    ]);
  if (rng.chance(0.5)) form.push(['state', nastyString(rng)]);
  const fields = rng.chance(0.5) ? mutateForm(rng, form, ['post_logout_redirect_uri', 'client_id', 'id_token_hint', 'state']) : form;
  const headers: Record<string, string> = {};
  if (rng.chance(0.5))
    headers.cookie = wireHeaderValue(
      rng.pick([`__Host-portcullis_sso=${randomString(rng, 43)}`, `portcullis_sso=${nastyString(rng)}`, ctx.browser.cookie]),
    );
  const path = `/${tenantSegment(rng, ctx.tenantId, ctx.domain)}/oauth2/v2.0/logout`;
  if (rng.chance(0.5)) return { method: 'GET', path: wirePath(fields.length ? `${path}?${encodeForm(rng, fields)}` : path), headers };
  return { method: 'POST', path, headers: withType(rng, headers), body: encodeForm(rng, fields) };
}

export const deviceTarget: HttpTarget = {
  name: 'device code + /devicelogin + /logout',
  generate(rng, ctx) {
    const req = rng.weighted<() => FuzzRequest>([
      [4, () => deviceAuthorization(rng, ctx)],
      [5, () => devicePage(rng, ctx)],
      [2, () => logout(rng, ctx)],
    ])();
    return rng.chance(0.08) ? damageRequest(rng, req) : req;
  },
};
