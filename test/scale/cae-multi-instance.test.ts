import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { freshDatabase, requirePostgres } from '../helpers/postgres.js';
import { Cluster, DOMAIN, PASSWORD, PUBLIC_CLIENT, TENANT, call, daemonToken, revokeSessions, tokenPath } from './cluster.js';

/**
 * I6 (docs/revocation-model.md) across instances: two `portcullis serve` processes on one
 * PostgreSQL database. A revoke answered by instance A is enforced by instance B's Graph API on
 * the very next call: the access-token check reads the user and the grant from the shared store
 * on every request (nothing is cached per instance), so no notification has to arrive first.
 * Likewise an RFC 7009 revocation of a refresh token on A cuts that grant's access tokens on B.
 */
const CP1 = JSON.stringify({ access_token: { xms_cc: { values: ['cp1'] } } });

if (await requirePostgres('CAE across instances on PostgreSQL')) {
  describe('CAE and RFC 7009 across two instances on one PostgreSQL database', () => {
    let db: { url: string; drop(): Promise<void> };
    let cluster: Cluster;
    let a: string;
    let b: string;

    before(async () => {
      db = await freshDatabase('portcullis_cae');
      cluster = await Cluster.start(db.url, 2);
      a = cluster.instances[0]!.base;
      b = cluster.instances[1]!.base;
    });
    after(async () => {
      await cluster?.stop();
      await db?.drop();
    });

    async function signIn(base: string, user: string, cp1: boolean): Promise<{ at: string; rt: string }> {
      const r = await call(base, tokenPath, {
        form: {
          grant_type: 'password',
          client_id: PUBLIC_CLIENT,
          username: `${user}@${DOMAIN}`,
          password: PASSWORD,
          scope: 'offline_access User.Read',
          ...(cp1 ? { claims: CP1 } : {}),
        },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return { at: r.body.access_token as string, rt: r.body.refresh_token as string };
    }

    async function me(base: string, token: string): Promise<{ status: number; challenge: string | null; code: unknown }> {
      const res = await fetch(`${base}/v1.0/me`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(20_000) });
      const body = (await res.json()) as { error?: { code?: string } };
      return { status: res.status, challenge: res.headers.get('www-authenticate'), code: body.error?.code };
    }

    test('revokeSignInSessions on A: B refuses the cp1 token with the claims challenge, the other with 401', async () => {
      const cae = await signIn(a, 'alice', true);
      const plain = await signIn(a, 'alice', false);
      assert.equal((await me(b, cae.at)).status, 200);
      assert.equal((await me(b, plain.at)).status, 200);

      const revoked = await revokeSessions(a, await daemonToken(a), 'alice');
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));

      const refusedCae = await me(b, cae.at);
      assert.equal(refusedCae.status, 401);
      assert.equal(refusedCae.code, 'InvalidAuthenticationToken');
      const m = /^Bearer realm="", authorization_uri="([^"]+)", error="insufficient_claims", claims="([^"]+)"$/.exec(
        refusedCae.challenge ?? '',
      );
      assert.ok(m, `no claims challenge from B: ${refusedCae.challenge}`);
      // Both instances share one public URL, so B points the client at the same authorize endpoint.
      assert.equal(m[1], `${cluster.publicUrl}/${TENANT}/oauth2/v2.0/authorize`);
      const nbf = Number(
        (JSON.parse(Buffer.from(m[2]!, 'base64').toString('utf8')) as { access_token: { nbf: { value: string } } }).access_token.nbf.value,
      );
      assert.ok(Math.abs(nbf - Date.now() / 1000) < 120, `nbf ${nbf} is the revoke time`);

      const refusedPlain = await me(b, plain.at);
      assert.equal(refusedPlain.status, 401);
      assert.equal(refusedPlain.code, 'InvalidAuthenticationToken');
      assert.doesNotMatch(refusedPlain.challenge ?? '', /insufficient_claims/);

      // A fresh sign-in on B works on A (I2).
      assert.equal((await me(a, (await signIn(b, 'alice', true)).at)).status, 200);
    });

    test('RFC 7009: a refresh token revoked on A cuts its access tokens on B, and only that grant', async () => {
      const victim = await signIn(a, 'bob', true);
      const other = await signIn(a, 'bob', true);
      assert.equal((await me(b, victim.at)).status, 200);

      const revoked = await call(a, `/${TENANT}/oauth2/v2.0/revoke`, { form: { client_id: PUBLIC_CLIENT, token: victim.rt } });
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));

      const refused = await me(b, victim.at);
      assert.equal(refused.status, 401);
      assert.match(refused.challenge ?? '', /error="insufficient_claims"/);
      const refresh = await call(b, tokenPath, {
        form: { grant_type: 'refresh_token', client_id: PUBLIC_CLIENT, refresh_token: victim.rt },
      });
      assert.equal(refresh.status, 400);
      assert.equal(refresh.body.error, 'invalid_grant');
      assert.equal((await me(b, other.at)).status, 200, 'the user’s other grant is untouched');
    });
  });
}
