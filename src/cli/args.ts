/**
 * Flag parsing for the client commands (node:util parseArgs, no dependency), with the options
 * every Graph command shares: --output, --header K:V (the cmdlets' -Headers), --response-headers
 * FILE (-ResponseHeadersVariable) and --beta / --api-version. Parse errors are usage errors (2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError, EXIT } from './cli-error.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';
import type { GraphVersion } from '../sdk/index.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export const COMMON_OPTIONS = {
  output: { type: 'string', short: 'o' },
  header: { type: 'string', multiple: true },
  'response-headers': { type: 'string' },
  beta: { type: 'boolean' },
  'api-version': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options;

export interface CommonOptions {
  output: OutputFormat;
  headers: Record<string, string>;
  responseHeadersFile: string | null;
  version: GraphVersion;
}

type Parsed<O extends Options> = ReturnType<typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>>;

export function parse<O extends Options>(argv: readonly string[], options: O, allowPositionals = false): Parsed<O> {
  try {
    // Typed as allowing positionals; parseArgs itself still refuses them unless asked.
    return parseArgs({ args: [...argv], options, allowPositionals: allowPositionals as true, strict: true });
  } catch (e) {
    throw new CliError(`${(e as Error).message.replace(/\. To specify a positional argument.*$/s, '')}`, EXIT.USAGE);
  }
}

export function commonOptions(values: Record<string, unknown>): CommonOptions {
  const output = (values.output as string | undefined) ?? 'text';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(output))
    throw new CliError(`--output must be one of ${OUTPUT_FORMATS.join(', ')}`, EXIT.USAGE);
  const headers: Record<string, string> = {};
  for (const h of (values.header as string[] | undefined) ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new CliError(`--header '${h}' must look like Name:Value`, EXIT.USAGE);
    headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim();
  }
  const apiVersion = (values['api-version'] as string | undefined) ?? (values.beta ? 'beta' : 'v1.0');
  if (apiVersion !== 'v1.0' && apiVersion !== 'beta') throw new CliError("--api-version must be 'v1.0' or 'beta'", EXIT.USAGE);
  if (values.beta && values['api-version'] === 'v1.0')
    throw new CliError('--beta and --api-version v1.0 contradict each other', EXIT.USAGE);
  return {
    output: output as OutputFormat,
    headers,
    responseHeadersFile: (values['response-headers'] as string | undefined) ?? null,
    version: apiVersion,
  };
}

export const COMMON_HELP = `Common options:
  -o, --output text|json|jsonl   result format (default text)
  --header Name:Value            extra request header, repeatable
  --response-headers FILE        write the response headers as JSON to FILE
  --beta, --api-version V        call /beta (default /v1.0)
  --profile NAME                 the sign-in profile (default PORTCULLIS_PROFILE, else "default")
  -h, --help                     this help`;
