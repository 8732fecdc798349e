import assert from 'node:assert/strict';

/**
 * The rows of the markdown table after `<!-- table: name -->` in `doc`, header first, cells
 * trimmed, the separator line left out: how tests read a table a document specifies.
 */
export function markdownTable(doc: string, name: string, file: string): string[][] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.trim() === `<!-- table: ${name} -->`);
  assert.ok(start >= 0, `${file} has no table '${name}'`);
  const rows: string[][] = [];
  for (let i = start + 1; i < lines.length && lines[i]!.startsWith('|'); i++) {
    const cells = lines[i]!.split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells.every((c) => /^-+$/.test(c))) continue; // the separator line
    rows.push(cells);
  }
  assert.ok(rows.length > 1, `table '${name}' is empty`);
  return rows;
}
