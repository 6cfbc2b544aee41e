/**
 * A line framer for the chat example: splits a byte stream into lines ending
 * in LF or CRLF, holding the partial line between reads, and refusing a line
 * longer than `maxLine` bytes (its CR not counted) as soon as that is
 * certain, whatever the read boundaries were.
 */
export class LineSplitter {
  readonly maxLine: number;
  #partial: Buffer | undefined;

  constructor(maxLine: number) {
    this.maxLine = maxLine;
  }

  /** Bytes held of a line not ended yet. */
  get buffered(): number {
    return this.#partial?.length ?? 0;
  }

  /**
   * The complete lines `chunk` ends (without their LF or CRLF), or null when
   * a line is too long (then the splitter holds nothing). The lines may be
   * views of `chunk`: valid only until the caller returns.
   */
  push(chunk: Buffer): Buffer[] | null {
    const data = this.#partial === undefined ? chunk : Buffer.concat([this.#partial, chunk]);
    this.#partial = undefined;
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = data.indexOf(10, start);
      if (nl < 0) break;
      const end = nl > start && data[nl - 1] === 13 ? nl - 1 : nl;
      if (end - start > this.maxLine) return null;
      lines.push(data.subarray(start, end));
      start = nl + 1;
    }
    // A held line may be maxLine bytes and the CR of its CRLF: one more is certainly too long.
    if (data.length - start > this.maxLine + 1) return null;
    if (start < data.length) this.#partial = Buffer.from(data.subarray(start));
    return lines;
  }
}
