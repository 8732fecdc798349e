import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { SSF_ERRORS } from '../errors.js';
import { checkTenant, jsonObject, ownStream } from '../http.js';
import { authenticateReceiver } from '../receiver-auth.js';

const MAX_STATE = 1024;

/**
 * SSF 1.0 §8.1.4.2: the receiver asks for a verification event; 204 now, and the verification SET
 * carrying its `state` follows through the stream's own delivery method. Requests closer together
 * than min_verification_interval get 429 with Retry-After.
 */
export function registerVerifyEndpoint(http: FastifyInstance, services: Services): void {
  http.post<{ Params: { tenant: string } }>('/:tenant/ssf/verify', async (req, reply) => {
    checkTenant(req.params.tenant, services);
    const receiver = await authenticateReceiver(req, services);
    const body = jsonObject(req.body);
    const stream = await ownStream(receiver, body.stream_id, services);
    const state = body.state ?? null;
    if (state !== null && (typeof state !== 'string' || state.length > MAX_STATE)) {
      throw SSF_ERRORS.invalidRequest(`state must be a string of at most ${MAX_STATE} characters.`);
    }
    const minSeconds = services.config.ssf.minVerificationIntervalSeconds;
    if (!(await services.store.ssf.recordVerification(services.tenant.id, stream.streamId, services.clock.now(), minSeconds * 1000))) {
      throw SSF_ERRORS.tooManyVerifications(minSeconds);
    }
    await services.ssf.sendVerification(stream, state);
    return reply.code(204).send();
  });
}
