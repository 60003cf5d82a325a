// The flow classifier (upstream's lib/classifier.c): rules of any mask and priority, and the
// lookup that finds the highest-priority rule matching a flow while recording in a wildcard mask
// exactly the bits upstream's lookup examines — that mask is what megaflows are made of, so it
// must equal upstream's bit for bit in the cases OpenFlow tables produce.
//
// How (as upstream): tuple space search, one subtable per distinct mask, subtables ordered by their
// highest priority so a lookup stops once no later subtable can beat the rule found; inside a
// subtable a staged lookup (metadata, L2, L3 indices, then the final hash) stops at the first stage
// that rules the subtable out and un-wildcards only the stages examined; prefix tries on the
// configured prefix fields (nw_dst and nw_src by default) skip subtables whose prefix lengths
// cannot match, un-wildcarding only the prefix bits needed; a per-subtable trie of the transport
// ports narrows the port bits of a failed final stage. Conjunctive matches (conjunction actions)
// are resolved here, as upstream's soft-match loop does, so their wildcards are upstream's too.
// The final-stage ports behaviour is that of the Open vSwitch 3.1 we are compared with (Debian's
// 3.1.0-2+deb12u1, which carries upstream's "Fix missing masks on a final stage with ports trie").
//
// As upstream, the prefix tries read the flow's dl_type (and ct_state, for conntrack prefix
// fields) to see whether the field applies, without marking it: callers always un-wildcard
// dl_type themselves (xlate does, for every flow).
//
// Rules and masks are MATCH_WORDS long (flow.ts: the datapath's words plus the OpenFlow-only ones
// such as NSH and tun_metadata). A lookup flow may be shorter (a datapath key): its missing words
// read as zero, which is what a packet without those headers has, and wildcard bits beyond its
// length are not recorded (megaflows have no such words).
//
// Promises: lookups allocate nothing (conjunctive lookups only when a conjunction has more than
// 64 soft matches); inserts and removals are O(1) amortised plus O(subtables) when a subtable's
// highest priority changes; iteration tolerates removal of any rule, including the current one.
// Single-threaded; no versioning (changes are visible at once).

import {
  FLOW_SEGMENT_L2,
  FLOW_SEGMENT_L3,
  FLOW_SEGMENT_L4,
  type FlowWords,
  MATCH_WORDS,
  W_CONJ_ID,
  W_CT_STATE,
  W_DL_TYPE_VLAN,
  W_TP,
} from "../datapath/flow.ts";
import { type Field, field as fieldNamed } from "./fields.ts";
import type { Match } from "./match.ts";
import { bitAt, newTrie, type Trie, trieInsert, trieLookup, trieRemove } from "./prefix_trie.ts";
import { ClsRule, hashMask, maskPrefixLength, Subtable } from "./classifier_subtable.ts";

export { ClsRule, type Conjunction } from "./classifier_subtable.ts";

/** At most this many prefix fields per classifier (upstream's CLS_MAX_TRIES). */
export const CLS_MAX_TRIES = 3;
/** At most this many staged-lookup boundaries (upstream's CLS_MAX_INDICES). */
export const CLS_MAX_INDICES = 3;

/** Fields upstream allows for prefix lookup (those with a "prefix lookup member"). */
const PREFIX_FIELD_NAMES = [
  "tun_id",
  "tun_src",
  "tun_dst",
  "tun_ipv6_src",
  "tun_ipv6_dst",
  "ct_nw_src",
  "ct_nw_dst",
  "ct_ipv6_src",
  "ct_ipv6_dst",
  "ip_src",
  "ip_dst",
  "ipv6_src",
  "ipv6_dst",
];
const PREFIX_FIELDS = new Set<Field>(PREFIX_FIELD_NAMES.map((name) => fieldNamed(name)));

