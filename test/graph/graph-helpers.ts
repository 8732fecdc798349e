import assert from 'node:assert/strict';
import type { User } from '../../src/core/model.js';
import { GRAPH_CONTENT_TYPE } from '../../src/graph/http.js';
import { TENANT_ID, type Harness } from '../helpers/harness.js';

export interface GraphResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  json: any; // tests walk arbitrary response JSON
}

export interface CallOptions {
  token?: string;
  /** An object is sent as JSON; a string or Buffer as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** One request through the real app (routing, parsing, serialisation) via inject(). */
export async function call(h: Harness, method: string, url: string, opts: CallOptions = {}): Promise<GraphResponse> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  let payload: string | Buffer | undefined;
  if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) payload = opts.body;
  else if (opts.body !== undefined) {
    payload = JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await h.app.http.inject({
    method: method as 'GET',
    url,
    headers,
    ...(payload !== undefined ? { payload } : {}),
  });
  let json: unknown;
  try {
    json = res.body.length > 0 ? JSON.parse(res.body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, headers: res.headers, body: res.body, json };
}

const ERROR_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

/** Asserts Graph's OData error envelope, its headers, and that nothing internal leaked. */
export function assertGraphError(res: GraphResponse, status: number, code: string, message?: string | RegExp): void {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.body}`);
  assert.equal(res.headers['content-type'], GRAPH_CONTENT_TYPE);
  const error = res.json?.error;
  assert.ok(error, `no error envelope in ${res.body}`);
  assert.equal(error.code, code);
  if (typeof message === 'string') assert.equal(error.message, message);
  else if (message) assert.match(error.message, message);
  assert.match(error.innerError.date, ERROR_DATE);
  assert.equal(error.innerError['request-id'], res.headers['request-id']);
  assert.equal(error.innerError['client-request-id'], res.headers['client-request-id']);
  assert.deepEqual(Object.keys(res.json), ['error']);
  assertNoInternals(res);
}

/** No stack trace, no fastify error code, no SQL in a response body. */
export function assertNoInternals(res: GraphResponse): void {
  assert.doesNotMatch(res.body, /\bat .*\.(ts|js):\d+|stack|FST_ERR|SQLITE|sqlite/i, `internals leaked: ${res.body}`);
}

export async function reload(h: Harness, user: User | string): Promise<User> {
  const id = typeof user === 'string' ? user : user.id;
  const fresh = await h.store.users.findById(TENANT_ID, id);
  assert.ok(fresh, `user ${id} is gone`);
  return fresh;
}

/** The path part of an absolute @odata.nextLink, for inject(). */
export function pathOf(absoluteUrl: string): string {
  const u = new URL(absoluteUrl);
  return `${u.pathname}${u.search}`;
}
