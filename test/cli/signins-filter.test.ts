import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signInFilter } from '../../src/cli/commands/signins.js';
import { parseSince } from '../../src/cli/since-option.js';

const APP_ID = 'a1b2c3d4-0000-4000-8000-000000000002';

test('signins list: --user, --app, --since, --non-interactive and --service-principal become one $filter', () => {
  assert.equal(signInFilter({ since: null, nonInteractive: false }), null);
  assert.equal(
    signInFilter({ user: "o'neil@contoso.test", since: null, nonInteractive: false }),
    "userPrincipalName eq 'o''neil@contoso.test'",
  );
  const id = '0f0e0d0c-0b0a-4909-8807-060504030201';
  assert.equal(
    signInFilter({ user: id, app: 'app-1', since: Date.UTC(2026, 0, 2, 3, 4, 5), nonInteractive: true }),
    `userId eq '${id}' and appId eq 'app-1' and createdDateTime ge 2026-01-02T03:04:05.000Z and signInEventTypes/any(t: t eq 'nonInteractiveUser')`,
  );
  assert.equal(
    signInFilter({ app: APP_ID, since: null, nonInteractive: false, servicePrincipal: true }),
    `appId eq '${APP_ID}' and signInEventTypes/any(t: t eq 'servicePrincipal')`,
  );
  assert.equal(parseSince('1h', 10_000_000), 10_000_000 - 3_600_000);
  assert.throws(() => parseSince('yesterday'), /neither a date nor a duration/);
});
