import assert from "node:assert/strict";
import {
  ChainOrder,
  hashBytes,
  HashMapOrder,
  hashOrder,
  hashOrderDistinct,
  hashString,
} from "../../core/db/hash_order.ts";

/**
 * The plainest model of upstream's hmap: an array per bucket, insertion at the head, and on
 * growth every item re-inserted at the head of its new bucket in old iteration order.
 */
class ModelHmap {
  buckets: string[][] = [[]];
  hashes = new Map<string, number>();
  mask = 0;

  insert(item: string, hash: number): void {
    this.hashes.set(item, hash >>> 0);
    this.buckets[(hash >>> 0) & this.mask]!.unshift(item);
    if (Math.floor(this.hashes.size / 2) > this.mask) {
      let mask = Math.floor(this.hashes.size / 2);
      for (const shift of [1, 2, 4, 8, 16]) mask |= mask >>> shift;
      mask |= (mask & 1) << 1;
      if (mask > this.mask) {
        const old = this.buckets;
        this.mask = mask;
        this.buckets = Array.from({ length: mask + 1 }, () => []);
        for (const bucket of old) {
          for (const x of bucket) this.buckets[this.hashes.get(x)! & mask]!.unshift(x);
        }
      }
    }
  }

  remove(item: string): void {
    const hash = this.hashes.get(item);
    if (hash === undefined) return;
    this.hashes.delete(item);
    const bucket = this.buckets[hash & this.mask]!;
    bucket.splice(bucket.indexOf(item), 1);
  }

  items(): string[] {
    return this.buckets.flat();
  }
}

function random(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

function randomKey(next: () => number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz_0123456789-é";
  let s = "";
  const n = 1 + (next() % 12);
  for (let i = 0; i < n; i++) s += alphabet[next() % alphabet.length];
  return s;
}

Deno.test("hashOrder matches a plain simulation of upstream's hmap for many key sets", () => {
  const next = random(12345);
  for (let trial = 0; trial < 400; trial++) {
    const n = trial < 100 ? trial : next() % 600;
    const keys = new Set<string>();
    while (keys.size < n) keys.add(randomKey(next));
    const model = new ModelHmap();
    for (const k of keys) model.insert(k, hashString(k));
    assert.deepEqual(hashOrder([...keys]), model.items());
    assert.deepEqual([...hashOrderDistinct([...keys])], model.items());
    // Memoised: the same list again gives the same order.
    assert.deepEqual([...hashOrderDistinct([...keys])], model.items());
  }
});

Deno.test("hashOrder keeps the first of repeated keys", () => {
  assert.deepEqual(hashOrder(["a", "b", "a"]), hashOrder(["a", "b"]));
});

Deno.test("HashMapOrder and ChainOrder follow the model through inserts and removals", () => {
  const next = random(777);
  const map = new HashMapOrder<string>();
  const chain = new ChainOrder<string>();
  const model = new ModelHmap();
  const present: string[] = [];
  const hashes = new Map<string, number>();
  for (let step = 0; step < 5000; step++) {
    if (present.length > 0 && next() % 3 === 0) {
      const [item] = present.splice(next() % present.length, 1);
      map.remove(item!);
      assert.ok(chain.remove(item!, hashes.get(item!)!));
      model.remove(item!);
    } else {
      const item = `${step}-${randomKey(next)}`;
      // Some hashes collide in every bucket, to exercise chains.
      const hash = next() % 5 === 0 ? 7 : next();
      hashes.set(item, hash);
      map.insert(item, hash);
      chain.insert(item, hash);
      model.insert(item, hash);
      present.push(item);
    }
    if (step % 97 === 0) {
      assert.deepEqual(map.items(), model.items());
      assert.deepEqual([...map], model.items());
      assert.deepEqual(chain.items(), model.items());
      assert.deepEqual([...chain], model.items());
    }
  }
  assert.equal(map.size, present.length);
  assert.equal(chain.size, present.length);
  assert.ok(map.has(present[0]!));
  assert.ok(!map.has("absent"));
  assert.equal(chain.remove("absent", 7), false);
});

Deno.test("hash_string of non-ASCII text hashes its UTF-8 bytes", () => {
  const text = "naïve-😀";
  assert.equal(hashString(text), hashBytes(new TextEncoder().encode(text)));
  assert.equal(hashString("abcdefg"), hashBytes(new TextEncoder().encode("abcdefg")));
});
