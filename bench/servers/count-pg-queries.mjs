/**
 * A preload for a `portcullis serve` under bench/pg-cpu.ts --count-queries (node --import): counts
 * the statements the process sends to PostgreSQL (each is one round trip: node-postgres waits for
 * a statement's answer before it sends the next on that connection), by statement text. On
 * SIGUSR2 it writes the counts since the last SIGUSR2 to /tmp/portcullis-pg-queries-<pid>.json
 * and starts again, so the bench can take the counts of its measured window alone.
 */
import { writeFileSync } from 'node:fs';
import pg from 'pg';

const counts = new Map();
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, callback) {
  const text = typeof config === 'string' ? config : (config?.text ?? '');
  const key = text.replace(/\s+/g, ' ').trim().slice(0, 100);
  counts.set(key, (counts.get(key) ?? 0) + 1);
  return query.call(this, config, values, callback);
};
process.on('SIGUSR2', () => {
  writeFileSync(`/tmp/portcullis-pg-queries-${process.pid}.json`, JSON.stringify(Object.fromEntries(counts)));
  counts.clear();
});
