import { FuzzServer } from './lib/server-process.js';
import { TARGETS, httpFuzzSuite } from './lib/http-suite.js';

/** Fuzzing every HTTP input surface of a server on SQLite (the embedded default). */
httpFuzzSuite(
  'http/sqlite',
  [
    { target: TARGETS.token, count: 4_000 },
    { target: TARGETS.authorize, count: 2_400 },
    { target: TARGETS.device, count: 1_600 },
    { target: TARGETS.graph, count: 4_800 },
    { target: TARGETS.batch, count: 1_200 },
    { target: TARGETS.raw, count: 800 },
    { target: TARGETS.ssf, count: 2_000 },
    { target: TARGETS.revokeIntrospect, count: 800 },
  ],
  () => FuzzServer.start(),
);
