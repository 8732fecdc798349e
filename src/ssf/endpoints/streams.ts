import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Services } from '../../services.js';
import { SSF_ERRORS } from '../errors.js';
import { checkTenant, jsonObject, ownStream } from '../http.js';
import { DELIVERY, EVENTS_SUPPORTED, type SsfStream } from '../model.js';
import { authenticateReceiver, type Receiver } from '../receiver-auth.js';
import { applyReceiverSupplied, parseReceiverSupplied, renderStream } from '../stream-config.js';

type Route = { Params: { tenant: string }; Querystring: { stream_id?: string } };
type TenantRequest = FastifyRequest<Route>;

/**
 * The stream configuration endpoint (SSF 1.0 §8.1.1): create (POST, 201), read (GET, one with
 * ?stream_id= or the receiver's list without), update (PATCH), replace (PUT), delete (DELETE, 204).
 * A receiver sees and changes only its own streams.
 */
export function registerStreamEndpoints(http: FastifyInstance, services: Services): void {
  const path = '/:tenant/ssf/streams';
  const ssf = () => services.ssf;
  const render = (stream: SsfStream) => renderStream(stream, services.config.ssf, ssf().urls);
  const receiverOf = async (req: TenantRequest): Promise<Receiver> => {
    checkTenant(req.params.tenant, services);
    return authenticateReceiver(req, services);
  };

  http.post<Route>(path, async (req, reply) => {
    const receiver = await receiverOf(req);
    const asked = parseReceiverSupplied(jsonObject(req.body), services.config.ssf, ssf().urls, null);
    const now = services.clock.now();
    const delivery = asked.delivery ?? { method: DELIVERY.poll, endpointUrl: null, authorizationHeader: null };
    const stream: SsfStream = {
      streamId: randomBytes(16).toString('base64url'),
      tenantId: services.tenant.id,
      clientId: receiver.clientId,
      aud: receiver.clientId,
      // Not asking for anything in particular means asking for everything there is.
      eventsRequested: asked.eventsRequested ?? [...EVENTS_SUPPORTED],
      method: delivery.method,
      endpointUrl: delivery.endpointUrl,
      authorizationHeader: delivery.authorizationHeader ?? null,
      description: asked.description ?? null,
      status: 'enabled',
      statusReason: null,
      createdAt: now,
      updatedAt: now,
      lastVerificationAt: null,
    };
    const max = services.config.ssf.maxStreamsPerReceiver;
    if (!(await services.store.ssf.insertStream(stream, max))) throw SSF_ERRORS.tooManyStreams(max);
    return reply.code(201).header('cache-control', 'no-store').send(render(stream));
  });

  http.get<Route>(path, async (req, reply) => {
    const receiver = await receiverOf(req);
    reply.header('cache-control', 'no-store');
    if (req.query.stream_id !== undefined) return reply.send(render(await ownStream(receiver, req.query.stream_id, services)));
    const streams = await services.store.ssf.listStreams(services.tenant.id, receiver.clientId);
    return reply.send(streams.map(render));
  });

  const change = (mode: 'patch' | 'replace') => async (req: TenantRequest, reply: import('fastify').FastifyReply) => {
    const receiver = await receiverOf(req);
    const body = jsonObject(req.body);
    const stream = await ownStream(receiver, body.stream_id, services);
    const asked = parseReceiverSupplied(body, services.config.ssf, ssf().urls, stream);
    const next = applyReceiverSupplied(stream, asked, mode, services.clock.now());
    if (!(await services.store.ssf.updateStream(next))) throw SSF_ERRORS.streamNotFound();
    return reply.header('cache-control', 'no-store').send(render(next));
  };
  http.patch<Route>(path, change('patch'));
  http.put<Route>(path, change('replace'));

  http.delete<Route>(path, async (req, reply) => {
    const receiver = await receiverOf(req);
    const stream = await ownStream(receiver, req.query.stream_id, services);
    if (!(await services.store.ssf.deleteStream(services.tenant.id, stream.streamId))) throw SSF_ERRORS.streamNotFound();
    return reply.code(204).send();
  });
}
