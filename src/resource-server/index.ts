/**
 * `portcullis/resource-server`: protect an API with Portcullis access tokens and refuse revoked
 * ones within a second, learning revocations from an OpenID Shared Signals stream.
 * Guide: docs/push-revocation.md, "Protecting your API with portcullis/resource-server".
 */
export {
  ResourceServer,
  type AuthOutcome,
  type PushOutcome,
  type PushRequest,
  type Requirement,
  type ResourceServerOptions,
} from './resource-server.js';
export { declaresCp1, type AccessTokenClaims } from './access-token.js';
export type { Refusal } from './challenge.js';
export { expressAuthenticate, expressPushReceiver, type RequestWithAuth } from './express.js';
export { fastifyAuthenticate, fastifyPushReceiver } from './fastify.js';
export { PollingReceiver, type PollOptions } from './poll-receiver.js';
export { ClientCredentials, DEFAULT_SCOPE, type ClientCredentialsOptions } from './client-credentials.js';
export {
  clientCredentialsFor,
  createSsfStream,
  deleteSsfStream,
  POLL_METHOD,
  PUSH_METHOD,
  type CreateStreamOptions,
  type SsfStream,
  type StreamDelivery,
} from './ssf-stream.js';
export { ssfConfigurationUrl } from './issuer-metadata.js';
export {
  CREDENTIAL_CHANGE,
  EVENTS_REQUESTED,
  SESSION_REVOKED,
  SSF_VERIFICATION,
  type SetErrorCode,
  type SetResult,
} from './security-event.js';
export type { Revocation, RevocationEntry } from './revocation-list.js';
