/**
 * Runs the example suite of examples/msal-testing-kit (an MSAL Node app tested with
 * portcullis/testing) as part of the repository's tests. `portcullis/testing` resolves to the
 * built dist/, as an application gets it: run `npm run build` first.
 */
import '../../examples/msal-testing-kit/msal-app.test.js';
