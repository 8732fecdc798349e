/**
 * The one-step install from git (README.md, Install): `npm install -g git+file://<clone>` of the
 * committed HEAD into an empty prefix, from a directory outside the checkout, with the machine's
 * npm, then the installed `portcullis` run from elsewhere. With npm 11 this goes through
 * scripts/prepare.mjs's path for a global git install (the compiler installed in a temporary
 * directory, the global symlink npm's inner install leaves put back); with npm 12 through the
 * clone's own development dependencies.
 *
 * Not part of `npm test` (its name does not end in .test.ts, so scripts/test-files.mjs leaves it
 * out): it needs the npm registry (the compiler and the type packages are fetched for the build)
 * and takes minutes. Run it with `npm run test:git-install`. Only committed changes are installed. The
 * better-sqlite3 shortcut of packed-install.test.ts applies (PORTCULLIS_INSTALL_FULL=1 leaves it
 * out and compiles SQLite from source).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanEnv, localPrebuild, npm, pkg, ROOT, serveAnswers } from './install-helpers.js';

const FULL = process.env.PORTCULLIS_INSTALL_FULL === '1';

/** Every file under `dir` (relative), for comparing two builds. */
function tree(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? tree(join(dir, e.name), base) : [join(dir, e.name).slice(base.length + 1)],
  );
}

describe('npm install -g git+file:// in one step, then portcullis from anywhere', {
  timeout: FULL ? 1_800_000 : 900_000,
}, () => {
  let work = '';
  let source = '';
  let prefix = '';
  let elsewhere = '';
  let installed = '';
  const buildDirs = () => readdirSync(tmpdir()).filter((n) => n.startsWith(`${pkg.name}-build-`));
  let buildDirsBefore: string[] = [];
  let output = '';
  let took = 0;

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'portcullis-git-install-'));
    source = join(work, 'source');
    prefix = join(work, 'prefix');
    elsewhere = join(work, 'elsewhere');
    installed = join(prefix, 'lib/node_modules', pkg.name);
    mkdirSync(elsewhere);
    // A clone of the committed HEAD, as a remote repository would serve it.
    execFileSync('git', ['clone', '--quiet', ROOT, source]);
    const extra: Record<string, string> = {};
    if (!FULL) extra.npm_config_better_sqlite3_local_prebuilds = localPrebuild(work).dir;
    buildDirsBefore = buildDirs();
    const t = performance.now();
    output = npm(
      prefix,
      ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', `git+file://${source}`],
      elsewhere,
      extra,
      FULL ? 1_700_000 : 800_000,
    );
    took = performance.now() - t;
  });

  after(() => {
    process.stderr.write(
      `# git install: npm ${spawnSync('npm', ['--version'], { encoding: 'utf8' }).stdout.trim()}, ${Math.round(took / 1000)} s\n`,
    );
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('installs a real directory (not a symlink into npm’s deleted clone) with dist/ and the run-time modules only', () => {
    assert.equal(lstatSync(installed).isDirectory(), true, output);
    assert.ok(existsSync(join(installed, 'dist/cli/main.js')));
    for (const dev of ['typescript', 'tsx', '@types/node', '@biomejs/biome'])
      assert.equal(existsSync(join(installed, 'node_modules', dev)), false, dev);
    for (const dep of ['fastify', 'better-sqlite3', 'argon2', ...(pkg.bundleDependencies ?? [])])
      assert.ok(existsSync(join(installed, 'node_modules', dep, 'package.json')), dep);
    assert.deepEqual(
      buildDirs().filter((d) => !buildDirsBefore.includes(d)),
      [],
      'the temporary build directory was left behind',
    );
  });

  it('dist/ is what the checkout’s own compiler builds from the same commit: the same files, byte for byte', () => {
    // The reference build: the clone's sources with this checkout's node_modules.
    symlinkSync(join(ROOT, 'node_modules'), join(source, 'node_modules'));
    const ref = join(work, 'reference');
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', ref], {
      cwd: source,
    });
    const built = tree(join(installed, 'dist')).sort();
    assert.deepEqual(
      built,
      tree(ref)
        .filter((f) => !f.endsWith('.map'))
        .sort(),
    );
    const differ = built.filter((f) => spawnSync('cmp', ['-s', join(installed, 'dist', f), join(ref, f)]).status !== 0);
    assert.deepEqual(differ, []);
  });

  it('portcullis --version, serve and an admin verb work from another directory', async () => {
    const version = execFileSync('portcullis', ['--version'], { cwd: elsewhere, env: cleanEnv(prefix), encoding: 'utf8' });
    assert.equal(version, `${pkg.version}\n`);
    const { readyz } = await serveAnswers(prefix, elsewhere, join(elsewhere, 'data'));
    assert.equal(readyz, 200);
    const keys = spawnSync('portcullis', ['keys', 'list', '--data-dir', join(elsewhere, 'data')], {
      cwd: elsewhere,
      env: cleanEnv(prefix),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(keys.status, 0, keys.stderr);
    assert.match(keys.stdout, /active/);
  });
});
