// The package's `prepare` script: compiles src/ to dist/ (tsconfig.build.json) before `npm pack`,
// after `npm install` in a checkout, and when npm prepares the package as a git dependency
// (`npm install -g git+https://…`, docs/cli.md "Install").
//
// In a checkout the devDependencies are installed and the local tsc runs, as `npm run build` does.
// As a git dependency installed with -g they are not: npm runs the clone's install in global mode
// (https://github.com/npm/cli/issues/8440), so the clone has no node_modules and `tsc` is not
// found. The compiler is then run through `npm exec` at the version package-lock.json pins; npm
// keeps it in its own cache (npm exec, https://docs.npmjs.com/cli/v11/commands/npm-exec), not in
// the clone or the global prefix. Without the clone's dependencies (their types, @types/node) tsc
// reports type errors, yet emits: type errors never change the JavaScript emitted (tsc's
// noEmitOnError is off, and verbatimModuleSyntax keeps every import as written), so dist/ is what
// a checkout builds. Only "errors, nothing emitted" (exit 1) or a missing dist/cli/main.js fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const localTsc = join(root, 'node_modules/typescript/bin/tsc');
const args = ['-p', join(root, 'tsconfig.build.json')];

/** tsc's exit codes (typescript ExitStatus): 0 success, 1 errors and nothing emitted, 2 errors but emitted. */
const EMITTED_WITH_ERRORS = 2;

function run(command, argv) {
  const r = spawnSync(command, argv, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.error) throw r.error;
  return { status: r.status ?? 1, stdout: r.stdout };
}

if (existsSync(localTsc)) {
  const r = run(process.execPath, [localTsc, ...args]);
  process.stdout.write(r.stdout);
  process.exit(r.status);
}

const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
const version = lock.packages?.['node_modules/typescript']?.version;
if (!version) {
  console.error('prepare: package-lock.json pins no typescript version');
  process.exit(1);
}
console.error(`prepare: no local TypeScript (a git dependency's install); compiling with typescript@${version} through npm exec`);
// npm_config_global is what npm passed down to this script under -g; npm exec must not take it.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.toLowerCase() !== 'npm_config_global'));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['exec', '--yes', `--package=typescript@${version}`, '--', 'tsc', ...args], {
  cwd: root,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
  shell: process.platform === 'win32',
});
if (r.error) throw r.error;
const errors = (r.stdout.match(/error TS\d+/g) ?? []).length;
if ((r.status === 0 || r.status === EMITTED_WITH_ERRORS) && existsSync(join(root, 'dist/cli/main.js'))) {
  if (errors > 0)
    console.error(`prepare: dist/ emitted; ${errors} type errors ignored (the clone has no dependencies to type-check against)`);
  process.exit(0);
}
process.stdout.write(r.stdout);
console.error(`prepare: tsc exited ${r.status}; dist/ was not built`);
process.exit(1);
