// Longest-prefix tries over bit strings held in flow words (upstream's classifier prefix trees):
// one per configured prefix field (nw_dst, nw_src, ...) counting the rules at each CIDR prefix,
// and one per subtable over the transport ports word. A lookup reports which prefix lengths have
// rules along the looked-up value's path and how many leading bits it had to examine to tell the
// value apart from every longer prefix, which is what lets the classifier skip subtables and still
// un-wildcard only those bits. Bits are numbered from the most significant bit of the first word
// (words are read as in core/datapath/flow.ts, most significant word first).
//
// Promises: lookups allocate nothing; insert and remove keep the tree compact (no node without
// rules and with fewer than two children, except a root of zero bits), exactly as upstream's tree
// evolves, so the bit counts reported match upstream's. Knows nothing of fields or rules.

/** Most bits one node holds (upstream's TRIE_PREFIX_BITS). */
const NODE_BITS = 32;

export interface TrieNode {
  /** This node's bits, most significant first, unused low bits zero. */
  prefix: number;
  /** Bits in `prefix`; zero only for a root. */
  nBits: number;
  /** Rules whose prefix ends exactly here. */
  nRules: number;
  edge0: TrieNode | null;
  edge1: TrieNode | null;
}

/** A trie's root slot. */
export interface Trie {
  root: TrieNode | null;
}

export function newTrie(): Trie {
  return { root: null };
}

/** `plen` bits of `words` from bit `ofs` of word `base`, left-aligned, possibly with extra bits. */
function rawPrefix(words: Uint32Array, base: number, ofs: number, plen: number): number {
  const index = base + (ofs >>> 5);
  const skip = ofs & 31;
  let prefix = (words[index]! << skip) >>> 0;
  if (skip !== 0 && plen > 32 - skip) prefix = (prefix | (words[index + 1]! >>> (32 - skip))) >>> 0;
  return prefix;
}

/** At most NODE_BITS bits of the value from `ofs`, with the bits past `plen` cleared. */
function nodePrefix(words: Uint32Array, base: number, ofs: number, plen: number): number {
  if (plen === 0) return 0;
  const n = plen > NODE_BITS ? NODE_BITS : plen;
  return (rawPrefix(words, base, ofs, n) & (0xffffffff << (32 - n))) >>> 0;
}

/** How many of the `nBits` leading bits of `prefix` equal the value's bits from `ofs`. */
function equalBits(
  prefix: number,
  nBits: number,
  words: Uint32Array,
  base: number,
  ofs: number,
): number {
  const diff = (prefix ^ rawPrefix(words, base, ofs, nBits)) >>> 0;
  const same = Math.clz32(diff);
  return same < nBits ? same : nBits;
}

/** The bit at `ofs` (from the most significant bit of word `base`). */
export function bitAt(words: Uint32Array, base: number, ofs: number): number {
  return (words[base + (ofs >>> 5)]! >>> (31 - (ofs & 31))) & 1;
}

/** Sets bit `ofs` of a bit string kept in words. */
export function setBitAt(words: Uint32Array, ofs: number): void {
  const index = ofs >>> 5;
  words[index] = (words[index]! | (1 << (31 - (ofs & 31)))) >>> 0;
}

function prefixBit(prefix: number, ofs: number): number {
  return (prefix >>> (31 - ofs)) & 1;
}

function branch(
  words: Uint32Array,
  base: number,
  ofs: number,
  plen: number,
  nRules: number,
): TrieNode {
  const node: TrieNode = {
    prefix: nodePrefix(words, base, ofs, plen),
    nBits: plen,
    nRules,
    edge0: null,
    edge1: null,
  };
  if (plen > NODE_BITS) {
    const sub = branch(words, base, ofs + NODE_BITS, plen - NODE_BITS, nRules);
    node.nBits = NODE_BITS;
    node.nRules = 0;
    if (prefixBit(sub.prefix, 0)) node.edge1 = sub;
    else node.edge0 = sub;
  }
  return node;
}

function setEdge(trie: Trie, parent: TrieNode | null, side: number, node: TrieNode | null): void {
  if (parent === null) trie.root = node;
  else if (side) parent.edge1 = node;
  else parent.edge0 = node;
}

