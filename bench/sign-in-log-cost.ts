/**
 * What recording sign-ins costs a refresh (docs/sign-in-logs.md, "Cost"): refresh-token
 * redemptions through the real token endpoint (in-process, app.inject, SQLite file), 8 chains at
 * a time, in rounds with the recorder's `record` replaced by a no-op (off) and as shipped (on),
 * interleaved. CPU time of this process per refresh, buffer writes included (each round ends
 * with a flush): CPU rather than wall time, so other processes on the machine disturb it less.
 * Usage: node --import tsx bench/sign-in-log-cost.ts [--rounds n] [--refreshes n]
 */
import type { SignInRecorder } from '../src/core/sign-in-recorder.js';
import { refresh, signIn } from '../test/helpers/browser-flow.js';
import { makeHarness } from '../test/helpers/harness.js';
import { machine, numberOption, writeResult } from './lib/common.js';
import { median, round } from './lib/stats.js';

const argv = process.argv.slice(2);
const rounds = numberOption(argv, 'rounds', 6);
const perRound = numberOption(argv, 'refreshes', 400);

const h = await makeHarness();
const recorder: { record: SignInRecorder['record'] } = h.app.services.signIns;
const shipped = recorder.record.bind(h.app.services.signIns);
const chains: string[] = [];
for (const u of ['alice', 'bob', 'globaladmin', 'useradmin', 'helpdesk', 'authadmin', 'passwordadmin', 'dirwriter']) {
  chains.push((await signIn(h, `${u}@contoso.test`)).tokens.refresh_token!);
}

async function cpuPerRefresh(n: number): Promise<number> {
  const c0 = process.cpuUsage();
  let done = 0;
  while (done < n) {
    await Promise.all(
      chains.map(async (token, i) => {
        const r = await refresh(h, token);
        if (r.status !== 200) throw new Error(`refresh failed: ${JSON.stringify(r.body)}`);
        chains[i] = String(r.body.refresh_token);
      }),
    );
    done += chains.length;
  }
  await h.app.services.signIns.flush();
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / done;
}

await cpuPerRefresh(perRound / 2); // warm up
const results: { round: number; offUs: number; onUs: number; ratio: number }[] = [];
for (let r = 1; r <= rounds; r++) {
  recorder.record = () => undefined;
  const offUs = await cpuPerRefresh(perRound);
  recorder.record = shipped;
  const onUs = await cpuPerRefresh(perRound);
  results.push({ round: r, offUs: round(offUs, 0), onUs: round(onUs, 0), ratio: round(onUs / offUs, 3) });
  console.log(`round ${r}: off ${round(offUs, 0)} µs CPU/refresh, on ${round(onUs, 0)} µs, on/off ${round(onUs / offUs, 3)}`);
}
const medianRatio = median(results.map((x) => x.ratio));
console.log(`median on/off CPU per refresh: ${medianRatio}`);
writeResult('sign-in-log-cost', { machine: machine(), rounds, perRound, results, medianRatio });
await h.close();