/** Whether `f` can have a prefix trie (upstream: a be32-aligned field a multiple of 32 bits). */
export function isPrefixField(f: Field): boolean {
  return PREFIX_FIELDS.has(f);
}

/** ofproto's default prefix fields for every flow table: nw_dst, then nw_src. */
export function defaultPrefixFields(): Field[] {
  return [fieldNamed("ip_dst"), fieldNamed("ip_src")];
}

/** The flow segment boundaries ofproto's tables use: L2, L3, L4 starts. */
export const DEFAULT_SEGMENTS: readonly number[] = [
  FLOW_SEGMENT_L2,
  FLOW_SEGMENT_L3,
  FLOW_SEGMENT_L4,
];

export interface ClassifierOptions {
  /** Staged lookup boundaries (flow word indices, increasing); ofproto's by default. */
  segments?: readonly number[];
  /** Prefix fields; ofproto's defaults (nw_dst, nw_src) unless given. */
  prefixFields?: readonly Field[];
}

const CS_NEW = 0x01;
const CS_ESTABLISHED = 0x02;
const CS_REPLY_DIR = 0x08;
const ETH_TYPE_IP = 0x0800;
const ETH_TYPE_IPV6 = 0x86dd;

/** Whether the flow can carry the trie's field at all (upstream's mf_are_prereqs_ok, no mask). */
function triePrereqsOk(f: Field, flow: FlowWords): boolean {
  switch (f.prereq) {
    case "ipv4":
      return flow[W_DL_TYPE_VLAN]! >>> 16 === ETH_TYPE_IP;
    case "ipv6":
      return flow[W_DL_TYPE_VLAN]! >>> 16 === ETH_TYPE_IPV6;
    case "ct":
      return (flow[W_CT_STATE]! & (CS_NEW | CS_ESTABLISHED | CS_REPLY_DIR)) !== 0;
    default:
      return true;
  }
}

/** Per-lookup state of one prefix trie (upstream's trie_ctx). */
class TrieContext {
  done = false;
  maskBits = 0;
  /** Bit L-1 set: rules may exist at prefix length L. */
  readonly plens = new Uint32Array(4);
}

function setPrefixBits(wc: FlowWords, f: Field, nBits: number): void {
  let w = f.word;
  for (let i = 0; i < nBits >>> 5; i++) wc[w++] = 0xffffffff;
  if (nBits & 31) wc[w] = (wc[w]! | (0xffffffff << (32 - (nBits & 31)))) >>> 0;
}

function prefixBitsSet(wc: FlowWords, f: Field, nBits: number): boolean {
  let w = f.word;
  for (let i = 0; i < nBits >>> 5; i++) if (wc[w++] !== 0xffffffff) return false;
  if (nBits & 31) {
    const want = (0xffffffff << (32 - (nBits & 31))) >>> 0;
    if (((wc[w]! & want) >>> 0) !== want) return false;
  }
  return true;
}

function prefixMask32(nBits: number): number {
  return nBits === 0 ? 0 : (0xffffffff << (32 - nBits)) >>> 0;
}

function foldStages<T>(wc: FlowWords, sub: Subtable<T>, nStages: number): void {
  const end = nStages === 0 ? 0 : sub.stageEnd[nStages - 1]!;
  const words = sub.words;
  const mask = sub.mask;
  for (let i = 0; i < end; i++) {
    const w = words[i]!;
    wc[w] = (wc[w]! | mask[w]!) >>> 0;
  }
}

/**
 * Whether `rule` is at least as specific as `criteria` and agrees with it on every bit the
 * criteria match (upstream's cls_rule_is_loose_match; OpenFlow's non-strict flow_mod semantics).
 */
export function isLooseMatch(rule: Match, criteria: Match): boolean {
  for (let i = 0; i < MATCH_WORDS; i++) {
    const cm = criteria.mask[i]!;
    if ((cm & ~rule.mask[i]!) !== 0) return false;
    if (((rule.flow[i]! ^ criteria.flow[i]!) & cm) !== 0) return false;
  }
  return true;
}

