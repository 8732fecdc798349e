import type { Clock } from '../clock.js';

/** How the kit's clock starts: following real time (default), or frozen at an instant. */
export interface TestClockOptions {
  /** The instant the clock shows at start (ms since the epoch or a Date); default: now. */
  start?: number | Date;
  /** Frozen: time moves only through advance(); default false (it follows real time). */
  frozen?: boolean;
}

/**
 * The clock every part of the in-process server reads (src/clock.ts is injected into the issuer,
 * the store's verdicts, sessions and lockouts). advance() moves it forward without waiting, so
 * a test expires access tokens, SPA refresh tokens and sessions in microseconds.
 */
export class TestClock implements Clock {
  private readonly startAt: number;
  private readonly startedReal = Date.now();
  private offset = 0;

  constructor(private readonly options: TestClockOptions = {}) {
    const start = options.start;
    this.startAt = start === undefined ? this.startedReal : typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    const elapsed = this.options.frozen ? 0 : Date.now() - this.startedReal;
    return this.startAt + elapsed + this.offset;
  }

  advance(ms: number): void {
    if (!(Number.isFinite(ms) && ms >= 0))
      throw new RangeError('advance(ms): ms must be a non-negative number (the clock never goes back)');
    this.offset += ms;
  }

  /** Back to the start, as reset() promises (frozen: the start instant; else real time again). */
  rewind(): void {
    // Frozen: startAt again. Following real time: real time again (plus the start option's
    // distance from it), not the instant the kit started — a suite that has run for minutes would
    // otherwise issue tokens dated minutes ago after every reset().
    this.offset = 0;
  }
}
