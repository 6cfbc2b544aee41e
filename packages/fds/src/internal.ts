/**
 * `@reactor/fds/internal`: the pieces `@reactor/reactor` shares with this
 * package, for code that builds its own sources on the same layer: the
 * argument checks (each throws a TypeError or RangeError that names the
 * parameter), the `-errno` → `SystemError` choke point, and the raw
 * FFI calls (`rawLibc().read(fd, buf, len)` → bytes read or `-errno`).
 *
 * Not covered by semver: these follow what the two packages need and may
 * change in any minor release. Pin an exact version if you import them.
 *
 * @module @reactor/fds/internal
 */

export {
  validateInteger, validateFdNumber, validateUint64, validateNonNegative, validateBuffer,
  validateBufferList, validateIpAddress, validateBoolean, validateFunction, validateString,
  validateOptions, describeValue, INT32_MAX, UINT32_MAX, UINT64_MAX,
} from './validate';
export { check, checkWouldBlock, unlessWouldBlock } from './system-error';
export * from './errno';
export { libc as rawLibc } from './ffi/index';
export type { Libc } from './ffi/index';
