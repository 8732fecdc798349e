/**
 * The admin console's user search at scale (docs/console.md): a SQLite tenant of `--users`
 * users (default 100,000), the console signed in as a Global Administrator, then `--samples`
 * searches by a random 1–3 letter prefix, each GET /admin/users?q=… (the page: Graph's
 * startsWith query on the display name, ordered by it, over HTTP, plus one $batch for the roles of the 20 users
 * shown), and the same Graph query alone; then a term with '@' (user name OR mail, which differ
 * here): a user name, a mail address or nobody's. Prints p50/p90/p95/p99 in ms, measured by the client on
 * 127.0.0.1 (so loopback is included). Target: search p95 < 150 ms.
 * Usage: node --import tsx bench/console-search.ts [--users 100000] [--samples 300]
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/app.js';
import { userQuery } from '../src/console/pages/admin-users.js';
import { makeAppConfig } from '../src/config.js';
import { openSqliteStore } from '../src/store/sqlite/open.js';
import { application, seedDirectory, TENANT_ID } from '../test/helpers/harness.js';
import { ConsoleBrowser } from '../test/helpers/console-browser.js';
import { freePort } from '../test/helpers/processes.js';
import { machine, numberOption, writeResult } from './lib/common.js';
import { quantileSorted, round, summarise, table } from './lib/stats.js';

const argv = process.argv.slice(2);
const userCount = numberOption(argv, 'users', 100_000);
const samples = numberOption(argv, 'samples', 300);
const TIME_LIMIT_MS = 120_000;
const FIRST = [
  'Ada',
  'Alan',
  'Barbara',
  'Bjarne',
  'Claude',
  'Dennis',
  'Donald',
  'Edsger',
  'Frances',
  'Grace',
  'Guido',
  'Hedy',
  'Ivan',
  'John',
  'Ken',
  'Linus',
  'Margaret',
  'Niklaus',
  'Radia',
  'Tim',
];
const LAST = [
  'Lovelace',
  'Turing',
  'Liskov',
  'Stroustrup',
  'Shannon',
  'Ritchie',
  'Knuth',
  'Dijkstra',
  'Allen',
  'Hopper',
  'Rossum',
  'Lamarr',
  'Sutherland',
  'McCarthy',
  'Thompson',
  'Torvalds',
  'Hamilton',
  'Wirth',
  'Perlman',
  'Berners-Lee',
];

const dir = mkdtempSync(join(tmpdir(), 'console-search-'));
const file = join(dir, 'portcullis.db');
try {
  const store = openSqliteStore(file, Date.now());
  const users = await seedDirectory(store, Date.now());
  // Bulk seed with one transaction on a second connection (the store's API commits each row).
  const seedStarted = performance.now();
  const db = new Database(file);
  const insert = db.prepare(
    `INSERT INTO users (id, tenant_id, user_principal_name, upn_lower, display_name, mail, password_hash, account_enabled,
       revocation_epoch, sign_in_sessions_valid_from, refresh_tokens_valid_from, created_at)
     VALUES (?, ?, ?, ?, ?, ?, NULL, 1, 0, NULL, NULL, ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < userCount; i++) {
      const first = FIRST[i % FIRST.length]!;
      const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
      const upn = `${first}.${last}${i}@contoso.test`.toLowerCase();
      insert.run(
        `00000000-0000-4000-9000-${i.toString(16).padStart(12, '0')}`,
        TENANT_ID,
        upn,
        upn,
        `${first} ${last} ${i}`,
        // Mail differs from the user name, so a search with '@' must look at both.
        `${first}${i}@fabrikam.test`.toLowerCase(),
        Date.now(),
      );
    }
  })();
  db.close();
  const seedSeconds = round((performance.now() - seedStarted) / 1000, 1);

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const app = await createApp({ config: makeAppConfig({ publicUrl: base, logLevel: 'silent' }), store });
  await app.http.listen({ host: '127.0.0.1', port });
  const browser = new ConsoleBrowser(base);
  const first = await browser.signIn('/admin/users', 'globaladmin@contoso.test');
  if (first.status !== 200) throw new Error(`the console did not sign in: ${first.status}`);
  const token = app.services.tokens.issueDelegated({
    user: users.globaladmin!,
    app: application({ appId: '5d0c0a5e-1c0e-4f7a-9b3e-7c0a50c0e1e5' }),
    graphScopes: ['User.ReadWrite.All'],
    oidcScopes: [],
    sessionId: null,
    authTime: Date.now(),
    nonce: null,
    clientAuthenticated: false,
  }).accessToken;

  const prefix = (i: number) => {
    const name = FIRST[Math.floor(Math.random() * FIRST.length)]!;
    return name.slice(0, 1 + (i % 3));
  };
  /** Terms with '@' (user name or mail): a user name, a mail address, or nobody's. */
  const atTerm = (i: number) => {
    const n = Math.floor(Math.random() * userCount);
    const first = FIRST[n % FIRST.length]!.toLowerCase();
    const last = LAST[Math.floor(n / FIRST.length) % LAST.length]!.toLowerCase();
    return [`${first}.${last}${n}@`, `${first}${n}@fab`, 'nobody@'][i % 3]!;
  };
  const page: number[] = [];
  const graphOnly: number[] = [];
  const atPage: number[] = [];
  const deadline = performance.now() + TIME_LIMIT_MS;
  for (let i = 0; i < samples && performance.now() < deadline; i++) {
    const q = prefix(i);
    let t = performance.now();
    const res = await browser.request('GET', `/admin/users?q=${encodeURIComponent(q)}`);
    page.push(performance.now() - t);
    if (res.status !== 200 || !res.body.includes('<tbody>')) throw new Error(`search '${q}' answered ${res.status}`);
    const query = userQuery(q);
    t = performance.now();
    const g = await fetch(`${base}/v1.0${query.path}`, { headers: { authorization: `Bearer ${token}`, ...query.headers } });
    await g.text();
    graphOnly.push(performance.now() - t);
    const at = atTerm(i);
    t = performance.now();
    const found = await browser.request('GET', `/admin/users?q=${encodeURIComponent(at)}`);
    atPage.push(performance.now() - t);
    if (found.status !== 200 || (i % 3 !== 2) !== found.body.includes('<tbody>'))
      throw new Error(`search '${at}' answered ${found.status}`);
  }
  const row = (name: string, values: number[]) => {
    const s = summarise(values);
    const p95 = quantileSorted(Float64Array.from(values).sort(), 0.95);
    return [name, s.count, round(s.p50, 1), round(s.p90, 1), round(p95, 1), round(s.p99, 1), round(s.max, 1)];
  };
  const rows = [
    row('console search page (GET /admin/users?q=…)', page),
    row('Graph /users startsWith query alone', graphOnly),
    row("console search with '@' (user name or mail)", atPage),
  ];
  console.log(`console search on ${userCount.toLocaleString('en')} users (seeded in ${seedSeconds} s)`);
  console.log(table(['what', 'n', 'p50 ms', 'p90 ms', 'p95 ms', 'p99 ms', 'max ms'], rows));
  writeResult('console-search', { machine: machine(), users: userCount, samples: page.length, seedSeconds, rows });
  await app.close();
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
