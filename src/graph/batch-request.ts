/**
 * Parsing and validating a JSON batch body (https://learn.microsoft.com/graph/json-batching): `{"requests":[{id, method, url,
 * headers?, body?, dependsOn?}]}`, at most 20 requests, ids unique case-insensitively, every
 * dependsOn naming another request of the batch and no cycles. Any violation fails the whole
 * batch with 400, as Graph does; problems of one request (bad URL, unknown path) are answered in
 * that request's own response instead.
 */
import { innerHeaders } from './batch-containment.js';
import { requireJsonObject } from './body.js';
import { RequestBadRequest } from './errors.js';

export const MAX_BATCH_REQUESTS = 20;
const METHODS = ['GET', 'POST', 'PATCH', 'PUT', 'DELETE'] as const;
export type BatchMethod = (typeof METHODS)[number];

export interface BatchItem {
  id: string;
  method: BatchMethod;
  url: string;
  /** Lower-cased header names; what batch-containment.ts innerHeaders lets through. */
  headers: Record<string, string>;
  body: unknown;
  dependsOn: string[];
}

const bad = (message: string) => new RequestBadRequest(message);

function readHeaders(raw: unknown, id: string): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad(`The headers of request '${id}' must be a JSON object.`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof value !== 'string') throw bad(`Header '${name}' of request '${id}' must be a string.`);
    headers[name.toLowerCase()] = value;
  }
  return innerHeaders(headers);
}

function readItem(raw: unknown, index: number): BatchItem {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad(`Request ${index} of the batch must be a JSON object.`);
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id.length === 0) throw bad(`Request ${index} of the batch has no 'id' (a non-empty string).`);
  const id = r.id;
  const method = typeof r.method === 'string' ? r.method.toUpperCase() : '';
  if (!(METHODS as readonly string[]).includes(method))
    throw bad(`Request '${id}' has an invalid 'method'; use one of ${METHODS.join(', ')}.`);
  if (typeof r.url !== 'string' || r.url.length === 0) throw bad(`Request '${id}' has no 'url'.`);
  const headers = readHeaders(r.headers, id);
  // JSON batching (https://learn.microsoft.com/graph/json-batching): a body needs its Content-Type in the request's headers.
  if (r.body !== undefined && r.body !== null && headers['content-type'] === undefined) {
    throw bad(`Request '${id}' has a body but no Content-Type header.`);
  }
  const dependsOn = r.dependsOn ?? [];
  if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== 'string')) {
    throw bad(`The 'dependsOn' of request '${id}' must be an array of request ids.`);
  }
  return { id, method: method as BatchMethod, url: r.url, headers, body: r.body ?? undefined, dependsOn: dependsOn as string[] };
}

/** Throws if a dependsOn names an unknown request or the dependencies form a cycle. */
function checkDependencies(items: readonly BatchItem[]): void {
  const byId = new Map(items.map((i) => [i.id.toLowerCase(), i]));
  for (const item of items) {
    for (const dep of item.dependsOn) {
      if (!byId.has(dep.toLowerCase())) throw bad(`Request '${item.id}' depends on '${dep}', which is not in the batch.`);
    }
  }
  // Depth-first search; `state` 1 = on the current path (a back edge is a cycle), 2 = finished.
  const state = new Map<string, 1 | 2>();
  const visit = (item: BatchItem): void => {
    const key = item.id.toLowerCase();
    if (state.get(key) === 2) return;
    if (state.get(key) === 1) throw bad(`The dependsOn of request '${item.id}' form a cycle.`);
    state.set(key, 1);
    for (const dep of item.dependsOn) visit(byId.get(dep.toLowerCase())!);
    state.set(key, 2);
  };
  items.forEach(visit);
}

export function parseBatch(body: unknown): BatchItem[] {
  const requests = requireJsonObject(body).requests;
  if (!Array.isArray(requests)) throw bad("The batch body must have a 'requests' array.");
  if (requests.length === 0) throw bad('The batch must contain at least one request.');
  if (requests.length > MAX_BATCH_REQUESTS) {
    throw bad(`The batch contains ${requests.length} requests; the limit is ${MAX_BATCH_REQUESTS}.`);
  }
  const items = requests.map(readItem);
  const seen = new Set<string>();
  for (const item of items) {
    const key = item.id.toLowerCase();
    if (seen.has(key)) throw bad(`The batch contains more than one request with id '${item.id}'.`);
    seen.add(key);
  }
  checkDependencies(items);
  return items;
}
