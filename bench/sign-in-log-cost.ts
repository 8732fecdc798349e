/**
 * What recording sign-ins costs a refresh (docs/sign-in-logs.md, "Cost"): refresh-token
 * redemptions through the real token endpoint (in-process, app.inject, SQLite file), 8 chains at
 * a time, in rounds with the recorder's `record` replaced by a no-op (off) and as shipped (on),
 * interleaved. CPU time of this process per refresh, buffer writes included (each round ends
 * with a flush): CPU rather than wall time, so other processes on the machine disturb it less.
 * Also counts the SQLite group commits (src/store/sqlite/group-commit.ts) and the writes they
 * carried, per round: with recording on, a commit must still carry several rotations, as off.
 * `--grant client_credentials` measures app-only token requests instead (a service principal
 * sign-in each; the web app's secret, so the verified-secret cache answers after the first):
 * "refresh" in the output then means one such request.
 * Usage: node --import tsx bench/sign-in-log-cost.ts [--rounds n] [--refreshes n] [--grant refresh_token|client_credentials]
 */
import type { SignInRecorder } from '../src/core/sign-in-recorder.js';
import { GroupCommit } from '../src/store/sqlite/group-commit.js';
import { refresh, signIn, tokenRequest } from '../test/helpers/browser-flow.js';
import { APP, WEB_SECRET, makeHarness } from '../test/helpers/harness.js';
import { machine, numberOption, stringOption, writeResult } from './lib/common.js';
import { median, round } from './lib/stats.js';

const argv = process.argv.slice(2);
const rounds = numberOption(argv, 'rounds', 6);
const perRound = numberOption(argv, 'refreshes', 400);
const grant = stringOption(argv, 'grant', 'refresh_token');
if (grant !== 'refresh_token' && grant !== 'client_credentials') throw new Error('--grant is refresh_token or client_credentials');
const appOnly = {
  grant_type: 'client_credentials',
  client_id: APP.webApp,
  client_secret: WEB_SECRET,
  scope: 'https://graph.microsoft.com/.default',
};

const h = await makeHarness();
const recorder: { record: SignInRecorder['record'] } = h.app.services.signIns;
const shipped = recorder.record.bind(h.app.services.signIns);
const chains: string[] = [];
for (const u of ['alice', 'bob', 'globaladmin', 'useradmin', 'helpdesk', 'authadmin', 'passwordadmin', 'dirwriter']) {
  chains.push((await signIn(h, `${u}@contoso.test`)).tokens.refresh_token!);
}

// Counts every group commit and the writes in it, by wrapping the (private) commit of the class.
const commits = { count: 0, writes: 0 };
const proto = GroupCommit.prototype as unknown as { commit(batch: unknown[]): void };
const commit = proto.commit;
proto.commit = function (this: unknown, batch: unknown[]) {
  if (batch.length > 0) {
    commits.count++;
    commits.writes += batch.length;
  }
  commit.call(this, batch);
};

async function cpuPerRefresh(n: number): Promise<{ us: number; commitsPerRefresh: number; writesPerCommit: number }> {
  commits.count = 0;
  commits.writes = 0;
  const c0 = process.cpuUsage();
  let done = 0;
  while (done < n) {
    await Promise.all(
      chains.map(async (token, i) => {
        if (grant === 'client_credentials') {
          const r = await tokenRequest(h, appOnly);
          if (r.status !== 200) throw new Error(`client credentials failed: ${JSON.stringify(r.body)}`);
          return;
        }
        const r = await refresh(h, token);
        if (r.status !== 200) throw new Error(`refresh failed: ${JSON.stringify(r.body)}`);
        chains[i] = String(r.body.refresh_token);
      }),
    );
    done += chains.length;
  }
  await h.app.services.signIns.flush();
  const c = process.cpuUsage(c0);
  return { us: (c.user + c.system) / done, commitsPerRefresh: commits.count / done, writesPerCommit: commits.writes / commits.count };
}

await cpuPerRefresh(perRound / 2); // warm up
type Side = Awaited<ReturnType<typeof cpuPerRefresh>>;
const rounded = (x: Side) => ({
  us: round(x.us, 0),
  commitsPerRefresh: round(x.commitsPerRefresh, 3),
  writesPerCommit: round(x.writesPerCommit, 2),
});
const results: { round: number; off: Side; on: Side; ratio: number }[] = [];
for (let r = 1; r <= rounds; r++) {
  recorder.record = () => undefined;
  const off = rounded(await cpuPerRefresh(perRound));
  recorder.record = shipped;
  const on = rounded(await cpuPerRefresh(perRound));
  results.push({ round: r, off, on, ratio: round(on.us / off.us, 3) });
  console.log(
    `round ${r}: off ${off.us} µs CPU/refresh, on ${on.us} µs, on/off ${round(on.us / off.us, 3)}; ` +
      `group commits per refresh off ${off.commitsPerRefresh} / on ${on.commitsPerRefresh}, writes per commit off ${off.writesPerCommit} / on ${on.writesPerCommit}`,
  );
}
const medianRatio = median(results.map((x) => x.ratio));
const medianOf = (side: 'off' | 'on', key: 'commitsPerRefresh' | 'writesPerCommit') => median(results.map((x) => x[side][key]));
console.log(`median on/off CPU per refresh: ${medianRatio}`);
console.log(
  `median group commits per refresh: off ${medianOf('off', 'commitsPerRefresh')}, on ${medianOf('on', 'commitsPerRefresh')}; ` +
    `writes per commit: off ${medianOf('off', 'writesPerCommit')}, on ${medianOf('on', 'writesPerCommit')}`,
);
writeResult(grant === 'refresh_token' ? 'sign-in-log-cost' : 'sign-in-log-cost-client-credentials', {
  machine: machine(),
  grant,
  rounds,
  perRound,
  results,
  medianRatio,
});
await h.close();
