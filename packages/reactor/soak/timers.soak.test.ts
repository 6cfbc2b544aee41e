/**
 * Timers: a storm of timers created and cancelled from inside timer
 * callbacks, over several seconds. None fires early, none is lost, none
 * fires twice, and no cancelled one fires.
 */
import { Reactor, type Timer } from '@reactor/reactor';
import pino from 'pino';
import { bindingName, fdCount, record, resetRecord, round, scale, SHORT } from './helpers';

describe(`timers (${bindingName()}, ${SHORT ? 'short' : 'full'} scale)`, () => {
  test('a storm of timers created and cancelled from inside timer callbacks: none early, none lost, no cancelled one fires', async () => {
    resetRecord('timers');
    const budget = scale(1_000_000, 100_000); // timers created in all
    const fdsBefore = fdCount();
    using loop = new Reactor({ logger: pino({ level: 'silent' }) });
    let seed = 0x9e3779b9;
    const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);

    let created = 0;
    let fired = 0;
    let cancelled = 0;
    let early = 0;
    let twice = 0;
    let firedAfterCancel = 0;
    let maxLateMs = 0;
    // Live timers by id: what is still due, so every one is accounted for.
    const live = new Map<number, { timer: Timer; due: number }>();
    const state = new Map<number, 'live' | 'fired' | 'cancelled'>();

    const spawnTimer = (): void => {
      if (created >= budget) return;
      const id = created++;
      // 0–20 ms, with ties on purpose (whole milliseconds half the time).
      const delay = random() < 0.5 ? Math.floor(random() * 20) : random() * 20;
      const due = performance.now() + delay;
      state.set(id, 'live');
      const timer = loop.after(delay, () => {
        const now = performance.now();
        const was = state.get(id);
        if (was === 'fired') twice++;
        if (was === 'cancelled') firedAfterCancel++;
        state.set(id, 'fired');
        live.delete(id);
        fired++;
        if (now < due) early++;
        maxLateMs = Math.max(maxLateMs, now - due);
        // From inside the callback: make up to three, cancel up to two others.
        const births = Math.floor(random() * 4);
        for (let i = 0; i < births; i++) spawnTimer();
        for (let i = 0; i < 2; i++) {
          if (random() < 0.3) {
            const victim = live.keys().next();
            if (!victim.done) {
              const v = live.get(victim.value)!;
              v.timer.cancel();
              live.delete(victim.value);
              state.set(victim.value, 'cancelled');
              cancelled++;
            }
          }
        }
      });
      live.set(id, { timer, due });
    };
    // Seed the storm; keep it going until the budget is spent.
    for (let i = 0; i < 1000; i++) spawnTimer();
    const refill = loop.every(5, () => {
      if (created >= budget) refill.cancel();
      else if (live.size < 500) for (let i = 0; i < 500; i++) spawnTimer();
    });
    const t0 = performance.now();
    await loop.run(); // settles when no timer is left
    const ms = Math.round(performance.now() - t0);
    loop.close();

    expect(created).toBe(budget);
    expect(early).toBe(0);
    expect(twice).toBe(0);
    expect(firedAfterCancel).toBe(0);
    expect(live.size).toBe(0);
    // None lost: every timer either fired or was cancelled.
    expect(fired + cancelled).toBe(created);
    expect(fdCount()).toBe(fdsBefore);
    record('timers', { storm: { created, fired, cancelled, early, lost: created - fired - cancelled, firedTwice: twice, firedAfterCancel, maxLateMs: round(maxLateMs), ms } });
  });
});
