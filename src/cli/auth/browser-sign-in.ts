/**
 * `portcullis login --browser`: the authorization code flow for native apps (RFC 8252). The CLI
 * listens on a loopback port, sends the browser to the authorize endpoint with redirect_uri
 * `http://localhost:{port}` (a public client's `http://localhost` registration takes any port,
 * §7.3, as Entra's does), PKCE S256 (RFC 7636) and a random state, and redeems the code it gets
 * back. Only documented identity-platform parameters are used, so it works against Entra too.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { CliError, EXIT } from '../cli-error.js';
import { redeemAuthorizationCode, type TokenResponse } from './oauth.js';

const TIMEOUT_MS = 5 * 60_000;

const PAGE = (title: string, text: string) => `<!doctype html><meta charset="utf-8"><title>${title}</title><p>${text}</p>`;

/** Tries the platform's "open this URL" command; the URL is printed anyway, so failure is fine. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args as string[], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // No opener on this machine: the printed URL is the way.
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

export async function browserSignIn(args: {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  clientId: string;
  scope: string;
  /** Prints the sign-in URL for the person. */
  say: (line: string) => void;
  /** False when PORTCULLIS_NO_BROWSER is set (CI, SSH): only print the URL. */
  open: boolean;
}): Promise<TokenResponse> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const state = randomBytes(16).toString('base64url');

  let settle!: (r: { code: string } | { error: string }) => void;
  const answer = new Promise<{ code: string } | { error: string }>((resolve) => (settle = resolve));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/' || (!url.searchParams.has('code') && !url.searchParams.has('error'))) {
      res.writeHead(404).end();
      return;
    }
    // A redirect without our state is not the answer to our request (RFC 6749 §10.12).
    if (url.searchParams.get('state') !== state) {
      res
        .writeHead(400, { 'content-type': 'text/html; charset=utf-8' })
        .end(PAGE('Sign-in failed', 'The sign-in answer did not match this request.'));
      return;
    }
    const code = url.searchParams.get('code');
    const error = url.searchParams.get('error');
    res
      .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
      .end(
        code
          ? PAGE('Signed in', 'You are signed in to the Portcullis CLI. You can close this window.')
          : PAGE('Sign-in failed', 'Return to the terminal.'),
      );
    settle(code ? { code } : { error: `${error}: ${(url.searchParams.get('error_description') ?? '').split(/\r?\n| Trace ID/)[0]}` });
  });
  const port = await listen(server);
  const redirectUri = `http://localhost:${port}`;
  const authorize = new URL(args.authorizationEndpoint);
  for (const [k, v] of Object.entries({
    client_id: args.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    scope: args.scope,
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
    response_mode: 'query',
  })) {
    authorize.searchParams.set(k, v);
  }
  args.say(`To sign in, open this URL in a browser: ${authorize}\n`);
  if (args.open) openBrowser(authorize.toString());
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = await Promise.race([
      answer,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new CliError("no sign-in arrived within 5 minutes; run 'portcullis login --browser' again", EXIT.LOGIN_FAILED)),
          TIMEOUT_MS,
        );
      }),
    ]);
    if ('error' in result) throw new CliError(`sign-in failed: ${result.error}`, EXIT.LOGIN_FAILED);
    return await redeemAuthorizationCode(args.tokenEndpoint, args.clientId, result.code, redirectUri, verifier);
  } finally {
    clearTimeout(timer);
    server.close();
    server.closeAllConnections();
  }
}
