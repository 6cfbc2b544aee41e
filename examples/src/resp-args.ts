/**
 * The arguments of one RESP request as ranges of the bytes they arrived in.
 * A command then makes no Buffer per argument: `latin1(i)` decodes a key
 * straight from the read buffer, `view(i)` makes a Buffer only where a
 * command needs one, `copy(i)` makes the copy a store keeps. One object per
 * parser, refilled for every request: valid only during the parser's callback.
 */
export class RespArgs {
  /** How many arguments the request has (the command name included). */
  length = 0;
  readonly #bufs: Buffer[] = [];
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];

  /** @internal Add an argument: bytes [start, end) of `buf`. */
  push(buf: Buffer, start: number, end: number): void {
    const i = this.length++;
    this.#bufs[i] = buf;
    this.#starts[i] = start;
    this.#ends[i] = end;
  }

  /** @internal Forget the arguments (and the chunks they point into). */
  clear(): void {
    this.#bufs.fill(EMPTY, 0, this.length);
    this.length = 0;
  }

  /** @internal Replace arguments `from` onward by copies of their bytes (before the chunk they point into is reused). */
  own(from: number): void {
    for (let i = from; i < this.length; i++) {
      this.#bufs[i] = this.copy(i);
      this.#starts[i] = 0;
      this.#ends[i] = this.#bufs[i]!.length;
    }
  }

  byteLength(i: number): number {
    return this.#ends[i]! - this.#starts[i]!;
  }

  /** Byte `j` of argument `i`. */
  byteAt(i: number, j: number): number {
    return this.#bufs[i]![this.#starts[i]! + j]!;
  }

  /** Argument `i` as latin1 text: one char per byte, so any bytes round-trip (keys). */
  latin1(i: number): string {
    return this.#bufs[i]!.toString('latin1', this.#starts[i], this.#ends[i]);
  }

  /** A view of argument `i` (valid only during the callback). */
  view(i: number): Buffer {
    return this.#bufs[i]!.subarray(this.#starts[i], this.#ends[i]);
  }

  /** An owned copy of argument `i`. */
  copy(i: number): Buffer {
    const out = Buffer.allocUnsafe(this.byteLength(i));
    this.#bufs[i]!.copy(out, 0, this.#starts[i], this.#ends[i]);
    return out;
  }

  /** Every argument as a view. */
  toArray(): Buffer[] {
    const out = new Array<Buffer>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.view(i);
    return out;
  }
}

const EMPTY = Buffer.alloc(0);
