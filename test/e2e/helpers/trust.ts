/**
 * Trusting the test certificate in-process, without NODE_EXTRA_CA_CERTS and without turning TLS
 * verification off: Node 20's built-in fetch (used by the Graph JS client and openid-client)
 * reads undici's global dispatcher, so an Agent whose connector carries `ca` makes every fetch
 * in this process verify against the test certificate (and only it).
 */
import { Agent, getGlobalDispatcher, setGlobalDispatcher, type Dispatcher } from 'undici';

export interface TrustHandle {
  agent: Agent;
  /** Puts the previous global dispatcher back and closes the agent's sockets. */
  restore(): Promise<void>;
}

export function trustForGlobalFetch(certPem: string): TrustHandle {
  const previous: Dispatcher = getGlobalDispatcher();
  const agent = new Agent({
    connect: { ca: certPem, timeout: 10_000 },
    headersTimeout: 15_000,
    bodyTimeout: 15_000,
  });
  setGlobalDispatcher(agent);
  return {
    agent,
    restore: async () => {
      setGlobalDispatcher(previous);
      await agent.close();
    },
  };
}
