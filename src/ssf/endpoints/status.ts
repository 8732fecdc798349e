import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { SSF_ERRORS } from '../errors.js';
import { checkTenant, jsonObject, ownStream } from '../http.js';
import { hasNul } from '../receiver-input.js';
import { STREAM_STATUSES, type SsfStream, type StreamStatus } from '../model.js';
import { authenticateReceiver } from '../receiver-auth.js';

const MAX_REASON = 512;

function render(stream: SsfStream): Record<string, unknown> {
  const out: Record<string, unknown> = { stream_id: stream.streamId, status: stream.status };
  if (stream.statusReason !== null) out.reason = stream.statusReason;
  return out;
}

/** SSF 1.0 §8.1.2: read (GET ?stream_id=) and set (POST) a stream's status. */
export function registerStatusEndpoints(http: FastifyInstance, services: Services): void {
  const path = '/:tenant/ssf/status';

  http.get<{ Params: { tenant: string }; Querystring: { stream_id?: string } }>(path, async (req, reply) => {
    checkTenant(req.params.tenant, services);
    const receiver = await authenticateReceiver(req, services);
    const stream = await ownStream(receiver, req.query.stream_id, services);
    return reply.header('cache-control', 'no-store').send(render(stream));
  });

  http.post<{ Params: { tenant: string } }>(path, async (req, reply) => {
    checkTenant(req.params.tenant, services);
    const receiver = await authenticateReceiver(req, services);
    const body = jsonObject(req.body);
    const stream = await ownStream(receiver, body.stream_id, services);
    if (typeof body.status !== 'string' || !(STREAM_STATUSES as readonly string[]).includes(body.status)) {
      throw SSF_ERRORS.invalidRequest(`status must be one of ${STREAM_STATUSES.join(', ')}.`);
    }
    const reason = body.reason ?? null;
    if (reason !== null && (typeof reason !== 'string' || reason.length > MAX_REASON || hasNul(reason))) {
      throw SSF_ERRORS.invalidRequest(`reason must be a string of at most ${MAX_REASON} characters, without NUL.`);
    }
    const updated = await services.store.ssf.setStatus(
      services.tenant.id,
      stream.streamId,
      body.status as StreamStatus,
      reason,
      services.clock.now(),
    );
    if (!updated) throw SSF_ERRORS.streamNotFound();
    if (updated.status === 'enabled') services.ssf.streamEnabled(updated);
    return reply.header('cache-control', 'no-store').send(render(updated));
  });
}
