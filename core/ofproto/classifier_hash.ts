// Hash tables keyed by the classifier's 30-bit hashes: open addressing with linear probing over
// typed arrays, so a probe touches one or two cache lines and never allocates (a Map keyed by
// numbers costs more per lookup at 100k entries). Keys must be non-negative 30-bit integers that
// are already well mixed: the low bits pick the slot. Deletion shifts later entries back, so no
// tombstones accumulate. Owns nothing else.

const EMPTY = -1;
const MIN_CAPACITY = 8;

function slotsFor(n: number): number {
  let capacity = MIN_CAPACITY;
  while (capacity < n * 2) capacity *= 2;
  return capacity;
}

/** Key → value. */
export class IntTable<V> {
  #keys: Int32Array = new Int32Array(MIN_CAPACITY).fill(EMPTY);
  #values: (V | undefined)[] = new Array<V | undefined>(MIN_CAPACITY).fill(undefined);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  #slot(key: number): number {
    const keys = this.#keys;
    const mask = keys.length - 1;
    let i = key & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key || k === EMPTY) return i;
      i = (i + 1) & mask;
    }
  }

  get(key: number): V | undefined {
    const i = this.#slot(key);
    return this.#keys[i] === key ? this.#values[i] : undefined;
  }

  set(key: number, value: V): void {
    let i = this.#slot(key);
    if (this.#keys[i] !== key) {
      if ((this.#size + 1) * 2 > this.#keys.length) {
        this.#rehash(slotsFor(this.#size + 1));
        i = this.#slot(key);
      }
      this.#keys[i] = key;
      this.#size++;
    }
    this.#values[i] = value;
  }

  delete(key: number): boolean {
    const i = this.#slot(key);
    if (this.#keys[i] !== key) return false;
    removeAt(this.#keys, this.#values, undefined, i);
    this.#size--;
    if (this.#keys.length > MIN_CAPACITY && this.#size * 8 < this.#keys.length) {
      this.#rehash(slotsFor(this.#size));
    }
    return true;
  }

  /** Every value (order unspecified); the table must not change during the walk. */
  *values(): IterableIterator<V> {
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) yield this.#values[i]!;
  }

  #rehash(capacity: number): void {
    const oldKeys = this.#keys;
    const oldValues = this.#values;
    this.#keys = new Int32Array(capacity).fill(EMPTY);
    this.#values = new Array<V | undefined>(capacity).fill(undefined);
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k === EMPTY) continue;
      const j = this.#slot(k);
      this.#keys[j] = k;
      this.#values[j] = oldValues[i];
    }
  }
}

/** Key → positive count (a multiset of hashes, as upstream's ccmap). */
export class IntCounts {
  #keys: Int32Array = new Int32Array(MIN_CAPACITY).fill(EMPTY);
  #counts: Int32Array = new Int32Array(MIN_CAPACITY);
  #size = 0;

  get size(): number {
    return this.#size;
  }

  #slot(key: number): number {
    const keys = this.#keys;
    const mask = keys.length - 1;
    let i = key & mask;
    for (;;) {
      const k = keys[i]!;
      if (k === key || k === EMPTY) return i;
      i = (i + 1) & mask;
    }
  }

  has(key: number): boolean {
    return this.#keys[this.#slot(key)] === key;
  }

  /** Adds `delta` to the key's count; a count reaching zero removes the key. */
  add(key: number, delta: number): void {
    let i = this.#slot(key);
    if (this.#keys[i] !== key) {
      if (delta <= 0) return;
      if ((this.#size + 1) * 2 > this.#keys.length) {
        this.#rehash(slotsFor(this.#size + 1));
        i = this.#slot(key);
      }
      this.#keys[i] = key;
      this.#counts[i] = 0;
      this.#size++;
    }
    const count = this.#counts[i]! + delta;
    if (count > 0) {
      this.#counts[i] = count;
      return;
    }
    removeAt(this.#keys, undefined, this.#counts, i);
    this.#size--;
    if (this.#keys.length > MIN_CAPACITY && this.#size * 8 < this.#keys.length) {
      this.#rehash(slotsFor(this.#size));
    }
  }

  #rehash(capacity: number): void {
    const oldKeys = this.#keys;
    const oldCounts = this.#counts;
    this.#keys = new Int32Array(capacity).fill(EMPTY);
    this.#counts = new Int32Array(capacity);
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i]!;
      if (k === EMPTY) continue;
      const j = this.#slot(k);
      this.#keys[j] = k;
      this.#counts[j] = oldCounts[i]!;
    }
  }
}

/** Empties slot `hole` and shifts back the entries of its probe run that may move into it. */
function removeAt<V>(
  keys: Int32Array,
  values: (V | undefined)[] | undefined,
  counts: Int32Array | undefined,
  hole: number,
): void {
  const mask = keys.length - 1;
  let i = hole;
  let j = hole;
  for (;;) {
    j = (j + 1) & mask;
    const k = keys[j]!;
    if (k === EMPTY) break;
    const home = k & mask;
    // The entry at j may fill the hole at i unless its home lies cyclically in (i, j].
    const stays = i <= j ? i < home && home <= j : i < home || home <= j;
    if (stays) continue;
    keys[i] = k;
    if (values) values[i] = values[j];
    if (counts) counts[i] = counts[j]!;
    i = j;
  }
  keys[i] = EMPTY;
  if (values) values[i] = undefined;
  if (counts) counts[i] = 0;
}
