// OVSDB locks (RFC 7047 "lock", "steal", "unlock"; upstream's ovsdb/lock.c). Owns, per lock
// name, the queue of sessions waiting for it; the head of the queue owns it. Sessions are opaque
// keys chosen by the server (one per client connection). Promises: `lock` queues and reports
// whether the lock was granted at once; `steal` takes ownership immediately; when ownership
// moves, `onChange` is told who gained it ("locked") and who lost it by theft ("stolen"), so a
// server can send the RFC 7047 notifications. Must not do I/O.

export type LockEvent = "locked" | "stolen";

export type LockListener<S> = (session: S, name: string, event: LockEvent) => void;

export class LockManager<S = object> {
  readonly #queues = new Map<string, S[]>();
  readonly #onChange: LockListener<S>;

  constructor(onChange: LockListener<S> = () => {}) {
    this.#onChange = onChange;
  }

  /** Queues `session` for `name`; true when it owns the lock now. */
  lock(session: S, name: string): boolean {
    let q = this.#queues.get(name);
    if (!q) this.#queues.set(name, q = []);
    if (!q.includes(session)) q.push(session);
    return q[0] === session;
  }

  /** Makes `session` the owner of `name` at once; the previous owner is told "stolen". */
  steal(session: S, name: string): void {
    let q = this.#queues.get(name);
    if (!q) this.#queues.set(name, q = []);
    const previous = q[0];
    const i = q.indexOf(session);
    if (i >= 0) q.splice(i, 1);
    q.unshift(session);
    if (previous !== undefined && previous !== session) {
      q.splice(q.indexOf(previous), 1);
      this.#onChange(previous, name, "stolen");
    }
  }

  /** Gives up `name` (owned or waited for); the next waiter, if any, becomes owner. */
  unlock(session: S, name: string): void {
    const q = this.#queues.get(name);
    if (!q) return;
    const i = q.indexOf(session);
    if (i < 0) return;
    q.splice(i, 1);
    if (q.length === 0) this.#queues.delete(name);
    else if (i === 0) this.#onChange(q[0]!, name, "locked");
  }

  /** Whether `session` owns `name`. */
  owns(session: S, name: string): boolean {
    return this.#queues.get(name)?.[0] === session;
  }

  /** Whether `session` is waiting for or owns `name`. */
  has(session: S, name: string): boolean {
    return this.#queues.get(name)?.includes(session) ?? false;
  }

  /** Releases everything `session` holds or waits for (when its connection closes). */
  releaseAll(session: S): void {
    for (const name of [...this.#queues.keys()]) this.unlock(session, name);
  }
}
