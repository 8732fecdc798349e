/**
 * `portcullis login --browser`: the real CLI process listens on a loopback port; the test plays
 * the browser over real HTTP (authorize URL → sign-in form → 302 to the CLI's loopback redirect).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CookieJar, hiddenField } from '../helpers/browser-flow.js';
import { PASSWORD } from '../helpers/harness.js';
import { cli, startServer, tempConfigHome, type Server } from './cli-helpers.js';

let server: Server;
before(async () => {
  server = await startServer();
});
after(async () => server?.close());

/** What a browser does with the printed URL: GET, submit the form, follow the redirect home. */
async function actAsBrowser(url: string, username: string): Promise<number> {
  const jar = new CookieJar();
  const page = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  jar.absorb(page.headers.getSetCookie());
  const html = await page.text();
  const form = await fetch(url.split('?')[0]!, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      csrf: hiddenField(html, 'csrf'),
      authorize_request: hiddenField(html, 'authorize_request'),
      username,
      password: PASSWORD,
    }),
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(form.status, 302);
  const back = form.headers.get('location')!;
  assert.match(back, /^http:\/\/localhost:\d+\/\?code=/);
  const landed = await fetch(back, { signal: AbortSignal.timeout(10_000) });
  assert.match(await landed.text(), /signed in to the Portcullis CLI/);
  return landed.status;
}

test('login --browser: loopback redirect with PKCE, then commands use the session', { timeout: 60_000 }, async () => {
  const xdg = tempConfigHome();
  let browsing: Promise<number> | null = null;
  const run = await cli(['login', '--server', server.url, '--tenant', 'contoso.test', '--browser'], {
    xdg,
    env: { PORTCULLIS_NO_BROWSER: '1' },
    onStdout: (out) => {
      const m = /open this URL in a browser: (\S+)/.exec(out);
      if (m && !browsing) browsing = actAsBrowser(m[1]!, 'globaladmin@contoso.test');
    },
  });
  assert.ok(browsing, `no URL printed: ${run.stdout} ${run.stderr}`);
  assert.equal(await browsing, 200);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /code_challenge_method=S256/);
  assert.match(run.stdout, /Signed in as globaladmin@contoso\.test/);
  const who = await cli(['whoami'], { xdg });
  assert.equal(who.code, 0, who.stderr);
  assert.match(who.stdout, /globaladmin@contoso\.test/);
});

test('login --browser: a sign-in answer with the wrong state is ignored, an error answer fails cleanly', { timeout: 60_000 }, async () => {
  const xdg = tempConfigHome();
  let probing: Promise<void> | null = null;
  const run = await cli(['login', '--server', server.url, '--tenant', 'contoso.test', '--browser'], {
    xdg,
    env: { PORTCULLIS_NO_BROWSER: '1' },
    onStdout: (out) => {
      const m = /open this URL in a browser: (\S+)/.exec(out);
      if (!m || probing) return;
      const authorize = new URL(m[1]!);
      const home = authorize.searchParams.get('redirect_uri')!;
      probing = (async () => {
        const forged = await fetch(`${home}/?code=stolen&state=not-ours`, { signal: AbortSignal.timeout(10_000) });
        assert.equal(forged.status, 400);
        const denied = await fetch(`${home}/?error=access_denied&error_description=nope&state=${authorize.searchParams.get('state')}`, {
          signal: AbortSignal.timeout(10_000),
        });
        assert.equal(denied.status, 200);
      })();
    },
  });
  assert.ok(probing);
  await probing;
  assert.equal(run.code, 9, `${run.stdout} ${run.stderr}`);
  assert.match(run.stderr, /^portcullis: sign-in failed: access_denied/m);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
});
