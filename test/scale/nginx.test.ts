import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeLocalhostCertificate } from '../e2e/helpers/https-server.js';
import { trustForGlobalFetch, type TrustHandle } from '../e2e/helpers/trust.js';
import { freshDatabase, requirePostgres } from '../helpers/postgres.js';
import { freePort, killHard } from '../helpers/processes.js';
import { Cluster, TENANT, daemonToken, passwordSignIn, refresh, revokeSessions } from './cluster.js';

/**
 * docs/deployment.md's set-up, exercised: examples/nginx/portcullis.conf (as shipped, with only
 * its ports, certificate paths and listen address replaced) terminates TLS in front of two
 * instances on one PostgreSQL database; everything goes through nginx.
 */
const NGINX = '/usr/sbin/nginx';
const haveNginx = existsSync(NGINX);
if (!haveNginx && process.env.CI === 'true') throw new Error(`${NGINX} is missing: .ci/run must install Debian's nginx-light`);

/** The shipped example with this test's ports and files; everything else untouched. */
function renderExample(dir: string, upstreams: number[], httpsPort: number, httpPort: number): string {
  let conf = readFileSync('examples/nginx/portcullis.conf', 'utf8');
  let i = 0;
  conf = conf.replace(/^\s*server 127\.0\.0\.1:\d+ (.*);\n/gm, (_line, rest: string) => {
    const port = upstreams[i++];
    return port === undefined ? '' : `    server 127.0.0.1:${port} ${rest};\n`;
  });
  assert.equal(i >= upstreams.length, true, 'the example lists fewer upstream servers than the test starts');
  conf = conf.replace('listen 443 ssl http2;', `listen 127.0.0.1:${httpsPort} ssl http2;`);
  conf = conf.replace('listen 80;', `listen 127.0.0.1:${httpPort};`);
  conf = conf.replace(/ssl_certificate\s+\S+;/, `ssl_certificate     ${join(dir, 'cert.pem')};`);
  conf = conf.replace(/ssl_certificate_key\s+\S+;/, `ssl_certificate_key ${join(dir, 'key.pem')};`);
  return conf;
}

if (haveNginx && (await requirePostgres('nginx in front of two instances'))) {
  describe('nginx (examples/nginx/portcullis.conf) in front of two instances on PostgreSQL', () => {
    let db: { url: string; drop(): Promise<void> };
    let cluster: Cluster;
    let nginx: ChildProcess | undefined;
    let trust: TrustHandle;
    let dir: string;
    let base: string;

    before(
      async () => {
        dir = mkdtempSync(join(tmpdir(), 'portcullis-nginx-'));
        const tls = await makeLocalhostCertificate();
        writeFileSync(join(dir, 'cert.pem'), tls.cert);
        writeFileSync(join(dir, 'key.pem'), tls.key, { mode: 0o600 });
        const [httpsPort, httpPort] = [await freePort(), await freePort()];
        base = `https://localhost:${httpsPort}`;
        db = await freshDatabase('portcullis_nginx');
        cluster = await Cluster.start(db.url, 2, [], { publicUrl: base });
        writeFileSync(
          join(dir, 'portcullis.conf'),
          renderExample(
            dir,
            cluster.instances.map((x) => x.port),
            httpsPort,
            httpPort,
          ),
        );
        // The minimal main file Debian's /etc/nginx/nginx.conf would otherwise provide.
        writeFileSync(
          join(dir, 'nginx.conf'),
          `${process.getuid?.() === 0 ? 'user nobody nogroup;\n' : ''}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  include ${dir}/portcullis.conf;
}
`,
        );
        nginx = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
        let stderr = '';
        nginx.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        trust = trustForGlobalFetch(tls.cert);
        // Bounded wait for nginx to answer (50 × 100 ms).
        for (let attempt = 0; ; attempt++) {
          const up = await fetch(`${base}/${TENANT}/v2.0/.well-known/openid-configuration`).then(
            (r) => r.ok,
            () => false,
          );
          if (up) break;
          if (attempt >= 50 || nginx.exitCode !== null) throw new Error(`nginx did not come up: ${stderr}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      },
      { timeout: 180_000 },
    );

    after(
      async () => {
        await trust?.restore();
        // SIGTERM: nginx's fast shutdown stops its workers too (SIGKILL would orphan them).
        if (nginx && nginx.exitCode === null) {
          const exited = new Promise((r) => nginx!.once('exit', r));
          nginx.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
          await killHard(nginx);
        }
        await cluster?.stop();
        await db?.drop();
        if (dir) rmSync(dir, { recursive: true, force: true });
      },
      { timeout: 60_000 },
    );

    test('discovery names the public URL; sign-in, refresh and revoke all work through the proxy', async () => {
      const discovery = (await (await fetch(`${base}/${TENANT}/v2.0/.well-known/openid-configuration`)).json()) as Record<string, string>;
      assert.equal(discovery.issuer, `${base}/${TENANT}/v2.0`);
      assert.equal(discovery.token_endpoint, `${base}/${TENANT}/oauth2/v2.0/token`);

      const signIn = await passwordSignIn(base, 'alice');
      assert.equal(signIn.status, 200, JSON.stringify(signIn.body));
      let rt = signIn.body.refresh_token as string;
      // Ten refreshes: least_conn spreads them over both instances; rotation holds across them.
      for (let i = 0; i < 10; i++) {
        const r = await refresh(base, rt);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        rt = r.body.refresh_token as string;
      }
      const admin = await daemonToken(base);
      const revoked = await revokeSessions(base, admin, 'alice');
      assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
      const after = await refresh(base, rt);
      assert.equal(after.status, 400);
      assert.deepEqual(after.body.error_codes, [50173]);
    });

    test('the plain-HTTP server block redirects to HTTPS', async () => {
      const conf = readFileSync(join(dir, 'portcullis.conf'), 'utf8');
      const httpPort = /listen 127\.0\.0\.1:(\d+);/.exec(conf)![1]!;
      // fetch sends its own Host header, so nginx's $host is the address used here.
      const res = await fetch(`http://127.0.0.1:${httpPort}/x?y=1`, { redirect: 'manual' });
      assert.equal(res.status, 301);
      assert.equal(res.headers.get('location'), 'https://127.0.0.1/x?y=1');
    });
  });
}
