/**
 * Questions on a terminal (--confirm, the bulk confirmation without --yes, a certificate
 * fingerprint on first use). Like PowerShell's -Confirm, a question goes to the person at the
 * terminal even when stdin is a pipe carrying the user list: it is then read from the
 * controlling terminal, /dev/tty. With no terminal at all (cron, CI, a detached process) there
 * is nobody to ask, and commands refuse instead (docs/cli.md).
 */
import { closeSync, openSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { ReadStream, WriteStream } from 'node:tty';

/** stdin and stderr are both the terminal: the classic interactive run. */
export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

interface Terminal {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  close(): void;
}

/** The terminal to ask on: stdin/stderr when they are one, else /dev/tty; null when there is none. */
function openTerminal(): Terminal | null {
  if (isInteractive()) return { input: process.stdin, output: process.stderr, close: () => undefined };
  if (process.platform === 'win32') return null;
  let inFd: number | null = null;
  try {
    inFd = openSync('/dev/tty', 'r');
    const outFd = openSync('/dev/tty', 'w');
    const input = new ReadStream(inFd);
    const output = new WriteStream(outFd);
    return {
      input,
      output,
      close: () => {
        input.destroy();
        output.destroy();
      },
    };
  } catch {
    // ENXIO: this process has no controlling terminal.
    if (inFd !== null) closeSync(inFd);
    return null;
  }
}

/** Whether a question can be asked at all (see openTerminal). */
export function canAsk(): boolean {
  const t = openTerminal();
  t?.close();
  return t !== null;
}

export type Answer = 'yes' | 'no' | 'all' | 'quit';

/** Asks `question` and reads one line; unknown answers (and no terminal) count as no, the safe default. */
export async function ask(question: string, choices: 'yn' | 'ynaq'): Promise<Answer> {
  const terminal = openTerminal();
  if (!terminal) return 'no';
  const rl = createInterface({ input: terminal.input, output: terminal.output, terminal: true });
  try {
    const hint = choices === 'yn' ? '[y/N]' : '[y]es / [N]o / [a]ll / [q]uit';
    const answer = (await rl.question(`${question} ${hint} `)).trim().toLowerCase();
    if (answer === 'y' || answer === 'yes') return 'yes';
    if (choices === 'ynaq' && (answer === 'a' || answer === 'all')) return 'all';
    if (choices === 'ynaq' && (answer === 'q' || answer === 'quit')) return 'quit';
    return 'no';
  } finally {
    rl.close();
    terminal.close();
  }
}