function masksEqual(a: FlowWords, b: FlowWords): boolean {
  for (let i = 0; i < MATCH_WORDS; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Classifier<T> {
  readonly #segments: readonly number[];
  readonly #byMask = new Map<number, Subtable<T>[]>();
  /** Subtables in descending max priority, ties kept in upstream's pvector order. */
  readonly #vector: Subtable<T>[] = [];
  #count = 0;
  #trieFields: Field[] = [];
  #tries: Trie[] = [];
  /** Trie contexts per lookup depth (the conjunction lookup nests once). */
  readonly #contexts: TrieContext[][] = [0, 1].map(() =>
    Array.from({ length: CLS_MAX_TRIES }, () => new TrieContext())
  );
  readonly #portsValue = new Uint32Array(1);
  readonly #portsPlens = new Uint32Array(1);
  // Conjunctive match scratch.
  #soft: (ClsRule<T> | null)[] = new Array<ClsRule<T> | null>(64).fill(null);
  readonly #conjSlots = new Map<number, number>();
  #conjLo = new Uint32Array(16);
  #conjHi = new Uint32Array(16);

  constructor(options: ClassifierOptions = {}) {
    const segments = options.segments ?? DEFAULT_SEGMENTS;
    const kept: number[] = [];
    for (const s of segments) {
      if (kept.length >= CLS_MAX_INDICES || s >= MATCH_WORDS) break;
      kept.push(s);
    }
    this.#segments = kept;
    this.setPrefixFields(options.prefixFields ?? defaultPrefixFields());
  }

  /** Number of rules. */
  get count(): number {
    return this.#count;
  }

  isEmpty(): boolean {
    return this.#count === 0;
  }

  /** Number of subtables (distinct masks), for statistics. */
  get subtableCount(): number {
    return this.#vector.length;
  }

  /** The prefix fields in use, in trie order. */
  prefixFields(): readonly Field[] {
    return this.#trieFields;
  }

  /**
   * Sets the fields with prefix tries (upstream's classifier_set_prefix_fields): the first three
   * usable ones, skipping fields that cannot have a trie and duplicates. Returns whether the
   * configuration changed.
   */
  setPrefixFields(fields: readonly Field[]): boolean {
    const chosen: Field[] = [];
    for (const f of fields) {
      if (chosen.length >= CLS_MAX_TRIES) break;
      if (!isPrefixField(f) || chosen.includes(f)) continue;
      chosen.push(f);
    }
    const old = this.#trieFields;
    if (chosen.length === old.length && chosen.every((f, i) => old[i] === f)) return false;
    const tries: Trie[] = [];
    for (let j = 0; j < chosen.length; j++) {
      const f = chosen[j]!;
      if (old[j] === f) {
        tries.push(this.#tries[j]!);
        continue;
      }
      const trie = newTrie();
      for (const sub of this.#vector) {
        const plen = maskPrefixLength(sub.mask, f.word, f.nWords);
        if (plen === 0) continue;
        for (const head of sub.rules.values()) {
          for (let r: ClsRule<T> | null = head; r !== null; r = r._bucketNext) {
            trieInsert(trie, r.match.flow, f.word, plen);
          }
        }
      }
      tries.push(trie);
    }
    for (const sub of this.#vector) sub.setTries(chosen);
    this.#trieFields = chosen;
    this.#tries = tries;
    return true;
  }

  // ---- Modification ----

  /**
   * Inserts `rule`. A rule with an equal match and priority is replaced and returned (it leaves
   * the classifier); otherwise returns undefined. Rules that a higher-priority rule hides stay.
   * A replacement behaves as ofproto's (insert the new version, then retire the old): the
   * subtable keeps its place and the new rule is iterated last in it. To replace a rule, insert
   * the new one rather than removing the old first, which could drop and re-create the subtable
   * and so change iteration order and tie-breaking.
   */
  insert(rule: ClsRule<T>): ClsRule<T> | undefined {
    if (rule._subtable !== null) throw new TypeError("rule is already in a classifier");
    const mask = rule.match.mask;
    const sub = this.#findSubtable(mask) ?? this.#insertSubtable(mask);
    rule._hash = sub.hashFull(rule.match.flow);
    rule._key = sub.keyOf(rule.match.flow);
    rule._subtable = sub;
    const head = sub.findEqual(rule);
    let newHead = false;
    if (head === null) {
      for (let j = 0; j < this.#tries.length; j++) {
        const plen = sub.triePlen[j]!;
        if (plen) trieInsert(this.#tries[j]!, rule.match.flow, this.#trieFields[j]!.word, plen);
      }
      if (sub.portsMaskLen) {
        this.#portsValue[0] = rule.match.flow[W_TP]! & sub.mask[W_TP]!;
        trieInsert(sub.portsTrie, this.#portsValue, 0, sub.portsMaskLen);
      }
      sub.indexAdd(rule.match.flow, 1);
      rule._next = null;
      sub.insertHead(rule);
      newHead = true;
    } else {
      // Keep the list of equal matches in decreasing priority.
      let prev: ClsRule<T> | null = null;
      let iter: ClsRule<T> | null = head;
      while (iter !== null && rule.priority < iter.priority) {
        prev = iter;
        iter = iter._next;
      }
      if (iter !== null && iter.priority === rule.priority) {
        const old = iter;
        rule._next = old._next;
        if (prev) prev._next = rule;
        else sub.replaceHead(old, rule);
        // As ofproto's versioned replacement (the new rule is added before the old one leaves):
        // the new rule goes to the end of its subtable's iteration order.
        sub.listRemove(old);
        sub.listAppend(rule);
        old._subtable = null;
        old._next = null;
        return old;
      }
      rule._next = iter;
      if (prev) prev._next = rule;
      else sub.replaceHead(head, rule);
    }
    sub.listAppend(rule);
    if (newHead && sub.nHeads === 1) {
      sub.maxPriority = rule.priority;
      sub.maxCount = 1;
      this.#vectorInsert(sub);
    } else if (rule.priority === sub.maxPriority) {
      sub.maxCount++;
    } else if (rule.priority > sub.maxPriority) {
      sub.maxPriority = rule.priority;
      sub.maxCount = 1;
      this.#vectorChanged(sub);
    }
    this.#count++;
    return undefined;
  }

  /** Removes `rule`; false when it is in no classifier. */
  remove(rule: ClsRule<T>): boolean {
    const sub = rule._subtable;
    if (sub === null) return false;
    rule._subtable = null;
    sub.listRemove(rule);
    const head = sub.findEqual(rule);
    let destroyed = false;
    if (head !== rule) {
      for (let r = head; r !== null; r = r._next) {
        if (r._next === rule) {
          r._next = rule._next;
          break;
        }
      }
    } else if (rule._next !== null) {
      sub.replaceHead(rule, rule._next);
    } else {
      if (sub.portsMaskLen) {
        this.#portsValue[0] = rule.match.flow[W_TP]! & sub.mask[W_TP]!;
        trieRemove(sub.portsTrie, this.#portsValue, 0, sub.portsMaskLen);
      }
      for (let j = 0; j < this.#tries.length; j++) {
        const plen = sub.triePlen[j]!;
        if (plen) trieRemove(this.#tries[j]!, rule.match.flow, this.#trieFields[j]!.word, plen);
      }
      sub.indexAdd(rule.match.flow, -1);
      sub.removeHead(rule);
      if (sub.nHeads === 0) {
        this.#destroySubtable(sub);
        destroyed = true;
      }
    }
    rule._next = null;
    if (!destroyed && sub.maxPriority === rule.priority && --sub.maxCount === 0) {
      let max = Number.NEGATIVE_INFINITY;
      for (const first of sub.rules.values()) {
        for (let h: ClsRule<T> | null = first; h !== null; h = h._bucketNext) {
          if (h.priority > max) {
            max = h.priority;
            sub.maxCount = 1;
          } else if (h.priority === max) {
            sub.maxCount++;
          }
        }
      }
      sub.maxPriority = max;
      this.#vectorChanged(sub);
    }
    this.#count--;
    return true;
  }

  /** Removes every rule. */
  clear(): void {
    this.forEach((rule) => {
      this.remove(rule);
    });
  }

  // ---- Lookup ----

  /**
   * The highest-priority rule matching `flow` (ties: the first found in subtable order, as
   * upstream), resolving conjunctive matches. When `wildcards` is given, ORs into it the bits the
   * lookup examined. `flow` is briefly modified (conj_id) during conjunctive lookups and restored.
   */
  lookup(flow: FlowWords, wildcards?: FlowWords): ClsRule<T> | undefined {
    return this.#lookup(flow, wildcards, true, 0) ?? undefined;
  }

  #lookup(
    flow: FlowWords,
    wc: FlowWords | undefined,
    allowConjunctions: boolean,
    depth: number,
  ): ClsRule<T> | null {
    const contexts = this.#contexts[depth]!;
    for (let j = 0; j < this.#tries.length; j++) contexts[j]!.done = false;
    let hard: ClsRule<T> | null = null;
    let hardPri = Number.NEGATIVE_INFINITY;
    let nSoft = 0;
    let softPri = Number.NEGATIVE_INFINITY;
    const vector = this.#vector;
    for (let i = 0; i < vector.length; i++) {
      const sub = vector[i]!;
      if (sub.maxPriority <= hardPri) break;
      const match = wc === undefined
        ? sub.findMatch(flow, sub.hashFull(flow))
        : this.#findMatchWc(sub, flow, contexts, wc);
      if (match === null || match.priority <= hardPri) continue;
      if (match.conjunctions.length === 0) {
        hard = match;
        hardPri = match.priority;
      } else if (allowConjunctions) {
        if (nSoft >= this.#soft.length) this.#soft.length = this.#soft.length * 2;
        this.#soft[nSoft++] = match;
        if (softPri < match.priority) softPri = match.priority;
      }
    }
    if (hardPri >= softPri) {
      if (nSoft) this.#soft.fill(null, 0, nSoft);
      return hard;
    }
    return this.#resolveConjunctions(flow, wc, depth, nSoft, hard, hardPri);
  }

  /** Upstream's soft-match loop: find a complete conjunction above the best hard match. */
  #resolveConjunctions(
    flow: FlowWords,
    wc: FlowWords | undefined,
    depth: number,
    nSoftStart: number,
    hardStart: ClsRule<T> | null,
    hardPriStart: number,
  ): ClsRule<T> | null {
    const soft = this.#soft;
    let nSoft = nSoftStart;
    let hard = hardStart;
    let hardPri = hardPriStart;
    try {
      for (;;) {
        for (let i = 0; i < nSoft;) {
          const s = soft[i];
          if (s === null || s === undefined || s.priority <= hardPri) soft[i] = soft[--nSoft]!;
          else i++;
        }
        if (nSoft === 0) break;
        let softPri = Number.NEGATIVE_INFINITY;
        let nSoftPri = 0;
        for (let i = 0; i < nSoft; i++) {
          const p = soft[i]!.priority;
          if (p > softPri) {
            softPri = p;
            nSoftPri = 1;
          } else if (p === softPri) {
            nSoftPri++;
          }
        }
        this.#conjSlots.clear();
        for (let i = 0; i < nSoft; i++) {
          const s = soft[i]!;
          if (s.priority !== softPri) continue;
          const id = this.#completeConjunction(s, nSoftPri);
          if (id === undefined) continue;
          const saved = flow[W_CONJ_ID]!;
          flow[W_CONJ_ID] = id;
          const rule = this.#lookup(flow, wc, false, depth + 1);
          flow[W_CONJ_ID] = saved;
          if (rule !== null) return rule;
        }
        // No complete conjunction at this priority: fall back to identical lower-priority flows.
        for (let i = 0; i < nSoft; i++) {
          const s = soft[i]!;
          if (s.priority !== softPri) continue;
          const next = s._next;
          if (next === null) {
            soft[i] = null;
          } else if (next.conjunctions.length === 0) {
            soft[i] = null;
            if (next.priority > hardPri) {
              hard = next;
              hardPri = next.priority;
            }
          } else {
            soft[i] = next;
          }
        }
      }
      return hard;
    } finally {
      soft.fill(null, 0, nSoftStart);
    }
  }

  /** Adds a soft match's clauses; returns a conjunction id once all its clauses are seen. */
  #completeConjunction(rule: ClsRule<T>, maxClauses: number): number | undefined {
    if (maxClauses < rule.minClauses) return undefined;
    for (const c of rule.conjunctions) {
      if (c.nClauses > maxClauses) continue;
      let slot = this.#conjSlots.get(c.id);
      if (slot === undefined) {
        slot = this.#conjSlots.size;
        if (slot >= this.#conjLo.length) {
          const lo = new Uint32Array(slot * 2);
          lo.set(this.#conjLo);
          this.#conjLo = lo;
          const hi = new Uint32Array(slot * 2);
          hi.set(this.#conjHi);
          this.#conjHi = hi;
        }
        this.#conjSlots.set(c.id, slot);
        // Bits at and above n_clauses start set, so all ones means every clause was seen.
        // (As upstream, 64 clauses wrap to 0: such a conjunction is complete at once.)
        const n = c.nClauses & 63;
        this.#conjLo[slot] = n >= 32 ? 0 : (0xffffffff << n) >>> 0;
        this.#conjHi[slot] = n <= 32 ? 0xffffffff : (0xffffffff << (n - 32)) >>> 0;
      }
      if (c.clause < 32) this.#conjLo[slot] = (this.#conjLo[slot]! | (1 << c.clause)) >>> 0;
      else this.#conjHi[slot] = (this.#conjHi[slot]! | (1 << (c.clause - 32))) >>> 0;
      if (this.#conjLo[slot] === 0xffffffff && this.#conjHi[slot] === 0xffffffff) return c.id;
    }
    return undefined;
  }

  /** Upstream's find_match_wc: the staged lookup of one subtable, recording what it examined. */
  #findMatchWc(
    sub: Subtable<T>,
    flow: FlowWords,
    contexts: TrieContext[],
    wc: FlowWords,
  ): ClsRule<T> | null {
    let h = 0;
    let stage = 0;
    const stageTries = sub.stageTries;
    for (; stage < sub.nIndices; stage++) {
      if (stageTries[stage] !== 0 && this.#checkTries(sub, stage, flow, contexts, wc)) {
        foldStages(wc, sub, stage);
        return null;
      }
      h = sub.hashStage(flow, stage, h);
      if (!sub.indices[stage]!.has(sub.indexHash(h, stage))) {
        foldStages(wc, sub, stage + 1);
        return null;
      }
    }
    if (stageTries[stage] !== 0 && this.#checkTries(sub, stage, flow, contexts, wc)) {
      foldStages(wc, sub, stage);
      return null;
    }
    h = sub.hashStage(flow, stage, h);
    const rule = sub.findMatch(flow, sub.indexHash(h, stage));
    if (rule === null && sub.portsMaskLen) {
      // The ports trie tells how many port bits rule out every rule's ports.
      let ports = sub.mask[W_TP]!;
      this.#portsValue[0] = flow[W_TP]! & ports;
      this.#portsPlens[0] = 0;
      const bits = trieLookup(sub.portsTrie, this.#portsValue, 0, this.#portsPlens, 32);
      ports = ((ports & prefixMask32(bits)) | wc[W_TP]!) >>> 0;
      foldStages(wc, sub, stage + 1);
      wc[W_TP] = ports;
      return null;
    }
    foldStages(wc, sub, stage + 1);
    return rule;
  }

  /** Upstream's check_tries: whether a prefix trie rules the subtable out at this stage. */
  #checkTries(
    sub: Subtable<T>,
    stage: number,
    flow: FlowWords,
    contexts: TrieContext[],
    wc: FlowWords,
  ): boolean {
    const relevant = sub.stageTries[stage]!;
    for (let j = 0; j < this.#tries.length; j++) {
      if ((relevant & (1 << j)) === 0) continue;
      const plen = sub.triePlen[j]!;
      const f = this.#trieFields[j]!;
      const ctx = contexts[j]!;
      if (!ctx.done) {
        ctx.plens.fill(0);
        if (triePrereqsOk(f, flow)) {
          ctx.maskBits = trieLookup(this.#tries[j]!, flow, f.word, ctx.plens, f.nBits);
        } else {
          ctx.plens.fill(0xffffffff);
          ctx.maskBits = 0;
        }
        ctx.done = true;
      }
      if (!bitAt(ctx.plens, 0, plen - 1)) {
        // Never un-wildcard more than this subtable would have.
        if (ctx.maskBits <= plen) {
          setPrefixBits(wc, f, ctx.maskBits);
          return true;
        }
        if (prefixBitsSet(wc, f, ctx.maskBits)) return true;
      }
    }
    return false;
  }

  // ---- Queries ----

  /** The rule with exactly this match and priority (OpenFlow strict), if any. */
  findExactly(match: Match, priority: number): ClsRule<T> | undefined {
    const sub = this.#findSubtable(match.mask);
    if (!sub) return undefined;
    const hash = sub.hashFull(match.flow);
    const words = sub.words;
    for (let head = sub.rules.get(hash) ?? null; head !== null; head = head._bucketNext) {
      let i = 0;
      for (; i < words.length; i++) {
        const w = words[i]!;
        if (((head.match.flow[w]! ^ match.flow[w]!) & sub.mask[w]!) !== 0) break;
      }
      if (i < words.length) continue;
      for (let r: ClsRule<T> | null = head; r !== null; r = r._next) {
        if (r.priority < priority) return undefined;
        if (r.priority === priority) return r;
      }
      return undefined;
    }
    return undefined;
  }

  /** Calls `fn` on the rule with exactly this match and priority, if any. */
  forEachStrict(match: Match, priority: number, fn: (rule: ClsRule<T>) => void): void {
    const rule = this.findExactly(match, priority);
    if (rule) fn(rule);
  }

  /**
   * Whether a rule of this priority could match some packet that `match` matches (upstream's
   * classifier_rule_overlaps, for OFPFF_CHECK_OVERLAP).
   */
  overlaps(match: Match, priority: number): boolean {
    for (const sub of this.#vector) {
      if (sub.maxPriority < priority) break;
      for (let r = sub.listHead; r !== null; r = r._listNext) {
        if (r.priority !== priority) continue;
        let agree = true;
        for (let i = 0; i < MATCH_WORDS; i++) {
          const m = match.mask[i]! & sub.mask[i]!;
          if (((match.flow[i]! ^ r.match.flow[i]!) & m) !== 0) {
            agree = false;
            break;
          }
        }
        if (agree) return true;
      }
    }
    return false;
  }

  /** Calls `fn` on every rule, subtable by subtable in priority order, each in insertion order. */
  forEach(fn: (rule: ClsRule<T>) => void): void {
    this.#iterate(undefined, fn);
  }

  /**
   * Calls `fn` on every rule that is at least as specific as `criteria` and agrees with it
   * (OpenFlow non-strict flow_mod and stats semantics); a catch-all visits every rule.
   */
  forEachLoose(criteria: Match, fn: (rule: ClsRule<T>) => void): void {
    this.#iterate(criteria.isCatchAll() ? undefined : criteria, fn);
  }

  /** Every rule, as forEach visits them. */
  *rules(): IterableIterator<ClsRule<T>> {
    for (const sub of this.#vector.slice()) {
      for (let r = sub.listHead; r !== null; r = r._listNext) {
        if (r._subtable === sub) yield r;
      }
    }
  }

  #iterate(criteria: Match | undefined, fn: (rule: ClsRule<T>) => void): void {
    for (const sub of this.#vector.slice()) {
      if (criteria !== undefined && !covers(sub.mask, criteria.mask)) continue;
      for (let r = sub.listHead; r !== null;) {
        const next = r._listNext;
        if (r._subtable === sub && (criteria === undefined || agrees(r.match, criteria))) fn(r);
        // Rules that `fn` removes or replaces keep their forward links, so `next` leads on.
        r = next;
      }
    }
  }

  // ---- Subtables ----

  #findSubtable(mask: FlowWords): Subtable<T> | undefined {
    const list = this.#byMask.get(hashMask(mask));
    if (list) { for (const sub of list) if (masksEqual(sub.mask, mask)) return sub; }
    return undefined;
  }

  #insertSubtable(mask: FlowWords): Subtable<T> {
    const sub = new Subtable<T>(mask, this.#segments);
    sub.setTries(this.#trieFields);
    const list = this.#byMask.get(sub.maskHash);
    if (list) list.push(sub);
    else this.#byMask.set(sub.maskHash, [sub]);
    return sub;
  }

  #destroySubtable(sub: Subtable<T>): void {
    sub.dead = true;
    const list = this.#byMask.get(sub.maskHash);
    if (list) {
      const at = list.indexOf(sub);
      if (at >= 0) list.splice(at, 1);
      if (list.length === 0) this.#byMask.delete(sub.maskHash);
    }
    // As upstream's pvector: the last entry takes the removed one's place, then re-sort.
    const vector = this.#vector;
    const at = vector.indexOf(sub);
    if (at >= 0) {
      const last = vector.pop()!;
      if (last !== sub) {
        vector[at] = last;
        this.#sortIfNeeded(at);
      }
    }
  }

  #vectorInsert(sub: Subtable<T>): void {
    this.#vector.push(sub);
    this.#sortIfNeeded(this.#vector.length - 1);
  }

  #vectorChanged(sub: Subtable<T>): void {
    this.#sortIfNeeded(this.#vector.indexOf(sub));
  }

  /** Restores descending order after entry `at` changed, keeping equal entries' order (stable). */
  #sortIfNeeded(at: number): void {
    const vector = this.#vector;
    const p = vector[at]!.maxPriority;
    const before = at > 0 ? vector[at - 1]!.maxPriority : Number.POSITIVE_INFINITY;
    const after = at + 1 < vector.length ? vector[at + 1]!.maxPriority : Number.NEGATIVE_INFINITY;
    if (p <= before && p >= after) return;
    vector.sort((a, b) => b.maxPriority - a.maxPriority);
  }
}

/** Whether mask `a` has every bit of mask `b`. */
function covers(a: FlowWords, b: FlowWords): boolean {
  for (let i = 0; i < MATCH_WORDS; i++) if ((b[i]! & ~a[i]!) !== 0) return false;
  return true;
}

/** Whether `rule` agrees with `criteria` on every bit the criteria match. */
function agrees(rule: Match, criteria: Match): boolean {
  for (let i = 0; i < MATCH_WORDS; i++) {
    if (((rule.flow[i]! ^ criteria.flow[i]!) & criteria.mask[i]!) !== 0) return false;
  }
  return true;
}
