/**
 * Splits a byte stream into text lines at a terminator (PJLink and the ASCII projector sets end at CR,
 * ESC/VP21 also at its ':' prompt). Bounded: a line longer than `maxLength` is cut, never grown forever.
 */
export class LineFramer {
  private partial = '';

  constructor(
    private readonly terminators: string,
    private readonly maxLength = 512,
  ) {}

  push(chunk: Uint8Array): string[] {
    const lines: string[] = [];
    for (const ch of Buffer.from(chunk).toString('latin1')) {
      if (this.terminators.includes(ch)) {
        lines.push(this.partial + (ch === '\r' || ch === '\n' ? '' : ch));
        this.partial = '';
      } else if (this.partial.length < this.maxLength) this.partial += ch;
    }
    return lines;
  }

  /** What has arrived since the last terminator (Optoma's single-letter answers come without one). */
  takePartial(): string {
    const p = this.partial;
    this.partial = '';
    return p;
  }

  get pending(): string {
    return this.partial;
  }
}
