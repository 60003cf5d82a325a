import assert from "node:assert/strict";
import { type Json, parseOvsJson, toOvsJson } from "../../core/db/json.ts";
import { schemaFromJson } from "../../core/db/schema.ts";
import { Database } from "../../core/db/database.ts";
import { LockManager } from "../../core/db/lock.ts";
import { SETUP_TXN, TEST_SCHEMA, U1, U2, UB1, UB2 } from "./support.ts";

async function setup(): Promise<Database> {
  const db = new Database(schemaFromJson(TEST_SCHEMA));
  const r = await db.execute(parseOvsJson(SETUP_TXN));
  assert.ok(!toOvsJson(r).includes("error"), toOvsJson(r));
  return db;
}

async function tx(db: Database, ops: string): Promise<string> {
  return toOvsJson(await db.execute(parseOvsJson(`["test",${ops}]`)), { sort: true });
}

function rows(db: Database, table: string): number {
  return db.tables.get(table)!.size;
}

Deno.test("a transaction with an error leaves no trace", async () => {
  const db = await setup();
  const out = await tx(
    db,
    `{"op":"insert","table":"B","row":{"n":9}},{"op":"delete","table":"A","where":[]},{"op":"abort"}`,
  );
  assert.ok(out.endsWith(`{"details":"aborted by request","error":"aborted"}]`), out);
  assert.equal(rows(db, "A"), 2);
  assert.equal(rows(db, "B"), 2);
  assert.equal(db.tables.get("B")!.refCount(UB1), 1);
});

Deno.test("results are shaped as upstream's: uuid, rows, count, empty, trailing nulls", async () => {
  const db = await setup();
  const out = await tx(
    db,
    `{"op":"insert","table":"A","uuid":"33333333-3333-3333-3333-333333333333","row":{"name":"x"}},` +
      `{"op":"select","table":"A","where":[["name","==","x"]],"columns":["name","i"]},` +
      `{"op":"update","table":"A","where":[["name","==","x"]],"row":{"i":3}},` +
      `{"op":"comment","comment":"hello"}`,
  );
  assert.equal(
    out,
    '[{"uuid":["uuid","33333333-3333-3333-3333-333333333333"]},{"rows":[{"i":0,"name":"x"}]},{"count":1},{}]',
  );
  const failed = await tx(
    db,
    `{"op":"select","table":"Z","where":[]},{"op":"comment","comment":"x"}`,
  );
  assert.equal(
    failed,
    '[{"details":"Parsing ovsdb operation 1 of 2 failed: No table named Z.","error":"syntax error","syntax":"{\\"op\\":\\"select\\",\\"table\\":\\"Z\\",\\"where\\":[]}"},null]',
  );
});

Deno.test("deleting a strongly referenced row is a referential integrity violation", async () => {
  const db = await setup();
  const out = await tx(db, `{"op":"delete","table":"B","where":[["n","==",1]]}`);
  assert.equal(
    out,
    `[{"count":1},{"details":"cannot delete B row ${UB1} because of 1 remaining reference(s)","error":"referential integrity violation"}]`,
  );
});

Deno.test("unreferenced non-root rows are garbage collected and weak references removed", async () => {
  const db = await setup();
  const drop =
    `{"op":"update","table":"A","where":[["_uuid","==",["uuid","${U1}"]]],"row":{"bs":["set",[]]}}`;
  // C's weak reference to B row 1 may not become empty, so collecting that row fails...
  const refused = await tx(db, drop);
  assert.ok(
    refused.includes(
      "caused this column to become empty, but constraints on this column disallow an empty column.",
    ),
    refused,
  );
  assert.ok(db.tables.get("B")!.get(UB1));
  // ...until C points elsewhere.
  await tx(db, `{"op":"update","table":"C","where":[],"row":{"w":["uuid","${UB2}"]}}`);
  assert.equal(await tx(db, drop), '[{"count":1}]');
  assert.equal(db.tables.get("B")!.get(UB1), undefined);
  const a1 = await tx(
    db,
    `{"op":"select","table":"A","where":[["_uuid","==",["uuid","${U1}"]]],"columns":["ws"]}`,
  );
  assert.equal(a1, `[{"rows":[{"ws":["uuid","${UB2}"]}]}]`);
});

Deno.test("inserting a row into a non-root table without references keeps nothing", async () => {
  const db = await setup();
  const out = await tx(db, `{"op":"insert","table":"B","row":{"n":5}}`);
  assert.match(out, /^\[\{"uuid":\["uuid","[0-9a-f-]{36}"\]\}\]$/);
  assert.equal(rows(db, "B"), 2);
});

Deno.test("maxRows is enforced at commit", async () => {
  const db = await setup();
  const out = await tx(
    db,
    `{"op":"insert","table":"C","row":{"w":["uuid","${UB2}"]}},{"op":"insert","table":"C","row":{"w":["uuid","${UB2}"]}}`,
  );
  assert.ok(
    out.includes(
      'transaction causes \\"C\\" table to contain 3 rows, greater than the schema-defined limit of 2 row(s)',
    ),
    out,
  );
});

Deno.test("index uniqueness reports both rows as upstream words it", async () => {
  const db = await setup();
  const out = await tx(
    db,
    `{"op":"update","table":"A","where":[["name","==","two"]],"row":{"name":"one"}}`,
  );
  assert.ok(
    out.includes(
      'Transaction causes multiple rows in \\"A\\" table to have identical values (one) for index on column \\"name\\".',
    ),
    out,
  );
  assert.ok(
    out.includes(
      `row, with UUID ${U1}, existed in the database before this transaction and was not modified by the transaction.`,
    ),
    out,
  );
  assert.ok(
    out.includes(
      `row, with UUID ${U2}, had the following index values before the transaction: two.`,
    ),
    out,
  );
});

