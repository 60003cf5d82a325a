// The MAC learning table of a bridge (upstream's lib/mac-learning.c): (VLAN, MAC) → port, with
// aging, a size limit enforced by evicting fairly (the least recently used entry of a port with
// the most entries, chosen through the same binary heap upstream uses, so ties break the same
// way), moves, static entries (fdb/add, fdb/del), the gratuitous-ARP lock that keeps bond
// reflections from moving an entry, statistics and the texts of fdb/show and fdb/stats-show.
//
// Ports are opaque values of type P compared by identity (upstream: an ofbundle pointer). Time
// comes from the `now()` given to the constructor, in milliseconds; the table works in whole
// seconds of it, as upstream's time_now(). `revision` changes on every change that may alter
// forwarding (learning, move, expiry), for the revalidator. Nothing here prints or schedules:
// the owner calls run() periodically (nextWakeup() says when) and prints the texts.

import { coverageCounter } from "../net/coverage.ts";

/** Upstream's MAC_DEFAULT_MAX (mac-table-size default). */
export const MAC_DEFAULT_MAX = 8192;
/** Upstream's MAC_ENTRY_DEFAULT_IDLE_TIME, seconds (mac-aging-time default). */
export const MAC_ENTRY_DEFAULT_IDLE_TIME = 300;
/** Seconds a gratuitous ARP locks an entry against bond reflections. */
export const MAC_GRAT_ARP_LOCK_TIME = 5;
/** The `expires` and age of a static entry (upstream's MAC_ENTRY_AGE_STATIC_ENTRY, INT_MAX). */
export const MAC_ENTRY_AGE_STATIC_ENTRY = 0x7fffffff;

const learnedCounter = coverageCounter("mac_learning_learned");
const expiredCounter = coverageCounter("mac_learning_expired");
const evictedCounter = coverageCounter("mac_learning_evicted");
const movedCounter = coverageCounter("mac_learning_moved");
const staticNoneMoveCounter = coverageCounter("mac_learning_static_none_move");

/** A 48-bit MAC address as a number (first byte most significant). */
export type Mac = number;

const TWO_32 = 0x1_0000_0000;

/** The MAC stored at `words[at]`, `words[at + 1]` (the flow layout: 2 bytes, then 4). */
export function macFromWords(words: Uint32Array, at: number): Mac {
  return (words[at]! & 0xffff) * TWO_32 + words[at + 1]!;
}

export function isMulticastMac(mac: Mac): boolean {
  return Math.floor(mac / 0x100_0000_0000) % 2 === 1;
}

/** "xx:xx:xx:xx:xx:xx", as upstream's ETH_ADDR_FMT. */
export function formatMac(mac: Mac): string {
  const parts: string[] = [];
  for (let shift = 40; shift >= 0; shift -= 8) {
    parts.push((Math.floor(mac / 2 ** shift) % 256).toString(16).padStart(2, "0"));
  }
  return parts.join(":");
}

/** Parses a MAC as upstream's eth_addr_from_string (six 1-2 digit hex bytes); undefined if bad. */
export function parseMac(text: string): Mac | undefined {
  const m =
    /^([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})$/
      .exec(text);
  if (!m) return undefined;
  let mac = 0;
  for (let i = 1; i <= 6; i++) mac = mac * 256 + parseInt(m[i]!, 16);
  return mac;
}

/** Per-port bookkeeping for fair eviction (upstream's mac_learning_port). */
class LearningPort<P> {
  readonly port: P;
  /** Entries on this port: the heap priority. */
  count = 0;
  /** Position in the heap (1-based). */
  heapIndex = 0;
  lruHead: MacEntry<P> | null = null;
  lruTail: MacEntry<P> | null = null;
  constructor(port: P) {
    this.port = port;
  }
}

export class MacEntry<P = unknown> {
  readonly mac: Mac;
  readonly vlan: number;
  /** Expiry time in seconds, or MAC_ENTRY_AGE_STATIC_ENTRY. */
  expires = 0;
  /** Gratuitous ARP lock expiry, seconds. */
  gratArpLock = Number.NEGATIVE_INFINITY;
  /** @internal */
  _owner: LearningPort<P> | null = null;
  /** @internal Same MAC, other VLAN, in the hash chain. */
  _sameMac: MacEntry<P> | null = null;
  /** @internal */
  _lruPrev: MacEntry<P> | null = null;
  /** @internal */
  _lruNext: MacEntry<P> | null = null;
  /** @internal */
  _portPrev: MacEntry<P> | null = null;
  /** @internal */
  _portNext: MacEntry<P> | null = null;

