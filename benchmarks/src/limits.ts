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
        'So the time goes to the kernel\'s loopback TCP path and to wrk on the same 2 cores; what is left to gain is per-call FFI cost (section 5), not fewer calls.',
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
      `- **Default vs thread mode**: each default-mode turn starts from libuv's poll phase (libuv's own epoll_wait, the poll callback, then epoll_wait(0) through FFI); the measured extra per turn is ${turn || 'in section 6'}. It matters when turns carry few requests (c=50); at c=1000 turns are large and the default mode keeps pace.`,
    );
  }
  if (missed('Timers')) {
    notes.push(
      '- **Timers**: timers already sit in per-duration lists (one heap entry per list, as Node does). What the reactor pays and Node does not is one timerfd re-arm per batch: ' +
        'the queue arms the timerfd for the exact next deadline (ns precision), and with 900 timers due per ms a batch covers ~70 µs of deadlines, so 1M timers took 11,000-19,000 `timerfd_settime` calls ' +
        '(timed inside the process: 307 ms of a 1.5 s run under ffi-rs, 326 ms under koffi). An arming for a deadline microseconds away costs 11-25 µs on this VM (the clock-event device is re-programmed; 3.7 µs for one a second away), ' +
        'where Node\'s timers have 1 ms granularity and ride on the epoll_wait timeout (~1,000 wake-ups for the run). strace -c under load counts far fewer calls because tracing makes batches larger. ' +
        '`node --cpu-prof`: GC is about a third of the CPU for both (a million timer objects). Tried and not kept: skipping the arming when the head is already due (runs a turn instead: -2 to -5% CPU, within noise) and firing timers that fell due during a batch in the same batch (settime count unchanged). ' +
        'What moves it: `timerSlackMs` (as sd-event\'s accuracy), which lets deadlines within the slack share one arming: with `timerSlackMs: 1`, the granularity of Node\'s own timers, the run takes ~800 armings instead of ~14,000 (settime time 21 ms instead of 349 ms, timed inside the process) and its CPU time drops by about a fifth (the slack rows below); what is left is GC and per-timer work in JavaScript. The default stays exact (0).',
    );
  }
  if (missed('Wake-ups')) {
    notes.push(
      '- **Wake-ups**: a wake is an eventfd write (ffi-rs: Node\'s fs write) from the worker; the loop then pays epoll_wait plus the eventfd read through FFI, and in the default mode also libuv\'s own wake of the poll handle. postMessage pays one uv_async and a message-port read. With koffi the FFI part is ~1 µs; the rest is thread scheduling on 2 shared cores.',
    );
  }
  if (missed('Idle')) notes.push('- **Idle**: an idle loop makes no turns (see "turns in the window"): CPU in the window is Node\'s own (timers of other modules, GC).');
  return notes.length === 0 ? [] : ['### What limits the missed goals', '', ...notes, ''];
}
