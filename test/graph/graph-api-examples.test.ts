/**
 * The example requests of docs/graph-api.md (the block marked `<!-- example: user-queries -->`),
 * sent as written — each GET line with the header lines under it — to the real app.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { delegatedToken, makeHarness, type Harness } from '../helpers/harness.js';
import { call } from './graph-helpers.js';

interface ExampleRequest {
  path: string;
  headers: Record<string, string>;
}

function docExamples(name: string): ExampleRequest[] {
  const doc = readFileSync(new URL('../../docs/graph-api.md', import.meta.url), 'utf8');
  const block = doc.split(`<!-- example: ${name} -->`)[1]?.split('```')[1];
  assert.ok(block, `docs/graph-api.md has no example '${name}'`);
  const out: ExampleRequest[] = [];
  for (const line of block.split('\n').slice(1)) {
    if (line.startsWith('GET ')) out.push({ path: line.slice(4), headers: {} });
    else if (line.includes(':'))
      out.at(-1)!.headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
  }
  return out;
}

/** The path with each query value percent-encoded, as a client library would send it. */
function encoded(path: string): string {
  const [route, query] = path.split('?', 2) as [string, string | undefined];
  if (!query) return route;
  const params = query.split('&').map((p) => {
    const eq = p.indexOf('=');
    return `${p.slice(0, eq)}=${encodeURIComponent(p.slice(eq + 1))}`;
  });
  return `${route}?${params.join('&')}`;
}

let h: Harness;
before(async () => {
  h = await makeHarness();
});
after(() => h.close());

test('every users query example of docs/graph-api.md answers 200', async () => {
  const examples = docExamples('user-queries');
  assert.ok(examples.length >= 5);
  const token = delegatedToken(h, 'alice', ['User.Read.All']);
  for (const { path, headers } of examples) {
    const res = await call(h, 'GET', encoded(path), { token, headers });
    assert.equal(res.status, 200, `${path}: ${res.body}`);
    if (path.includes('$count?')) assert.ok(Number(res.body) > 0, path);
    else if (!path.includes("'Team'")) assert.ok(res.json.value.length > 0, `${path} matched nobody`);
  }
});
