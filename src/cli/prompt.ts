/**
 * Questions on a terminal (--confirm, and the bulk confirmation without --yes). Only asked when
 * stdin and stderr are terminals; commands refuse to ask otherwise (docs/cli.md).
 */
import { createInterface } from 'node:readline/promises';

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export type Answer = 'yes' | 'no' | 'all' | 'quit';

/** Asks `question` and reads one line; unknown answers count as no (the safe default). */
export async function ask(question: string, choices: 'yn' | 'ynaq'): Promise<Answer> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const hint = choices === 'yn' ? '[y/N]' : '[y]es / [N]o / [a]ll / [q]uit';
    const answer = (await rl.question(`${question} ${hint} `)).trim().toLowerCase();
    if (answer === 'y' || answer === 'yes') return 'yes';
    if (choices === 'ynaq' && (answer === 'a' || answer === 'all')) return 'all';
    if (choices === 'ynaq' && (answer === 'q' || answer === 'quit')) return 'quit';
    return 'no';
  } finally {
    rl.close();
  }
}
