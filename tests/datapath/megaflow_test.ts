import assert from "node:assert/strict";
import {
  FLOW_WORDS,
  type FlowWords,
  maskedEquals,
  newFlowWords,
  W_DL_SRC,
  W_DL_TYPE_VLAN,
  W_IN_PORT,
  W_NW_DST,
  W_NW_SRC,
  W_TP,
} from "../../core/datapath/flow.ts";
import {
  formatUfid,
  type Megaflow,
  MegaflowCache,
  parseUfid,
} from "../../core/datapath/megaflow.ts";

/** A small deterministic PRNG (xorshift32). */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

const MASK_SHAPES: [number, number][][] = [
  [[W_IN_PORT, 0xffffffff], [W_DL_TYPE_VLAN, 0xffff0000]],
  [[W_IN_PORT, 0xffffffff], [W_NW_DST, 0xffffff00]],
  [[W_IN_PORT, 0xffffffff], [W_NW_SRC, 0xffffffff], [W_TP, 0x0000ffff]],
  [[W_IN_PORT, 0xffffffff], [W_DL_SRC, 0xffff], [W_DL_SRC + 1, 0xffffffff]],
];

function makeMask(shape: [number, number][]): FlowWords {
  const mask = newFlowWords();
  for (const [w, m] of shape) mask[w] = m;
  return mask;
}

function randomKey(random: () => number): FlowWords {
  const key = newFlowWords();
  key[W_IN_PORT] = 1 + Math.floor(random() * 3);
  key[W_DL_TYPE_VLAN] = (random() < 0.5 ? 0x0800 : 0x86dd) << 16;
  key[W_NW_SRC] = 0x0a000000 | Math.floor(random() * 8);
  key[W_NW_DST] = 0x0a000000 | (Math.floor(random() * 4) << 8) | Math.floor(random() * 256);
  key[W_TP] = Math.floor(random() * 4);
  key[W_DL_SRC] = Math.floor(random() * 2);
  key[W_DL_SRC + 1] = Math.floor(random() * 4);
  return key;
}

Deno.test("megaflow lookups agree with a brute-force search over every installed flow", () => {
  const random = rng(42);
  const cache = new MegaflowCache({ emcInsertInvProb: 1, random, ufidBasis: 1 });
  const installed: Megaflow[] = [];
  for (let i = 0; i < 300; i++) {
    const key = randomKey(random);
    const mask = makeMask(MASK_SHAPES[i % MASK_SHAPES.length]!);
    const flow = cache.insert(key, mask, [{ type: "output", port: i }], 0);
    if (flow) installed.push(flow);
  }
  assert.equal(cache.maskCount, MASK_SHAPES.length);
  // Delete a third, then check lookups.
  for (let i = 0; i < installed.length; i += 3) cache.remove(installed[i]!);
  const live = installed.filter((f) => f.alive);
  assert.equal(cache.size, live.length);
  let hits = 0;
  for (let i = 0; i < 3000; i++) {
    const key = randomKey(random);
    const matching = live.filter((f) => maskedEquals(key, f.key, f.mask));
    const found = cache.lookup(key);
    if (matching.length === 0) {
      assert.equal(found, undefined);
    } else {
      hits++;
      assert.ok(found && matching.includes(found), "a matching flow is returned");
    }
    const hash = cache.emcHash(key);
    const viaEmc = cache.emcLookup(key, hash);
    if (viaEmc) assert.ok(matching.includes(viaEmc), "the EMC returns only live matching flows");
    else if (found) cache.emcInsert(key, hash, found);
  }
  assert.ok(hits > 100, `enough lookups hit (${hits})`);
  assert.ok(cache.counters.maskHit > 0);
});

Deno.test("the exact-match cache never returns a deleted flow", () => {
  const cache = new MegaflowCache({ emcInsertInvProb: 1 });
  const key = randomKey(rng(7));
  const flow = cache.insert(key, makeMask(MASK_SHAPES[0]!), [], 0)!;
  const hash = cache.emcHash(key);
  cache.emcInsert(key, hash, flow);
  assert.equal(cache.emcLookup(key, hash), flow);
  cache.remove(flow);
  assert.equal(cache.emcLookup(key, hash), undefined);
  assert.equal(cache.lookup(key), undefined);
  assert.equal(cache.getByUfid(flow.ufid), undefined);
  assert.equal(cache.maskCount, 0, "an empty subtable goes away");
  // A new flow for the same key replaces the stale entry.
  const again = cache.insert(key, makeMask(MASK_SHAPES[0]!), [], 0)!;
  cache.emcInsert(key, hash, again);
  assert.equal(cache.emcLookup(key, hash), again);
  cache.flush();
  assert.equal(cache.emcLookup(key, hash), undefined);
});

