// Expected updates below were captured from the real ovsdb-server 3.1 for the same requests
// (the inserted row had a random UUID there; here it is fixed, which only moves its entry).
import assert from "node:assert/strict";
import { type JsonObject, parseOvsJson, toOvsJson } from "../../core/db/json.ts";
import { schemaFromText, schemaToJson } from "../../core/db/schema.ts";
import { Database } from "../../core/db/database.ts";
import { OvsdbError } from "../../core/db/error.ts";
import { SETUP_TXN, TEST_SCHEMA_TEXT, U1, U2 } from "./support.ts";

async function setup(): Promise<Database> {
  // The schema as a server reads it back from a file that `ovsdb-tool create` wrote, so that
  // member order matches the captures below byte for byte.
  const stored = toOvsJson(schemaToJson(schemaFromText(TEST_SCHEMA_TEXT)));
  const db = new Database(schemaFromText(stored));
  await db.execute(parseOvsJson(SETUP_TXN));
  return db;
}

const CHANGE =
  `["test",{"op":"mutate","table":"A","where":[["name","==","one"]],"mutations":[["m","insert",["map",[["z",26]]]],["m","delete",["set",["a"]]],["i","+=",10]]},{"op":"insert","table":"A","uuid":"33333333-3333-3333-3333-333333333333","row":{"name":"new","i":3}},{"op":"delete","table":"A","where":[["name","==","two"]]}]`;
const U3 = "33333333-3333-3333-3333-333333333333";

Deno.test("a version 1 monitor reports initial rows, then old and new values", async () => {
  const db = await setup();
  const { monitor, initial } = db.monitor(
    parseOvsJson('{"A":{"columns":["name","i","m","s"]}}'),
    1,
  );
  assert.equal(
    toOvsJson(initial!),
    `{"A":{"${U2}":{"new":{"m":["map",[]],"name":"two","i":2,"s":["set",[]]}},"${U1}":{"new":{"m":["map",[["a",1],["b",2]]],"name":"one","i":1,"s":["set",["x","y"]]}}}}`,
  );
  const updates: JsonObject[] = [];
  db.onCommit((changes) => {
    const u = monitor.update(changes);
    if (u) updates.push(u);
  });
  await db.execute(parseOvsJson(CHANGE));
  assert.equal(updates.length, 1);
  assert.equal(
    toOvsJson(updates[0]!),
    `{"A":{"${U2}":{"old":{"m":["map",[]],"name":"two","i":2,"s":["set",[]]}},"${U1}":{"new":{"m":["map",[["b",2],["z",26]]],"name":"one","i":11,"s":["set",["x","y"]]},"old":{"m":["map",[["a",1],["b",2]]],"i":1}},"${U3}":{"new":{"m":["map",[]],"name":"new","i":3,"s":["set",[]]}}}}`,
  );
});

Deno.test("a conditional monitor reports rows entering and leaving its condition", async () => {
  const db = await setup();
  const { monitor, initial } = db.monitor(
    parseOvsJson('{"A":[{"columns":["name","i","m","s"],"where":[["i","<",5]]}]}'),
    2,
  );
  assert.equal(
    toOvsJson(initial!),
    `{"A":{"${U2}":{"initial":{"name":"two","i":2}},"${U1}":{"initial":{"m":["map",[["a",1],["b",2]]],"name":"one","i":1,"s":["set",["x","y"]]}}}}`,
  );
  let update: JsonObject | undefined;
  db.onCommit((changes) => update = monitor.update(changes));
  await db.execute(parseOvsJson(CHANGE));
  assert.equal(
    toOvsJson(update!),
    `{"A":{"${U2}":{"delete":null},"${U1}":{"delete":null},"${U3}":{"insert":{"name":"new","i":3}}}}`,
  );
});

Deno.test("update2 reports modified columns as datum diffs", async () => {
  const db = await setup();
  const { monitor } = db.monitor(parseOvsJson('{"A":{"columns":["m","s","i","name"]}}'), 3);
  const seen: [JsonObject | undefined, string][] = [];
  db.onCommit((changes, txnId) => seen.push([monitor.update(changes), txnId]));
  await db.execute(
    parseOvsJson(
      `["test",{"op":"update","table":"A","where":[["name","==","one"]],"row":{"s":["set",["y","z"]],"m":["map",[["a",5],["b",2]]]}}]`,
    ),
  );
  assert.equal(seen.length, 1);
  assert.equal(
    toOvsJson(seen[0]![0]!, { sort: true }),
    `{"A":{"${U1}":{"modify":{"m":["map",[["a",5]]],"s":["set",["x","z"]]}}}}`,
  );
  assert.equal(seen[0]![1], db.lastTxnId);
  // A change to a column nobody monitors is not reported.
  await db.execute(
    parseOvsJson(
      `["test",{"op":"update","table":"A","where":[["name","==","one"]],"row":{"b":true}}]`,
    ),
  );
  assert.equal(seen.length, 2);
  assert.equal(seen[1]![0], undefined);
});

Deno.test("select filters which kinds of change a monitor reports", async () => {
  const db = await setup();
  const { monitor, initial } = db.monitor(
    parseOvsJson('{"A":{"columns":["name"],"select":{"initial":false,"modify":false}}}'),
    1,
  );
  assert.deepEqual(initial, {});
  let update: JsonObject | undefined;
  db.onCommit((changes) => update = monitor.update(changes));
  await db.execute(parseOvsJson(CHANGE));
  assert.deepEqual(Object.keys(update!.A as JsonObject).sort(), [U2, U3].sort());
});

Deno.test("bad monitor requests are rejected", async () => {
  const db = await setup();
  assert.throws(() => db.monitor(parseOvsJson('{"Z":{}}'), 1), OvsdbError);
  assert.throws(() => db.monitor(parseOvsJson('{"A":{"columns":["nope"]}}'), 1), OvsdbError);
  assert.throws(() => db.monitor(parseOvsJson('{"A":{"select":{"insert":1}}}'), 2), OvsdbError);
});
