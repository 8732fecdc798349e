import { ClientCredentials, type ClientCredentialsOptions } from './client-credentials.js';
import { fetchJson, FetchError, type Fetch } from './http-json.js';
import { fetchIssuerMetadata, fetchTransmitterMetadata, ssfConfigurationUrl } from './issuer-metadata.js';
import { EVENTS_REQUESTED } from './security-event.js';

/**
 * Creates the SSF stream a resource server receives revocations on (SSF 1.0 §8.1.1.1: POST the
 * stream configuration to the transmitter's `configuration_endpoint`, 201 Created), authorised by
 * a client-credentials token of an app granted the transmitter's SSF application permission.
 */
export const PUSH_METHOD = 'urn:ietf:rfc:8935';
export const POLL_METHOD = 'urn:ietf:rfc:8936';

export type StreamDelivery =
  /** The transmitter POSTs SETs to `endpointUrl`, sending `authorizationHeader` (RFC 8935). */
  | { method: 'push'; endpointUrl: string; authorizationHeader?: string }
  /** The receiver polls the endpoint the transmitter assigns (RFC 8936). */
  | { method: 'poll' };

export interface CreateStreamOptions {
  issuer: string;
  clientId: string;
  clientSecret: string;
  delivery: StreamDelivery;
  description?: string;
  scope?: string;
  fetch?: Fetch;
}

export interface SsfStream {
  streamId: string;
  /** The SETs' `iss`. */
  issuer: string;
  /** The SETs' `aud`: give it to the middleware as `events.audience`. */
  audience: string[];
  /** Where SETs are pushed to, or where to poll. */
  endpointUrl: string;
  method: string;
  configurationEndpoint: string;
  /** The transmitter's whole answer. */
  raw: Record<string, unknown>;
}

/** Builds the app's client-credentials source for an issuer (token endpoint from discovery). */
export async function clientCredentialsFor(
  issuer: string,
  app: Omit<ClientCredentialsOptions, 'tokenEndpoint'>,
): Promise<ClientCredentials> {
  const metadata = await fetchIssuerMetadata(app.fetch ?? fetch, issuer);
  return new ClientCredentials({ ...app, tokenEndpoint: metadata.tokenEndpoint });
}

export async function createSsfStream(options: CreateStreamOptions): Promise<SsfStream> {
  const fetchImpl = options.fetch ?? fetch;
  const transmitter = await fetchTransmitterMetadata(fetchImpl, ssfConfigurationUrl(options.issuer));
  if (!transmitter.configurationEndpoint) throw new FetchError('the transmitter advertises no configuration_endpoint');
  const credentials = await clientCredentialsFor(options.issuer, options);
  const delivery =
    options.delivery.method === 'push'
      ? {
          method: PUSH_METHOD,
          endpoint_url: options.delivery.endpointUrl,
          ...(options.delivery.authorizationHeader ? { authorization_header: options.delivery.authorizationHeader } : {}),
        }
      : { method: POLL_METHOD };
  const raw = await fetchJson(fetchImpl, transmitter.configurationEndpoint, {
    method: 'POST',
    headers: { authorization: `Bearer ${await credentials.token()}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({
      delivery,
      events_requested: [...EVENTS_REQUESTED],
      description: options.description ?? 'portcullis/resource-server',
    }),
  });
  return { ...parseStream(raw), configurationEndpoint: transmitter.configurationEndpoint };
}

function parseStream(raw: Record<string, unknown>): Omit<SsfStream, 'configurationEndpoint'> {
  const delivery = raw.delivery as Record<string, unknown> | undefined;
  const aud = Array.isArray(raw.aud)
    ? raw.aud.filter((a): a is string => typeof a === 'string')
    : typeof raw.aud === 'string'
      ? [raw.aud]
      : [];
  if (typeof raw.stream_id !== 'string' || typeof raw.iss !== 'string' || aud.length === 0) {
    throw new FetchError('the stream configuration lacks stream_id, iss or aud');
  }
  if (!delivery || typeof delivery.endpoint_url !== 'string' || typeof delivery.method !== 'string') {
    throw new FetchError('the stream configuration lacks its delivery endpoint');
  }
  return { streamId: raw.stream_id, issuer: raw.iss, audience: aud, endpointUrl: delivery.endpoint_url, method: delivery.method, raw };
}

/** Deletes a stream (SSF 1.0 §8.1.1.5: DELETE configuration_endpoint?stream_id=…). */
export async function deleteSsfStream(
  stream: Pick<SsfStream, 'streamId' | 'configurationEndpoint'>,
  credentials: ClientCredentials,
  fetchImpl: Fetch = fetch,
): Promise<void> {
  const url = new URL(stream.configurationEndpoint);
  url.searchParams.set('stream_id', stream.streamId);
  const response = await fetchImpl(url, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${await credentials.token()}` },
    signal: AbortSignal.timeout(10_000),
  });
  await response.arrayBuffer();
  if (!response.ok && response.status !== 404)
    throw new FetchError(`DELETE ${url.origin}${url.pathname} answered ${response.status}`, response.status);
}