Deno.test("the flow budget refuses or evicts the least recently used flow", () => {
  const cache = new MegaflowCache({ flowLimit: 3 });
  const random = rng(3);
  const mask = makeMask(MASK_SHAPES[1]!);
  const keys = Array.from({ length: 5 }, (_, i) => {
    const k = randomKey(random);
    k[W_NW_DST] = 0x0a000000 + (i << 8);
    return k;
  });
  const flows = keys.slice(0, 3).map((k, i) =>
    cache.insert(k, mask, [], i, { enforceLimit: true })!
  );
  assert.equal(cache.size, 3);
  assert.equal(cache.insert(keys[3]!, mask, [], 3, { enforceLimit: true }), undefined);
  // Without enforceLimit (dpctl/add-flow), the budget does not apply.
  const extra = cache.insert(keys[3]!, mask, [], 3)!;
  assert.equal(cache.size, 4);
  cache.remove(extra);
  // Touch the oldest: the second one becomes least recently used.
  cache.account(flows[0]!, 1, 64, 0, 10);
  const newest = cache.insert(keys[4]!, mask, [], 11, { enforceLimit: true, evict: true });
  assert.ok(newest);
  assert.equal(cache.size, 3);
  assert.equal(flows[1]!.alive, false, "the least recently used flow was evicted");
  assert.ok(flows[0]!.alive && flows[2]!.alive);
  assert.deepEqual(cache.evictTo(1).map((f) => f.ufid), [flows[2]!.ufid, flows[0]!.ufid]);
});

Deno.test("idle expiry removes flows unused for longer than the idle time, and only those", () => {
  const cache = new MegaflowCache();
  const random = rng(11);
  const mask = makeMask(MASK_SHAPES[2]!);
  const flows: Megaflow[] = [];
  for (let t = 0; t < 4; t++) {
    const key = randomKey(random);
    key[W_NW_SRC] = t;
    flows.push(cache.insert(key, mask, [], t * 10)!);
  }
  cache.account(flows[0]!, 2, 128, 0x12, 35);
  const expired = cache.expireIdle(40, 15);
  assert.deepEqual(expired, [flows[1]!, flows[2]!]);
  assert.equal(cache.size, 2);
  assert.deepEqual(cache.expireIdle(40, 15), []);
  assert.deepEqual(cache.expireIdle(100, 15).length, 2);
});

Deno.test("flow statistics accumulate packets, bytes, TCP flags and the last use", () => {
  const cache = new MegaflowCache();
  const flow = cache.insert(randomKey(rng(5)), makeMask(MASK_SHAPES[0]!), [], 0)!;
  assert.deepEqual(flow.stats, { packets: 0, bytes: 0, used: 0, tcpFlags: 0 });
  cache.account(flow, 3, 300, 0x002, 100);
  cache.account(flow, 1, 60, 0x010, 250);
  assert.deepEqual(flow.stats, { packets: 4, bytes: 360, used: 250, tcpFlags: 0x012 });
});

Deno.test("ufids come from the key, are stable and print as UUIDs", () => {
  const a = new MegaflowCache({ ufidBasis: 99 });
  const b = new MegaflowCache({ ufidBasis: 99 });
  const key = randomKey(rng(9));
  const other = Uint32Array.from(key);
  other[W_TP] = other[W_TP]! ^ 1;
  assert.equal(a.ufidForKey(key), b.ufidForKey(key));
  assert.notEqual(a.ufidForKey(key), a.ufidForKey(other));
  assert.match(a.ufidForKey(key), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(
    formatUfid([0x066d7ffd, 0x64604343, 0xa2659fe5, 0x4f1f99da]),
    "066d7ffd-6460-4343-a265-9fe54f1f99da",
  );
  assert.equal(
    parseUfid("066D7FFD-6460-4343-A265-9FE54F1F99DA"),
    "066d7ffd-6460-4343-a265-9fe54f1f99da",
  );
  assert.equal(parseUfid("066d7ffd-6460"), undefined);
  const flow = a.insert(key, makeMask(MASK_SHAPES[0]!), [], 0)!;
  assert.equal(flow.ufid, a.ufidForKey(key));
  assert.equal(a.insert(key, makeMask(MASK_SHAPES[1]!), [], 0), undefined, "a ufid is unique");
  assert.equal(FLOW_WORDS, key.length);
});
