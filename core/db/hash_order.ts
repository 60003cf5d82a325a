// Upstream's iteration order for string-keyed maps. Open vSwitch keeps JSON objects, schema
// columns and most name-keyed collections in an `shash` (a chained hash map hashed with its
// portable murmur-style `hash_string(name, 0)`), and prints them in bucket order. To produce
// byte-identical files and replies we simulate that map: `hashOrder(keys)` returns the keys in
// the order upstream would iterate them after inserting them in the given order.
// Owns only the hash function and the bucket simulation; knows nothing of JSON or OVSDB.
// Promises: pure, deterministic, never throws. The simulation works on typed arrays (bucket
// heads and next links, as the C hmap does), so ordering n keys costs O(n) and allocates no
// object per key. Must not be used for security purposes.

const encoder = new TextEncoder();

function rot(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function mhashAdd(hash: number, data: number): number {
  if (data !== 0) {
    let d = Math.imul(data, 0xcc9e2d51);
    d = rot(d >>> 0, 15);
    d = Math.imul(d, 0x1b873593);
    hash = (hash ^ d) >>> 0;
  }
  hash = rot(hash, 13);
  return (Math.imul(hash, 5) + 0xe6546b64) >>> 0;
}

function mhashFinish(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** Upstream's `hash_bytes(p, n, basis)` (the portable mhash flavour). */
export function hashBytes(bytes: Uint8Array, basis = 0): number {
  let hash = basis >>> 0;
  let i = 0;
  const n = bytes.length;
  for (; i + 4 <= n; i += 4) {
    const w = (bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>>
      0;
    hash = mhashAdd(hash, w);
  }
  if (i < n) {
    let w = 0;
    for (let j = 0; i + j < n; j++) w |= bytes[i + j]! << (8 * j);
    hash = mhashAdd(hash, w >>> 0);
  }
  return mhashFinish((hash ^ n) >>> 0);
}

/** hash_bytes over the UTF-8 of an ASCII string, without encoding it first. */
function hashAscii(s: string): number {
  let hash = 0;
  let i = 0;
  const n = s.length;
  for (; i + 4 <= n; i += 4) {
    const w = (s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) |
      (s.charCodeAt(i + 3) << 24)) >>> 0;
    hash = mhashAdd(hash, w);
  }
  if (i < n) {
    let w = 0;
    for (let j = 0; i + j < n; j++) w |= s.charCodeAt(i + j) << (8 * j);
    hash = mhashAdd(hash, w >>> 0);
  }
  return mhashFinish((hash ^ n) >>> 0);
}

const NON_ASCII = /[^\u0020-\u007e\t\n\r]/;
const cache = new Map<string, number>();
const CACHE_LIMIT = 65536;

/** Upstream's `hash_string(s, basis)`. */
export function hashString(s: string, basis = 0): number {
  if (basis !== 0) return hashBytes(encoder.encode(s), basis);
  let h = cache.get(s);
  if (h === undefined) {
    h = !NON_ASCII.test(s) ? hashAscii(s) : hashBytes(encoder.encode(s), 0);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(s, h);
  }
  return h;
}

/** Upstream's calc_mask(): the bucket mask for a map holding `capacity` items. */
function calcMask(capacity: number): number {
  let mask = Math.floor(capacity / 2);
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  mask |= (mask & 1) << 1;
  return mask >>> 0;
}

const NONE = -1;

/**
 * A simulation of upstream's `hmap`: items are inserted with a 32-bit hash, iteration follows
 * bucket order, newest first within a bucket, with upstream's growth and rehash rules. Items
 * live in slots (reused after removal); buckets are chains of slot numbers.
 */
export class HashMapOrder<T> {
  #items: (T | undefined)[] = [];
  #hashes = new Uint32Array(4);
  #next = new Int32Array(4);
  #heads = new Int32Array(1).fill(NONE);
  #slots = new Map<T, number>();
  #free: number[] = [];
  #mask = 0;

  get size(): number {
    return this.#slots.size;
  }

  insert(item: T, hash: number): void {
    if (this.#slots.has(item)) this.remove(item);
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.#items.length;
      this.#items.push(item);
      if (slot >= this.#next.length) this.#grow();
    } else this.#items[slot] = item;
    this.#slots.set(item, slot);
    this.#link(slot, hash >>> 0);
  }

  #link(slot: number, hash: number): void {
    this.#hashes[slot] = hash;
    const bucket = hash & this.#mask;
    this.#next[slot] = this.#heads[bucket]!;
    this.#heads[bucket] = slot;
    const n = this.#slots.size;
    if (Math.floor(n / 2) > this.#mask) {
      const mask = calcMask(n);
      if (mask > this.#mask) this.#resize(mask);
    }
  }

  #grow(): void {
    const size = this.#next.length * 2;
    const next = new Int32Array(size);
    next.set(this.#next);
    const hashes = new Uint32Array(size);
    hashes.set(this.#hashes);
    this.#next = next;
    this.#hashes = hashes;
  }

  remove(item: T): void {
    const slot = this.#slots.get(item);
    if (slot === undefined) return;
    this.#slots.delete(item);
    const bucket = this.#hashes[slot]! & this.#mask;
    let prev = NONE;
    for (let s = this.#heads[bucket]!; s !== NONE; prev = s, s = this.#next[s]!) {
      if (s !== slot) continue;
      if (prev === NONE) this.#heads[bucket] = this.#next[s]!;
      else this.#next[prev] = this.#next[s]!;
      break;
    }
    this.#items[slot] = undefined;
    this.#free.push(slot);
  }

  has(item: T): boolean {
    return this.#slots.has(item);
  }

  #resize(mask: number): void {
    const old = this.#heads;
    const heads = new Int32Array(mask + 1).fill(NONE);
    for (let b = 0; b < old.length; b++) {
      for (let s = old[b]!; s !== NONE;) {
        const following = this.#next[s]!;
        const bucket = this.#hashes[s]! & mask;
        this.#next[s] = heads[bucket]!;
        heads[bucket] = s;
        s = following;
      }
    }
    this.#heads = heads;
    this.#mask = mask;
  }

  /** Items in upstream's iteration order. */
  items(): T[] {
    const out: T[] = [];
    this.forEach((item) => out.push(item));
    return out;
  }

  /** Calls `fn` for each item in upstream's iteration order (no array is built). */
  forEach(fn: (item: T) => void): void {
    const heads = this.#heads;
    const next = this.#next;
    const items = this.#items;
    for (let b = 0; b < heads.length; b++) {
      for (let s = heads[b]!; s !== NONE; s = next[s]!) fn(items[s] as T);
    }
  }

  *[Symbol.iterator](): IterableIterator<T> {
    const heads = this.#heads;
    for (let b = 0; b < heads.length; b++) {
      for (let s = heads[b]!; s !== NONE; s = this.#next[s]!) yield this.#items[s] as T;
    }
  }
}

// Scratch space for hashOrder(), grown on demand and reused, so ordering allocates only its
// result.
let scratchHashes = new Uint32Array(64);
let scratchNext = new Int32Array(64);
let scratchHeads = new Int32Array(64);
let scratchHeads2 = new Int32Array(64);

/**
 * `keys` (distinct) in the order upstream's shash iterates them after inserting them in this
 * order.
 */
function orderDistinct(keys: readonly string[]): string[] {
  const n = keys.length;
  if (n < 2) return n === 1 ? [keys[0]!] : [];
  const maxMask = calcMask(n);
  const room = Math.max(n, maxMask + 1);
  if (room > scratchNext.length) {
    let size = scratchNext.length;
    while (size < room) size *= 2;
    scratchHashes = new Uint32Array(size);
    scratchNext = new Int32Array(size);
    scratchHeads = new Int32Array(size);
    scratchHeads2 = new Int32Array(size);
  }
  const hashes = scratchHashes;
  const next = scratchNext;
  let heads = scratchHeads;
  let spare = scratchHeads2;
  let mask = 0;
  heads[0] = NONE;
  for (let i = 0; i < n; i++) {
    const hash = hashString(keys[i]!);
    hashes[i] = hash;
    const bucket = hash & mask;
    next[i] = heads[bucket]!;
    heads[bucket] = i;
    const count = i + 1;
    if (Math.floor(count / 2) <= mask) continue;
    const grown = calcMask(count);
    if (grown <= mask) continue;
    spare.fill(NONE, 0, grown + 1);
    for (let b = 0; b <= mask; b++) {
      for (let s = heads[b]!; s !== NONE;) {
        const following = next[s]!;
        const target = hashes[s]! & grown;
        next[s] = spare[target]!;
        spare[target] = s;
        s = following;
      }
    }
    const t = heads;
    heads = spare;
    spare = t;
    mask = grown;
  }
  const out = new Array<string>(n);
  let o = 0;
  for (let b = 0; b <= mask; b++) {
    for (let s = heads[b]!; s !== NONE; s = next[s]!) out[o++] = keys[s]!;
  }
  return out;
}

/** `keys` in the order upstream's shash iterates them after inserting them in this order. */
export function hashOrder(keys: Iterable<string>): string[] {
  const list = Array.isArray(keys) ? keys as string[] : [...keys];
  if (new Set(list).size !== list.length) return orderDistinct([...new Set(list)]);
  return orderDistinct(list);
}

/**
 * Like `hashOrder`, for keys known to be distinct (an object's own keys), memoised per key list
 * for the small, recurring key sets of OVSDB messages (rows, operations, envelopes).
 */
export function hashOrderDistinct(keys: readonly string[]): readonly string[] {
  const n = keys.length;
  if (n < 2) return keys;
  if (n > 64) return orderDistinct(keys);
  let id = keys[0]!;
  for (let i = 1; i < n; i++) id += "\u0000" + keys[i]!;
  let order = memo.get(id);
  if (order === undefined) {
    order = orderDistinct(keys);
    if (memo.size >= MEMO_LIMIT) memo.clear();
    memo.set(id, order);
  }
  return order;
}

const memo = new Map<string, readonly string[]>();
const MEMO_LIMIT = 8192;

/**
 * `HashMapOrder` for items whose hash the caller can always recompute (a row's UUID): no map
 * from item to slot is kept, removal walks the item's bucket instead. Costs about a dozen bytes
 * per item, which matters for tables of many rows.
 */
export class ChainOrder<T> {
  #items: (T | undefined)[] = [];
  #hashes = new Uint32Array(4);
  #next = new Int32Array(4);
  #heads = new Int32Array(1).fill(NONE);
  #free: number[] = [];
  #mask = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Inserts `item`, which must not be present. */
  insert(item: T, hash: number): void {
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.#items.length;
      this.#items.push(item);
      if (slot >= this.#next.length) this.#grow();
    } else this.#items[slot] = item;
    hash >>>= 0;
    this.#hashes[slot] = hash;
    const bucket = hash & this.#mask;
    this.#next[slot] = this.#heads[bucket]!;
    this.#heads[bucket] = slot;
    this.#size++;
    if (Math.floor(this.#size / 2) > this.#mask) {
      const mask = calcMask(this.#size);
      if (mask > this.#mask) this.#resize(mask);
    }
  }

  #grow(): void {
    const size = this.#next.length * 2;
    const next = new Int32Array(size);
    next.set(this.#next);
    const hashes = new Uint32Array(size);
    hashes.set(this.#hashes);
    this.#next = next;
    this.#hashes = hashes;
  }

  #resize(mask: number): void {
    const old = this.#heads;
    const heads = new Int32Array(mask + 1).fill(NONE);
    for (let b = 0; b < old.length; b++) {
      for (let s = old[b]!; s !== NONE;) {
        const following = this.#next[s]!;
        const bucket = this.#hashes[s]! & mask;
        this.#next[s] = heads[bucket]!;
        heads[bucket] = s;
        s = following;
      }
    }
    this.#heads = heads;
    this.#mask = mask;
  }

  /** Removes `item` (inserted with `hash`); false when it is not present. */
  remove(item: T, hash: number): boolean {
    const bucket = (hash >>> 0) & this.#mask;
    let prev = NONE;
    for (let s = this.#heads[bucket]!; s !== NONE; prev = s, s = this.#next[s]!) {
      if (this.#items[s] !== item) continue;
      if (prev === NONE) this.#heads[bucket] = this.#next[s]!;
      else this.#next[prev] = this.#next[s]!;
      this.#items[s] = undefined;
      this.#free.push(s);
      this.#size--;
      return true;
    }
    return false;
  }

  /** Items in upstream's iteration order. */
  items(): T[] {
    const out: T[] = [];
    this.forEach((item) => out.push(item));
    return out;
  }

  /** Calls `fn` for each item in upstream's iteration order (no array is built). */
  forEach(fn: (item: T) => void): void {
    const heads = this.#heads;
    const next = this.#next;
    const items = this.#items;
    for (let b = 0; b < heads.length; b++) {
      for (let s = heads[b]!; s !== NONE; s = next[s]!) fn(items[s] as T);
    }
  }

  *[Symbol.iterator](): IterableIterator<T> {
    const heads = this.#heads;
    for (let b = 0; b < heads.length; b++) {
      for (let s = heads[b]!; s !== NONE; s = this.#next[s]!) yield this.#items[s] as T;
    }
  }
}
