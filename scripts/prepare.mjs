/**
 * The package's `prepare` script: builds dist/ (`tsc -p tsconfig.build.json`).
 *
 * In a checkout (`npm install`, `npm pack`) and when npm prepares a git dependency with its
 * development dependencies installed (npm 12, or without `-g`), the compiler is in node_modules and
 * this is only that `tsc` run.
 *
 * `npm install -g git+URL` with npm 11 needs more (README.md, Install). To prepare a git dependency
 * npm clones it and runs `npm install` in the clone (pacote, lib/git.js), but that inner install
 * inherits `npm_config_global=true` from the outer one (https://github.com/npm/cli/issues/8440):
 * with no arguments in global mode it installs the clone itself globally, as a symlink
 * <prefix>/lib/node_modules/portcullis -> clone, and runs this script there (the clone has no
 * node_modules). npm then runs `prepare` once more in the clone, packs it and extracts the tarball
 * into <prefix>/lib/node_modules/portcullis, which by then is that symlink: the files would land in
 * the clone, which npm deletes. So:
 *   1. the inner run (global, npm's `_PACOTE_NO_PREPARE_` set, the package's global path a symlink
 *      to this directory) only leaves a marker file and succeeds;
 *   2. the next run, with the marker, puts back the empty directory the outer install had made
 *      there in place of the symlink, installs the pinned compiler and the type packages the build
 *      reads into a temporary directory outside the clone (`npm install --global=false --prefix
 *      <tmp> --ignore-scripts`), points the clone's node_modules at it for the `tsc` run, copies
 *      the bundled dependency (`bundleDependencies` in package.json) into the clone so that it is
 *      packed as from a checkout, and removes the temporary directory.
 * `bundleDependencies` is what makes the outer install wait: npm extracts a package with bundled
 * dependencies before its other dependencies (@npmcli/arborist, reify.js,
 * loadBundlesAndUpdateTrees), so the inner install's symlink cannot replace a directory the outer
 * install is filling.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MARKER = join(ROOT, '.prepare-global-link');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** The path npm's global mode installs this package at (npm docs, "folders"), if global. */
function globalPath() {
  const prefix = process.env.npm_config_prefix;
  if (process.env.npm_config_global !== 'true' || !prefix) return undefined;
  return process.platform === 'win32' ? join(prefix, 'node_modules', pkg.name) : join(prefix, 'lib', 'node_modules', pkg.name);
}

/** True when `path` is a symlink to this directory. */
function linksHere(path) {
  try {
    return lstatSync(path).isSymbolicLink() && realpathSync(path) === realpathSync(ROOT);
  } catch {
    return false;
  }
}

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`prepare: ${cmd} ${args.join(' ')} failed (${r.status ?? r.signal ?? r.error?.message})`);
}

const tsc = (modules) => run(process.execPath, [join(modules, 'typescript/bin/tsc'), '-p', 'tsconfig.build.json']);

const linked = globalPath();
if (linked && process.env._PACOTE_NO_PREPARE_ && linksHere(linked)) {
  // 1. npm 11's inner install of a git dependency under -g (see above): the next run builds.
  writeFileSync(MARKER, `${linked}\n`);
  process.exit(0);
}

const fromGlobalGitInstall = existsSync(MARKER);
if (fromGlobalGitInstall) {
  const path = readFileSync(MARKER, 'utf8').trim();
  rmSync(MARKER);
  if (linksHere(path)) {
    unlinkSync(path);
    mkdirSync(path);
  }
}

if (existsSync(join(ROOT, 'node_modules/typescript/bin/tsc'))) {
  tsc(join(ROOT, 'node_modules'));
} else {
  // 2. No compiler here: the exact versions package-lock.json holds, in a directory of their own.
  const lock = existsSync(join(ROOT, 'package-lock.json')) ? JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) : {};
  const wanted = { ...pkg.dependencies };
  for (const name of ['typescript', '@types/node', '@types/better-sqlite3', '@types/pg']) wanted[name] = pkg.devDependencies[name];
  for (const name of Object.keys(wanted)) {
    const locked = lock.packages?.[`node_modules/${name}`]?.version;
    if (locked) wanted[name] = locked;
  }
  const tmp = mkdtempSync(join(tmpdir(), `${pkg.name}-build-`));
  const modules = join(ROOT, 'node_modules');
  let linkedModules = false;
  try {
    writeFileSync(join(tmp, 'package.json'), JSON.stringify({ name: `${pkg.name}-build`, private: true, dependencies: wanted }));
    // The global install's npm_config_* would make this one global too: drop them, and say so.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^npm_config_(global|location|prefix|global_prefix|omit|include|save.*)$/i.test(k)),
    );
    const npmArgs = ['install', '--global=false', '--prefix', tmp, '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock'];
    const npmCli = process.env.npm_execpath;
    if (npmCli?.endsWith('.js')) run(process.execPath, [npmCli, ...npmArgs], { cwd: tmp, env });
    else run(process.platform === 'win32' ? 'npm.cmd' : 'npm', npmArgs, { cwd: tmp, env, shell: process.platform === 'win32' });
    if (!existsSync(modules)) {
      symlinkSync(join(tmp, 'node_modules'), modules, 'junction');
      linkedModules = true;
    }
    tsc(join(tmp, 'node_modules'));
    if (linkedModules) {
      unlinkSync(modules);
      linkedModules = false;
    }
    if (fromGlobalGitInstall) {
      for (const name of pkg.bundleDependencies ?? []) cpSync(join(tmp, 'node_modules', name), join(modules, name), { recursive: true });
    }
  } finally {
    if (linkedModules) unlinkSync(modules);
    rmSync(tmp, { recursive: true, force: true });
  }
}
