import fc from 'fast-check';
import { LineSplitter } from '../dist/lines';
import { RUNS, splitAt } from '@reactor/testing';

/** Lines as the chat sees them, and whether the stream was refused; pieces come in a scratch buffer clobbered after each push. */
function run(pieces: Buffer[], maxLine: number): { lines: string[]; refused: boolean; maxHeld: number } {
  const splitter = new LineSplitter(maxLine);
  const lines: string[] = [];
  let maxHeld = 0;
  for (const piece of pieces) {
    const scratch = Buffer.from(piece);
    const got = splitter.push(scratch);
    if (got === null) return { lines, refused: true, maxHeld };
    for (const l of got) lines.push(l.toString('latin1'));
    scratch.fill(0xee);
    maxHeld = Math.max(maxHeld, splitter.buffered);
  }
  return { lines, refused: false, maxHeld };
}

describe('chat line framer, properties', () => {
  const MAX = 16;
  const token = fc.oneof(fc.constantFrom('\n', '\r\n', '\r', 'a', 'bb', 'x'.repeat(MAX - 1), 'y'.repeat(MAX), 'z'.repeat(MAX + 1)), fc.string({ unit: 'binary-ascii', maxLength: 6 }));
  const stream = fc.array(token, { maxLength: 20 }).map((t) => Buffer.from(t.join(''), 'latin1'));

  test('any stream, split anywhere: the same lines and the same verdict as in one piece', () => {
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 8 }), (wire, cuts) => {
        const whole = run([wire], MAX);
        const pieces = run(splitAt(wire, cuts), MAX);
        expect(pieces.refused).toBe(whole.refused);
        if (!whole.refused) expect(pieces.lines).toEqual(whole.lines);
      }),
      { numRuns: RUNS.pure * 3 },
    );
  });

  test('the lines are what was sent (LF or CRLF removed), none longer than the limit, and the held bytes stay within it (a line of max+1 bytes passed when its LF came in the same read)', () => {
    const line = fc.oneof(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: MAX + 2 }), fc.constantFrom('m'.repeat(MAX), 'n'.repeat(MAX + 1)));
    fc.assert(
      fc.property(fc.array(fc.tuple(line, fc.boolean()), { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 8 }), (lines, cuts) => {
        const wire = Buffer.from(lines.map(([l, crlf]) => l + (crlf ? '\r\n' : '\n')).join(''), 'latin1');
        const outcome = run(splitAt(wire, cuts), MAX);
        const firstTooLong = lines.findIndex(([l]) => l.length > MAX);
        expect(outcome.refused).toBe(firstTooLong >= 0);
        const expected = lines.slice(0, firstTooLong >= 0 ? firstTooLong : lines.length).map(([l]) => l);
        // Refused: the lines of the read that brought the long one are dropped with it, so a prefix came through.
        if (outcome.refused) expect(expected.slice(0, outcome.lines.length)).toEqual(outcome.lines);
        else expect(outcome.lines).toEqual(expected);
        expect(outcome.maxHeld).toBeLessThanOrEqual(MAX + 1);
      }),
      { numRuns: RUNS.pure },
    );
  });
});
