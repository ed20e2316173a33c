import type { Bit, Edge, GpioChip, GpioLine } from '../transports/gpio.js';

interface SimLine {
  value: Bit;
  direction: 'in' | 'out';
  edge: Edge;
  watchers: Array<(v: Bit) => void>;
  /** Every level written to an output, with when. */
  writes: Array<{ at: number; value: Bit }>;
}

/**
 * Simulated GPIO lines for machines without a header (and for tests): outputs record what they were
 * set to; inputs are driven by press()/set(), with optional contact bounce, and report edges as the
 * kernel would.
 */
export class SimulatedGpioChip implements GpioChip {
  readonly simulated = true;
  private readonly lines = new Map<number, SimLine>();

  async open(line: number, direction: 'in' | 'out', edge: Edge): Promise<GpioLine> {
    const l: SimLine = this.lines.get(line) ?? { value: 0, direction, edge, watchers: [], writes: [] };
    Object.assign(l, { direction, edge });
    this.lines.set(line, l);
    return {
      read: async () => l.value,
      write: async (v) => {
        l.value = v;
        l.writes.push({ at: performance.now(), value: v });
      },
      watch: (fn) => void l.watchers.push(fn),
      close: async () => {
        l.watchers.length = 0;
      },
    };
  }

  /** The level of a line (an output's last write). */
  value(line: number): Bit {
    return this.lines.get(line)?.value ?? 0;
  }

  writes(line: number): Array<{ at: number; value: Bit }> {
    return this.lines.get(line)?.writes ?? [];
  }

  /** Drives an input to a level, reporting an edge where the line's edge setting asks for one. */
  set(line: number, value: Bit): void {
    const l = this.lines.get(line);
    if (!l) throw new Error(`GPIO line ${line} is not open`);
    if (l.value === value) return;
    l.value = value;
    const reported = l.edge === 'both' || (l.edge === 'rising' && value === 1) || (l.edge === 'falling' && value === 0);
    if (reported) for (const fn of [...l.watchers]) fn(value);
  }

  /**
   * A button press on an active-low input with a pull-up (the usual wiring): the line falls, bounces
   * `bounces` times within a few milliseconds, stays low for holdMs, then rises again.
   */
  async press(line: number, options: { holdMs?: number; bounces?: number; activeLow?: boolean } = {}): Promise<void> {
    const [down, up]: [Bit, Bit] = options.activeLow === false ? [1, 0] : [0, 1];
    const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
    this.set(line, down);
    for (let i = 0; i < (options.bounces ?? 0); i++) {
      await wait(1);
      this.set(line, up);
      await wait(1);
      this.set(line, down);
    }
    await wait(options.holdMs ?? 100);
    this.set(line, up);
  }

  /** Sets a line's resting level without reporting an edge (a pulled-up button at rest is 1); before or after it is opened. */
  rest(line: number, value: Bit): void {
    const l = this.lines.get(line) ?? { value, direction: 'in' as const, edge: 'none' as const, watchers: [], writes: [] };
    l.value = value;
    this.lines.set(line, l);
  }
}
