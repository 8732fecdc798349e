/**
 * `portcullis apps create|list|show|update|delete|add-secret|remove-secret|grant-consent` —
 * application registration over the Graph applications API (docs/cli.md, "Applications"), like
 * the other admin verbs: everything the server allows a caller is decided there.
 */
import { GRAPH_RESOURCE_APP_ID } from '../../core/permissions.js';
import { GRAPH_APP_ROLE_IDS } from '../../graph/consent.js';
import { GraphError } from '../../sdk/graph-error.js';
import type { ApplicationKey } from '../../sdk/client.js';
import { COMMON_HELP, COMMON_OPTIONS, commonOptions, parse } from '../args.js';
import { CliError, EXIT } from '../cli-error.js';
import { toCliError } from '../failures.js';
import { openGraph, type GraphSession } from '../graph-session.js';
import { stderr, stdout, table, writeObject, writeRecords } from '../output.js';

const HELP = `Usage: portcullis apps <create|list|show|update|delete|add-secret|remove-secret|grant-consent> [options]

  apps create --name NAME [--spa URI]... [--web URI]... [--public URI]... [--identifier-uri URI]...
                          with --spa, also prints the MSAL Browser configuration to paste
  apps list [--top N] [--all]
  apps show APP
  apps update APP [--name NAME] [--spa URI]... [--web URI]... [--public URI]... [--identifier-uri URI]...
                  [--body JSON]    any other properties, as Graph's PATCH body (collections are replaced)
  apps delete APP
  apps add-secret APP [--secret-name NAME] [--end ISO-DATE]   prints the secret once (default lifetime: 2 years)
  apps remove-secret APP --key-id GUID
  apps grant-consent APP --resource RESOURCE [--scopes a,b] [--roles a,b]
                  RESOURCE: an application's appId, or 'graph' for Microsoft Graph

  APP is an application's object id or its appId (client id).

${COMMON_HELP}
`;

const NEEDS =
  'scope Application.ReadWrite.All and the Application Administrator, Cloud Application Administrator or Global Administrator role';
const CONSENT_NEEDS =
  'scope DelegatedPermissionGrant.ReadWrite.All (scopes) or AppRoleAssignment.ReadWrite.All (roles) and an administrator role (docs/authorization.md)';
const WRITE_SCOPES = ['Application.ReadWrite.All'];
const READ_SCOPES = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];

async function run<T>(g: GraphSession, action: string, needs: string, anyOf: readonly string[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    throw toCliError(e, { action, needs, server: g.session.graphUrl, scopes: g.scopeNeed(anyOf) });
  } finally {
    await g.saveResponseHeaders(false);
  }
}

/** APP as given: its object id, or else (404) its appId. Returns the key that found it and the object. */
async function resolve(g: GraphSession, app: string): Promise<{ key: ApplicationKey; app: Record<string, unknown> }> {
  try {
    return { key: app, app: await g.client.applications.get(app) };
  } catch (e) {
    if (!(e instanceof GraphError) || e.status !== 404) throw e;
    return { key: { appId: app }, app: await g.client.applications.get({ appId: app }) };
  }
}

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** The PATCH/POST body the flags ask for. */
function flagsBody(values: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (typeof values.body === 'string') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.body);
    } catch {
      throw new CliError('--body must be a JSON object', EXIT.USAGE);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new CliError('--body must be a JSON object', EXIT.USAGE);
    Object.assign(body, parsed);
  }
  if (typeof values.name === 'string') body.displayName = values.name;
  for (const [flag, property] of [
    ['spa', 'spa'],
    ['web', 'web'],
    ['public', 'publicClient'],
  ] as const) {
    const uris = values[flag] as string[] | undefined;
    if (uris) body[property] = { redirectUris: uris };
  }
  const identifierUris = values['identifier-uri'] as string[] | undefined;
  if (identifierUris) body.identifierUris = identifierUris;
  return body;
}

