/**
 * At most `capacity` holders per key at once on this instance; later arrivals wait in order.
 * Why: a lockout check and the failure it leads to are separate steps around a slow argon2
 * verification, so without a gate a burst of parallel guesses would all pass the check before the
 * first failure is counted and overshoot the threshold by the burst size. Through the gate the
 * overshoot is at most `capacity` per instance.
 */
export class GateFull extends Error {
  override name = 'GateFull';
}

interface Gate {
  active: number;
  waiting: (() => void)[];
}

export class KeyedGate {
  private readonly gates = new Map<string, Gate>();

  /** `maxWaiting` bounds the queue per key (memory); beyond it `run` rejects with GateFull. */
  constructor(private readonly maxWaiting = 64) {}

  async run<T>(key: string, capacity: number, fn: () => Promise<T>): Promise<T> {
    const gate = this.gates.get(key) ?? { active: 0, waiting: [] };
    this.gates.set(key, gate);
    if (gate.active >= capacity) {
      if (gate.waiting.length >= this.maxWaiting) throw new GateFull(`too many attempts waiting for ${key}`);
      await new Promise<void>((resolve) => gate.waiting.push(resolve));
    } else {
      gate.active++;
    }
    try {
      return await fn();
    } finally {
      const next = gate.waiting.shift();
      // The slot passes straight to the next waiter; the last one out deletes the gate.
      if (next) next();
      else if (--gate.active === 0) this.gates.delete(key);
    }
  }
}
