/**
 * The Graph JS SDK's advanced-query idiom against a listening server (real HTTP):
 * `.header('ConsistencyLevel','eventual').filter(...).count(true).orderby(...)`, as Microsoft's
 * advanced-query samples write it (https://learn.microsoft.com/graph/aad-advanced-queries).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client, type Context, GraphError, HTTPMessageHandler, type Middleware } from '@microsoft/microsoft-graph-client';
import { delegatedToken, type Harness } from '../helpers/harness.js';
import { listeningHarness } from '../helpers/listening.js';

let h: Harness & { url: string };
let client: Client;

before(async () => {
  h = await listeningHarness();
  const token = delegatedToken(h, 'alice', ['User.Read.All']);
  // The SDK's AuthenticationHandler sends tokens to https hosts only; this plain-HTTP test server
  // gets the header from a one-line middleware in front of the SDK's own HTTPMessageHandler.
  const send = new HTTPMessageHandler();
  const bearer: Middleware = {
    execute: async (context: Context) => {
      context.options = {
        ...context.options,
        headers: { ...(context.options?.headers as Record<string, string>), authorization: `Bearer ${token}` },
      };
      await send.execute(context);
    },
    setNext: () => undefined,
  };
  client = Client.initWithMiddleware({ baseUrl: `${h.url}/`, middleware: bearer });
});
after(() => h.close());

test('Graph JS SDK: $filter with ne + ConsistencyLevel: eventual + $count, and the error without the header', async () => {
  const res = await client
    .api('/users')
    .header('ConsistencyLevel', 'eventual')
    .filter("accountEnabled ne true and startswith(userPrincipalName,'dis')")
    .count(true)
    .orderby('displayName')
    .select(['displayName', 'accountEnabled'])
    .get();
  assert.equal(res['@odata.count'], 1);
  assert.deepEqual(res.value, [{ displayName: 'Disabled', accountEnabled: false }]);

  await assert.rejects(
    client.api('/users').filter('accountEnabled ne true').count(true).get(),
    (e: unknown) =>
      e instanceof GraphError && e.statusCode === 400 && e.code === 'Request_UnsupportedQuery' && /Operator 'ne'/.test(e.message),
  );
});
