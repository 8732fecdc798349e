#!/usr/bin/env node
// Wall time of each test file on its own, to find what makes `npm test` slow (docs/testing.md).
// Runs the files one after the other, each in its own `node --import tsx --test` process, exactly
// as scripts/run-tests.mjs would run that one file; prints one line per file as it finishes and a
// table sorted by time at the end. Not part of `npm test`. Besides the wall time it prints the CPU
// time (user + system) the file's processes used: on a shared machine the wall time measures the
// neighbours too, the CPU time much less so.
// Usage: node scripts/test-times.mjs [path-filter ...]   (no filter: every file — that is a full run)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { root, testFiles } from './test-files.mjs';

const filters = process.argv.slice(2);
const files = testFiles(filters);
if (files.length === 0) {
  console.error('test-times: no test files matched');
  process.exit(1);
}

/**
 * CPU seconds of this process's waited-for children (cutime + cstime, proc(5) /proc/[pid]/stat
 * fields 16-17, in clock ticks of 1/100 s on Linux); a grandchild counts once its parent waited.
 */
function childCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

function timeOne(file) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const cpuBefore = childCpuSeconds();
    let tail = '';
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-timeout=300000', file], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk) => {
      tail = (tail + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('exit', (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const tests = /# tests (\d+)/.exec(tail)?.[1] ?? '?';
      const failed = /# fail (\d+)/.exec(tail)?.[1] ?? '?';
      resolve({ file, seconds, cpu: childCpuSeconds() - cpuBefore, tests, failed, ok: code === 0 && !signal, tail });
    });
  });
}

const results = [];
for (const file of files) {
  const r = await timeOne(file);
  results.push(r);
  console.log(
    `${r.seconds.toFixed(1).padStart(7)} s  cpu ${r.cpu.toFixed(1).padStart(6)} s  ${r.ok ? 'ok  ' : 'FAIL'}  tests ${r.tests}, failed ${r.failed}  ${file}`,
  );
  if (!r.ok) console.log(r.tail.split('\n').slice(-30).join('\n'));
}
const total = results.reduce((s, r) => s + r.seconds, 0);
const cpu = results.reduce((s, r) => s + r.cpu, 0);
console.log(`\n${files.length} files, ${total.toFixed(1)} s wall, ${cpu.toFixed(1)} s cpu in all (one at a time); slowest first:`);
for (const r of [...results].sort((a, b) => b.seconds - a.seconds)) {
  console.log(`${r.seconds.toFixed(1).padStart(7)} s  cpu ${r.cpu.toFixed(1).padStart(6)} s  ${r.file}`);
}
process.exit(results.every((r) => r.ok) ? 0 : 1);
