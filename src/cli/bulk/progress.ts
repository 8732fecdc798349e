/**
 * Bulk progress on stderr: a bar redrawn in place (rate and ETA) when stderr is a terminal, plain
 * lines otherwise — every 10% or every 5 s, whichever comes first — so logs of CI jobs and
 * `| tee` stay readable.
 */
export interface ProgressCounts {
  done: number;
  failed: number;
}

export class Progress {
  private readonly started = Date.now();
  private lastDraw = 0;
  private lastLineAt = Date.now();
  private lastLineDone = 0;

  constructor(
    private readonly total: number,
    private readonly tty: boolean,
    private readonly write: (s: string) => void,
  ) {}

  /** Users per second so far. */
  rate(done: number): number {
    const seconds = (Date.now() - this.started) / 1000;
    return seconds > 0 ? done / seconds : 0;
  }

  elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  private eta(done: number): string {
    const rate = this.rate(done);
    if (rate <= 0 || done === 0) return '--';
    const s = Math.ceil((this.total - done) / rate);
    return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
  }

  update(c: ProgressCounts): void {
    const now = Date.now();
    if (this.tty) {
      if (now - this.lastDraw < 100 && c.done < this.total) return; // ~10 redraws per second
      this.lastDraw = now;
      const width = 30;
      const filled = this.total > 0 ? Math.round((c.done / this.total) * width) : width;
      const pct = this.total > 0 ? Math.floor((c.done / this.total) * 100) : 100;
      this.write(
        `\r\x1b[2K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${c.done}/${this.total} ${pct}% ` +
          `${this.rate(c.done).toFixed(0)} users/s ETA ${this.eta(c.done)}${c.failed ? ` (${c.failed} failed)` : ''}`,
      );
      return;
    }
    const step = Math.max(1, Math.ceil(this.total / 10));
    if (c.done - this.lastLineDone >= step || now - this.lastLineAt >= 5000) {
      this.lastLineAt = now;
      this.lastLineDone = c.done;
      this.write(
        `progress: ${c.done}/${this.total} users, ${c.failed} failed, ${this.rate(c.done).toFixed(0)} users/s, ETA ${this.eta(c.done)}\n`,
      );
    }
  }

  /** Ends the bar's line so the summary starts on its own. */
  finish(c: ProgressCounts): void {
    if (this.tty) {
      this.lastDraw = 0;
      this.update(c);
      this.write('\n');
    }
  }
}
