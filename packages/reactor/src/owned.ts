import type { Reactor } from './reactor';

/** Something a loop made for its user that holds an fd: a connection, a listener, a UDP socket. */
export interface OwnedResource {
  /** Release the fd now (no flushing: the loop is going away). */
  destroy(): void;
}

const owned = new WeakMap<Reactor, Set<OwnedResource>>();

/**
 * Record that `resource` belongs to `loop`, so that `loop.close()` releases
 * it: a loop closed with connections still open must not leave their fds
 * behind. Resources untrack themselves when they close.
 */
export function trackOwned(loop: Reactor, resource: OwnedResource): void {
  let set = owned.get(loop);
  if (set === undefined) {
    set = new Set();
    owned.set(loop, set);
  }
  set.add(resource);
}

export function untrackOwned(loop: Reactor, resource: OwnedResource): void {
  owned.get(loop)?.delete(resource);
}

/** Destroy everything `loop` still owns (called by `Reactor.close()`). */
export function destroyOwned(loop: Reactor): void {
  const set = owned.get(loop);
  if (set === undefined) return;
  owned.delete(loop);
  for (const resource of set) {
    try {
      resource.destroy();
    } catch {
      // one failing resource must not keep the others open
    }
  }
}
