/**
 * Output formats shared by the commands (`--output text|json|jsonl`). Results go to stdout;
 * progress, prompts and summaries go to stderr, so stdout can always be piped.
 */
export type OutputFormat = 'text' | 'json' | 'jsonl';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['text', 'json', 'jsonl'];

export type Write = (text: string) => void;
export const stdout: Write = (text) => process.stdout.write(text);
export const stderr: Write = (text) => process.stderr.write(text);

/**
 * A writer that holds what it is given and writes it once per turn of the event loop. On Linux a
 * write to a pipe or a file is synchronous, a system call there and then
 * (https://nodejs.org/api/process.html#a-note-on-process-io): one per user took a tenth of the
 * CLI's time in a 100,000-user bulk revoke. Call flush() before anything else is written.
 */
export function perTurn(out: Write): { write: Write; flush(): void } {
  let held = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (held === '') return;
    const text = held;
    held = '';
    out(text);
  };
  return {
    write: (text) => {
      held += text;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flush,
  };
}

/** Writes a list of records in the chosen format; `text` renders each with `line`. */
export function writeRecords<T>(format: OutputFormat, records: readonly T[], line: (r: T) => string, out: Write = stdout): void {
  if (format === 'json') out(`${JSON.stringify(records, null, 2)}\n`);
  else if (format === 'jsonl') for (const r of records) out(`${JSON.stringify(r)}\n`);
  else for (const r of records) out(`${line(r)}\n`);
}

/** One object: `key: value` lines in text, else JSON (one line for jsonl). */
export function writeObject(format: OutputFormat, obj: Record<string, unknown>, out: Write = stdout): void {
  if (format === 'json') out(`${JSON.stringify(obj, null, 2)}\n`);
  else if (format === 'jsonl') out(`${JSON.stringify(obj)}\n`);
  else {
    const width = Math.max(...Object.keys(obj).map((k) => k.length));
    for (const [k, v] of Object.entries(obj)) {
      if (k.startsWith('@odata')) continue;
      out(`${k.padEnd(width)}  ${v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)}\n`);
    }
  }
}

/** Columns padded to the widest cell (text tables). */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '));
}
