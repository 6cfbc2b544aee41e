/**
 * What limits each missed goal: notes from profiling (strace -c -f and
 * node --cpu-prof of the http example under wrk, 2026-11-26, 2-core machine),
 * printed in RESULTS.md only under a goal that was missed in the run.
 */
import { httpRps, type Goal } from './goals';
import { httpCost, redisCost, type Results } from './results';

/** This run's own figures on what bounds the HTTP rows against C: how busy wrk and each server were, and the CPU per request. */
function httpBounds(r: Results): string {
  const parts: string[] = [];
  for (const c of r.http?.connections ?? []) {
    const [thread, cResponder, net] = ['reactor-koffi-thread', 'c-epoll', 'node-net'].map((id) => httpCost(r, id, c, 'serverUsPerOp'));
    const cRps = httpRps(r, 'c-epoll', c) ?? Number.NaN;
    if (![thread, cResponder, net, cRps].every((x) => Number.isFinite(x))) return '';
    parts.push(
      `c=${c}: the C responder was ${httpCost(r, 'c-epoll', c, 'serverCores').toFixed(2)} cores busy with wrk at ${httpCost(r, 'c-epoll', c, 'clientCores').toFixed(2)}, ` +
        `koffi thread mode ${httpCost(r, 'reactor-koffi-thread', c, 'serverCores').toFixed(2)} with wrk at ${httpCost(r, 'reactor-koffi-thread', c, 'clientCores').toFixed(2)}; ` +
        `server CPU per request: C ${cResponder!.toFixed(1)} µs, koffi thread ${thread!.toFixed(1)} µs (${(thread! / cResponder!).toFixed(2)}× C's), node:net ${net!.toFixed(1)} µs; ` +
        `a loop saturating one core reaches 0.95× C's ${Math.round(cRps).toLocaleString('en')} req/s only at ${(1e6 / (0.95 * cRps)).toFixed(1)} µs of CPU per request or less`,
    );
  }
  return ` In this run (${parts.join('; ')}). So wrk bounds the C row and the loop's own CPU per request bounds the koffi thread-mode row.`;
}

/** The kv example's own RESP work per GET (parse, look up, reply), timed in-process without I/O on 2026-11-29. */
const RESP_US_PER_GET = 0.35;

/** This run's own figures on what bounds pipelined RESP: how busy each side was, and each server's CPU per request. */
function redisBounds(r: Results): string {
  const parts: string[] = [];
  const [getKv, getNode] = ['kv-koffi', 'kv-node'].map((id) => redisCost(r, id, 16, 'GET', 'serverUsPerOp')) as [number, number];
  for (const test of ['SET', 'GET']) {
    const [kv, node, redis] = ['kv-koffi', 'kv-node', 'redis-server'].map((id) => redisCost(r, id, 16, test, 'serverUsPerOp'));
    if (![kv, node, redis].every((x) => Number.isFinite(x))) return '';
    const busy = (id: string) => `${redisCost(r, id, 16, test, 'serverCores').toFixed(2)}/${redisCost(r, id, 16, test, 'clientCores').toFixed(2)}`;
    parts.push(
      `${test}: server CPU per request kv koffi ${kv!.toFixed(2)} µs, kv-node ${node!.toFixed(2)} µs (${(node! / kv!).toFixed(2)}× kv's), redis-server ${redis!.toFixed(2)} µs; ` +
        `busy (server/redis-benchmark, cores) kv koffi ${busy('kv-koffi')}, kv-node ${busy('kv-node')}, redis-server ${busy('redis-server')}; ` +
        `1.3× kv-node's rate would take kv at ${(node! / 1.3).toFixed(2)} µs per request, ${((node! / 1.3 / redis!) * 100).toFixed(0)}% of what redis-server spends`,
    );
  }
  return (
    ` In this run, at -P 16 (${parts.join('. ')}. ` +
    'With both the server and redis-benchmark near one core each on this 2-core machine, the rate follows the server\'s CPU per request, and nearly half of that is the kernel\'s (sys time 0.55-0.65 µs per request for every server, measured from /proc/<pid>/stat on 2026-11-29), so 1.3× kv-node\'s rate takes kv\'s CPU per request at or below kv-node\'s ÷ 1.3, set above against redis-server\'s (in the evening run of 2026-11-29 that was below redis-server\'s own). ' +
    `The RESP code (~${RESP_US_PER_GET} µs of CPU per GET, timed without I/O) is shared with kv-node, so making it cheaper raises both; the I/O path is what separates them: for GET, ${(getKv - RESP_US_PER_GET).toFixed(2)} µs per request for kv against ${(getNode - RESP_US_PER_GET).toFixed(2)} for kv-node in this run.`
  );
}