Deno.test("an unsatisfied wait blocks when the server can retry, and times out later", async () => {
  const db = await setup();
  const wait = parseOvsJson(
    `["test",{"op":"wait","table":"A","timeout":100,"where":[["name","==","one"]],"columns":["i"],"until":"==","rows":[{"i":7}]}]`,
  );
  const first = await db.transact(wait, { canBlock: true, elapsedMs: 0 });
  assert.deepEqual(first, { kind: "blocked", timeoutMs: 100 });
  const late = await db.transact(wait, { canBlock: true, elapsedMs: 150 });
  assert.equal(
    toOvsJson((late as { results: Json }).results),
    '[{"details":"\\"wait\\" timed out after 150 ms","error":"timed out"}]',
  );
  await tx(db, `{"op":"update","table":"A","where":[["name","==","one"]],"row":{"i":7}}`);
  const ok = await db.transact(wait, { canBlock: true, elapsedMs: 10 });
  assert.deepEqual(ok, { kind: "results", results: [{}] });
});

Deno.test("assert succeeds only for the lock's owner", async () => {
  const db = await setup();
  const locks = new LockManager<string>();
  locks.lock("s1", "l");
  locks.lock("s2", "l");
  const assertion = parseOvsJson(`["test",{"op":"assert","lock":"l"}]`);
  const as = (s: string) => db.execute(assertion, { ownsLock: (n) => locks.owns(s, n) });
  assert.deepEqual(await as("s1"), [{}]);
  assert.deepEqual(await as("s2"), [{ error: "not owner", details: "Asserted lock l not held." }]);
});

Deno.test("locks queue waiters, hand over on unlock, and can be stolen", () => {
  const events: string[] = [];
  const locks = new LockManager<string>((s, n, e) => events.push(`${s}:${n}:${e}`));
  assert.equal(locks.lock("a", "x"), true);
  assert.equal(locks.lock("b", "x"), false);
  locks.unlock("a", "x");
  assert.deepEqual(events, ["b:x:locked"]);
  locks.steal("c", "x");
  assert.deepEqual(events, ["b:x:locked", "b:x:stolen"]);
  assert.equal(locks.owns("c", "x"), true);
  locks.releaseAll("c");
  assert.equal(locks.owns("c", "x"), false);
});

Deno.test("writes to the _Server database are not allowed", async () => {
  const { serverSchema } = await import("../../core/db/schema.ts");
  const db = new Database(serverSchema());
  const out = toOvsJson(
    await db.execute(
      parseOvsJson('["_Server",{"op":"insert","table":"Database","row":{"model":"standalone"}}]'),
    ),
  );
  assert.equal(
    out,
    '[{"details":"insert operation not allowed on table in reserved database _Server","error":"not allowed"}]',
  );
  assert.deepEqual(
    await db.execute(parseOvsJson('["_Server",{"op":"select","table":"Database","where":[]}]')),
    [{ rows: [] }],
  );
});

Deno.test("a read-only server refuses writes but serves reads", async () => {
  const db = await setup();
  const out = toOvsJson(
    await db.execute(parseOvsJson('["test",{"op":"delete","table":"A","where":[]}]'), {
      readOnly: true,
    }),
  );
  assert.equal(
    out,
    '[{"details":"delete operation not allowed when database server is in read only mode","error":"not allowed"}]',
  );
});

Deno.test("mutations follow upstream's arithmetic and set rules", async () => {
  const db = await setup();
  const sel = `{"op":"select","table":"A","where":[["name","==","two"]],"columns":["i","rs"]}`;
  assert.equal(
    await tx(
      db,
      `{"op":"mutate","table":"A","where":[["name","==","two"]],"mutations":[["i","*=",7],["i","%=",5],["rs","+=",1]]},${sel}`,
    ),
    '[{"count":1},{"rows":[{"i":4,"rs":["set",[2.5,3.5]]}]}]',
  );
  assert.equal(
    await tx(
      db,
      `{"op":"mutate","table":"A","where":[["name","==","two"]],"mutations":[["i","-=",5]]}`,
    ),
    '[{"details":"-1 is not in the valid range 0 to 100 (inclusive)","error":"constraint violation"}]',
  );
});

Deno.test("a unique index key freed by a delete can be reused, within and across transactions", async () => {
  const db = await setup();
  const swap = await tx(
    db,
    `{"op":"delete","table":"A","where":[["name","==","two"]]},{"op":"insert","table":"A","row":{"name":"two"}}`,
  );
  assert.match(swap, /^\[\{"count":1\},\{"uuid":\["uuid","[0-9a-f-]{36}"\]\}\]$/);
  assert.match(
    await tx(
      db,
      `{"op":"update","table":"A","where":[["name","==","two"]],"row":{"name":"three"}}`,
    ),
    /count/,
  );
  assert.match(await tx(db, `{"op":"insert","table":"A","row":{"name":"two"}}`), /^\[\{"uuid"/);
  assert.match(
    await tx(db, `{"op":"insert","table":"A","row":{"name":"three"}}`),
    /constraint violation/,
  );
});

Deno.test("a modified row gets a new _version; an unmodified one keeps it", async () => {
  const db = await setup();
  const version = async () =>
    await tx(
      db,
      `{"op":"select","table":"A","where":[["name","==","one"]],"columns":["_version"]}`,
    );
  const v1 = await version();
  await tx(db, `{"op":"update","table":"A","where":[["name","==","one"]],"row":{"i":1}}`);
  assert.equal(await version(), v1);
  await tx(db, `{"op":"update","table":"A","where":[["name","==","one"]],"row":{"i":9}}`);
  assert.notEqual(await version(), v1);
});
