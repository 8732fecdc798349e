import fc from 'fast-check';
import type { AppConfig } from '../../../src/config.js';
import { PASSWORD } from '../../helpers/harness.js';
import type { Backend } from './backend.js';
import { revocationCommands, startReal, type Real } from './commands.js';
import { MODEL_USERS, initialModel, type Model, type ModelUser } from './model.js';
import { RunningServer } from './server.js';

/**
 * Settings from the environment (docs/testing.md):
 * - PORTCULLIS_PROPERTY_RUNS: command sequences per backend (CI default is small; long mode: 500+).
 * - PORTCULLIS_PROPERTY_MAX_COMMANDS: longest sequence (default 30).
 * - PORTCULLIS_PROPERTY_SECONDS: stop starting new runs after this long (default 300).
 * - PORTCULLIS_PROPERTY_SEED / _PATH / _REPLAY: replay a reported counterexample exactly.
 */
export interface PropertySettings {
  numRuns: number;
  maxCommands: number;
  timeLimitMs: number;
  seed?: number;
  path?: string;
  replayPath?: string;
}

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return n;
}

export function propertySettings(defaultRuns: number): PropertySettings {
  const seed = process.env.PORTCULLIS_PROPERTY_SEED;
  return {
    numRuns: positiveInt('PORTCULLIS_PROPERTY_RUNS', defaultRuns),
    maxCommands: positiveInt('PORTCULLIS_PROPERTY_MAX_COMMANDS', 30),
    timeLimitMs: positiveInt('PORTCULLIS_PROPERTY_SECONDS', 300) * 1000,
    ...(seed ? { seed: Number(seed) } : {}),
    ...(process.env.PORTCULLIS_PROPERTY_PATH ? { path: process.env.PORTCULLIS_PROPERTY_PATH } : {}),
    ...(process.env.PORTCULLIS_PROPERTY_REPLAY ? { replayPath: process.env.PORTCULLIS_PROPERTY_REPLAY } : {}),
  };
}

export interface RunFigures {
  runs: number;
  steps: number;
  restarts: number;
  refusedRefreshes: number;
}

export interface ModelCheckResult {
  details: fc.RunDetails<[Iterable<fc.AsyncCommand<Model, Real, boolean>>]>;
  figures: RunFigures;
}

async function userIdsOf(server: RunningServer): Promise<Record<ModelUser, string>> {
  const ids = {} as Record<ModelUser, string>;
  for (const user of MODEL_USERS) {
    const found = await server.directory.users.findByUserPrincipalName(server.services.tenant.id, `${user}@contoso.test`);
    if (!found) throw new Error(`template has no ${user}`);
    ids[user] = found.id;
  }
  return ids;
}

/** Runs one command sequence on fresh data: a new server, the model run, then everything removed. */
export async function runSequence(
  backend: Backend,
  commands: Iterable<fc.AsyncCommand<Model, Real>>,
  config: Partial<AppConfig> = {},
  figures: RunFigures = { runs: 0, steps: 0, restarts: 0, refusedRefreshes: 0 },
): Promise<void> {
  const data = await backend.newRun();
  let real: Real | null = null;
  try {
    const server = await RunningServer.start(data, config);
    real = await startReal(server, data, await userIdsOf(server));
    const r = real;
    await fc.asyncModelRun(() => ({ model: initialModel(PASSWORD), real: r }), commands);
  } finally {
    figures.runs += 1;
    if (real) {
      figures.steps += real.log.length;
      figures.restarts += real.log.filter((l) => l === 'Restart').length;
      figures.refusedRefreshes += real.log.filter((l) => /^Refresh.*: 400$/.test(l)).length;
      await real.server.stop().catch(() => undefined);
    }
    await data.destroy();
  }
}

/** Runs the model-based property once per generated command sequence, each on fresh data. */
export async function checkRevocationModel(backend: Backend, settings: PropertySettings): Promise<ModelCheckResult> {
  const figures: RunFigures = { runs: 0, steps: 0, restarts: 0, refusedRefreshes: 0 };
  const property = fc.asyncProperty(revocationCommands(settings.maxCommands, settings.replayPath), (commands) =>
    runSequence(backend, commands, {}, figures),
  );
  const details = await fc.check(property, {
    numRuns: settings.numRuns,
    interruptAfterTimeLimit: settings.timeLimitMs,
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    ...(settings.path ? { path: settings.path } : {}),
  });
  return { details, figures };
}

/** The shrunk counterexample with everything needed to replay it. */
export function failureReport(result: ModelCheckResult, testFile: string): string {
  const { details } = result;
  const counterexample = Array.isArray(details.counterexample) ? String(details.counterexample[0]) : '(none)';
  const replayPath = /replayPath="([^"]*)"/.exec(counterexample)?.[1];
  const env = [
    `PORTCULLIS_PROPERTY_SEED=${details.seed}`,
    details.counterexamplePath ? `PORTCULLIS_PROPERTY_PATH='${details.counterexamplePath}'` : '',
    replayPath ? `PORTCULLIS_PROPERTY_REPLAY='${replayPath}'` : '',
  ].filter(Boolean);
  return [
    fc.defaultReportMessage(details) ?? 'property failed',
    '',
    `Failing step: ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
    '',
    `Replay: ${env.join(' ')} node scripts/run-tests.mjs ${testFile}`,
  ].join('\n');
}