export function limitNotes(goals: Goal[], r: Results): string[] {
  const missed = (prefix: string) => goals.some((g) => g.met === false && g.goal.startsWith(prefix));
  const notes: string[] = [];
  if (missed('HTTP')) {
    notes.push(
      '- **HTTP**: the syscall count is already the C responder\'s: `strace -c -f` of the example under `wrk -c50` shows one `read` and one `write`/`send` per request and one `epoll_wait` per ~27 requests (ffi-rs node mode and koffi thread mode alike). ' +
        '`node --cpu-prof` of the loop thread (koffi, thread mode): 41% in `epoll_wait` (time blocked included), 37% in `send`, 10% in `read`, 1.4% `parseRequest`, 1.3% GC, the reactor\'s own turn code under 1%; ' +
        'ffi-rs node mode: 28% in `writeBuffer` (Node\'s fs write, ffi-rs\'s data path), 6% `read`, 2.4% ffi-rs `wrapLoad` (epoll_wait), the rest idle. ' +
        'So the time goes to the kernel\'s loopback TCP path and to wrk on the same 2 cores; what is left to gain is per-call FFI cost (section 5), not fewer calls. ' +
        'On Node 26 (2026-11-29, evening) node:net is faster than on Node 20 and the ffi-rs default mode fell behind it at c=1000: `perf trace -s` showed the same syscalls per request as node:net, but ~750 requests per turn, all read before any reply was written (replies were flushed after the batch), so wrk on the other core waited while the server read. Replies now leave when their connection\'s handler returns: ffi-rs default ÷ node:net at c=1000 on Node 26 went from ~0.83× to ~0.93× (server CPU per request 20.9-22.5 → 18.8-19.2 µs, node:net 17.4-18.8). ' +
        'What is left of the ffi-rs gap is its data path, Node\'s fs binding: `fs.writeSync` and `fs.readSync` take 87% of the profile (the reactor\'s JS under 5%), and a write+read pair through them costs 5.5 µs on a socketpair where the same two syscalls from C cost 3.4 µs on this VM (a bare getppid() is 1.1 µs here), ~1 µs per request more than koffi\'s calls, which keep the koffi default mode level with node:net. ' +
        'koffi thread mode against C: the C responder is bound by wrk (its server used 73% of a core at 77k req/s, 9.4 µs of CPU per request) while the reactor\'s loop thread is saturated at ~15 µs per request, of which the two syscalls through koffi and epoll_wait are nearly all. ' +
        'Split into user and system time (2026-11-29, night, /proc/<pid>/stat, wrk -c50): every server spends the same ~8 µs of system time per request (C 8.6, node:net 8.5, koffi thread 8.1); the difference is user time, C 1.5 µs against koffi thread 6.4-6.9. ' +
        '`perf record -g` of the loop thread (node --perf-basic-prof) put a third of that user time in V8 builtins called from optimized code: getter calls for names imported from @reactor/fds (TypeScript\'s CommonJS `export *` defines each as a getter, and they share one megamorphic keyed load), Node\'s global `Buffer` and `performance` (both accessors, and Node 20\'s `performance.now()` runs a brand check with hasOwnProperty), the EINTR-retry wrappers (closures of one factory, so one megamorphic call site for every call), and Buffer#readUInt32LE for each epoll result. ' +
        'With those removed (hot-path values bound as plain module data, a literal per wrapper, the clock read on I/O only under an idle timeout, epoll results read as 32-bit words), A/B pairs against the commit before, alternating, on a steady host: koffi thread mode user time 6.4-6.9 → 5.0-5.2 µs per request and 68k → 77k req/s; ffi-rs default mode 7.7-7.9 → 5.9-6.7 µs. What is left of the user time is koffi\'s and Node\'s call machinery (N-API callback entry, number boxing of results), EventEmitter\'s dictionary-mode listener lookup per \'data\', and the example\'s parser. ' +
        '"≥ 2× node:http" at c=50 asks for about what the single-threaded C responder itself does here (C ÷ node:http is 1.99× in the 2026-11-26 run, 2.10× in the 2026-11-29 afternoon one, 1.66× in the evening one): with wrk on the same 2 cores, no server in JavaScript can pass the C one, so that goal moves only with the C bound.' +
        httpBounds(r),
    );
  }
  if (missed('Redis')) {
    notes.push(
      '- **Pipelined RESP** (profiled 2026-11-29 on the 2-core VM while other work ran, so the absolute figures are disturbed): the kv example makes the syscalls redis-server makes: `strace -c -f` under `-P 16 -c 50` counted one `read` and one `sendto` per 16-command batch and one `epoll_wait` per ~20 batches. ' +
        'So the kernel\'s share per request is about the same (server sys time 0.4-0.6 µs per request for both, from /proc/<pid>/stat); the gap is user time: ~0.85-1.0 µs per request for kv on koffi (~1.3-1.4 before this round) against ~0.47 for redis-server. ' +
        '`perf record` of the kv server (koffi, GET): 36% kernel (half of it the hypervisor\'s irq-enable on wake-ups), 34% Node/V8 builtins and runtime, 17% JIT code, 9% libc syscall wrappers; ' +
        'the example\'s own RESP work (parse, look up, reply), timed without I/O, is ~0.35 µs of CPU per GET and ~0.5 µs per SET after this round\'s changes (headers in one pass, command names by letter code, arguments as ranges of the read buffer), from ~0.8 µs; ' +
        'what remains per batch is the reactor\'s read/dispatch/flush path and the FFI calls. The kv-node peer shares the RESP code, so every gain there also raises kv-node: the koffi ÷ kv-node ratio measures only the I/O path. ' +
        'Since 2026-11-29 evening replies leave when their connection\'s handler returns, not after the whole batch (node:net\'s writes always went at once): in the full run after that change SET went from 0.77× to 0.94× redis-server and from 1.03× to 1.30× kv-node. ' +
        'Profiled after it (koffi, `-P 16 -c 50`, SET of one key): at 640k SET/s the server was idle 23% of the time, `send` took 47% (~15 µs per 16-reply batch: the loopback path, including waking redis-benchmark on the other core), `read` 16.5%, GC 2.5%, and all of the JavaScript together ~8%. ' +
        'GET profiled the same way (2026-11-29, night, koffi, 697k GET/s): `send` 48%, `read` 19%, `epoll_wait` 2%, idle 20%, GC 0.9%, the RESP code and the reactor\'s read/dispatch/flush together under 8%.' +
        redisBounds(r),
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
        'A timer is 12 fields since 2026-11-29 evening, as Node\'s Timeout (the source record every source shares is four: loop, dispatch count, flags with the kind, and one record for what few sources have; the timer adds deadline, order, bucket-or-queue, list links, signed delay/interval, callback and abort-signal record): 16 before, which cost 1.06-1.08× setTimeout\'s CPU in a side-by-side run that gave 0.99× after. ' +
        'The rounds drift with the host (setTimeout alone took 2.25-2.69 s of CPU across the five rounds of the 2026-11-29 afternoon run), so a median within a few per cent of setTimeout can land on either side of it.',
    );
  }
  if (missed('Wake-ups')) {
    notes.push(
      '- **Wake-ups** (back to back, default mode): a wake reaches the loop through libuv\'s own watch of the eventfd (no epoll_wait through FFI since 2026-11-29), an immediate (every default-mode turn runs inside one, Node\'s callback scope: see docs/node-integration.md), one eventfd read through the binding, then the handler. ' +
        'Timed in stages (2026-11-29, stamps from the worker\'s clock): the worker\'s write → the poll callback entered took 9-10 µs where postMessage\'s whole path took 8-9 µs, and the read 2.5-3 µs. So entering the poll callback alone costs what postMessage costs: libuv calls koffi\'s uv_poll callback through N-API (a handle scope, an event object, a function call), where MessagePort\'s is Node\'s own C++; and the eventfd read that libuv\'s async handle does in C is one more syscall through FFI here. ' +
        'With the loop asleep between wakes (a daemon\'s case) the host decides more than the code: in the 2026-11-29 afternoon run postMessage took 30.8 µs that way and every reactor path beat it; in the evening it took 14-15 µs (its back-to-back figure) and the default mode took 1.4-1.8× that, koffi thread mode 0.71-0.75×. ' +
        'An A/B of the wake-up section, the commit before that evening\'s changes against the one after, alternating (2 runs each), gave the same figures for every row (paced default mode ffi-rs 22.6-25.8 / 24.7-24.8 µs, koffi 20.2-21.3 / 19.3-19.5 µs): the loop\'s path did not change, the host\'s wake-up of a sleeping Node thread did. ' +
        'Split into stages with the loop asleep (a wake every 1 ms, 2,000 wakes; stamps from the worker\'s clock taken before its wake(), medians, 2026-11-29 evening, two runs each): koffi: poll callback entered at 11.1-11.3 µs, the immediate at 12.5-12.8, the eventfd read done at 16.2-16.7, the handler at 17.2-17.6 (back to back: 13.3, 14.0, 17.0, 17.4); ffi-rs: 13.3-14.7, 15.0-16.1, 19.5-20.4, 20.3-21.4 (back to back: 10.7, 11.4, 14.5-14.8, 14.7-15.0); postMessage\'s whole path measured the same way: 11.8-12.5 µs asleep, 13.3-15.8 back to back. ' +
        'So, asleep as back to back, reaching koffi\'s poll callback costs what postMessage costs in total, and the immediate (~1.5 µs) and the eventfd read through the binding (3-5 µs) come on top; the ffi-rs side also pays the worker\'s write through Node\'s fs binding before the stamp reaches the kernel. ' +
        'Reading the eventfd after the handlers instead of before would take the read out of the latency, but a wake landing between the handlers and the read would then be swallowed, or reported twice if re-checked; it was not done. What would move it: a libuv async handle (uv_async_send) for the waker, which Node does not expose to JavaScript.',
    );
  }
  if (missed('Owned chunks')) {
    notes.push(
      '- **Owned chunks**: an owned chunk costs one `Buffer.from` of the bytes read (the pool for small reads). Since 2026-11-29 night the goal is judged on the server\'s CPU per request or round trip, paired round by round (loaned and owned back to back, the order reversed every other round), because throughput medians could not settle 3% on this host: its speed drifted within the run (in the 2026-11-29 evening run one row went from 40k to 61k req/s between rounds, and the first-round pairs ranged 0.90-1.11×). ' +
        'CPU per request drifts with the host too (the same HTTP row measured 15 and 24 µs within minutes that night), so even paired a few rounds can land a few per cent either side. ' +
        'Timed in-process instead (Node 20, same evening): the owned chunk of a 64 B read costs ~70 ns more than a view (113 vs 43 ns), under 1% of the ~15 µs of server CPU an HTTP request or a 64 B echo costs here; of a 16 KiB read, 1.3-2.5 µs more, nearly all of it the allocation of a new 16 KiB ArrayBuffer (`Buffer.allocUnsafe(16384)` alone 1.5-2.1 µs, the copy 0.25 µs), which is what Node\'s own sockets pay per read too (a fresh buffer each read). ' +
        'A slab for owned chunks of 4 KiB and more was tried (2026-11-29 night): chunks carved from 128 KiB slabs, as Node\'s pool carves small ones. Timed in-process (median of 5 rounds of 100,000, CPU including V8\'s GC threads) a 16 KiB chunk went from 5.8-6.0 µs to 1.2-3.8 on Node 20 but only from 2.5-5.8 to 2.0-2.8 on Node 26, where a 4 KiB `Buffer.from` already costs 0.55-0.75 µs: what remains is V8\'s work per byte of external memory (GC), not the allocation count, and allocating one ArrayBuffer costs about the same from 4 KiB to 128 KiB here (3-7 µs on a slow host). ' +
        'It was not kept: a kept chunk would keep its whole 128 KiB slab alive, so a handler that stores 4 KiB request bodies (a Node habit the owned default exists for) could hold 32× their size, where a node:net chunk holds its own bytes; and it would not reach 3% at 16 KiB either. The 16 KiB case costs what Node\'s own sockets cost per read; `loanChunks: true` is the way to avoid it.',
    );
  }
  if (missed('Idle')) notes.push('- **Idle**: an idle loop makes no turns (see "turns in the window"): CPU in the window is Node\'s own (timers of other modules, GC).');
  return notes.length === 0 ? [] : ['### What limits the missed goals', '', ...notes, ''];
}
