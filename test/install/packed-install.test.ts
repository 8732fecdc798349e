/**
 * The package as an operator gets it: `npm pack` (which builds dist/ through `prepare`), then
 * `npm install -g` of the tarball into a temporary prefix, then the installed `portcullis` binary
 * run from a directory outside the checkout with only that prefix and Node.js on PATH
 * (docs/cli.md, "Install").
 *
 * The one shortcut, and why it is honest: better-sqlite3's install script is
 * `prebuild-install || node-gyp rebuild`. prebuild-install downloads a prebuilt binary from
 * GitHub; offline it fails and node-gyp compiles SQLite from source (minutes on a small machine).
 * prebuild-install looks in a local prebuilds directory first
 * (npm_config_better_sqlite3_local_prebuilds, node_modules/prebuild-install/util.js), so the test
 * puts there the archive prebuild-install would have downloaded — same name, same layout — made
 * from the checkout's own better-sqlite3 of the same version. The install still runs every real
 * step: dependency resolution from the registry (npm cache first), every install script,
 * bin linking. PORTCULLIS_INSTALL_FULL=1 leaves the directory empty, so the native module is
 * compiled from source as on a machine without GitHub access (allow a few minutes).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT, cleanEnv as shellEnv, localPrebuild, npm as npmIn, pkg, serveAnswers } from './install-helpers.js';

const FULL = process.env.PORTCULLIS_INSTALL_FULL === '1';
const work = mkdtempSync(join(tmpdir(), 'portcullis-install-'));
const prefix = join(work, 'prefix');
const elsewhere = join(work, 'elsewhere');
const installed = join(prefix, 'lib/node_modules', pkg.name);
const cleanEnv = (extra: Record<string, string> = {}) => shellEnv(prefix, extra);
const npm = (args: readonly string[], cwd: string, extra: Record<string, string> = {}, timeout = 120_000) =>
  npmIn(prefix, args, cwd, extra, timeout);

describe(`npm pack, npm install -g, portcullis from anywhere${FULL ? ' (full: native build from source)' : ''}`, {
  timeout: FULL ? 900_000 : 120_000,
}, () => {
  let tarball = '';
  let files: string[] = [];
  let prebuildVersion = '';
  const timings: string[] = [];

  before(() => {
    mkdirSync(elsewhere);
    let t = performance.now();
    // `npm pack` runs `prepare` (the build), so the tarball holds dist/ as built from this tree.
    const packed = JSON.parse(npm(['pack', '--json', '--pack-destination', work], ROOT)) as {
      filename: string;
      size: number;
      files: { path: string }[];
    }[];
    tarball = join(work, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);
    timings.push(`pack ${Math.round(performance.now() - t)} ms, ${Math.round(statSync(tarball).size / 1024)} KiB, ${files.length} files`);
    const extra: Record<string, string> = {};
    if (!FULL) {
      const p = localPrebuild(work);
      prebuildVersion = p.version;
      extra.npm_config_better_sqlite3_local_prebuilds = p.dir;
    }
    t = performance.now();
    npm(
      ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball],
      elsewhere,
      extra,
      FULL ? 840_000 : 90_000,
    );
    timings.push(`install ${Math.round(performance.now() - t)} ms`);
  });

  after(() => {
    process.stderr.write(`# packed install: ${timings.join('; ')}\n`);
    rmSync(work, { recursive: true, force: true });
  });

  it('packs the built CLI and the docs, and no sources, tests, source maps or secrets', () => {
    assert.ok(files.includes('dist/cli/main.js'));
    assert.ok(files.includes('README.md') && files.includes('docs/cli.md'));
    // Bundled dependencies travel in node_modules/ (package.json `bundleDependencies`; why:
    // scripts/prepare.mjs), and nothing else of node_modules does.
    const bundled = pkg.bundleDependencies ?? [];
    const inBundle = (f: string) => bundled.some((name) => f.startsWith(`node_modules/${name}/`));
    const unexpected = files.filter(
      (f) => !inBundle(f) && !/^(dist\/.+\.(js|d\.ts)|docs\/[^/]+\.md|README\.md|package\.json|LICENSE)$/.test(f),
    );
    assert.deepEqual(unexpected, []);
    for (const name of bundled) assert.ok(files.includes(`node_modules/${name}/package.json`), name);
  });

  it('installs only what serve needs at run time: no dev tooling, no build on the machine', () => {
    for (const dev of ['typescript', 'tsx', '@biomejs/biome', 'playwright-core'])
      assert.equal(existsSync(join(installed, 'node_modules', dev)), false, dev);
    assert.equal(existsSync(join(installed, 'src')), false);
    if (!FULL) {
      const v = (JSON.parse(readFileSync(join(installed, 'node_modules/better-sqlite3/package.json'), 'utf8')) as { version: string })
        .version;
      assert.equal(v, prebuildVersion, 'npm resolved another better-sqlite3 than the checkout has, so the local prebuild did not apply');
    }
  });

  it('portcullis --version prints the package version, from a directory outside the checkout', () => {
    const out = execFileSync('portcullis', ['--version'], { cwd: elsewhere, env: cleanEnv(), encoding: 'utf8' });
    assert.equal(out, `${pkg.version}\n`);
  });

  it('portcullis serve starts on a new data directory and answers discovery', async () => {
    const { readyz } = await serveAnswers(prefix, elsewhere, join(elsewhere, 'data'));
    assert.equal(readyz, 200);
  });

  it('admin verbs run from the installed package: keys list on the data directory serve made', () => {
    const r = spawnSync('portcullis', ['keys', 'list', '--data-dir', join(elsewhere, 'data')], {
      cwd: elsewhere,
      env: cleanEnv(),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /active/);
    const help = spawnSync('portcullis', ['users', '--help'], { cwd: elsewhere, env: cleanEnv(), encoding: 'utf8', timeout: 30_000 });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /Usage: portcullis users/);
  });
});

if (FULL) {
  // From git (README.md, Install): npm clones the committed HEAD, installs the development
  // dependencies and runs `prepare` in a temporary directory, and packs the result.
  describe('npm pack git+file:// of this repository (full mode)', { timeout: 600_000 }, () => {
    it('builds dist/ from the committed tree and packs the CLI', () => {
      const dir = mkdtempSync(join(tmpdir(), 'portcullis-git-pack-'));
      try {
        const packed = JSON.parse(npm(['pack', '--json', '--prefer-offline', `git+file://${ROOT}`], dir, {}, 540_000)) as {
          files: { path: string }[];
        }[];
        assert.ok(packed[0]!.files.some((f) => f.path === 'dist/cli/main.js'));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