  constructor(mac: Mac, vlan: number) {
    this.mac = mac;
    this.vlan = vlan;
  }

  /** The port the MAC was learned on (or set statically). */
  get port(): P | undefined {
    return this._owner?.port;
  }

  get isStatic(): boolean {
    return this.expires === MAC_ENTRY_AGE_STATIC_ENTRY;
  }
}

export interface MacLearningStats {
  learned: number;
  expired: number;
  evicted: number;
  moved: number;
}

function normalizeIdleTime(seconds: number): number {
  return seconds < 15 ? 15 : seconds > 3600 ? 3600 : seconds;
}

export class MacLearning<P = unknown> {
  readonly #now: () => number;
  readonly #table = new Map<Mac, MacEntry<P>>();
  #size = 0;
  #lruHead: MacEntry<P> | null = null;
  #lruTail: MacEntry<P> | null = null;
  readonly #ports = new Map<P, LearningPort<P>>();
  /** Max-heap of ports by entry count, 1-based as upstream's heap. */
  readonly #heap: (LearningPort<P> | undefined)[] = [undefined];
  #idleTime: number;
  #maxEntries = MAC_DEFAULT_MAX;
  #staticEntries = 0;
  #floodVlans: ReadonlySet<number> | undefined;
  #needRevalidate = false;
  #revision = 0;
  readonly #stats: MacLearningStats = { learned: 0, expired: 0, evicted: 0, moved: 0 };

  constructor(now: () => number, idleTime = MAC_ENTRY_DEFAULT_IDLE_TIME) {
    this.#now = now;
    this.#idleTime = normalizeIdleTime(idleTime);
  }

  #time(): number {
    return Math.floor(this.#now() / 1000);
  }

  // ---- Configuration ----

  get idleTime(): number {
    return this.#idleTime;
  }

  /** Sets mac-aging-time (clamped to 15..3600 s); entries keep their remaining time shifted. */
  setIdleTime(seconds: number): void {
    const idle = normalizeIdleTime(seconds);
    if (idle === this.#idleTime) return;
    const delta = idle - this.#idleTime;
    // As upstream, every entry shifts, static ones included.
    for (let e = this.#lruHead; e !== null; e = e._lruNext) e.expires += delta;
    this.#idleTime = idle;
  }

  get maxEntries(): number {
    return this.#maxEntries;
  }

  /** Sets mac-table-size, clamped to 10..1,000,000. Takes effect at the next run(). */
  setMaxEntries(n: number): void {
    this.#maxEntries = n < 10 ? 10 : n > 1000 * 1000 ? 1000 * 1000 : n;
  }

  /** Sets the VLANs on which nothing is learned (all flooded); returns whether it changed. */
  setFloodVlans(vlans: ReadonlySet<number> | undefined): boolean {
    const old = this.#floodVlans;
    const same = (old === undefined || old.size === 0) && (vlans === undefined || vlans.size === 0)
      ? true
      : old !== undefined && vlans !== undefined && old.size === vlans.size &&
        [...old].every((v) => vlans.has(v));
    if (same) return false;
    this.#floodVlans = vlans && vlans.size ? new Set(vlans) : undefined;
    return true;
  }

  #isLearningVlan(vlan: number): boolean {
    return this.#floodVlans === undefined || !this.#floodVlans.has(vlan);
  }

  // ---- State ----

  /** Entries now (static ones included). */
  get count(): number {
    return this.#size;
  }

  get staticCount(): number {
    return this.#staticEntries;
  }

  /** Changes whenever learning changes anything a forwarding decision could depend on. */
  get revision(): number {
    return this.#revision;
  }

  get stats(): Readonly<MacLearningStats> {
    return this.#stats;
  }

  clearStatistics(): void {
    this.#stats.learned = 0;
    this.#stats.expired = 0;
    this.#stats.evicted = 0;
    this.#stats.moved = 0;
  }

  /** Seconds since the entry was learned, or MAC_ENTRY_AGE_STATIC_ENTRY. */
  age(e: MacEntry<P>): number {
    if (e.expires === MAC_ENTRY_AGE_STATIC_ENTRY) return MAC_ENTRY_AGE_STATIC_ENTRY;
    return this.#idleTime - (e.expires - this.#time());
  }

  /** Entries from least to most recently used (fdb/show's order). */
  *entries(): IterableIterator<MacEntry<P>> {
    for (let e = this.#lruHead; e !== null;) {
      const next = e._lruNext;
      yield e;
      e = next;
    }
  }

  #markChanged(): void {
    this.#needRevalidate = true;
    this.#revision++;
  }

