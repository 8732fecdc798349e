/** `portcullis/sdk`: a small typed client for Microsoft Graph-compatible APIs. */
export { GraphClient, MAX_BATCH_SIZE, batchResponseError } from './client.js';
export { GraphError, parseRetryAfter } from './graph-error.js';
export type { GraphClientOptions, TokenProvider, CallOptions, RawResponse } from './transport.js';
export type * from './types.js';
