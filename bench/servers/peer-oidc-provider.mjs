#!/usr/bin/env node
/**
 * The peer: node-oidc-provider (panva), configured like Portcullis for the refresh benchmark:
 * - refresh-token rotation always on (rotateRefreshToken: true), reuse revokes the grant;
 * - RS256 JWT access tokens (resource indicators, accessTokenFormat 'jwt') and RS256 ID tokens,
 *   one 2048-bit RSA key;
 * - a public client (token_endpoint_auth_method 'none'), as Portcullis's bench client;
 * - N accounts, each with one grant and one refresh token, seeded in process before it listens;
 * - a plain Map adapter that never evicts. (The library's built-in memory adapter is an LRU of
 *   1000 entries: under a refresh load it drops live tokens and grants and the run measures errors.)
 * Usage: node bench/servers/peer-oidc-provider.mjs --users N --tokens-out FILE [--port 0]
 * Prints `peer ready <port>` when it listens on 127.0.0.1.
 */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import Provider from 'oidc-provider';

const { values } = parseArgs({
  options: { users: { type: 'string', default: '1000' }, port: { type: 'string', default: '0' }, 'tokens-out': { type: 'string' } },
});
const USERS = Number(values.users);
const RESOURCE = 'https://graph.microsoft.com';
const CLIENT_ID = 'bench-public-client';
const OIDC_SCOPE = 'openid profile email offline_access';
const SCOPE = `${OIDC_SCOPE} User.Read`;

/** Every stored object by model and id, with a grant index for revokeByGrantId. No expiry, no eviction. */
const storage = new Map();
const grantMembers = new Map();
class MapAdapter {
  constructor(model) {
    this.model = model;
  }
  key(id) {
    return `${this.model}:${id}`;
  }
  async upsert(id, payload) {
    const key = this.key(id);
    storage.set(key, payload);
    if (payload.grantId) {
      let members = grantMembers.get(payload.grantId);
      if (!members) grantMembers.set(payload.grantId, (members = new Set()));
      members.add(key);
    }
    if (this.model === 'Session' && payload.uid) storage.set(`sessionUid:${payload.uid}`, id);
    if (payload.userCode) storage.set(`userCode:${payload.userCode}`, id);
  }
  async find(id) {
    return storage.get(this.key(id));
  }
  async findByUid(uid) {
    const id = storage.get(`sessionUid:${uid}`);
    return id === undefined ? undefined : this.find(id);
  }
  async findByUserCode(userCode) {
    const id = storage.get(`userCode:${userCode}`);
    return id === undefined ? undefined : this.find(id);
  }
  async consume(id) {
    const payload = storage.get(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    storage.delete(this.key(id));
  }
  async revokeByGrantId(grantId) {
    for (const key of grantMembers.get(grantId) ?? []) storage.delete(key);
    grantMembers.delete(grantId);
  }
}

const accounts = new Map();
for (let i = 0; i < USERS; i++) {
  const id = `user-${i}`;
  accounts.set(id, { name: `Bench User ${i}`, preferred_username: `user${i}@bench.test`, email: `user${i}@bench.test` });
}

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'bench-rs256' };

const provider = new Provider('http://127.0.0.1', {
  adapter: MapAdapter,
  jwks: { keys: [jwk] },
  clients: [
    {
      client_id: CLIENT_ID,
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['http://127.0.0.1/callback'],
    },
  ],
  async findAccount(_ctx, sub) {
    const profile = accounts.get(sub);
    if (!profile) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...profile }) };
  },
  claims: { openid: ['sub'], profile: ['name', 'preferred_username'], email: ['email'] },
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  rotateRefreshToken: true,
  ttl: { AccessToken: 3600, IdToken: 3600, RefreshToken: 90 * 24 * 3600, Grant: 90 * 24 * 3600 },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'User.Read',
        accessTokenFormat: 'jwt',
        accessTokenTTL: 3600,
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
});
// Nothing is logged per request (Portcullis runs with --log-level silent).
provider.on('server_error', (_ctx, err) => process.stderr.write(`peer server_error: ${err.stack}\n`));

const client = await provider.Client.find(CLIENT_ID);
const tokens = [];
const now = Math.floor(Date.now() / 1000);
for (const accountId of accounts.keys()) {
  const grant = new provider.Grant({ accountId, clientId: CLIENT_ID });
  grant.addOIDCScope(OIDC_SCOPE);
  grant.addResourceScope(RESOURCE, 'User.Read');
  const grantId = await grant.save();
  const rt = new provider.RefreshToken({
    accountId,
    client,
    grantId,
    scope: SCOPE,
    resource: RESOURCE,
    gty: 'authorization_code',
    authTime: now,
  });
  tokens.push(await rt.save());
}
if (values['tokens-out']) writeFileSync(values['tokens-out'], JSON.stringify(tokens));

const server = provider.listen({ host: '127.0.0.1', port: Number(values.port) }, () => {
  process.stdout.write(`peer ready ${server.address().port}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
