// The flow cache of the userspace datapath (upstream's dpif-netdev flow table, dpcls and EMC):
// megaflows keyed by (mask, masked key), each with its datapath actions, a 128-bit ufid and
// statistics; a tuple-space classifier with one subtable per distinct mask, probed in order of
// recent hits; an exact-match cache in front of it; a flow budget with least-recently-used
// eviction; idle expiry driven by the owner. Promises: `lookup` and `emcLookup` allocate nothing;
// a deleted flow is never returned again (EMC entries of dead flows are ignored); every flow in
// the table is reachable by ufid; at most `flowLimit` flows are installed through `install`.
// Knows nothing of ports, packets or OpenFlow; has no timers (time is always passed in).

import type { DpAction } from "./dp_actions.ts";
import {
  FLOW_WORDS,
  type FlowWords,
  hashMasked,
  maskedEquals,
  usedWords,
  W_DL_DST,
  W_DL_SRC,
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_IPV6_DST,
  W_IPV6_SRC,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_RECIRC_ID,
  W_TP,
} from "./flow.ts";

export const DEFAULT_FLOW_LIMIT = 200000;
/** EMC entries (upstream's EM_FLOW_HASH_ENTRIES) and ways (EM_FLOW_HASH_SEGS). */
export const DEFAULT_EMC_ENTRIES = 8192;
const EMC_WAYS = 2;
/** Lookups between two re-rankings of the subtables by hits. */
const RANK_INTERVAL = 4096;

export interface FlowStats {
  packets: number;
  bytes: number;
  /** Time of the last hit on the owner's clock, 0 for never. */
  used: number;
  /** TCP flags seen (OR of the low 12 bits). */
  tcpFlags: number;
}

export class Megaflow {
  readonly stats: FlowStats = { packets: 0, bytes: 0, used: 0, tcpFlags: 0 };
  /** False once removed: caches holding it must let go. */
  alive = true;
  /** Hash of the masked key in its subtable. */
  hash = 0;
  /** Next flow in the same subtable bucket. */
  bucketNext: Megaflow | undefined;
  /** LRU list (head = most recently used). */
  lruPrev: Megaflow | undefined;
  lruNext: Megaflow | undefined;
  /** Creation or last hit, for LRU and idle expiry. */
  touched: number;

  constructor(
    /**
     * The key as installed (not masked): dumps show it with the mask, and lookups compare it
     * under the mask, so no masked copy is kept.
     */
    readonly key: FlowWords,
    readonly mask: FlowWords,
    public actions: DpAction[],
    readonly ufid: string,
    readonly subtable: Subtable,
    now: number,
  ) {
    this.touched = now;
  }
}

/**
 * The masked key's hash cut to 30 bits: V8 keeps such numbers unboxed (small integers), so Map
 * lookups by it allocate nothing.
 */
function bucketHash(key: FlowWords, mask: FlowWords, words: Uint8Array): number {
  return hashMasked(key, mask, words) & 0x3fffffff;
}

export class Subtable {
  readonly words: Uint8Array;
  readonly buckets = new Map<number, Megaflow>();
  count = 0;
  /** Hits since the last ranking. */
  hits = 0;

  constructor(readonly mask: FlowWords, readonly maskId: string) {
    this.words = usedWords(mask);
  }

  find(key: FlowWords): Megaflow | undefined {
    const hash = bucketHash(key, this.mask, this.words);
    let flow = this.buckets.get(hash);
    const words = this.words;
    const mask = this.mask;
    while (flow) {
      const mk = flow.key;
      let match = true;
      for (let i = 0; i < words.length; i++) {
        const w = words[i]!;
        if (((key[w]! ^ mk[w]!) & mask[w]!) !== 0) {
          match = false;
          break;
        }
      }
      if (match && flow.hash === hash) return flow;
      flow = flow.bucketNext;
    }
    return undefined;
  }
}

export interface CacheCounters {
  /** Packets that hit a cached flow (EMC or classifier). */
  hit: number;
  /** Packets that missed and went up to the owner. */
  missed: number;
  /** Packets that missed and could not be handled. */
  lost: number;
  /** Subtables probed by classifier lookups (upstream's n_mask_hit). */
  maskHit: number;
  /** Packets that hit the EMC. */
  emcHit: number;
}

