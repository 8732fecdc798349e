import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { FuzzRequest } from './http-input.js';
import { Rng, inputSeed } from './rng.js';
import type { FuzzServer } from './server-process.js';
import type { FuzzContext, HttpTarget } from './target.js';

/** A stack frame in a response body means internals leaked (docs/threat-model.md: no stack traces in responses). */
const STACK_FRAME = /\n\s+at [^\n]*\(?[^\n]*:\d+:\d+\)?|node_modules\//;
/** Database and runtime error text in a response means an error escaped its surface's error mapping. */
const INTERNALS =
  /SqliteError|SQLITE_[A-Z]|invalid byte sequence|violates [a-z ]*constraint|duplicate key value|node:internal|"code":"[0-9A-Z]{5}"/;

/** A $batch answers 200 and carries each inner answer in `responses`: those must be < 500 too. */
function innerServerError(text: string): string | null {
  if (!text.startsWith('{"responses"')) return null;
  const { responses } = JSON.parse(text) as { responses: { status: number; body?: unknown }[] };
  const bad = responses.find((r) => r.status >= 500);
  return bad ? `HTTP ${bad.status}: ${JSON.stringify(bad.body).slice(0, 200)}` : null;
}

/**
 * A $batch inner answer must come from a Graph route of the batch's own version
 * (src/graph/batch-containment.ts): no body or a JSON object; an error in Graph's envelope
 * (`{"error":{"code":…}}`); an `@odata.context` under the batch's version. The token endpoint's
 * `{"error":"invalid_request"}`, a web page (base64 text) or another version's answer means an
 * inner URL escaped.
 */
function innerEscape(text: string, path: string): string | null {
  if (!text.startsWith('{"responses"')) return null;
  const version = /^\/(v1\.0|beta)\//i.exec(path)?.[1]?.toLowerCase();
  const { responses } = JSON.parse(text) as { responses: { id: string; status: number; body?: unknown }[] };
  for (const r of responses) {
    const body = r.body as Record<string, unknown> | undefined;
    if (body === undefined) continue;
    const what = `inner request '${r.id}' answered ${r.status} ${JSON.stringify(body).slice(0, 160)}`;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return `not a Graph answer: ${what}`;
    if ('error' in body && typeof (body.error as { code?: unknown } | null)?.code !== 'string') return `not a Graph error: ${what}`;
    const context = body['@odata.context'];
    if (version && typeof context === 'string' && !context.includes(`/${version}/$metadata`))
      return `another version's answer in a ${version} batch: ${what}`;
  }
  return null;
}

export interface Outcome {
  status: number | null;
  /** Why this input failed, or null. */
  failure: string | null;
  /** The connection was closed without an answer (counted; a failure only if the server died). */
  connectionError: string | null;
}

/** Writes raw bytes on a new connection, half-closes it and reads whatever comes back (bounded: 10 s). */
function exchangeRaw(origin: string, bytes: Buffer): Promise<{ answer: string; error: string | null }> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host: hostname, port: Number(port) });
    let done = false;
    const finish = (error: string | null) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve({ answer: Buffer.concat(chunks).toString('latin1'), error });
    };
    socket.setTimeout(10_000, () => finish('timeout'));
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', (e) => finish((e as NodeJS.ErrnoException).code ?? e.message));
    socket.on('close', () => finish(null));
    socket.end(bytes);
  });
}

async function sendRaw(server: FuzzServer, bytes: Buffer): Promise<Outcome> {
  const { answer, error } = await exchangeRaw(server.origin, bytes);
  if (server.exited) return { status: null, failure: 'server died', connectionError: null };
  // Node's parser answers 400/413/431/505 itself; a handler answers as usual. Several responses may come back.
  const statuses = [...answer.matchAll(/HTTP\/1\.[01] (\d{3})/g)].map((m) => Number(m[1]));
  const bad = statuses.find((s) => s >= 500 && s !== 505);
  if (bad !== undefined) return { status: bad, failure: `HTTP ${bad}: ${answer.slice(0, 300)}`, connectionError: null };
  if (STACK_FRAME.test(answer) || INTERNALS.test(answer))
    return { status: statuses[0] ?? null, failure: `internals in a response: ${answer.slice(0, 300)}`, connectionError: null };
  if (statuses.length === 0) return { status: null, failure: null, connectionError: error ?? 'closed without an answer' };
  return { status: statuses[0]!, failure: null, connectionError: null };
}

/** Sends one request and judges the answer: < 500, no stack trace, and the server still up. */
export async function send(server: FuzzServer, req: FuzzRequest): Promise<Outcome> {
  if (req.raw) return sendRaw(server, req.raw);
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : req.body;
  try {
    const res = await server.pool.request({
      method: req.method as 'GET',
      path: req.path,
      headers: req.headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.body.text();
    if (res.statusCode >= 500)
      return { status: res.statusCode, failure: `HTTP ${res.statusCode}: ${text.slice(0, 300)}`, connectionError: null };
    if (STACK_FRAME.test(text))
      return { status: res.statusCode, failure: `stack trace in a ${res.statusCode} response`, connectionError: null };
    if (INTERNALS.test(text))
      return {
        status: res.statusCode,
        failure: `internal error text in a ${res.statusCode} response: ${text.slice(0, 300)}`,
        connectionError: null,
      };
    const inner = innerServerError(text);
    if (inner) return { status: res.statusCode, failure: `$batch answered an inner request with ${inner}`, connectionError: null };
    const escaped = innerEscape(text, req.path);
    if (escaped) return { status: res.statusCode, failure: `$batch inner URL escaped its version: ${escaped}`, connectionError: null };
    return { status: res.statusCode, failure: null, connectionError: null };
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code === 'UND_ERR_INVALID_ARG') throw new Error(`the generator made a request undici cannot send: ${(e as Error).message}`);
    // Fastify may close the connection after an early answer (e.g. 413 before the body was read).
    await new Promise((r) => setTimeout(r, 20));
    if (server.exited) return { status: null, failure: `server died: ${(e as Error).message}`, connectionError: null };
    return { status: null, failure: null, connectionError: `${code} ${(e as Error).message}` };
  }
}

export interface TargetStats {
  name: string;
  inputs: number;
  byStatus: Record<string, number>;
  connectionErrors: number;
  failures: { index: number; reason: string; request: FuzzRequest }[];
  seconds: number;
  timedOut: boolean;
}

/**
 * Runs `count` generated inputs of one target, `concurrency` at a time over the keep-alive pool,
 * bounded by `deadline` (performance.now()). Input i is generated from inputSeed(seed, name, i).
 */
export async function fuzzTarget(
  server: FuzzServer,
  target: HttpTarget,
  ctx: FuzzContext,
  opts: { seed: number; count: number; deadline: number; concurrency: number; maxFailures?: number },
): Promise<TargetStats> {
  const stats: TargetStats = { name: target.name, inputs: 0, byStatus: {}, connectionErrors: 0, failures: [], seconds: 0, timedOut: false };
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < opts.count && stats.failures.length < (opts.maxFailures ?? 20)) {
      if (performance.now() > opts.deadline) {
        stats.timedOut = true;
        return;
      }
      const index = next++;
      const req = target.generate(new Rng(inputSeed(opts.seed, target.name, index)), ctx);
      const out = await send(server, req);
      stats.inputs++;
      const key = out.status === null ? 'no answer' : String(out.status);
      stats.byStatus[key] = (stats.byStatus[key] ?? 0) + 1;
      if (out.connectionError) stats.connectionErrors++;
      if (out.failure) stats.failures.push({ index, reason: out.failure, request: req });
      if (server.exited) return;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}
