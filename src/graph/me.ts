/** `GET /me`: the signed-in user (delegated only), with $select. */
import { demand, hasAnyScope, requireDelegated } from './authorize.js';
import { sendJson, serviceRoot, type GraphContext, type GraphRoute } from './http.js';
import { readQueryOptions, parseSelect } from './odata.js';
import { SIGN_IN_ACTIVITY, selectedActivity } from './sign-in-activity.js';
import { USER_PROPERTIES, USER_TYPE, userJson, usersContext } from './user-resource.js';

/** Graph "Get user" for /me: User.Read is enough; any broader user read permission also works. */
const READ_ME_SCOPES = [
  'User.Read',
  'User.ReadWrite',
  'User.ReadBasic.All',
  'User.Read.All',
  'User.ReadWrite.All',
  'Directory.Read.All',
  'Directory.ReadWrite.All',
];

async function getMe(ctx: GraphContext): Promise<void> {
  const caller = requireDelegated(ctx.caller);
  demand(hasAnyScope(caller, READ_ME_SCOPES));
  const options = readQueryOptions(ctx.request.query, ['$select']);
  const select = parseSelect(options.$select, USER_PROPERTIES, USER_TYPE, [SIGN_IN_ACTIVITY]);
  sendJson(ctx.reply, 200, {
    '@odata.context': usersContext(serviceRoot(ctx), select, true),
    ...userJson(caller.user, { select, basicOnly: false, activity: await selectedActivity(ctx, select, [caller.user]) }),
  });
}

export const meRoutes: GraphRoute[] = [{ method: 'GET', path: '/me', handler: getMe }];
