// OpenFlow port numbering for one switch, as upstream's ofproto assigns it: a port gets its
// `ofport_request` when that number is free, else the next number after the last one handed out
// (wrapping within the lower half of the range, 1..32767, which upstream leaves to automatic
// assignment), avoiding numbers freed less than an hour ago so that stale flows do not suddenly
// apply to a new port. The local port is always 65534 (OFPP_LOCAL). Pure bookkeeping: no I/O,
// time comes from the caller.

/** OFPP_LOCAL: the switch's own port, named after the bridge. */
export const OFPP_LOCAL = 0xfffe;
/** OFPP_NONE: no port could be allocated. */
export const OFPP_NONE = 0xffff;

const AUTO_LIMIT = 32768;
const REUSE_AFTER_MS = 60 * 60 * 1000;

export class PortNumbers {
  readonly #maxPorts: number;
  /** Number → Infinity while in use, or the time it was freed. */
  readonly #usage = new Map<number, number>();
  /** Requested numbers by port name (ofport_request), reserved for those names. */
  readonly #requests = new Map<string, number>();
  #lastAllocated = 0;

  constructor(maxPorts = 0xff00) {
    this.#maxPorts = maxPorts;
  }

  /** Records (or clears, with undefined) the number a port asks for. */
  setRequest(name: string, request: number | undefined): void {
    if (request === undefined) this.#requests.delete(name);
    else this.#requests.set(name, request);
  }

  #requestedByOther(number: number, name: string): boolean {
    for (const [other, requested] of this.#requests) {
      if (other !== name && requested === number) return true;
    }
    return false;
  }

  /** Allocates a number for port `name` at time `now`; OFPP_NONE when every number is taken. */
  allocate(name: string, now: number): number {
    const requested = this.#requests.get(name);
    if (
      requested !== undefined && requested > 0 && requested < this.#maxPorts &&
      this.#usage.get(requested) !== Number.POSITIVE_INFINITY
    ) {
      this.#usage.set(requested, Number.POSITIVE_INFINITY);
      return requested;
    }
    const limit = Math.min(this.#maxPorts, AUTO_LIMIT);
    const start = this.#lastAllocated;
    let oldest = 0;
    let oldestTime = Number.POSITIVE_INFINITY;
    for (;;) {
      this.#lastAllocated = this.#lastAllocated + 1 >= limit ? 1 : this.#lastAllocated + 1;
      const candidate = this.#lastAllocated;
      const lastUsed = this.#usage.get(candidate);
      if (!this.#requestedByOther(candidate, name)) {
        if (lastUsed === undefined || lastUsed < now - REUSE_AFTER_MS) {
          this.#usage.set(candidate, Number.POSITIVE_INFINITY);
          return candidate;
        }
        if (lastUsed < oldestTime) {
          oldestTime = lastUsed;
          oldest = candidate;
        }
      }
      if (this.#lastAllocated === start || (start === 0 && this.#lastAllocated === limit - 1)) {
        if (oldest !== 0) {
          this.#usage.set(oldest, Number.POSITIVE_INFINITY);
          return oldest;
        }
        return OFPP_NONE;
      }
    }
  }

  /** Marks `number` free as of `now` (it will not be handed out again for an hour if avoidable). */
  release(number: number, now: number): void {
    if (this.#usage.get(number) === Number.POSITIVE_INFINITY) this.#usage.set(number, now);
  }

  /** Whether `number` is in use. */
  inUse(number: number): boolean {
    return this.#usage.get(number) === Number.POSITIVE_INFINITY;
  }
}
