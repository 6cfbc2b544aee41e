/**
 * Shared pieces of the property-based tests (fast-check): how many inputs
 * each kind of property tries, and the shape every argument error must have.
 */

/**
 * Runs per property. Pure codecs are cheap (microseconds per input); a
 * property that makes syscalls pays ~5-15 us per FFI call under ffi-rs
 * (FACTS §1), so it tries fewer inputs to keep every property file within a
 * few seconds on the 2-core machines.
 */
const scale = Number(process.env.PROPERTY_RUNS_SCALE ?? '1');
if (!(scale > 0)) throw new RangeError(`PROPERTY_RUNS_SCALE must be a number > 0; got ${process.env.PROPERTY_RUNS_SCALE}`);
/** `PROPERTY_RUNS_SCALE=20 pnpm exec jest …property` searches deeper (the suite runs with 1). */
export const RUNS = { pure: Math.ceil(300 * scale), kernel: Math.ceil(60 * scale) } as const;

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
}

/** Whether `value` is a safe integer within [min, max] (what validateInteger accepts). */
export function isIntIn(value: unknown, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}
