import { FuzzServer } from './lib/server-process.js';
import { TARGETS, httpFuzzSuite } from './lib/http-suite.js';

/** Fuzzing every HTTP input surface of a server on SQLite (the embedded default). */
httpFuzzSuite(
  'http/sqlite',
  [
    { target: TARGETS.token, count: 10_000 },
    { target: TARGETS.authorize, count: 6_000 },
    { target: TARGETS.device, count: 4_000 },
    { target: TARGETS.graph, count: 12_000 },
    { target: TARGETS.batch, count: 3_000 },
    { target: TARGETS.raw, count: 2_000 },
    { target: TARGETS.ssf, count: 5_000 },
    { target: TARGETS.revokeIntrospect, count: 2_000 },
  ],
  () => FuzzServer.start(),
);