export interface MegaflowCacheOptions {
  flowLimit?: number;
  emcEntries?: number;
  /** Insert into the EMC one time in `emcInsertInvProb` (upstream's emc-insert-inv-prob). */
  emcInsertInvProb?: number;
  /** Source of randomness in [0, 1) for EMC insertion; deterministic in tests. */
  random?: () => number;
  /** Basis for ufids generated from keys; random by default, as upstream's. */
  ufidBasis?: number;
}

const ALL_WORDS = (() => {
  const words = new Uint8Array(FLOW_WORDS);
  for (let i = 0; i < FLOW_WORDS; i++) words[i] = i;
  return words;
})();
const ALL_ONES = new Uint32Array(FLOW_WORDS).fill(0xffffffff);
/** Words that feed the EMC hash: what upstream's 5-tuple RSS hash and in_port cover. */
const EMC_HASH_WORDS = new Uint8Array([
  W_IN_PORT,
  W_RECIRC_ID,
  W_DL_DST,
  W_DL_DST + 1,
  W_DL_SRC,
  W_DL_SRC + 1,
  W_DL_TYPE_VLAN,
  W_NW_SRC,
  W_NW_DST,
  W_NW_MISC,
  W_TP,
  W_IPV6_SRC + 3,
  W_IPV6_DST + 3,
]);

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

