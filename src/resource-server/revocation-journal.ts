import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { RevocationEntry } from './revocation-list.js';

/**
 * Optional durability for the revocation list: an append-only file of JSON lines, fsynced before
 * an event is acknowledged. Without it a restarted middleware forgets revocations it had already
 * acknowledged (docs/push-revocation.md, "After a restart").
 *
 * Opening compacts the file (live entries only, written to a temporary file, fsynced, renamed
 * over the old one) so it does not grow without bound across restarts.
 */
export class RevocationJournal {
  private tail: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: FileHandle,
    readonly entries: readonly RevocationEntry[],
  ) {}

  static async open(path: string, nowSeconds: number, retentionSeconds: number): Promise<RevocationJournal> {
    const live = readEntries(path).filter((e) => e.notBefore >= nowSeconds - retentionSeconds);
    compactInto(path, live);
    return new RevocationJournal(await open(path, 'a'), live);
  }

  /** Appends and fsyncs; appends are serialised so lines never interleave. */
  append(entries: readonly RevocationEntry[]): Promise<void> {
    const text = entries.map((e) => `${JSON.stringify({ k: e.kind, id: e.id, nb: e.notBefore })}\n`).join('');
    const write = this.tail.then(async () => {
      await this.file.appendFile(text);
      await this.file.datasync();
    });
    this.tail = write.catch(() => undefined);
    return write;
  }

  async close(): Promise<void> {
    await this.tail;
    await this.file.close();
  }
}

function readEntries(path: string): RevocationEntry[] {
  if (!existsSync(path)) return [];
  const entries: RevocationEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    // A crash mid-append leaves at most one torn last line: skip anything that does not parse.
    try {
      const v = JSON.parse(line) as { k?: unknown; id?: unknown; nb?: unknown };
      if ((v.k === 'user' || v.k === 'session') && typeof v.id === 'string' && typeof v.nb === 'number') {
        entries.push({ kind: v.k, id: v.id, notBefore: v.nb });
      }
    } catch {}
  }
  return entries;
}

function compactInto(path: string, entries: readonly RevocationEntry[]): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, entries.map((e) => `${JSON.stringify({ k: e.kind, id: e.id, nb: e.notBefore })}\n`).join(''));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}
