/**
 * Every citation in the repository must be something a reader of the repository can open: a file
 * in it, an RFC section, or a public documentation URL. This fails on references to design notes
 * and fact sheets that are not in the repository, on numbered conventions defined elsewhere, on
 * tracker numbers ("issue 6"), and on repository paths (`src/...`, `docs/...`) that do not exist.
 * The rules for comments: docs/architecture.md, "Where things are written down".
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';

const root = new URL('../..', import.meta.url).pathname;
const SCANNED_DIRS = ['src', 'test', 'bench', 'scripts', 'examples', 'docs'];
const SCANNED_FILES = ['README.md', 'BENCHMARKS.md'];
const EXTENSIONS = /\.(ts|mts|mjs|js|md|json|sh)$/;
const MAX_FILES = 5000;
const self = relative(root, new URL(import.meta.url).pathname);

// Built from parts so that this file does not match itself.
const D = 'DESIGN';
const FORBIDDEN: { name: string; re: RegExp }[] = [
  { name: 'design notes outside the repository', re: new RegExp(`\\b${D}\\.md\\b`) },
  { name: 'a fact sheet outside the repository', re: /\breference\/[\w.-]+\.md\b/ },
  { name: 'a section of a fact sheet outside the repository', re: /\breference §/ },
  { name: 'a numbered convention defined elsewhere', re: /\bconventions? \d+/i },
  { name: 'a rule list defined elsewhere', re: /\bcode-style anchors\b|\banti-pattern \d+/i },
  { name: 'a tracker number', re: /\b(?:issues?|tickets?|PR|pull request) #?\d+/i },
];

const GENERATED = new Set(['dist', 'bench/results']);

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    // Build output and benchmark copies of older builds (git-ignored): not the repository's text.
    if (GENERATED.has(relative(root, p))) continue;
    if (statSync(p).isDirectory()) walk(p, out);
    else if (EXTENSIONS.test(name)) out.push(p);
    if (out.length > MAX_FILES) throw new Error(`more than ${MAX_FILES} files under ${dir}`);
  }
}

function scannedFiles(): string[] {
  const files: string[] = [];
  for (const d of SCANNED_DIRS) if (existsSync(join(root, d))) walk(join(root, d), files);
  for (const f of SCANNED_FILES) if (existsSync(join(root, f))) files.push(join(root, f));
  return files.filter((f) => relative(root, f) !== self);
}

test('no citation points outside the repository or at a tracker number', () => {
  const files = scannedFiles();
  assert.ok(files.length > 100, `scanned only ${files.length} files; is the root right?`);
  const findings: string[] = [];
  for (const file of files) {
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      for (const { name, re } of FORBIDDEN) {
        if (re.test(line)) findings.push(`${relative(root, file)}:${i + 1}: ${name}: ${line.trim().slice(0, 120)}`);
      }
    });
  }
  assert.deepEqual(findings, [], `${findings.length} citation(s) a reader cannot follow:\n${findings.join('\n')}`);
});

test('every repository path cited (src/, test/, bench/, scripts/, examples/, docs/) exists', () => {
  const findings = new Set<string>();
  const cited = /\b(?:src|test|bench|scripts|examples|docs)\/[\w./-]+\.(?:ts|mjs|md|json|sh)\b/g;
  for (const file of scannedFiles()) {
    for (const m of readFileSync(file, 'utf8').matchAll(cited)) {
      if (!existsSync(join(root, m[0]))) findings.add(`${relative(root, file)}: ${m[0]} does not exist`);
    }
  }
  assert.deepEqual([...findings], [], [...findings].join('\n'));
});
