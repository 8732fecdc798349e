#!/usr/bin/env node
/**
 * The physical limit the refresh benchmark is measured against: RS256 signatures per second on
 * one core with node:crypto and a 2048-bit key, over a signing input the size of a real access
 * token. A refresh signs two JWTs (access + ID token), so one core can do at most half this
 * many refreshes per second. Run pinned to one CPU (taskset) by the bench.
 * Usage: node bench/servers/rs256-limit.mjs [ms]
 *   -> prints {"signaturesPerSecond": n, "signaturesPerCpuSecond": m}
 * The first is wall-clock (what the core gave us, other processes included); the second divides
 * by the CPU time this process actually got: the limit of the silicon, whatever else runs.
 */
import { generateKeyPairSync, sign } from 'node:crypto';

const ms = Number(process.argv[2] ?? 1000);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const input = Buffer.from(
  `${Buffer.from('{"typ":"JWT","alg":"RS256","kid":"x"}').toString('base64url')}.${Buffer.from('x'.repeat(700)).toString('base64url')}`,
);
for (let i = 0; i < 200; i++) sign('sha256', input, privateKey); // warm up
let n = 0;
const cpu0 = process.cpuUsage();
const start = performance.now();
while (performance.now() - start < ms) {
  sign('sha256', input, privateKey);
  n++;
}
const elapsed = performance.now() - start;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
process.stdout.write(
  `${JSON.stringify({ signaturesPerSecond: Math.round((n / elapsed) * 1000), signaturesPerCpuSecond: Math.round(n / cpuSeconds) })}\n`,
);
