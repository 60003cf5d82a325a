// Upstream's iteration order for string-keyed maps. Open vSwitch keeps JSON objects, schema
// columns and most name-keyed collections in an `shash` (a chained hash map hashed with its
// portable murmur-style `hash_string(name, 0)`), and prints them in bucket order. To produce
// byte-identical files and replies we simulate that map: `hashOrder(keys)` returns the keys in
// the order upstream would iterate them after inserting them in the given order.
// Owns only the hash function and the bucket simulation; knows nothing of JSON or OVSDB.
// Promises: pure, deterministic, never throws. Must not be used for security purposes.

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

const cache = new Map<string, number>();
const CACHE_LIMIT = 65536;

/** Upstream's `hash_string(s, basis)`. */
export function hashString(s: string, basis = 0): number {
  if (basis !== 0) return hashBytes(encoder.encode(s), basis);
  let h = cache.get(s);
  if (h === undefined) {
    h = hashBytes(encoder.encode(s), 0);
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(s, h);
  }
  return h;
}

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

/**
 * A simulation of upstream's `hmap`: items are inserted with a 32-bit hash, iteration follows
 * bucket order, newest first within a bucket, with upstream's growth and rehash rules.
 */
export class HashMapOrder<T> {
  #buckets: T[][] = [[]];
  #hashes = new Map<T, number>();
  #mask = 0;

  get size(): number {
    return this.#hashes.size;
  }

  insert(item: T, hash: number): void {
    this.#hashes.set(item, hash >>> 0);
    this.#buckets[(hash >>> 0) & this.#mask]!.unshift(item);
    if (Math.floor(this.#hashes.size / 2) > this.#mask) {
      const mask = calcMask(this.#hashes.size);
      if (mask > this.#mask) this.#resize(mask);
    }
  }

  remove(item: T): void {
    const hash = this.#hashes.get(item);
    if (hash === undefined) return;
    this.#hashes.delete(item);
    const bucket = this.#buckets[hash & this.#mask]!;
    const i = bucket.indexOf(item);
    if (i >= 0) bucket.splice(i, 1);
  }

  has(item: T): boolean {
    return this.#hashes.has(item);
  }

  #resize(mask: number): void {
    const old = this.#buckets;
    this.#mask = mask;
    this.#buckets = Array.from({ length: mask + 1 }, () => []);
    for (const bucket of old) {
      for (const item of bucket) {
        this.#buckets[this.#hashes.get(item)! & mask]!.unshift(item);
      }
    }
  }

  /** Items in upstream's iteration order. */
  items(): T[] {
    const out: T[] = [];
    for (const bucket of this.#buckets) out.push(...bucket);
    return out;
  }
}

/** `keys` in the order upstream's shash iterates them after inserting them in this order. */
export function hashOrder(keys: Iterable<string>): string[] {
  const map = new HashMapOrder<string>();
  for (const k of keys) {
    if (!map.has(k)) map.insert(k, hashString(k));
  }
  return map.items();
}
