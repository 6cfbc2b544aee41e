import { Buffer } from 'node:buffer';
import { isIP } from 'node:net';
import { IOV_MAX } from './constants';
import { InvalidArgTypeError, InvalidArgValueError, OutOfRangeError } from './errors';

/**
 * Argument checks made before any syscall: a bad value throws a TypeError
 * (ERR_INVALID_ARG_TYPE, ERR_INVALID_ARG_VALUE) or a RangeError
 * (ERR_OUT_OF_RANGE) that names the parameter, and nothing reaches the kernel.
 */

const describe = (value: unknown): string => {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (typeof value === 'object') return Object.prototype.toString.call(value);
  return String(value);
};

/** An integer Number within [min, max]. */
export function validateInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number') throw new InvalidArgTypeError(`${name} must be a number; got ${describe(value)}`);
  if (!Number.isInteger(value)) throw new OutOfRangeError(`${name} must be an integer; got ${describe(value)}`);
  if (value < min || value > max) throw new OutOfRangeError(`${name} must be in [${min}, ${max}]; got ${value}`);
  // -0 passes every comparison but is not an int32 to V8: Node's writeSync
  // aborts the process on an assertion (args[3]->IsInt32()) when given it.
  return value === 0 ? 0 : value;
}

/** The largest int32 (an fd, a C int). */
export const INT32_MAX = 0x7fffffff;
/** The largest uint32. */
export const UINT32_MAX = 0xffffffff;
/** The largest uint64, as a bigint. */
export const UINT64_MAX = 0xffffffffffffffffn;

/** A file descriptor number: an integer in [0, 2^31-1]. */
export function validateFdNumber(value: unknown, name = 'fd'): number {
  return validateInteger(value, name, 0, INT32_MAX);
}

/** An unsigned 64-bit value as a bigint; a safe non-negative integer Number is accepted too. */
export function validateUint64(value: unknown, name: string, max: bigint = UINT64_MAX): bigint {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new OutOfRangeError(`${name} must be a safe integer (use a bigint beyond 2^53); got ${describe(value)}`);
    }
    big = BigInt(value);
  } else throw new InvalidArgTypeError(`${name} must be a bigint or a number; got ${describe(value)}`);
  if (big < 0n || big > max) throw new OutOfRangeError(`${name} must be in [0, ${max}]; got ${big}`);
  return big;
}

/** A finite, non-negative Number (durations). */
export function validateNonNegative(value: unknown, name: string): number {
  if (typeof value !== 'number') throw new InvalidArgTypeError(`${name} must be a number; got ${describe(value)}`);
  if (!Number.isFinite(value) || value < 0) throw new OutOfRangeError(`${name} must be a finite number >= 0; got ${describe(value)}`);
  return value;
}

/** A Buffer, or any ArrayBufferView turned into a Buffer over the same memory (no copy). */
export function validateBuffer(value: unknown, name: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new InvalidArgTypeError(`${name} must be a Buffer, TypedArray or DataView; got ${describe(value)}`);
}

/**
 * An array of buffers for readv/writev: a non-array is a TypeError naming
 * `name` (not `buffers.map is not a function`), each element (holes of a
 * sparse array included) is checked as `name[i]`, and more than IOV_MAX elements is a RangeError.
 */
export function validateBufferList(value: unknown, name: string): Buffer[] {
  if (!Array.isArray(value)) throw new InvalidArgTypeError(`${name} must be an array of Buffers, TypedArrays or DataViews; got ${describe(value)}`);
  if (value.length > IOV_MAX) throw new OutOfRangeError(`${name} must hold at most ${IOV_MAX} buffers (IOV_MAX); got ${value.length}`);
  // A plain loop, not map(): map skips the holes of a sparse array and would
  // hand the FFI layer an undefined buffer (koffi throws its own error then).
  const out: Buffer[] = new Array(value.length);
  for (let i = 0; i < value.length; i++) out[i] = validateBuffer(value[i], `${name}[${i}]`);
  return out;
}

/**
 * An IPv4 or IPv6 address in text (no name lookup): a TypeError naming
 * `name` for anything else, rather than a later one about `address.address`.
 */
export function validateIpAddress(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new InvalidArgTypeError(`${name} must be an IPv4 or IPv6 address; got ${describe(value)}`);
  if (isIP(value) === 0) throw new InvalidArgValueError(`${name} must be an IPv4 or IPv6 address; got ${describe(value)}`);
  return value;
}

/** `value` if it is a boolean, else a TypeError naming `name`. */
export function validateBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw new InvalidArgTypeError(`${name} must be a boolean; got ${describe(value)}`);
  return value;
}

/**
 * `value` if it is a function, else a TypeError naming `name`.
 * @typeParam T the function type the caller expects
 */
export function validateFunction<T extends (...args: never[]) => unknown>(value: unknown, name: string): T {
  if (typeof value !== 'function') throw new InvalidArgTypeError(`${name} must be a function; got ${describe(value)}`);
  return value as T;
}

/** `value` if it is a string, else a TypeError naming `name`. */
export function validateString(value: unknown, name: string): string {
  if (typeof value !== 'string') throw new InvalidArgTypeError(`${name} must be a string; got ${describe(value)}`);
  return value;
}

/** An options bag: undefined becomes {}, anything that is not a plain object is refused. */
export function validateOptions<T extends object>(value: unknown, name = 'options'): Partial<T> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgTypeError(`${name} must be an object; got ${describe(value)}`);
  }
  return value as Partial<T>;
}

export { describe as describeValue };
