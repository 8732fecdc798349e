/**
 * Runs the example API against a Portcullis: creates (once) an SSF stream for this API with the
 * app's client credentials, starts receiving revocations on it, and listens.
 *
 *   PORTCULLIS_ISSUER=http://localhost:5050/<tenant-id>/v2.0 \
 *   API_CLIENT_ID=<app id> API_CLIENT_SECRET=<secret> npx tsx examples/resource-server-express/main.ts
 *
 * See README.md beside this file for every variable and a walk-through.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { ResourceServer, clientCredentialsFor, createSsfStream, type PollingReceiver, type SsfStream } from 'portcullis/resource-server';
import { createExampleApi } from './api.js';

export interface ExampleSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Accepted `aud` of access tokens: the API's identifier URI and its appId. */
  audience: string[];
  delivery: 'push' | 'poll';
  host: string;
  port: number;
  /** The URL the transmitter reaches this API at (push delivery). */
  publicUrl: string | null;
  /** Where the stream (id, audience, push secret) is kept between starts. */
  streamFile: string;
  /** Keeps acknowledged revocations across restarts. */
  journalFile: string;
}

/** The API's identifier URI (Graph `application.identifierUris`): clients ask for `${uri}/access_as_user`. */
export const DEFAULT_IDENTIFIER_URI = 'api://contoso-example-api';

export function settingsFromEnv(env: NodeJS.ProcessEnv): ExampleSettings {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`set ${name} (see examples/resource-server-express/README.md)`);
    return value;
  };
  const delivery = env.SSF_DELIVERY ?? 'poll';
  if (delivery !== 'push' && delivery !== 'poll') throw new Error('SSF_DELIVERY is push or poll');
  return {
    issuer: required('PORTCULLIS_ISSUER'),
    clientId: required('API_CLIENT_ID'),
    clientSecret: required('API_CLIENT_SECRET'),
    // v1.0 tokens (the default for an API) carry the identifier URI the client asked with; v2.0 ones the appId.
    audience: [env.API_IDENTIFIER_URI ?? DEFAULT_IDENTIFIER_URI, required('API_CLIENT_ID')],
    delivery,
    host: env.HOST ?? '127.0.0.1',
    port: Number(env.PORT ?? 4000),
    publicUrl: env.API_PUBLIC_URL ?? null,
    streamFile: env.SSF_STREAM_FILE ?? './ssf-stream.json',
    journalFile: env.REVOCATION_JOURNAL ?? './revocations.jsonl',
  };
}

interface SavedStream {
  stream: SsfStream;
  /** The secret the transmitter sends back with every push. */
  pushAuthorization: string | null;
}

/** The stream is created once and reused: its unacknowledged events wait for us across restarts. */
async function streamFor(settings: ExampleSettings): Promise<SavedStream> {
  if (existsSync(settings.streamFile)) return JSON.parse(readFileSync(settings.streamFile, 'utf8')) as SavedStream;
  let saved: SavedStream;
  if (settings.delivery === 'push') {
    if (!settings.publicUrl) throw new Error('push delivery needs API_PUBLIC_URL');
    const pushAuthorization = `Bearer ${randomBytes(32).toString('base64url')}`;
    const stream = await createSsfStream({
      ...settings,
      delivery: { method: 'push', endpointUrl: `${settings.publicUrl}/ssf/events`, authorizationHeader: pushAuthorization },
      description: 'example resource server (push)',
    });
    saved = { stream, pushAuthorization };
  } else {
    saved = {
      stream: await createSsfStream({ ...settings, delivery: { method: 'poll' }, description: 'example resource server (poll)' }),
      pushAuthorization: null,
    };
  }
  // The file holds the push secret: readable by this user only.
  writeFileSync(settings.streamFile, JSON.stringify(saved, null, 2), { mode: 0o600 });
  return saved;
}

export interface RunningExample {
  url: string;
  rs: ResourceServer;
  stream: SsfStream;
  poller: PollingReceiver | null;
  close(): Promise<void>;
}

export async function startExample(settings: ExampleSettings): Promise<RunningExample> {
  const { stream, pushAuthorization } = await streamFor(settings);
  const rs = await ResourceServer.create({
    issuer: settings.issuer,
    audience: settings.audience,
    events: { audience: stream.audience, ...(pushAuthorization ? { pushAuthorization } : {}) },
    revocations: { journalFile: settings.journalFile },
  });
  // Poll: drain what the transmitter kept for us before taking requests (start() resolves after).
  const poller =
    settings.delivery === 'poll'
      ? await rs.poll({
          endpointUrl: stream.endpointUrl,
          credentials: await clientCredentialsFor(settings.issuer, settings),
          onError: (e: Error) => console.warn(`ssf poll: ${e.message}`),
        })
      : null;
  const server: Server = await new Promise((resolve, reject) => {
    const obo = { clientId: settings.clientId, clientSecret: settings.clientSecret, graphUrl: `${new URL(settings.issuer).origin}/v1.0` };
    const s = createExampleApi(rs, obo).listen(settings.port, settings.host, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  return {
    url: `http://${settings.host}:${port}`,
    rs,
    stream,
    poller,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rs.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const running = await startExample(settingsFromEnv(process.env));
  console.log(`example API on ${running.url} (SSF stream ${running.stream.streamId}, ${running.poller ? 'poll' : 'push'} delivery)`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
