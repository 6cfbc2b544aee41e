/**
 * Shared pieces of the property-based tests (fast-check): how many inputs
 * each kind of property tries, and the shape every argument error must have.
 */
import { SystemError } from '@reactor/fds';

/**
 * Runs per property. Pure codecs are cheap (microseconds per input); a
 * property that makes syscalls pays ~5-15 us per FFI call under ffi-rs
 * (docs/linux-and-node.md), so it tries fewer inputs to keep every property file within a
 * few seconds on the 2-core machines.
 */
const scale = Number(process.env.PROPERTY_RUNS_SCALE ?? '1');
if (!(scale > 0)) throw new RangeError(`PROPERTY_RUNS_SCALE must be a number > 0; got ${process.env.PROPERTY_RUNS_SCALE}`);
/** `PROPERTY_RUNS_SCALE=20 pnpm exec jest …property` searches deeper (the suite runs with 1). */
export const RUNS = { pure: Math.ceil(300 * scale), kernel: Math.ceil(60 * scale) } as const;

/** The codes of a bad argument (the README's "Errors" table). */
export const ARGUMENT_ERROR_CODES = ['ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE', 'ERR_OUT_OF_RANGE'];

/**
 * `fn` must throw a TypeError or RangeError whose message starts with the
 * argument's name (`buffers must be …`, `options.port must be …`), so a
 * caller learns which argument was wrong without reading our source.
 */
export function expectArgumentError(fn: () => unknown, name: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) throw new Error(`expected an argument error naming ${name}; nothing was thrown`);
  if (!(thrown instanceof TypeError || thrown instanceof RangeError)) {
    throw new Error(`expected a TypeError or RangeError naming ${name}; got ${String(thrown)}`);
  }
  if (!thrown.message.includes(name)) throw new Error(`expected the error to name ${name}; got ${thrown.name}: ${thrown.message}`);
  expect(ARGUMENT_ERROR_CODES).toContain((thrown as NodeJS.ErrnoException).code);
}

/** Whether `value` is a safe integer within [min, max] (what validateInteger accepts). */
export function isIntIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/**
 * `wire` cut at the given points (any numbers: taken modulo the length + 1,
 * deduplicated), for "split anywhere gives the same result" properties.
 */
export function splitAt(wire: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let last = 0;
  for (const p of points) {
    pieces.push(wire.subarray(last, p));
    last = p;
  }
  pieces.push(wire.subarray(last));
  return pieces;
}

/**
 * The outcome of `fn()` with a hostile value: it is accepted (its result is
 * returned), or the error is a TypeError/RangeError whose message starts with
 * `name`, or (when `kernel` says the kernel may refuse it) a SystemError
 * carrying that syscall and an errno code. Anything else (a crash in our
 * code, a message naming no argument, a raw FFI error) fails the property.
 */
export function expectTyped(fn: () => unknown, name: string, kernel?: string): unknown {
  try {
    return fn();
  } catch (error) {
    if (kernel !== undefined && error instanceof SystemError) {
      expect(error.syscall).toBe(kernel);
      expect(error.code).toMatch(/^E[A-Z0-9]+$/);
      return undefined;
    }
    if (!(error instanceof TypeError || error instanceof RangeError)) throw new Error(`${name}: expected a TypeError/RangeError, got ${String(error)}`);
    expect(ARGUMENT_ERROR_CODES).toContain((error as NodeJS.ErrnoException).code);
    if (!error.message.startsWith(name)) throw new Error(`the error does not start with the argument's name ${name}: ${error.message}`);
    return undefined;
  }
}
