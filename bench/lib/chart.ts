/**
 * The B1 chart as a standalone SVG, drawn by hand (no plotting dependency): for each level, the
 * median refresh grants per second of Portcullis and of node-oidc-provider as bars, every pair's
 * run as a dot, and the RS256 signing limit of the level's cores and its 70% target as lines.
 */
import type { B1Level, B1Run } from '../b1-refresh.js';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function b1Chart(levels: B1Level[], runs: B1Run[], subtitle: string): string {
  const W = 720;
  const H = 420;
  const left = 70;
  const right = 20;
  const top = 60;
  const bottom = 70;
  const plotH = H - top - bottom;
  const groupW = (W - left - right) / Math.max(1, levels.length);
  const maxY = Math.max(1, ...levels.map((l) => l.refreshLimit), ...runs.map((r) => r.rps)) * 1.1;
  const y = (v: number) => top + plotH - (v / maxY) * plotH;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">B1: refresh-token grants per second (higher is better)</text>`,
  );
  parts.push(`<text x="${W / 2}" y="40" text-anchor="middle" fill="#555">${esc(subtitle)}</text>`);
  // Axis and grid.
  const step = 10 ** Math.floor(Math.log10(maxY)) / (maxY / 10 ** Math.floor(Math.log10(maxY)) < 3 ? 4 : 1);
  for (let v = 0; v <= maxY; v += step) {
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${Math.round(v)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#333"/>`);
  parts.push(`<line x1="${left}" x2="${W - right}" y1="${top + plotH}" y2="${top + plotH}" stroke="#333"/>`);
  const colors: Record<string, string> = { portcullis: '#2b6cb0', 'oidc-provider': '#c05621' };
  levels.forEach((l, i) => {
    const x0 = left + i * groupW;
    const barW = groupW / 4;
    const bars = [
      { system: 'portcullis', label: 'Portcullis', value: l.portcullis.rps },
      { system: 'oidc-provider', label: 'oidc-provider', value: l.peer.rps },
    ];
    bars.forEach((b, j) => {
      const bx = x0 + groupW / 2 - barW - 6 + j * (barW + 12);
      parts.push(
        `<rect x="${bx}" y="${y(b.value)}" width="${barW}" height="${top + plotH - y(b.value)}" fill="${colors[b.system]}" opacity="0.85"/>`,
      );
      parts.push(`<text x="${bx + barW / 2}" y="${y(b.value) - 6}" text-anchor="middle" font-weight="bold">${Math.round(b.value)}</text>`);
      for (const r of runs.filter((r) => r.level === l.level && r.system === b.system)) {
        parts.push(`<circle cx="${bx + barW / 2}" cy="${y(r.rps)}" r="3" fill="#000" opacity="0.6"/>`);
      }
      parts.push(`<text x="${bx + barW / 2}" y="${top + plotH + 16}" text-anchor="middle">${b.label}</text>`);
    });
    const lx1 = x0 + 10;
    const lx2 = x0 + groupW - 10;
    parts.push(
      `<line x1="${lx1}" x2="${lx2}" y1="${y(l.refreshLimit)}" y2="${y(l.refreshLimit)}" stroke="#c53030" stroke-width="2" stroke-dasharray="6 4"/>`,
    );
    parts.push(
      `<text x="${lx2}" y="${y(l.refreshLimit) - 4}" text-anchor="end" fill="#c53030">RS256 limit ${Math.round(l.refreshLimit)}/s</text>`,
    );
    parts.push(
      `<line x1="${lx1}" x2="${lx2}" y1="${y(l.refreshLimit * 0.7)}" y2="${y(l.refreshLimit * 0.7)}" stroke="#2f855a" stroke-width="1.5" stroke-dasharray="2 3"/>`,
    );
    parts.push(`<text x="${lx2}" y="${y(l.refreshLimit * 0.7) - 4}" text-anchor="end" fill="#2f855a">70% target</text>`);
    const title = l.level === 'one' ? '1 core (pinned)' : `all ${l.cores} cores`;
    parts.push(
      `<text x="${x0 + groupW / 2}" y="${top + plotH + 36}" text-anchor="middle" font-weight="bold">${title}: ratio ${l.medianRatio}×</text>`,
    );
  });
  parts.push(
    `<text x="${left}" y="${H - 8}" fill="#555">bars: median of the pairs; dots: each run; ratio: median of Portcullis/peer per interleaved pair</text>`,
  );
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
