import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sqliteBackend, type Backend } from './revocation/backend.js';
import { DEFAULT_TOKEN_LIFETIMES } from '../../src/config.js';
import { Refresh, Replay, SignIn } from './revocation/commands.js';
import { checkRevocationModel, failureReport, propertySettings, runSequence } from './revocation/run-property.js';

/**
 * Model-based property test of the revocation model (I1–I5, docs/revocation-model.md) on SQLite: random
 * interleavings of sign-in, refresh, replay, silent SSO, revoke, disable/enable, password reset
 * and restart, each step checked against the model in revocation/model.ts.
 */
let backend: Backend;
before(async () => {
  backend = await sqliteBackend();
});
after(async () => backend.close());

// PORTCULLIS_PROPERTY_SECONDS bounds when new sequences start; the one running then may finish.
test('SQLite: every interleaving keeps I1–I5 (model-based, real HTTP)', {
  timeout: (propertySettings(1).timeLimitMs / 1000 + 300) * 1000,
}, async () => {
  const settings = propertySettings(25);
  const result = await checkRevocationModel(backend, settings);
  const f = result.figures;
  console.log(
    `property sqlite: runs=${f.runs} steps=${f.steps} restarts=${f.restarts} refusedRefreshes=${f.refusedRefreshes} seed=${result.details.seed}`,
  );
  assert.equal(result.details.failed, false, failureReport(result, 'test/property/revocation-sqlite'));
  assert.ok(f.runs >= 1 && f.steps > 0, 'the property ran');
});

test('the checker catches a server that lets a replayed family live on', async () => {
  // A 1-hour reuse grace window (config, RFC 9700 §4.14.2) keeps the family alive after a
  // replay; the model says it must die, so the same commands and checks must fail on it.
  const commands = [new SignIn('alice'), new Refresh(0), new Replay(0, 0), new Refresh(0)];
  await runSequence(backend, commands, { tokens: { ...DEFAULT_TOKEN_LIFETIMES, refreshReuseGraceSeconds: 3600 } }).then(
    () => assert.fail('the model run must fail against a server that ignores replays'),
    (e: Error) => assert.match(e.message, /is dead: refresh must be refused/),
  );
  // The same sequence passes against the real configuration.
  await runSequence(backend, [new SignIn('alice'), new Refresh(0), new Replay(0, 0), new Refresh(0)]);
});