/** UUID_FMT of four 32-bit parts, as upstream prints ufids. */
export function formatUfid(parts: ArrayLike<number>): string {
  const a = hex8(parts[0]!);
  const b = hex8(parts[1]!);
  const c = hex8(parts[2]!);
  const d = hex8(parts[3]!);
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

/** Parses "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" (any case) into the canonical form. */
export function parseUfid(text: string): string | undefined {
  const m = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/.exec(
    text,
  );
  return m ? m[0].toLowerCase() : undefined;
}

function maskId(mask: FlowWords): string {
  let id = "";
  for (let i = 0; i < FLOW_WORDS; i++) if (mask[i]) id += `${i}:${mask[i]!.toString(16)},`;
  return id;
}

export class MegaflowCache {
  flowLimit: number;
  readonly counters: CacheCounters = { hit: 0, missed: 0, lost: 0, maskHit: 0, emcHit: 0 };
  private readonly subtables: Subtable[] = [];
  private readonly subtablesById = new Map<string, Subtable>();
  private readonly byUfid = new Map<string, Megaflow>();
  private lruHead: Megaflow | undefined;
  private lruTail: Megaflow | undefined;
  private lookups = 0;
  private readonly ufidBasis: number;
  private readonly ufidParts = new Uint32Array(4);
  // EMC: slot i holds a full key at emcKeys[i * FLOW_WORDS] and its flow in emcFlows[i].
  private readonly emcMask: number;
  private readonly emcKeys: Uint32Array;
  private readonly emcFlows: (Megaflow | undefined)[];
  private readonly emcHashes: Uint32Array;
  emcInsertInvProb: number;
  private readonly random: () => number;

  constructor(options: MegaflowCacheOptions = {}) {
    this.flowLimit = options.flowLimit ?? DEFAULT_FLOW_LIMIT;
    const entries = options.emcEntries ?? DEFAULT_EMC_ENTRIES;
    if (entries & (entries - 1)) throw new RangeError("emcEntries must be a power of two");
    this.emcMask = entries - 1;
    this.emcKeys = new Uint32Array(entries * FLOW_WORDS);
    this.emcFlows = new Array<Megaflow | undefined>(entries).fill(undefined);
    this.emcHashes = new Uint32Array(entries);
    this.emcInsertInvProb = options.emcInsertInvProb ?? 100;
    this.random = options.random ?? Math.random;
    this.ufidBasis = options.ufidBasis ??
      crypto.getRandomValues(new Uint32Array(1))[0]!;
  }

  get size(): number {
    return this.byUfid.size;
  }

  get maskCount(): number {
    return this.subtables.length;
  }

  /** The ufid upstream would derive from a key (odp_flow_key_hash): a keyed 128-bit hash. */
  ufidForKey(key: FlowWords): string {
    const parts = this.ufidParts;
    for (let i = 0; i < 4; i++) {
      parts[i] = hashMasked(key, ALL_ONES, ALL_WORDS, (this.ufidBasis + i * 0x9e3779b9) >>> 0);
    }
    return formatUfid(parts);
  }

  // ---------------------------------------------------------------------------------------------
  // Lookups (allocation-free).

  /** Classifier lookup of an exact key. Counts the subtables probed. */
  lookup(key: FlowWords): Megaflow | undefined {
    if (++this.lookups >= RANK_INTERVAL) this.rank();
    const subtables = this.subtables;
    for (let i = 0; i < subtables.length; i++) {
      const st = subtables[i]!;
      const flow = st.find(key);
      if (flow) {
        this.counters.maskHit += i + 1;
        st.hits++;
        return flow;
      }
    }
    this.counters.maskHit += subtables.length;
    return undefined;
  }

  /** The EMC hash of a key (also what emcInsert expects): 30 bits, so it stays unboxed. */
  emcHash(key: FlowWords): number {
    return hashMasked(key, ALL_ONES, EMC_HASH_WORDS, 0x5bd1e995) & 0x3fffffff;
  }

  emcLookup(key: FlowWords, hash: number): Megaflow | undefined {
    let h = hash;
    for (let way = 0; way < EMC_WAYS; way++, h >>>= 13) {
      const slot = h & this.emcMask;
      const flow = this.emcFlows[slot];
      if (flow && this.emcHashes[slot] === hash) {
        if (!flow.alive) {
          this.emcFlows[slot] = undefined;
          continue;
        }
        const base = slot * FLOW_WORDS;
        const keys = this.emcKeys;
        let equal = true;
        for (let w = 0; w < FLOW_WORDS; w++) {
          if (keys[base + w] !== key[w]) {
            equal = false;
            break;
          }
        }
        if (equal) return flow;
      }
    }
    return undefined;
  }

  /** Probabilistic EMC insertion, as upstream's emc_probabilistic_insert. */
  emcInsert(key: FlowWords, hash: number, flow: Megaflow): void {
    if (this.emcInsertInvProb <= 0) return;
    if (this.emcInsertInvProb > 1 && Math.floor(this.random() * this.emcInsertInvProb) !== 0) {
      return;
    }
    let h = hash;
    let victim = -1;
    for (let way = 0; way < EMC_WAYS; way++, h >>>= 13) {
      const slot = h & this.emcMask;
      const current = this.emcFlows[slot];
      if (current && this.emcHashes[slot] === hash && this.keyEqualsSlot(key, slot)) {
        this.emcFlows[slot] = flow;
        return;
      }
      // Prefer an empty or dead slot, then the one with the lower hash (upstream's choice).
      if (victim < 0) {
        victim = slot;
      } else {
        const chosen = this.emcFlows[victim];
        const chosenAlive = chosen !== undefined && chosen.alive;
        const currentAlive = current !== undefined && current.alive;
        if (
          (chosenAlive && !currentAlive) ||
          (chosenAlive === currentAlive && this.emcHashes[slot]! < this.emcHashes[victim]!)
        ) {
          victim = slot;
        }
      }
    }
    this.emcKeys.set(key, victim * FLOW_WORDS);
    this.emcHashes[victim] = hash;
    this.emcFlows[victim] = flow;
  }

  private keyEqualsSlot(key: FlowWords, slot: number): boolean {
    const base = slot * FLOW_WORDS;
    for (let w = 0; w < FLOW_WORDS; w++) if (this.emcKeys[base + w] !== key[w]) return false;
    return true;
  }

  /** Drops every EMC entry (upstream's emc_cache_flush). */
  emcFlush(): void {
    this.emcFlows.fill(undefined);
  }

  /** Accounts a batch of hits on `flow` and moves it to the LRU head. */
  account(flow: Megaflow, packets: number, bytes: number, tcpFlags: number, now: number): void {
    const s = flow.stats;
    s.packets += packets;
    s.bytes += bytes;
    s.used = now;
    s.tcpFlags |= tcpFlags;
    flow.touched = now;
    if (this.lruHead !== flow) {
      this.lruUnlink(flow);
      this.lruPush(flow);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Table maintenance.

  getByUfid(ufid: string): Megaflow | undefined {
    return this.byUfid.get(ufid);
  }

  /**
   * Adds a flow. Within `flowLimit` unless `evict` makes room by removing least recently used
   * flows; returns undefined when full (and not evicting) or when `ufid` is taken.
   */
  insert(
    key: FlowWords,
    mask: FlowWords,
    actions: DpAction[],
    now: number,
    options: { ufid?: string; enforceLimit?: boolean; evict?: boolean } = {},
  ): Megaflow | undefined {
    if (options.enforceLimit && this.byUfid.size >= this.flowLimit) {
      if (!options.evict) return undefined;
      while (this.byUfid.size >= this.flowLimit && this.lruTail) this.remove(this.lruTail);
      if (this.byUfid.size >= this.flowLimit) return undefined;
    }
    const ufid = options.ufid ?? this.ufidForKey(key);
    if (this.byUfid.has(ufid)) return undefined;
    const id = maskId(mask);
    let st = this.subtablesById.get(id);
    if (!st) {
      st = new Subtable(Uint32Array.from(mask), id);
      this.subtablesById.set(id, st);
      this.subtables.push(st);
    }
    const flow = new Megaflow(Uint32Array.from(key), st.mask, actions, ufid, st, now);
    flow.hash = bucketHash(flow.key, st.mask, st.words);
    flow.bucketNext = st.buckets.get(flow.hash);
    st.buckets.set(flow.hash, flow);
    st.count++;
    this.byUfid.set(ufid, flow);
    this.lruPush(flow);
    return flow;
  }

  /** Removes a flow: it stops matching at once (EMC entries pointing to it die with it). */
  remove(flow: Megaflow): void {
    if (!flow.alive) return;
    flow.alive = false;
    const st = flow.subtable;
    let prev: Megaflow | undefined;
    let cur = st.buckets.get(flow.hash);
    while (cur && cur !== flow) {
      prev = cur;
      cur = cur.bucketNext;
    }
    if (cur) {
      if (prev) prev.bucketNext = cur.bucketNext;
      else if (cur.bucketNext) st.buckets.set(flow.hash, cur.bucketNext);
      else st.buckets.delete(flow.hash);
    }
    flow.bucketNext = undefined;
    if (--st.count === 0) {
      this.subtablesById.delete(st.maskId);
      const index = this.subtables.indexOf(st);
      if (index >= 0) this.subtables.splice(index, 1);
    }
    this.byUfid.delete(flow.ufid);
    this.lruUnlink(flow);
  }

  /** Removes every flow. */
  flush(): Megaflow[] {
    const flows = [...this.byUfid.values()];
    for (const flow of flows) this.remove(flow);
    this.emcFlush();
    return flows;
  }

  /** Every flow, oldest installed first. */
  dump(): Megaflow[] {
    return [...this.byUfid.values()];
  }

  /** Removes flows idle for more than `maxIdleMs` (never-hit flows count from creation). */
  expireIdle(now: number, maxIdleMs: number): Megaflow[] {
    const expired: Megaflow[] = [];
    while (this.lruTail && now - this.lruTail.touched > maxIdleMs) {
      const flow = this.lruTail;
      expired.push(flow);
      this.remove(flow);
    }
    return expired;
  }

  /** Removes least recently used flows until at most `limit` remain. */
  evictTo(limit: number): Megaflow[] {
    const evicted: Megaflow[] = [];
    while (this.byUfid.size > limit && this.lruTail) {
      const flow = this.lruTail;
      evicted.push(flow);
      this.remove(flow);
    }
    return evicted;
  }

  /** Orders subtables by hits since the last ranking (upstream's dpcls_sort_subtable_vector). */
  rank(): void {
    this.lookups = 0;
    this.subtables.sort(bySubtableHits);
    for (const st of this.subtables) st.hits = 0;
  }

  private lruPush(flow: Megaflow): void {
    flow.lruPrev = undefined;
    flow.lruNext = this.lruHead;
    if (this.lruHead) this.lruHead.lruPrev = flow;
    this.lruHead = flow;
    if (!this.lruTail) this.lruTail = flow;
  }

  private lruUnlink(flow: Megaflow): void {
    const { lruPrev, lruNext } = flow;
    if (lruPrev) lruPrev.lruNext = lruNext;
    else if (this.lruHead === flow) this.lruHead = lruNext;
    if (lruNext) lruNext.lruPrev = lruPrev;
    else if (this.lruTail === flow) this.lruTail = lruPrev;
    flow.lruPrev = flow.lruNext = undefined;
  }
}

function bySubtableHits(a: Subtable, b: Subtable): number {
  return b.hits - a.hits;
}

/** Whether `flow` matches `key` (for reference checks). */
export function flowMatches(flow: Megaflow, key: FlowWords): boolean {
  return maskedEquals(key, flow.key, flow.mask);
}