export async function apps(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(
    rest,
    {
      ...COMMON_OPTIONS,
      name: { type: 'string' },
      spa: { type: 'string', multiple: true },
      web: { type: 'string', multiple: true },
      public: { type: 'string', multiple: true },
      'identifier-uri': { type: 'string', multiple: true },
      body: { type: 'string' },
      top: { type: 'string' },
      all: { type: 'boolean' },
      'secret-name': { type: 'string' },
      end: { type: 'string' },
      'key-id': { type: 'string' },
      resource: { type: 'string' },
      scopes: { type: 'string' },
      roles: { type: 'string' },
    },
    true,
  );
  if (sub === undefined || sub === '--help' || sub === '-h' || values.help) {
    stdout(HELP);
    return sub === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const common = commonOptions(values);
  const needOne = (): string => {
    const id = positionals[0];
    if (!id || positionals.length > 1) throw new CliError(`apps ${sub} takes exactly one application (object id or appId)`, EXIT.USAGE);
    return id;
  };
  switch (sub) {
    case 'create': {
      if (!values.name) throw new CliError('apps create needs --name', EXIT.USAGE);
      const g = await openGraph(env, common);
      const app = await run(g, `create application '${values.name}'`, NEEDS, WRITE_SCOPES, () =>
        g.client.applications.create(flagsBody(values)),
      );
      const created = { id: app.id, appId: app.appId, displayName: app.displayName };
      const spa = values.spa?.[0];
      // What @azure/msal-browser's PublicClientApplication takes (Configuration.auth).
      const msal = spa ? { auth: { clientId: app.appId, authority: g.session.authority, redirectUri: spa } } : null;
      if (common.output !== 'text') writeObject(common.output, msal ? { ...created, msalBrowserConfig: msal } : created);
      else {
        writeObject(common.output, created);
        if (msal) stdout(`\nMSAL Browser configuration (new PublicClientApplication(...)):\n${JSON.stringify(msal, null, 2)}\n`);
      }
      return EXIT.OK;
    }
    case 'list': {
      const top = values.top === undefined ? undefined : Number(values.top);
      if (top !== undefined && !(Number.isInteger(top) && top >= 1 && top <= 999)) throw new CliError('--top must be 1 to 999', EXIT.USAGE);
      const g = await openGraph(env, common);
      const found = await run(g, 'list applications', NEEDS, READ_SCOPES, async () => {
        if (!values.all) return (await g.client.applications.list(top ? { top } : {})).value;
        const all: Record<string, unknown>[] = [];
        for await (const a of g.client.applications.listAll(top ? { top } : {})) all.push(a);
        return all;
      });
      if (common.output === 'text') {
        const rows = found.map((a) => [String(a.appId), String(a.id), String(a.displayName)]);
        for (const line of table([['APP ID', 'OBJECT ID', 'DISPLAY NAME'], ...rows])) stdout(`${line}\n`);
      } else writeRecords(common.output, found, () => '');
      return EXIT.OK;
    }
    case 'show': {
      const id = needOne();
      const g = await openGraph(env, common);
      const { app } = await run(g, `read application '${id}'`, NEEDS, READ_SCOPES, () => resolve(g, id));
      writeObject(common.output, app);
      return EXIT.OK;
    }
    case 'update': {
      const id = needOne();
      const body = flagsBody(values);
      if (Object.keys(body).length === 0)
        throw new CliError('apps update needs something to change (--name, --spa, --body, ...)', EXIT.USAGE);
      const g = await openGraph(env, common);
      await run(g, `update application '${id}'`, NEEDS, WRITE_SCOPES, async () => {
        const { key } = await resolve(g, id);
        await g.client.applications.update(key, body);
      });
      writeRecords(common.output, [{ application: id, updated: true }], () => 'True');
      return EXIT.OK;
    }
    case 'delete': {
      const id = needOne();
      const g = await openGraph(env, common);
      await run(g, `delete application '${id}'`, NEEDS, WRITE_SCOPES, async () => g.client.applications.delete((await resolve(g, id)).key));
      writeRecords(common.output, [{ application: id, deleted: true }], () => 'True');
      return EXIT.OK;
    }
    case 'add-secret': {
      const id = needOne();
      const g = await openGraph(env, common);
      const credential = await run(g, `add a secret to application '${id}'`, NEEDS, WRITE_SCOPES, async () =>
        g.client.applications.addPassword((await resolve(g, id)).key, {
          ...(values['secret-name'] ? { displayName: values['secret-name'] } : {}),
          ...(values.end ? { endDateTime: values.end } : {}),
        }),
      );
      writeObject(common.output, { ...credential });
      stderr('The secret text is shown once; it cannot be read again.\n');
      return EXIT.OK;
    }
    case 'remove-secret': {
      const id = needOne();
      const keyId = values['key-id'];
      if (!keyId) throw new CliError('apps remove-secret needs --key-id', EXIT.USAGE);
      const g = await openGraph(env, common);
      await run(g, `remove secret ${keyId} of application '${id}'`, NEEDS, WRITE_SCOPES, async () =>
        g.client.applications.removePassword((await resolve(g, id)).key, keyId),
      );
      writeRecords(common.output, [{ application: id, keyId, removed: true }], () => 'True');
      return EXIT.OK;
    }
    case 'grant-consent': {
      const id = needOne();
      const scopes = list(values.scopes);
      const roles = list(values.roles);
      if (!values.resource || (scopes.length === 0 && roles.length === 0))
        throw new CliError('apps grant-consent needs --resource and --scopes and/or --roles', EXIT.USAGE);
      const g = await openGraph(env, common);
      const granted = await run(
        g,
        `grant consent to application '${id}'`,
        CONSENT_NEEDS,
        ['DelegatedPermissionGrant.ReadWrite.All', 'AppRoleAssignment.ReadWrite.All'],
        async () => {
          const client = String((await resolve(g, id)).app.appId);
          const toGraph = values.resource!.toLowerCase() === 'graph' || values.resource!.toLowerCase() === GRAPH_RESOURCE_APP_ID;
          // Service principals are addressed by their application's appId (docs/graph-api.md, "Consent").
          const resource = toGraph ? GRAPH_RESOURCE_APP_ID : String((await resolve(g, values.resource!)).app.appId);
          const out: Record<string, unknown>[] = [];
          if (scopes.length > 0) out.push(await g.client.consent.grantDelegated(client, resource, scopes.join(' ')));
          const appRoles = toGraph
            ? []
            : (((await g.client.applications.get({ appId: resource })).appRoles ?? []) as { id: string; value: string }[]);
          for (const role of roles) {
            const roleId = toGraph
              ? Object.entries(GRAPH_APP_ROLE_IDS).find(([, name]) => name.toLowerCase() === role.toLowerCase())?.[0]
              : appRoles.find((r) => r.value === role)?.id;
            if (!roleId) throw new CliError(`the resource has no application permission '${role}'`, EXIT.USAGE);
            out.push(await g.client.consent.assignAppRole(client, resource, roleId));
          }
          return out;
        },
      );
      writeRecords(common.output, granted, () => 'True');
      return EXIT.OK;
    }
    default:
      throw new CliError(
        `unknown apps command '${sub}' (create, list, show, update, delete, add-secret, remove-secret, grant-consent)`,
        EXIT.USAGE,
      );
  }
}
