// One subtable of the classifier: every rule whose mask is this exact mask (upstream's
// cls_subtable), hashed by masked flow, with the staged-lookup indices (a count of rules per hash
// of the masked flow up to the end of each stage: metadata, L2, L3), the prefix lengths this mask
// has on the classifier's prefix fields, and the trie of its transport ports. Also the rule type
// and the hashing shared with classifier.ts.
//
// Promises: the staged hashes of a flow and of a rule agree whenever the rule matches the flow
// (the hash of stage i covers exactly the mask's words before the end of stage i); lookups in here
// allocate nothing. Owns no ordering between subtables and no prefix tries of fields: classifier.ts
// does.

import { type FlowWords, MATCH_WORDS, W_TP } from "../datapath/flow.ts";
import type { Match } from "./match.ts";
import { IntCounts, IntTable } from "./classifier_hash.ts";
import { newTrie, type Trie } from "./prefix_trie.ts";

/** A conjunctive match clause a rule takes part in (upstream's cls_conjunction, clause 0-based). */
export interface Conjunction {
  id: number;
  clause: number;
  nClauses: number;
}

/**
 * A classifier rule: a match and a priority, carrying the caller's payload. Two rules with equal
 * matches and priorities are the same rule to the classifier. The classifier keeps the Match it
 * is given: do not change it while the rule is in a classifier.
 */
const EMPTY_KEY = new Uint32Array(0);

export class ClsRule<T> {
  readonly match: Match;
  readonly priority: number;
  readonly payload: T;
  readonly conjunctions: readonly Conjunction[];
  /** The fewest clauses among `conjunctions` (a lookup shortcut). */
  readonly minClauses: number;

  // Owned by the classifier.
  /** @internal The subtable holding the rule, or null when in no classifier. */
  _subtable: Subtable<T> | null = null;
  /** @internal Hash of the masked flow over the whole mask. */
  _hash = 0;
  /** @internal The masked flow's words at the subtable's used words (compared on lookup). */
  _key: Uint32Array = EMPTY_KEY;
  /** @internal Next rule with the same masked flow, lower priority. */
  _next: ClsRule<T> | null = null;
  /** @internal Next head in the same hash bucket. */
  _bucketNext: ClsRule<T> | null = null;
  /** @internal Iteration list links (kept on removal so that iterators move on safely). */
  _listPrev: ClsRule<T> | null = null;
  /** @internal */
  _listNext: ClsRule<T> | null = null;

  constructor(
    match: Match,
    priority: number,
    payload: T,
    conjunctions: readonly Conjunction[] = [],
  ) {
    this.match = match;
    this.priority = priority;
    this.payload = payload;
    this.conjunctions = conjunctions;
    let min = 64;
    for (const c of conjunctions) if (c.nClauses < min) min = c.nClauses;
    this.minClauses = min;
  }

  /** Whether the rule is in a classifier now. */
  get inClassifier(): boolean {
    return this._subtable !== null;
  }
}

// Hashing: a murmur3-style running hash over (word index, masked word) pairs, finished with the
// number of words so far, so a stage's hash continues the previous stage's.

