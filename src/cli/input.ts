/**
 * Pipeline input, like the cmdlets' ValueFromPipeline / ByPropertyName: stdin holds one id or
 * userPrincipalName per line, JSON lines, or a JSON array — objects giving `id` or
 * `userPrincipalName` (also `userId` / `ObjectId`, the cmdlets' names). So
 * `portcullis users list --output jsonl | portcullis revoke --yes` works.
 */
import { CliError, EXIT } from './cli-error.js';

function keyOf(value: unknown, where: string): string {
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  if (typeof value === 'object' && value !== null) {
    const o = value as Record<string, unknown>;
    for (const name of ['id', 'userPrincipalName', 'userId', 'UserId', 'ObjectId', 'objectId']) {
      const v = o[name];
      if (typeof v === 'string' && v.trim() !== '') return v.trim();
    }
  }
  throw new CliError(`${where}: expected an id or userPrincipalName, or an object with 'id' or 'userPrincipalName'`, EXIT.USAGE);
}

/** Parses the text of stdin into user keys (order kept, duplicates dropped). */
export function parseUserInput(text: string): string[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  let keys: string[];
  if (trimmed.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (e) {
      throw new CliError(`input is not a valid JSON array: ${(e as Error).message}`, EXIT.USAGE);
    }
    if (!Array.isArray(parsed)) throw new CliError('input is not a JSON array', EXIT.USAGE);
    keys = parsed.map((v, i) => keyOf(v, `input item ${i + 1}`));
  } else {
    keys = [];
    trimmed.split(/\r?\n/).forEach((raw, i) => {
      const line = raw.trim();
      if (line === '' || line.startsWith('#')) return;
      if (line.startsWith('{') || line.startsWith('"')) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(line);
        } catch (e) {
          throw new CliError(`input line ${i + 1} is not valid JSON: ${(e as Error).message}`, EXIT.USAGE);
        }
        keys.push(keyOf(parsed, `input line ${i + 1}`));
      } else keys.push(line);
    });
  }
  const seen = new Set<string>();
  return keys.filter((k) => {
    const lower = k.toLowerCase();
    if (seen.has(lower)) return false;
    seen.add(lower);
    return true;
  });
}

/** All of stdin as text (bounded by what the user pipes in; nothing is read from a terminal). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
