/**
 * What limits each missed goal: notes from profiling (strace -c -f and
 * node --cpu-prof of the http example under wrk, 2026-11-26, 2-core machine),
 * printed in RESULTS.md only under a goal that was missed in the run.
 */
import type { Goal } from './goals';
import type { Results } from './results';

export function limitNotes(goals: Goal[], r: Results): string[] {
  const missed = (prefix: string) => goals.some((g) => g.met === false && g.goal.startsWith(prefix));
  const notes: string[] = [];
  if (missed('HTTP')) {
    notes.push(
      '- **HTTP**: the syscall count is already the C responder\'s: `strace -c -f` of the example under `wrk -c50` shows one `read` and one `write`/`send` per request and one `epoll_wait` per ~27 requests (ffi-rs node mode and koffi thread mode alike). ' +
        '`node --cpu-prof` of the loop thread (koffi, thread mode): 41% in `epoll_wait` (time blocked included), 37% in `send`, 10% in `read`, 1.4% `parseRequest`, 1.3% GC, the reactor\'s own turn code under 1%; ' +
        'ffi-rs node mode: 28% in `writeBuffer` (Node\'s fs write, ffi-rs\'s data path), 6% `read`, 2.4% ffi-rs `wrapLoad` (epoll_wait), the rest idle. ' +
        'So the time goes to the kernel\'s loopback TCP path and to wrk on the same 2 cores; what is left to gain is per-call FFI cost (section 5), not fewer calls. ' +
        '"≥ 2× node:http" at c=50 asks for about what the single-threaded C responder itself does here (C ÷ node:http is 1.99× in the 2026-11-26 run, 2.10× in the 2026-11-29 one): with wrk on the same 2 cores, no server in JavaScript can pass the C one, so that goal moves only with the C bound.',
    );
  }
  if (missed('Redis')) {
    notes.push(
      '- **Pipelined RESP** (profiled 2026-11-29 on the 2-core VM while other work ran, so the absolute figures are disturbed): the kv example makes the syscalls redis-server makes: `strace -c -f` under `-P 16 -c 50` counted one `read` and one `sendto` per 16-command batch and one `epoll_wait` per ~20 batches. ' +
        'So the kernel\'s share per request is about the same (server sys time 0.4-0.6 µs per request for both, from /proc/<pid>/stat); the gap is user time: ~0.85-1.0 µs per request for kv on koffi (~1.3-1.4 before this round) against ~0.47 for redis-server. ' +
        '`perf record` of the kv server (koffi, GET): 36% kernel (half of it the hypervisor\'s irq-enable on wake-ups), 34% Node/V8 builtins and runtime, 17% JIT code, 9% libc syscall wrappers; ' +
        'the example\'s own RESP work (parse, look up, reply), timed without I/O, is ~0.35 µs of CPU per GET and ~0.5 µs per SET after this round\'s changes (headers in one pass, command names by letter code, arguments as ranges of the read buffer), from ~0.8 µs; ' +
        'what remains per batch is the reactor\'s read/dispatch/flush path and the FFI calls. The kv-node peer shares the RESP code, so every gain there also raises kv-node: the koffi ÷ kv-node ratio measures only the I/O path.',
    );
  }
  if (missed('Default run mode')) {
    const turn = (r.idle?.rows ?? []).map((x) => `${x.binding} ${(x.nodeModeUsPerTurn - x.blockingUsPerTurn).toFixed(1)} µs`).join(', ');
    notes.push(
      `- **Default vs thread mode**: each default-mode turn starts from libuv's poll phase (libuv's own epoll_wait, the poll callback, which schedules an immediate, and in it epoll_wait(0) through FFI: the immediate is what keeps Node's async-id checks whole when a turn runs Node's queues, see docs/node-integration.md); the measured extra per turn is ${turn || 'in section 6'}. It matters when turns carry few requests (c=50); at c=1000 turns are large and the default mode keeps pace.`,
    );
  }
  if (missed('Timers')) {
    notes.push(
      '- **Timers** (the default, 1 ms granularity): the armings are no longer the cost: ~1,000 `timerfd_settime` calls for the run, as Node\'s timers ride on ~1,000 epoll_wait wake-ups (exact timers, the `timerSlackMs: 0` rows, still pay one arming per batch: 11,000-19,000 of them at 11-25 µs each on this VM). ' +
        '`node --cpu-prof` of both (2026-11-29): GC is 37-45% of the CPU for each (a million timer objects and their callbacks); the fired-timer loop pays the same cache miss per timer as Node\'s list removal (the next timer of the duration list is touched: Node\'s `remove` 309 ms, the reactor\'s `#unlink` 395 ms, profiled without inlining). ' +
        'Deadlines are kept as integer ticks of the slack, so V8 stores them inside the timer object (a fractional ms deadline is a separate heap number loaded at every comparison: the exact rows pay it). ' +
        'What is left is the size of a timer: 16 fields (the record every source shares: ref state, priority and rate-limit record, registry record, dispatch count, kind; then the timer\'s deadline, order, list links, delay, interval, callback, queue and abort-signal record) against 12 in Node\'s Timeout, so more bytes to allocate and for the scavenger to copy. ' +
        'The rounds drift with the host (setTimeout alone took 2.25-2.69 s of CPU across the five rounds of the 2026-11-29 run; per round the reactor took 1.03-1.31× of it). What would move it: timers as bare entries of their queue, without the shared source record (libuv\'s timers are not handles), at the price of ref/unref and priority per timer.',
    );
  }
  if (missed('Wake-ups')) {
    notes.push(
      '- **Wake-ups** (back to back, default mode): a wake reaches the loop through libuv\'s own watch of the eventfd (no epoll_wait through FFI since 2026-11-29), an immediate (every default-mode turn runs inside one, Node\'s callback scope: see docs/node-integration.md), one eventfd read through the binding, then the handler. ' +
        'Timed in stages (2026-11-29, stamps from the worker\'s clock): the worker\'s write → the poll callback entered took 9-10 µs where postMessage\'s whole path took 8-9 µs, and the read 2.5-3 µs. So entering the poll callback alone costs what postMessage costs: libuv calls koffi\'s uv_poll callback through N-API (a handle scope, an event object, a function call), where MessagePort\'s is Node\'s own C++; and the eventfd read that libuv\'s async handle does in C is one more syscall through FFI here. ' +
        'With the loop asleep between wakes (a daemon\'s case) every reactor path beats postMessage, and thread mode beats it both ways. What would move it: a libuv async handle (uv_async_send) for the waker, which Node does not expose to JavaScript.',
    );
  }
  if (missed('Owned chunks')) {
    notes.push(
      '- **Owned chunks**: an owned chunk costs one `Buffer.from` of the bytes read (the pool for small reads). The medians here are spread by the host: the speed of this VM drifted during the run (every row fell from the first round to the last; owned rows came out up to 17% *faster* than loaned ones, which a copy cannot do). Round by round the pairs ran back to back; in the first round of the 2026-11-29 run owned ÷ loaned was 0.98-1.00× for echo (64 B and 16 KiB, both bindings) and 0.98× for HTTP on koffi.',
    );
  }
  if (missed('Idle')) notes.push('- **Idle**: an idle loop makes no turns (see "turns in the window"): CPU in the window is Node\'s own (timers of other modules, GC).');
  return notes.length === 0 ? [] : ['### What limits the missed goals', '', ...notes, ''];
}