  // ---- Lookup and learning ----

  #find(mac: Mac, vlan: number): MacEntry<P> | undefined {
    for (let e = this.#table.get(mac) ?? null; e !== null; e = e._sameMac) {
      if (e.vlan === vlan) return e;
    }
    return undefined;
  }

  /** The entry for destination `mac` on `vlan`; never for multicast or a flooded VLAN. */
  lookup(mac: Mac, vlan: number): MacEntry<P> | undefined {
    if (isMulticastMac(mac) || !this.#isLearningVlan(vlan)) return undefined;
    return this.#find(mac, vlan);
  }

  /** Whether `mac` may be learned on `vlan` (upstream's mac_learning_may_learn). */
  mayLearn(mac: Mac, vlan: number): boolean {
    return this.#isLearningVlan(vlan) && !isMulticastMac(mac);
  }

  /** Whether a gratuitous ARP lock holds on the entry now. */
  isGratArpLocked(e: MacEntry<P>): boolean {
    return this.#time() < e.gratArpLock;
  }

  /**
   * Learns that `mac` was seen on `port` in `vlan` (upstream's mac_learning_update): refreshes or
   * moves its entry, adding one if needed, unless it is static, locked by a gratuitous ARP (for
   * packets from a bond) or not learnable. `port` undefined (OFPP_NONE) learns nothing. Returns
   * whether the entry's port changed (a new entry counts).
   */
  update(
    mac: Mac,
    vlan: number,
    isGratuitousArp: boolean,
    isBond: boolean,
    port: P | undefined,
  ): boolean {
    if (port === undefined) return false;
    if (!this.#updateNeeded(mac, vlan, isGratuitousArp, isBond, port)) return false;
    const e = this.#insert(mac, vlan, false);
    if (isGratuitousArp) {
      if (!isBond) e.gratArpLock = this.#time() + MAC_GRAT_ARP_LOCK_TIME;
      else if (this.isGratArpLocked(e)) return false;
    }
    if (e.port !== port) {
      if (e._owner !== null) {
        movedCounter.inc();
        this.#stats.moved++;
      }
      this.#setPort(e, port);
      return true;
    }
    return false;
  }

  #updateNeeded(mac: Mac, vlan: number, isGratuitousArp: boolean, isBond: boolean, port: P) {
    if (!this.mayLearn(mac, vlan)) return false;
    const e = this.lookup(mac, vlan);
    if (e === undefined) return true;
    const age = this.age(e);
    if (age === MAC_ENTRY_AGE_STATIC_ENTRY) {
      if (e.port !== port) staticNoneMoveCounter.inc();
      return false;
    }
    if (age > 0) return true;
    if (isGratuitousArp) {
      if (!isBond) return true;
      if (this.isGratArpLocked(e)) return false;
    }
    return e.port !== port;
  }

  /**
   * Adds a static entry or makes an existing entry static on `port` (fdb/add; the caller looks
   * the entry up first for its "Overriding already existing ..." note).
   */
  addStatic(mac: Mac, vlan: number, port: P): void {
    const e = this.#insert(mac, vlan, true);
    this.#setPort(e, port);
  }

  /** Deletes a static entry (fdb/del); false when there is no static entry for it. */
  deleteStatic(mac: Mac, vlan: number): boolean {
    const e = this.lookup(mac, vlan);
    if (e === undefined || !e.isStatic) return false;
    this.expire(e);
    this.#staticEntries--;
    return true;
  }

  /** Finds or creates the entry and marks it most recently used (upstream's insert). */
  #insert(mac: Mac, vlan: number, isStatic: boolean): MacEntry<P> {
    let e = this.#find(mac, vlan);
    if (e === undefined) {
      if (this.#size >= this.#maxEntries) this.#evictFairly();
      e = new MacEntry<P>(mac, vlan);
      e._sameMac = this.#table.get(mac) ?? null;
      this.#table.set(mac, e);
      this.#size++;
      if (!isStatic) {
        learnedCounter.inc();
        this.#stats.learned++;
      }
    } else {
      this.#lruUnlink(e);
    }
    this.#lruAppend(e);
    const owner = e._owner;
    if (owner !== null) {
      this.#portUnlink(owner, e);
      this.#portAppend(owner, e);
    }
    if (isStatic) {
      if (e.expires !== MAC_ENTRY_AGE_STATIC_ENTRY) this.#staticEntries++;
      e.expires = MAC_ENTRY_AGE_STATIC_ENTRY;
    } else {
      e.expires = this.#time() + this.#idleTime;
    }
    return e;
  }

  /** Removes an entry (upstream's mac_learning_expire; counts nothing). */
  expire(e: MacEntry<P>): void {
    this.#markChanged();
    this.#setPort(e, undefined);
    const first = this.#table.get(e.mac);
    if (first === e) {
      if (e._sameMac === null) this.#table.delete(e.mac);
      else this.#table.set(e.mac, e._sameMac);
    } else {
      for (let x = first ?? null; x !== null; x = x._sameMac) {
        if (x._sameMac === e) {
          x._sameMac = e._sameMac;
          break;
        }
      }
    }
    e._sameMac = null;
    this.#lruUnlink(e);
    this.#size--;
  }

  /** Removes every dynamic entry (fdb/flush); static ones stay. */
  flush(): void {
    for (let e = this.#firstDynamic(); e !== null; e = this.#firstDynamic()) this.expire(e);
  }

  /** Removes the entries on `port` (a port leaving the bridge); returns them. */
  forgetPort(port: P): MacEntry<P>[] {
    const gone: MacEntry<P>[] = [];
    for (let e = this.#lruHead; e !== null;) {
      const next = e._lruNext;
      if (e.port === port) {
        gone.push(e);
        this.expire(e);
      }
      e = next;
    }
    return gone;
  }

  /** Moves every entry on `from` to `to` (upstream's bundle_move). */
  movePort(from: P, to: P): void {
    for (let e = this.#lruHead; e !== null; e = e._lruNext) {
      if (e.port === from) this.#setPort(e, to);
    }
  }

  /**
   * Periodic work: expires idle entries (and any beyond the size limit), least recently used
   * first. Returns whether anything changed since the last run that needs revalidation.
   */
  run(): boolean {
    const now = this.#time();
    for (let e = this.#firstDynamic(); e !== null; e = this.#firstDynamic()) {
      if (!(this.#size > this.#maxEntries || now >= e.expires)) break;
      expiredCounter.inc();
      this.#stats.expired++;
      this.expire(e);
    }
    const need = this.#needRevalidate;
    this.#needRevalidate = false;
    return need;
  }

  /** When run() next has work, in the clock's milliseconds (now when it has some already). */
  nextWakeup(): number | undefined {
    if (this.#size > this.#maxEntries || this.#needRevalidate) return this.#now();
    if (this.#lruHead === null) return undefined;
    return this.#lruHead.expires * 1000;
  }

  #firstDynamic(): MacEntry<P> | null {
    for (let e = this.#lruHead; e !== null; e = e._lruNext) {
      if (e.expires !== MAC_ENTRY_AGE_STATIC_ENTRY) return e;
    }
    return null;
  }

  #evictFairly(): void {
    const owner = this.#heap[1];
    if (owner === undefined || owner.lruHead === null) return;
    evictedCounter.inc();
    this.#stats.evicted++;
    this.expire(owner.lruHead);
  }

  #setPort(e: MacEntry<P>, port: P | undefined): void {
    if (e.port === port) return;
    this.#markChanged();
    const old = e._owner;
    if (old !== null) {
      this.#portUnlink(old, e);
      if (old.lruHead === null) {
        this.#ports.delete(old.port);
        this.#heapRemove(old);
      } else {
        this.#heapChange(old, old.count - 1);
      }
      e._owner = null;
    }
    if (port !== undefined) {
      let owner = this.#ports.get(port);
      if (owner === undefined) {
        owner = new LearningPort(port);
        this.#ports.set(port, owner);
        this.#heapInsert(owner, 1);
      } else {
        this.#heapChange(owner, owner.count + 1);
      }
      this.#portAppend(owner, e);
      e._owner = owner;
    }
  }

  // ---- Lists ----

  #lruAppend(e: MacEntry<P>): void {
    e._lruPrev = this.#lruTail;
    e._lruNext = null;
    if (this.#lruTail) this.#lruTail._lruNext = e;
    else this.#lruHead = e;
    this.#lruTail = e;
  }

  #lruUnlink(e: MacEntry<P>): void {
    if (e._lruPrev) e._lruPrev._lruNext = e._lruNext;
    else this.#lruHead = e._lruNext;
    if (e._lruNext) e._lruNext._lruPrev = e._lruPrev;
    else this.#lruTail = e._lruPrev;
    e._lruPrev = null;
    e._lruNext = null;
  }

  #portAppend(owner: LearningPort<P>, e: MacEntry<P>): void {
    e._portPrev = owner.lruTail;
    e._portNext = null;
    if (owner.lruTail) owner.lruTail._portNext = e;
    else owner.lruHead = e;
    owner.lruTail = e;
  }

  #portUnlink(owner: LearningPort<P>, e: MacEntry<P>): void {
    if (e._portPrev) e._portPrev._portNext = e._portNext;
    else owner.lruHead = e._portNext;
    if (e._portNext) e._portNext._portPrev = e._portPrev;
    else owner.lruTail = e._portPrev;
    e._portPrev = null;
    e._portNext = null;
  }

  // ---- The heap (upstream's lib/heap.c, so that equal counts break ties identically) ----

  #heapPut(owner: LearningPort<P>, i: number): void {
    this.#heap[i] = owner;
    owner.heapIndex = i;
  }

  #heapSwap(i: number, j: number): void {
    const a = this.#heap[i]!;
    const b = this.#heap[j]!;
    this.#heapPut(b, i);
    this.#heapPut(a, j);
  }

  #floatUp(i: number): boolean {
    let moved = false;
    while (i > 1) {
      const parent = i >>> 1;
      if (this.#heap[parent]!.count >= this.#heap[i]!.count) break;
      this.#heapSwap(parent, i);
      i = parent;
      moved = true;
    }
    return moved;
  }

  #floatDown(i: number): void {
    const n = this.#heap.length - 1;
    while (2 * i <= n) {
      const left = 2 * i;
      const right = left + 1;
      let max = i;
      if (this.#heap[left]!.count > this.#heap[max]!.count) max = left;
      if (right <= n && this.#heap[right]!.count > this.#heap[max]!.count) max = right;
      if (max === i) break;
      this.#heapSwap(max, i);
      i = max;
    }
  }

  #floatUpOrDown(i: number): void {
    if (!this.#floatUp(i)) this.#floatDown(i);
  }

  #heapInsert(owner: LearningPort<P>, count: number): void {
    owner.count = count;
    this.#heapPut(owner, this.#heap.length);
    this.#floatUp(owner.heapIndex);
  }

  #heapChange(owner: LearningPort<P>, count: number): void {
    owner.count = count;
    this.#floatUpOrDown(owner.heapIndex);
  }

  #heapRemove(owner: LearningPort<P>): void {
    const i = owner.heapIndex;
    const n = this.#heap.length - 1;
    if (i < n) this.#heapPut(this.#heap[n]!, i);
    this.#heap.length = n;
    owner.heapIndex = 0;
    if (i <= n - 1) this.#floatUpOrDown(i);
  }

  // ---- Texts ----

  /** `ovs-appctl fdb/show BRIDGE`: one line per entry, least recently used first. */
  formatFdbShow(portName: (port: P) => string): string {
    let out = " port  VLAN  MAC                Age\n";
    for (let e = this.#lruHead; e !== null; e = e._lruNext) {
      const port = e.port;
      const name = port === undefined ? "" : portName(port);
      const age = this.age(e);
      out += `${name.padStart(5)}  ${String(e.vlan).padStart(4)}  ${formatMac(e.mac)}  `;
      out += age === MAC_ENTRY_AGE_STATIC_ENTRY ? "static\n" : `${String(age).padStart(3)}\n`;
    }
    return out;
  }

  /** `ovs-appctl fdb/stats-show BRIDGE`. */
  formatStatsShow(bridge: string): string {
    return `Statistics for bridge "${bridge}":\n` +
      `  Current/maximum MAC entries in the table: ${this.#size}/${this.#maxEntries}\n` +
      `  Current static MAC entries in the table : ${this.#staticEntries}\n` +
      `  Total number of learned MAC entries     : ${this.#stats.learned}\n` +
      `  Total number of expired MAC entries     : ${this.#stats.expired}\n` +
      `  Total number of evicted MAC entries     : ${this.#stats.evicted}\n` +
      `  Total number of port moved MAC entries  : ${this.#stats.moved}\n`;
  }
}