/** Counts one more rule with the `mlen`-bit prefix of the value at word `base` of `words`. */
export function trieInsert(trie: Trie, words: Uint32Array, base: number, mlen: number): void {
  let parent: TrieNode | null = null;
  let side = 0;
  let node = trie.root;
  let ofs = 0;
  while (node !== null) {
    const limit = node.nBits < mlen - ofs ? node.nBits : mlen - ofs;
    const eq = equalBits(node.prefix, limit, words, base, ofs);
    ofs += eq;
    if (eq < node.nBits) {
      // The value leaves this node part-way: split it under a new parent.
      const oldBranch = prefixBit(node.prefix, eq);
      const newParent = branch(words, base, ofs - eq, eq, ofs === mlen ? 1 : 0);
      node.prefix = (node.prefix << eq) >>> 0;
      node.nBits -= eq;
      if (oldBranch) newParent.edge1 = node;
      else newParent.edge0 = node;
      if (ofs < mlen) {
        const fresh = branch(words, base, ofs, mlen - ofs, 1);
        if (oldBranch) newParent.edge0 = fresh;
        else newParent.edge1 = fresh;
      }
      setEdge(trie, parent, side, newParent);
      return;
    }
    if (ofs === mlen) {
      node.nRules++;
      return;
    }
    parent = node;
    side = bitAt(words, base, ofs);
    node = side ? node.edge1 : node.edge0;
  }
  setEdge(trie, parent, side, branch(words, base, ofs, mlen - ofs, 1));
}

// Scratch for removal paths: depth is bounded by the longest prefix (128 bits) plus the root.
const pathNodes: (TrieNode | null)[] = new Array<TrieNode | null>(130).fill(null);
const pathSides = new Uint8Array(130);

/** Counts one rule fewer at the `mlen`-bit prefix; prunes nodes left without purpose. */
export function trieRemove(trie: Trie, words: Uint32Array, base: number, mlen: number): void {
  let depth = 0;
  let node = trie.root;
  let ofs = 0;
  pathSides[0] = 0;
  while (node !== null) {
    pathNodes[depth] = node;
    const limit = node.nBits < mlen - ofs ? node.nBits : mlen - ofs;
    const eq = equalBits(node.prefix, limit, words, base, ofs);
    if (eq < node.nBits) return; // Not present: nothing to remove.
    ofs += eq;
    if (ofs === mlen) {
      if (node.nRules === 0) return;
      node.nRules--;
      for (let current: TrieNode = node; current.nRules === 0;) {
        const e0 = current.edge0;
        const e1 = current.edge1;
        if (e0 !== null && e1 !== null) break; // A branching point stays.
        const next = e0 ?? e1;
        if (next !== null) {
          if (current.nBits + next.nBits > NODE_BITS) break; // Cannot merge.
          next.prefix = (current.prefix | (next.prefix >>> current.nBits)) >>> 0;
          next.nBits += current.nBits;
        }
        setEdge(trie, depth === 0 ? null : pathNodes[depth - 1]!, pathSides[depth]!, next);
        if (next !== null || depth === 0) break;
        depth--;
        current = pathNodes[depth]!;
      }
      pathNodes.fill(null, 0, depth + 1);
      return;
    }
    const side = bitAt(words, base, ofs);
    depth++;
    pathSides[depth] = side;
    node = side ? node.edge1 : node.edge0;
  }
}

/**
 * Looks up the `nBits`-bit value at word `base` of `words`. Sets bit (L-1) of `plens` (a bit
 * string, cleared by the caller) for every prefix length L with rules on the value's path, and
 * returns how many leading bits must be un-wildcarded to rule out the longer prefixes not taken.
 */
export function trieLookup(
  trie: Trie,
  words: Uint32Array,
  base: number,
  plens: Uint32Array,
  nBits: number,
): number {
  let prev: TrieNode | null = null;
  let node = trie.root;
  let matched = 0;
  while (node !== null) {
    const eq = equalBits(node.prefix, node.nBits, words, base, matched);
    matched += eq;
    if (eq < node.nBits) return matched + 1; // Includes the first differing bit.
    if (node.nRules > 0) setBitAt(plens, matched - 1);
    if (matched >= nBits) return nBits;
    prev = node;
    node = bitAt(words, base, matched) ? node.edge1 : node.edge0;
  }
  // Fell off a missing edge: the other edge, if any, is told apart by the next bit.
  return prev === null || (prev.edge0 === null && prev.edge1 === null) ? matched : matched + 1;
}
