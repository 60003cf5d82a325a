import assert from "node:assert/strict";
import {
  type Collection,
  type Delta,
  type Row,
  steadyTime,
  Store,
} from "../../core/monitor/store.ts";
import { monitorPage } from "../../core/monitor/page.ts";
import { MONITOR_SCRIPT } from "../../core/monitor/page_script.ts";

function collection(columns: string[], rows: [string, Row][]): Collection {
  return { columns, rows: new Map(rows) };
}

/** A client's copy, built the way the page builds it: the full state, then each delta. */
function replay(full: ReturnType<Store["full"]>, deltas: Delta[]): Record<string, [string, Row][]> {
  const held = new Map<string, Map<string, Row>>();
  for (const [name, c] of Object.entries(full.collections)) held.set(name, new Map(c.rows));
  let seq = full.seq;
  for (const delta of deltas) {
    assert.equal(delta.seq, seq + 1, "deltas follow one another");
    seq = delta.seq;
    for (const name of delta.drop) held.delete(name);
    for (const [name, change] of Object.entries(delta.changes)) {
      if (change.columns) held.set(name, new Map());
      const rows = held.get(name)!;
      for (const [key, row] of change.set) rows.set(key, row);
      for (const key of change.del) rows.delete(key);
    }
  }
  const out: Record<string, [string, Row][]> = {};
  for (const [name, rows] of [...held].sort()) out[name] = [...rows].sort();
  return out;
}

function snapshot(store: Store): Record<string, [string, Row][]> {
  return replay(store.full(), []);
}

Deno.test("the store sends only the rows that changed, and a client replaying the deltas matches it", () => {
  const store = new Store();
  const cols = ["n_packets", "actions"];
  const start = store.full();
  const deltas: Delta[] = [];
  const first = store.replace(
    "switch",
    new Map([["flows/br0", collection(cols, [["a", [0, "drop"]], ["b", [5, "output:2"]]])]]),
  );
  assert.ok(first);
  assert.deepEqual(first.changes["flows/br0"]?.columns, cols, "a new collection comes whole");
  deltas.push(first);

  const second = store.replace(
    "switch",
    new Map([["flows/br0", collection(cols, [["b", [7, "output:2"]], ["c", [0, "NORMAL"]]])]]),
  );
  assert.ok(second);
  assert.deepEqual(second.changes["flows/br0"], {
    set: [["b", [7, "output:2"]], ["c", [0, "NORMAL"]]],
    del: ["a"],
  });
  deltas.push(second);

  const same = store.replace(
    "switch",
    new Map([["flows/br0", collection(cols, [["b", [7, "output:2"]], ["c", [0, "NORMAL"]]])]]),
  );
  assert.equal(same, undefined, "an unchanged refresh sends nothing");

  const db = store.replace("db", new Map([["db/Bridge", collection(["name"], [["u1", ["br0"]]])]]));
  assert.ok(db);
  deltas.push(db);
  // A source's refresh drops its own collections that it no longer lists, not the other's.
  const dropped = store.replace("switch", new Map());
  assert.ok(dropped);
  assert.deepEqual(dropped.drop, ["flows/br0"]);
  deltas.push(dropped);
  assert.deepEqual(replay(start, deltas), snapshot(store));
  assert.deepEqual(Object.keys(snapshot(store)), ["db/Bridge"]);
  assert.throws(
    () => store.replace("switch", new Map([["db/Bridge", collection(["name"], [])]])),
    RangeError,
  );
});

Deno.test("steady times keep an estimate from a coarse age until it really moves", () => {
  assert.equal(steadyTime(undefined, 1000.4), 1000);
  assert.equal(steadyTime(1000, 1900), 1000, "a second of rounding keeps the old time");
  assert.equal(steadyTime(1000, 5000), 5000, "a reset age (a re-added flow) moves it");
  assert.equal(steadyTime(null, 7000), 7000);
});

Deno.test("the page embeds the state so no value can close its script or add markup", () => {
  const state = JSON.stringify({
    seq: 1,
    now: 0,
    collections: { x: { columns: ["v"], rows: [["k", ["</script><b>"]]] } },
  });
  const page = monitorPage(state);
  const embedded = /<script id="initial" type="application\/json">(.*?)<\/script>/s.exec(page);
  assert.ok(embedded);
  assert.ok(!embedded[1]!.includes("<"), "every < is escaped");
  assert.deepEqual(JSON.parse(embedded[1]!), JSON.parse(state));
  assert.ok(
    !page.includes("http://") && !page.includes("https://"),
    "the page loads nothing from elsewhere",
  );
});

Deno.test("the page's script is valid JavaScript", () => {
  // Parsing (not running) it catches a syntax slip in the template strings.
  assert.doesNotThrow(() => new Function(MONITOR_SCRIPT));
  assert.ok(!MONITOR_SCRIPT.includes("</script"));
});
