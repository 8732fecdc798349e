import { contentType, damageRequest, encodeForm, mutateForm, tenantSegment, wireHeaderValue, type Form } from '../lib/http-input.js';
import type { Rng } from '../lib/rng.js';
import type { FuzzContext, HttpTarget } from '../lib/target.js';
import { guid, nastyString, randomString, pct } from '../lib/values.js';

const NAMES = [
  'grant_type',
  'client_id',
  'client_secret',
  'code',
  'redirect_uri',
  'code_verifier',
  'refresh_token',
  'scope',
  'username',
  'password',
  'device_code',
  'client_info',
  'claims',
  'assertion',
  'client_assertion',
  'client_assertion_type',
];

const GRAPH_SCOPES = [
  'User.Read',
  'openid',
  'profile',
  'offline_access',
  'email',
  'https://graph.microsoft.com/.default',
  'https://graph.microsoft.com/User.Read',
  'api://x/y',
  '.default',
];

function scope(rng: Rng): string {
  if (rng.chance(0.15)) return nastyString(rng);
  return Array.from({ length: rng.int(1, 4) }, () => rng.pick(GRAPH_SCOPES)).join(rng.chance(0.9) ? ' ' : rng.pick(['+', ',', '  ', '\t']));
}

/** A client id: mostly one of the seeded apps, otherwise an unknown GUID or junk. */
function clientId(rng: Rng, ctx: FuzzContext): string {
  return rng.weighted<() => string>([
    [6, () => rng.pick([ctx.apps.publicClient, ctx.apps.spa, ctx.apps.publicClient.toUpperCase()])],
    [2, () => ctx.apps.webApp],
    [1, () => ctx.apps.daemon],
    [1, () => guid(rng)],
    [1, () => nastyString(rng)],
  ])();
}

/**
 * A client secret. Only the right secret of the web app is cached by the server; any other
 * secret of a confidential app costs an argon2 verification, so wrong ones go mostly to apps
 * that have no secrets (the throughput of the run depends on it).
 */
function secretFor(rng: Rng, ctx: FuzzContext, client: string): string {
  if (client === ctx.apps.webApp) return rng.chance(0.97) ? ctx.webSecret : nastyString(rng);
  if (client === ctx.apps.daemon) return rng.chance(0.97) ? ctx.daemonSecret : nastyString(rng);
  return nastyString(rng);
}

function grantForm(rng: Rng, ctx: FuzzContext): Form {
  const grant = rng.weighted<string>([
    [3, 'authorization_code'],
    [3, 'refresh_token'],
    [3, 'client_credentials'],
    [2, 'password'],
    [2, 'urn:ietf:params:oauth:grant-type:device_code'],
    [1, 'device_code'],
    [1, 'urn:ietf:params:oauth:grant-type:jwt-bearer'],
    [1, 'implicit'],
  ]);
  const client = clientId(rng, ctx);
  const form: Form = [
    ['grant_type', rng.chance(0.95) ? grant : nastyString(rng)],
    ['client_id', client],
  ];
  switch (grant) {
    case 'authorization_code':
      form.push(['code', rng.chance(0.5) ? randomString(rng, 60) : nastyString(rng)]);
      form.push([
        'redirect_uri',
        rng.pick([ctx.redirects.publicClient, ctx.redirects.web, ctx.redirects.spa, 'http://localhost', nastyString(rng)]),
      ]);
      if (rng.chance(0.8)) form.push(['code_verifier', randomString(rng, 128)]);
      break;
    case 'refresh_token':
      form.push([
        'refresh_token',
        rng.weighted<() => string>([
          [1, () => ctx.refreshToken],
          [3, () => randomString(rng, 60)],
          [2, () => nastyString(rng)],
        ])(),
      ]);
      break;
    case 'client_credentials':
      form.push(['client_secret', secretFor(rng, ctx, client)]);
      break;
    case 'password':
      // A real user with a wrong password costs an argon2 verification: keep those rare.
      form.push(['username', rng.chance(0.05) ? rng.pick(ctx.targetUsers).upn : nastyString(rng)]);
      form.push(['password', rng.chance(0.5) ? ctx.password : nastyString(rng)]);
      break;
    default:
      form.push(['device_code', rng.chance(0.3) ? ctx.deviceCode : nastyString(rng)]);
  }
  if (rng.chance(0.7)) form.push(['scope', scope(rng)]);
  if (rng.chance(0.2)) form.push(['client_info', rng.pick(['1', '0', nastyString(rng)])]);
  if (rng.chance(0.1) && grant !== 'client_credentials') form.push(['client_secret', secretFor(rng, ctx, client)]);
  return form;
}

export const tokenTarget: HttpTarget = {
  name: 'POST /token',
  generate(rng, ctx) {
    const form = rng.chance(0.75) ? mutateForm(rng, grantForm(rng, ctx), NAMES) : grantForm(rng, ctx);
    const headers: Record<string, string> = {};
    const type = contentType(rng, 'application/x-www-form-urlencoded');
    if (type !== undefined) headers['content-type'] = type;
    if (rng.chance(0.08)) {
      // client_secret_basic, well-formed or not (RFC 6749 §2.3.1).
      const creds = rng.chance(0.5) ? `${pct(clientId(rng, ctx))}:${pct(nastyString(rng))}` : nastyString(rng);
      headers.authorization = wireHeaderValue(`Basic ${rng.chance(0.8) ? Buffer.from(creds).toString('base64') : creds}`);
    }
    const req = {
      method: 'POST',
      path: `/${tenantSegment(rng, ctx.tenantId, ctx.domain)}/oauth2/v2.0/token`,
      headers,
      body: rng.chance(0.03) ? rng.bytes(rng.int(0, 4096)) : encodeForm(rng, form),
    };
    return rng.chance(0.08) ? damageRequest(rng, req) : req;
  },
};
