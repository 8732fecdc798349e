/**
 * Graph's error vocabulary (https://learn.microsoft.com/graph/errors). Each class fixes one wire
 * `code` and one HTTP status; handlers throw them and graph/error-response.ts writes the OData
 * envelope. Anything that is not a GraphError is turned into GeneralException there, so internals
 * never reach the wire.
 */
export interface GraphErrorDetail {
  target: string;
  code: string;
}

export abstract class GraphError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** Extra response headers (e.g. WWW-Authenticate on 401). */
  readonly headers: Record<string, string> = {};
  /** Optional `details` array, as older directory errors carry (e.g. ObjectConflict). */
  details: GraphErrorDetail[] | undefined;
  /** Extra innerError members besides date / request-id / client-request-id (e.g. on 429). */
  readonly innerError: Record<string, string> = {};

  constructor(message: string, details?: GraphErrorDetail[]) {
    super(message);
    this.name = new.target.name;
    this.details = details;
  }
}

/** 400 Request_BadRequest: malformed identifiers, bodies, values, unknown segments. */
export class RequestBadRequest extends GraphError {
  readonly status = 400;
  readonly code = 'Request_BadRequest';
}

/** 400 Request_UnsupportedQuery: an OData query the service does not support. */
export class RequestUnsupportedQuery extends GraphError {
  readonly status = 400;
  readonly code = 'Request_UnsupportedQuery';
}

/** 400 Directory_ExpiredPageToken: a $skiptoken that is not one we issued. */
export class DirectoryExpiredPageToken extends GraphError {
  readonly status = 400;
  readonly code = 'Directory_ExpiredPageToken';
  constructor() {
    super('The specified page token value has expired and can no longer be included in your request.');
  }
}

/** 401 InvalidAuthenticationToken; always sent with a WWW-Authenticate challenge. */
export class InvalidAuthenticationToken extends GraphError {
  readonly status = 401;
  readonly code = 'InvalidAuthenticationToken';
}

/** 403 Authorization_RequestDenied. */
export class AuthorizationRequestDenied extends GraphError {
  readonly status = 403;
  readonly code = 'Authorization_RequestDenied';
  constructor(message = 'Insufficient privileges to complete the operation.') {
    super(message);
  }
}

/** 404 Request_ResourceNotFound. */
export class RequestResourceNotFound extends GraphError {
  readonly status = 404;
  readonly code = 'Request_ResourceNotFound';
  constructor(identifier: string) {
    super(`Resource '${identifier}' does not exist or one of its queried reference-property objects are not present.`);
  }
}

/** 405 with Graph's Request_BadRequest code (as in the $batch documentation example). */
export class MethodNotAllowed extends GraphError {
  readonly status = 405;
  readonly code = 'Request_BadRequest';
  constructor() {
    super('Specified HTTP method is not allowed for the request target.');
  }
}

/** 413: the body is larger than config.bodyLimitBytes. */
export class RequestEntityTooLarge extends GraphError {
  readonly status = 413;
  readonly code = 'Request_BadRequest';
}

/** 415: a body in a media type other than JSON. */
export class UnsupportedMediaType extends GraphError {
  readonly status = 415;
  readonly code = 'Request_BadRequest';
}

/**
 * 429 TooManyRequests with Retry-After in whole seconds and the innerError members Graph's
 * throttling sample shows (https://learn.microsoft.com/graph/errors, https://learn.microsoft.com/graph/throttling).
 */
export class TooManyRequests extends GraphError {
  readonly status = 429;
  readonly code = 'TooManyRequests';
  constructor(retryAfterSeconds: number | string = 1) {
    super('Please retry again later.');
    const seconds = typeof retryAfterSeconds === 'number' ? retryAfterSeconds : 1;
    this.headers['retry-after'] = String(Math.max(1, Math.ceil(seconds)));
    Object.assign(this.innerError, { code: '429', status: '429', message: 'Please retry after' });
  }
}

/** 424: a $batch request whose dependsOn request failed (https://learn.microsoft.com/graph/json-batching). */
export class FailedDependency extends GraphError {
  readonly status = 424;
  readonly code = 'Request_FailedDependency';
}

/** 500 generalException: the only thing an unexpected failure turns into (errors.md). */
export class GeneralException extends GraphError {
  readonly status = 500;
  readonly code = 'generalException';
  constructor() {
    super('An unexpected error occurred.');
  }
}

/**
 * 503 serviceNotAvailable (Graph errors.md): the directory store is unreachable. Sent with
 * Retry-After, which the Graph SDKs' retry handlers honour for 503 (https://learn.microsoft.com/graph/throttling).
 */
export class ServiceNotAvailable extends GraphError {
  readonly status = 503;
  readonly code = 'serviceNotAvailable';
  constructor(
    message = 'The service is temporarily unavailable. Retry the request after the time in the Retry-After header.',
    retryAfterSeconds = 1,
  ) {
    super(message);
    this.headers['retry-after'] = String(retryAfterSeconds);
  }
}

/** Every concrete class, for the catalogue test and docs. */
export const GRAPH_ERROR_CLASSES = [
  RequestBadRequest,
  RequestUnsupportedQuery,
  DirectoryExpiredPageToken,
  InvalidAuthenticationToken,
  AuthorizationRequestDenied,
  RequestResourceNotFound,
  MethodNotAllowed,
  RequestEntityTooLarge,
  UnsupportedMediaType,
  TooManyRequests,
  FailedDependency,
  GeneralException,
  ServiceNotAvailable,
] as const;

/** "Resource not found for the segment 'x'." — Graph's answer for an unknown path segment. */
export function segmentNotFound(segment: string): RequestBadRequest {
  return new RequestBadRequest(`Resource not found for the segment '${segment}'.`);
}
