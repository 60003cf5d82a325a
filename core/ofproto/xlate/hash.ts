// Upstream's hash functions as translation uses them (lib/hash.h in its portable "mhash" flavour,
// which the x86-64 Debian build uses, and lib/jhash.c), plus a simulation of the iteration order
// of upstream's chained hash map (lib/hmap.c) for maps keyed by small integers. Translation needs
// bit-exact hashes where they decide outputs (select-group buckets, multipath links, bundle
// members) and the hmap order where upstream iterates one (FLOOD/ALL go over a bridge's ports in
// hmap order of hash_int(ofp_port, 0)).
//
// Promises: pure functions of their inputs; hashes return unsigned 32-bit numbers. Byte-oriented
// hashes read memory as upstream does on a little-endian machine. Never allocates on the hashing
// paths; the hmap simulation allocates (its callers cache the result).

function rot(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** mhash_add: mixes one 32-bit word into `hash`. */
export function hashAdd(hash: number, data: number): number {
  data >>>= 0;
  if (data !== 0) {
    let d = Math.imul(data, 0xcc9e2d51);
    d = rot(d >>> 0, 15);
    d = Math.imul(d, 0x1b873593);
    hash = (hash ^ d) >>> 0;
  }
  hash = rot(hash >>> 0, 13);
  return (Math.imul(hash, 5) + 0xe6546b64) >>> 0;
}

/** hash_add64: the low word, then the high word. */
export function hashAdd64(hash: number, lo: number, hi: number): number {
  return hashAdd(hashAdd(hash, lo), hi);
}

function mhashFinish(hash: number): number {
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** hash_finish(hash, final). */
export function hashFinish(hash: number, final: number): number {
  return mhashFinish((hash ^ final) >>> 0);
}

/** hash_2words(x, y). */
export function hash2Words(x: number, y: number): number {
  return hashFinish(hashAdd(hashAdd(x >>> 0, 0), y >>> 0), 8);
}

/** hash_int(x, basis). */
export function hashInt(x: number, basis: number): number {
  return hash2Words(x, basis);
}

/** hash_uint64_basis(x, basis) for x as a bigint. */
export function hashUint64Basis(x: bigint, basis: number): number {
  const lo = Number(x & 0xffffffffn);
  const hi = Number((x >> 32n) & 0xffffffffn);
  return hashFinish(hashAdd64(basis >>> 0, lo, hi), 8);
}

/** hash_uint64(x). */
export function hashUint64(x: bigint): number {
  return hashUint64Basis(x, 0);
}

/** hash_boolean(x, basis). */
export function hashBoolean(x: boolean, basis: number): number {
  const P0 = 0xc2b73583;
  const P1 = 0xe90f1258;
  return ((x ? P0 : P1) ^ rot(basis >>> 0, 1)) >>> 0;
}

function le32(b: Uint8Array, i: number): number {
  return ((b[i] ?? 0) | ((b[i + 1] ?? 0) << 8) | ((b[i + 2] ?? 0) << 16) |
    ((b[i + 3] ?? 0) << 24)) >>>
    0;
}

/** hash_bytes(p, n, basis) over `bytes[0 .. n)`. */
export function hashBytes(bytes: Uint8Array, n: number, basis: number): number {
  let hash = basis >>> 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) hash = hashAdd(hash, le32(bytes, i));
  if (i < n) {
    let w = 0;
    for (let j = 0; i + j < n; j++) w |= (bytes[i + j] ?? 0) << (8 * j);
    hash = hashAdd(hash, w >>> 0);
  }
  return hashFinish(hash, n);
}

// ---- jhash ----

let ja = 0;
let jb = 0;
let jc = 0;

function jmix(): void {
  ja = (ja - jc) >>> 0;
  ja = (ja ^ rot(jc, 4)) >>> 0;
  jc = (jc + jb) >>> 0;
  jb = (jb - ja) >>> 0;
  jb = (jb ^ rot(ja, 6)) >>> 0;
  ja = (ja + jc) >>> 0;
  jc = (jc - jb) >>> 0;
  jc = (jc ^ rot(jb, 8)) >>> 0;
  jb = (jb + ja) >>> 0;
  ja = (ja - jc) >>> 0;
  ja = (ja ^ rot(jc, 16)) >>> 0;
  jc = (jc + jb) >>> 0;
  jb = (jb - ja) >>> 0;
  jb = (jb ^ rot(ja, 19)) >>> 0;
  ja = (ja + jc) >>> 0;
  jc = (jc - jb) >>> 0;
  jc = (jc ^ rot(jb, 4)) >>> 0;
  jb = (jb + ja) >>> 0;
}

function jfinal(): void {
  jc = (jc ^ jb) >>> 0;
  jc = (jc - rot(jb, 14)) >>> 0;
  ja = (ja ^ jc) >>> 0;
  ja = (ja - rot(jc, 11)) >>> 0;
  jb = (jb ^ ja) >>> 0;
  jb = (jb - rot(ja, 25)) >>> 0;
  jc = (jc ^ jb) >>> 0;
  jc = (jc - rot(jb, 16)) >>> 0;
  ja = (ja ^ jc) >>> 0;
  ja = (ja - rot(jc, 4)) >>> 0;
  jb = (jb ^ ja) >>> 0;
  jb = (jb - rot(ja, 14)) >>> 0;
  jc = (jc ^ jb) >>> 0;
  jc = (jc - rot(jb, 24)) >>> 0;
}

/** jhash_bytes(p, n, basis) over `bytes[0 .. n)`. */
export function jhashBytes(bytes: Uint8Array, n: number, basis: number): number {
  ja = jb = jc = (0xdeadbeef + n + (basis >>> 0)) >>> 0;
  let i = 0;
  let left = n;
  while (left >= 12) {
    ja = (ja + le32(bytes, i)) >>> 0;
    jb = (jb + le32(bytes, i + 4)) >>> 0;
    jc = (jc + le32(bytes, i + 8)) >>> 0;
    jmix();
    left -= 12;
    i += 12;
  }
  if (left) {
    let t0 = 0;
    let t1 = 0;
    let t2 = 0;
    for (let k = 0; k < left; k++) {
      const byte = (bytes[i + k] ?? 0) << (8 * (k & 3));
      if (k < 4) t0 |= byte;
      else if (k < 8) t1 |= byte;
      else t2 |= byte;
    }
    ja = (ja + (t0 >>> 0)) >>> 0;
    jb = (jb + (t1 >>> 0)) >>> 0;
    jc = (jc + (t2 >>> 0)) >>> 0;
    jfinal();
  }
  return jc;
}

// ---- hmap iteration order ----

function calcMask(capacity: number): number {
  let mask = Math.floor(capacity / 2);
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  mask |= (mask & 1) << 1;
  return mask;
}

/**
 * The order in which upstream's HMAP_FOR_EACH visits `items` after they were inserted, in the
 * given order, into an empty hmap with hmap_insert (head insertion, expansion as upstream).
 */
export function hmapOrder<T>(items: readonly T[], hash: (item: T) => number): T[] {
  let mask = 0;
  let buckets: { item: T; hash: number }[][] = [[]];
  let n = 0;
  const resize = (newMask: number) => {
    const old = buckets;
    buckets = Array.from({ length: newMask + 1 }, () => []);
    mask = newMask;
    for (const chain of old) {
      for (const node of chain) buckets[node.hash & mask]!.unshift(node);
    }
  };
  for (const item of items) {
    const h = hash(item) >>> 0;
    buckets[h & mask]!.unshift({ item, hash: h });
    n++;
    if (n >>> 1 > mask) {
      const newMask = calcMask(n);
      if (newMask > mask) resize(newMask);
    }
  }
  const out: T[] = [];
  for (const chain of buckets) for (const node of chain) out.push(node.item);
  return out;
}
