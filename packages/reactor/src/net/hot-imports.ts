/**
 * What the per-event and per-write code of connections and UDP sockets
 * uses from `@reactor/fds`, bound once as this module's own values. In the
 * CommonJS build, every use of a name imported from another package reads
 * a property that TypeScript's `export *` defines as a getter, and those
 * getters share one keyed load that V8 sees as megamorphic: profiled under
 * wrk (koffi, thread mode), the getters and Node's lazy `performance`
 * global took ~8% of the loop's CPU. Here they are plain data properties,
 * which optimized code reads as constants. (The ES module build binds
 * imports directly either way.)
 */
import * as fds from '@reactor/fds';
import * as internal from '@reactor/fds/internal';

export const EPOLLIN: number = fds.EPOLLIN;
export const EPOLLOUT: number = fds.EPOLLOUT;
export const EPOLLERR: number = fds.EPOLLERR;
export const EPOLLHUP: number = fds.EPOLLHUP;
export const EPOLLRDHUP: number = fds.EPOLLRDHUP;
export const validateBuffer: typeof internal.validateBuffer = internal.validateBuffer;
