/** `--name value` flags for the examples, with defaults and checks. */
export function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${name} needs a value`);
  return value;
}

export function intFlag(args: string[], name: string, fallback: number, min = 0, max = 65535): number {
  const text = flag(args, name);
  if (text === undefined) return fallback;
  // Decimal digits only: Number() also takes '', ' ', '0x10' and '1e3' (an empty --port was port 0).
  const value = /^-?\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be an integer in [${min}, ${max}]; got ${text}`);
  return value;
}
