/**
 * Fastify's router rejects some URLs (bad percent-encoding, over-long parameters) before any
 * plugin, hook or error handler runs, and answers them with its own JSON body. Only the
 * instance-level `frameworkErrors` option can change that, so app.ts must pass this in for the
 * Graph prefixes to keep the OData envelope there:
 *
 *   const graphErrors = graphFrameworkErrors(services);
 *   Fastify({ ..., frameworkErrors: (err, req, reply) => { if (!graphErrors(err, req, reply)) reply.code(400).send(...) } })
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { setRequestIdHeaders } from '../http/request-id.js';
import type { Services } from '../services.js';
import { sendGraphError } from './error-response.js';

const GRAPH_PATH = /^\/(v1\.0|beta)(\/|\?|$)/;

export function isGraphPath(url: string): boolean {
  return GRAPH_PATH.test(url);
}

/** Returns a handler that answers framework errors on Graph paths (true) and leaves others (false). */
export function graphFrameworkErrors(services: Services) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): boolean => {
    if (!isGraphPath(request.url)) return false;
    // The app's onRequest hook has not run for these requests: set its headers here.
    setRequestIdHeaders(request, reply);
    sendGraphError(request, reply, error, services);
    return true;
  };
}