export function hashAdd(hash: number, word: number, value: number): number {
  let k = Math.imul((value ^ (word << 24)) >>> 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  let h = hash ^ k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * Finishes a hash to 30 bits: small integers stay unboxed in V8, so using them as Map keys
 * allocates nothing (a full 32-bit key would be boxed on every lookup).
 */
export function hashFinish(hash: number, n: number): number {
  let h = hash ^ n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}

/** A hash of a whole mask, to find its subtable. */
export function hashMask(mask: FlowWords): number {
  let h = 0;
  let n = 0;
  for (let i = 0; i < MATCH_WORDS; i++) {
    const m = mask[i]!;
    if (m !== 0) {
      h = hashAdd(h, i, m);
      n++;
    }
  }
  return hashFinish(h, n);
}

export class Subtable<T> {
  readonly mask: FlowWords;
  readonly maskHash: number;
  /** The words the mask uses, in order. */
  readonly words: Uint8Array;
  /**
   * Stage boundaries as positions in `words`: stage i covers words[stageEnd[i-1]..stageEnd[i]).
   * Stages 0..nIndices-1 have an index; stage nIndices is the final one (the rules' hash).
   */
  readonly stageEnd: Uint8Array;
  /** The flow-word range [from, to) of each stage, for deciding which prefix tries apply. */
  readonly stageFrom: Uint8Array;
  readonly stageTo: Uint8Array;
  readonly nIndices: number;
  /** Per index stage: hash of the masked flow up to the stage's end → rules (heads) with it. */
  readonly indices: IntCounts[];
  /** Heads (highest priority of each distinct masked flow) by full hash, chained by _bucketNext. */
  readonly rules = new IntTable<ClsRule<T>>();
  /** Number of heads. */
  nHeads = 0;
  /** Highest priority among heads, and how many heads have it. */
  maxPriority = Number.NEGATIVE_INFINITY;
  maxCount = 0;
  /** Prefix length of the mask on each classifier prefix field (0: the trie does not apply). */
  readonly triePlen = new Int32Array(3);
  /** Per stage, a bit for each prefix trie that applies there (see setTries). */
  stageTries: Uint8Array = new Uint8Array(0);
  /** Bits of the ports word the mask covers, counted as a prefix (0: no ports trie). */
  readonly portsMaskLen: number;
  readonly portsTrie: Trie = newTrie();
  /** Iteration list: every rule (heads and lower-priority duplicates), in insertion order. */
  listHead: ClsRule<T> | null = null;
  listTail: ClsRule<T> | null = null;
  /** Set when the subtable leaves the classifier. */
  dead = false;

  constructor(mask: FlowWords, segments: readonly number[]) {
    this.mask = mask.slice();
    this.maskHash = hashMask(this.mask);
    let n = 0;
    for (let i = 0; i < MATCH_WORDS; i++) if (this.mask[i] !== 0) n++;
    this.words = new Uint8Array(n);
    n = 0;
    for (let i = 0; i < MATCH_WORDS; i++) if (this.mask[i] !== 0) this.words[n++] = i;

    // A stage exists only where the mask has bits; the last such stage is the final one.
    const ends: number[] = [];
    const froms: number[] = [];
    const tos: number[] = [];
    let from = 0;
    let pos = 0;
    for (const to of [...segments, MATCH_WORDS]) {
      const start = pos;
      while (pos < this.words.length && this.words[pos]! < to) pos++;
      if (pos > start) {
        ends.push(pos);
        froms.push(from);
        tos.push(to);
      }
      from = to;
    }
    if (ends.length === 0) {
      ends.push(0);
      froms.push(0);
      tos.push(MATCH_WORDS);
    }
    this.stageEnd = Uint8Array.from(ends);
    this.stageFrom = Uint8Array.from(froms);
    this.stageTo = Uint8Array.from(tos);
    this.nIndices = ends.length - 1;
    this.indices = [];
    for (let i = 0; i < this.nIndices; i++) this.indices.push(new IntCounts());

    const ports = this.mask[W_TP]!;
    this.portsMaskLen = ports === 0 ? 0 : 32 - ctz32(ports);
  }

  /**
   * Records the mask's prefix lengths on the classifier's prefix fields (first word and word
   * count of each) and which stage each trie is consulted in: the stage holding the field.
   */
  setTries(fields: readonly { word: number; nWords: number }[]): void {
    this.triePlen.fill(0);
    const stageTries = new Uint8Array(this.stageEnd.length);
    for (let j = 0; j < fields.length; j++) {
      const f = fields[j]!;
      const plen = maskPrefixLength(this.mask, f.word, f.nWords);
      this.triePlen[j] = plen;
      if (plen === 0) continue;
      for (let s = 0; s < stageTries.length; s++) {
        if (f.word >= this.stageFrom[s]! && f.word < this.stageTo[s]!) stageTries[s]! |= 1 << j;
      }
    }
    this.stageTries = stageTries;
  }

  /** Hash of `flow & mask` over stages 0..stage (inclusive), continuing `partial`. */
  hashStage(flow: FlowWords, stage: number, partial: number): number {
    const start = stage === 0 ? 0 : this.stageEnd[stage - 1]!;
    const end = this.stageEnd[stage]!;
    let h = partial;
    const words = this.words;
    const mask = this.mask;
    for (let i = start; i < end; i++) {
      const w = words[i]!;
      h = Math.imul(h ^ (flow[w]! & mask[w]!), 0x9e3779b1);
      h ^= h >>> 15;
    }
    return h;
  }

  /** Full hash of `flow & mask`, equal to the final staged hash. */
  hashFull(flow: FlowWords): number {
    let h = 0;
    for (let s = 0; s <= this.nIndices; s++) h = this.hashStage(flow, s, h);
    return hashFinish(h, this.words.length);
  }

  /** Index hash after stage `stage` of the running hash `h`. */
  indexHash(h: number, stage: number): number {
    return hashFinish(h, this.stageEnd[stage]!);
  }

  /** The head matching `flow` under the mask with this full hash, or null. */
  findMatch(flow: FlowWords, hash: number): ClsRule<T> | null {
    const words = this.words;
    const mask = this.mask;
    for (let head = this.rules.get(hash) ?? null; head !== null; head = head._bucketNext) {
      const key = head._key;
      let i = 0;
      for (; i < words.length; i++) {
        const w = words[i]!;
        if (key[i] !== ((flow[w]! & mask[w]!) >>> 0)) break;
      }
      if (i === words.length) return head;
    }
    return null;
  }

  /** The rule's masked flow at the used words. */
  keyOf(flow: FlowWords): Uint32Array {
    const key = new Uint32Array(this.words.length);
    for (let i = 0; i < key.length; i++) {
      const w = this.words[i]!;
      key[i] = flow[w]! & this.mask[w]!;
    }
    return key;
  }

  /** Adds one head to the index counts of the stages. */
  indexAdd(flow: FlowWords, delta: number): void {
    let h = 0;
    for (let s = 0; s < this.nIndices; s++) {
      h = this.hashStage(flow, s, h);
      this.indices[s]!.add(this.indexHash(h, s), delta);
    }
  }

  /** Replaces head `old` by `head` in its bucket. */
  replaceHead(old: ClsRule<T>, head: ClsRule<T>): void {
    head._bucketNext = old._bucketNext;
    old._bucketNext = null;
    const first = this.rules.get(old._hash);
    if (first === old) {
      this.rules.set(old._hash, head);
      return;
    }
    for (let r = first ?? null; r !== null; r = r._bucketNext) {
      if (r._bucketNext === old) {
        r._bucketNext = head;
        return;
      }
    }
  }

  insertHead(head: ClsRule<T>): void {
    head._bucketNext = this.rules.get(head._hash) ?? null;
    this.rules.set(head._hash, head);
    this.nHeads++;
  }

  removeHead(head: ClsRule<T>): void {
    const first = this.rules.get(head._hash);
    if (first === head) {
      if (head._bucketNext === null) this.rules.delete(head._hash);
      else this.rules.set(head._hash, head._bucketNext);
    } else {
      for (let r = first ?? null; r !== null; r = r._bucketNext) {
        if (r._bucketNext === head) {
          r._bucketNext = head._bucketNext;
          break;
        }
      }
    }
    head._bucketNext = null;
    this.nHeads--;
  }

  /** The head whose masked flow equals the rule's, or null. */
  findEqual(rule: ClsRule<T>): ClsRule<T> | null {
    const words = this.words;
    const mask = this.mask;
    const flow = rule.match.flow;
    for (let head = this.rules.get(rule._hash) ?? null; head !== null; head = head._bucketNext) {
      const hf = head.match.flow;
      let i = 0;
      for (; i < words.length; i++) {
        const w = words[i]!;
        if (((hf[w]! ^ flow[w]!) & mask[w]!) !== 0) break;
      }
      if (i === words.length) return head;
    }
    return null;
  }

  listAppend(rule: ClsRule<T>): void {
    rule._listPrev = this.listTail;
    rule._listNext = null;
    if (this.listTail) this.listTail._listNext = rule;
    else this.listHead = rule;
    this.listTail = rule;
  }

  /** Unlinks `rule`, leaving its forward link so that an iterator standing on it can go on. */
  listRemove(rule: ClsRule<T>): void {
    if (rule._listPrev) rule._listPrev._listNext = rule._listNext;
    else this.listHead = rule._listNext;
    if (rule._listNext) rule._listNext._listPrev = rule._listPrev;
    else this.listTail = rule._listPrev;
    rule._listPrev = null;
  }
}

export function ctz32(x: number): number {
  if (x === 0) return 32;
  return 31 - Math.clz32((x & -x) >>> 0);
}

/**
 * The CIDR prefix length of `mask` over `nWords` words from `word` (most significant first), or 0
 * when the mask there is not a prefix (upstream's minimask_get_prefix_len).
 */
export function maskPrefixLength(mask: FlowWords, word: number, nWords: number): number {
  let bits = 0;
  let ended = false;
  for (let w = word; w < word + nWords; w++) {
    const m = mask[w]!;
    if (ended) {
      if (m !== 0) return 0;
      continue;
    }
    const inverse = ~m >>> 0;
    if ((inverse & ((inverse + 1) >>> 0)) !== 0) return 0;
    const tz = ctz32(m);
    if (tz !== 0) ended = true;
    bits += 32 - tz;
  }
  return bits;
}
