import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parseOvsJson, toOvsJson } from "../../core/db/json.ts";
import { schemaFromJson } from "../../core/db/schema.ts";
import { Database } from "../../core/db/database.ts";
import { decodeLog, encodeRecord } from "../../core/db/log.ts";
import { OvsdbError } from "../../core/db/error.ts";
import { timeMsec } from "../../core/net/timeval.ts";
import { SETUP_TXN, TEST_SCHEMA, U1, withTempDir } from "./support.ts";

const select = parseOvsJson(
  '["test",{"op":"select","table":"A","where":[],"columns":["name","i","m"],"sort":["name"]}]',
);

async function populated(path: string): Promise<Database> {
  const db = await Database.create(path, schemaFromJson(TEST_SCHEMA));
  await db.execute(parseOvsJson(SETUP_TXN));
  await db.execute(
    parseOvsJson(
      `["test",{"op":"mutate","table":"A","where":[["_uuid","==",["uuid","${U1}"]]],"mutations":[["m","insert",["map",[["z",26]]]],["i","+=",10]]}]`,
    ),
  );
  return db;
}

Deno.test("records are framed as OVSDB JSON <length> <sha1> and decode back", () => {
  const bytes = encodeRecord({ a: 1n });
  const text = new TextDecoder().decode(bytes);
  const sha1 = createHash("sha1").update('{"a":1}\n').digest("hex");
  assert.equal(text, `OVSDB JSON 8 ${sha1}\n{"a":1}\n`);
  const decoded = decodeLog(bytes, "x");
  assert.equal(decoded.error, undefined);
  assert.deepEqual(decoded.records.map((r) => r.json), [{ a: 1n }]);
});

Deno.test("committed transactions survive reopening the file", () =>
  withTempDir(async (dir) => {
    const db = await populated(`${dir}/db`);
    const before = toOvsJson(await db.execute(select));
    db.close();
    const again = await Database.open(`${dir}/db`);
    assert.equal(toOvsJson(await again.execute(select)), before);
    assert.ok(before.includes('["z",26]'), before);
    again.close();
  }));

Deno.test("a torn tail is ignored with a warning and truncated by the next write", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/db`;
    (await populated(path)).close();
    const good = (await Deno.stat(path)).size;
    const f = await Deno.open(path, { append: true });
    await f.write(
      new TextEncoder().encode('OVSDB JSON 500 0000000000000000000000000000000000000000\n{"A":'),
    );
    f.close();
    const warnings: string[] = [];
    const db = await Database.open(path, { onWarning: (m) => warnings.push(m) });
    assert.equal(warnings.length, 1);
    assert.ok(
      warnings[0]!.includes(`error reading 500 bytes starting at offset ${good + 56}`),
      warnings[0],
    );
    assert.equal(db.tables.get("A")!.size, 2);
    await db.execute(parseOvsJson('["test",{"op":"insert","table":"A","row":{"name":"new"}}]'));
    db.close();
    const reopened = await Database.open(path, { strict: true });
    assert.equal(reopened.tables.get("A")!.size, 3);
    reopened.close();
  }));

Deno.test("a corrupt record is detected by its SHA-1 and never silently used", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/db`;
    (await populated(path)).close();
    const bytes = await Deno.readFile(path);
    const i = bytes.lastIndexOf("z".charCodeAt(0));
    bytes[i] = "y".charCodeAt(0);
    await Deno.writeFile(path, bytes);
    await assert.rejects(Database.open(path, { strict: true }), (e: unknown) => {
      assert.ok(e instanceof OvsdbError);
      assert.match(e.details!, /have SHA-1 hash [0-9a-f]{40} but should have hash [0-9a-f]{40}/);
      return true;
    });
    const lenient = await Database.open(path);
    assert.equal(toOvsJson(await lenient.execute(select)).includes('["z",26]'), false);
    lenient.close();
  }));

Deno.test("compaction rewrites the file as schema plus one snapshot, atomically", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/db`;
    const db = await populated(path);
    const before = toOvsJson(await db.execute(select));
    await db.compact();
    await db.execute(parseOvsJson('["test",{"op":"insert","table":"A","row":{"name":"after"}}]'));
    db.close();
    const records = decodeLog(await Deno.readFile(path), path).records;
    assert.equal(records.length, 3);
    const entries = await Array.fromAsync(Deno.readDir(dir));
    assert.deepEqual(entries.map((e) => e.name), ["db"]);
    const again = await Database.open(path, { strict: true });
    const after = toOvsJson(await again.execute(select));
    assert.equal(after.replace('{"m":["map",[]],"name":"after","i":0},', ""), before);
    again.close();
  }));

Deno.test("concurrent transactions are serialised and all reach the disk", () =>
  withTempDir(async (dir) => {
    const path = `${dir}/db`;
    const db = await Database.create(path, schemaFromJson(TEST_SCHEMA));
    const results = await Promise.all(
      Array.from(
        { length: 20 },
        (_, i) =>
          db.execute(
            parseOvsJson(`["test",{"op":"insert","table":"A","row":{"name":"n${i}","i":${i}}}]`),
          ),
      ),
    );
    assert.equal(results.length, 20);
    db.close();
    const again = await Database.open(path, { strict: true });
    assert.equal(again.tables.get("A")!.size, 20);
    again.close();
  }));

Deno.test("automatic compaction follows upstream's schedule", () =>
  withTempDir(async (dir) => {
    const db = await populated(`${dir}/db`);
    const now = timeMsec();
    assert.equal(db.shouldCompact(now), false);
    // After a day, any records at all are reason enough.
    assert.equal(db.shouldCompact(now + 25 * 60 * 60 * 1000), true);
    await db.compact();
    assert.equal(db.nTransactions, 0);
    assert.equal(db.shouldCompact(now + 25 * 60 * 60 * 1000), false);
    const records = decodeLog(await Deno.readFile(`${dir}/db`), "db").records;
    assert.equal(
      (records[1]!.json as { _comment?: string })._comment,
      "compacting database online",
    );
    db.close();
  }));

Deno.test("a reply waits until its record is durable, and listeners hear of it only then", () =>
  withTempDir(async (dir) => {
    const db = await Database.create(`${dir}/db`, schemaFromJson(TEST_SCHEMA));
    const storage = db.storage!;
    let release = () => {};
    const gate = new Promise<void>((resolve) => release = resolve);
    const realAppend = storage.appendMany.bind(storage);
    storage.appendMany = async (records) => {
      await gate;
      return realAppend(records);
    };
    const { monitor } = db.monitor(parseOvsJson('{"A":{"columns":["name"]}}'), 2);
    let update = "";
    db.onCommit((changes) => update = toOvsJson(monitor.update(changes) ?? {}));
    let replied = false;
    const pending = db.execute(
      parseOvsJson('["test",{"op":"insert","table":"A","row":{"name":"x"}}]'),
    ).then(() => replied = true);
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(replied, false);
    assert.equal(update, "");
    assert.equal(db.hasPending, true);
    release();
    await pending;
    assert.match(update, /^\{"A":\{"[0-9a-f-]{36}":\{"insert":\{"name":"x"\}\}\}\}$/);
    db.close();
  }));

Deno.test("transactions that arrive during a sync share the next one (group commit)", () =>
  withTempDir(async (dir) => {
    const db = await Database.create(`${dir}/db`, schemaFromJson(TEST_SCHEMA));
    const storage = db.storage!;
    let syncs = 0;
    const realAppend = storage.appendMany.bind(storage);
    storage.appendMany = (records) => {
      syncs++;
      return realAppend(records);
    };
    const results = await Promise.all(
      Array.from(
        { length: 50 },
        (_, i) =>
          db.execute(parseOvsJson(`["test",{"op":"insert","table":"A","row":{"name":"n${i}"}}]`)),
      ),
    );
    for (const result of results) assert.match(toOvsJson(result), /^\[\{"uuid":/);
    assert.ok(syncs < 50, `${syncs} syncs for 50 transactions`);
    db.close();
    const reopened = await Database.open(`${dir}/db`);
    const rows = toOvsJson(
      await reopened.execute(
        parseOvsJson('["test",{"op":"select","table":"A","where":[],"columns":["name"]}]'),
      ),
    );
    assert.equal((rows.match(/"name"/g) ?? []).length, 50);
    reopened.close();
  }));

Deno.test("a failed write leaves the database as it was and reports an I/O error", () =>
  withTempDir(async (dir) => {
    const db = await populated(`${dir}/db`);
    db.storage!.appendMany = () => Promise.reject(new OvsdbError("I/O error", "disk full"));
    const before = toOvsJson(await db.execute(select));
    const out = toOvsJson(
      await db.execute(
        parseOvsJson(
          '["test",{"op":"update","table":"A","where":[],"row":{"i":50}},{"op":"insert","table":"A","row":{"name":"n"}}]',
        ),
      ),
    );
    assert.match(
      out,
      /^\[\{"count":2\},\{"uuid":\["uuid","[0-9a-f-]{36}"\]\},\{"details":"disk full","error":"I\/O error"\}\]$/,
    );
    assert.equal(toOvsJson(await db.execute(select)), before);
    db.close();
  }));

Deno.test("a failed group write takes back every transaction not yet durable, newest first", () =>
  withTempDir(async (dir) => {
    const db = await populated(`${dir}/db`);
    const before = toOvsJson(await db.execute(select));
    db.storage!.appendMany = () => Promise.reject(new OvsdbError("I/O error", "disk full"));
    const outcomes = await Promise.all([
      db.execute(parseOvsJson('["test",{"op":"update","table":"A","where":[],"row":{"i":7}}]')),
      db.execute(parseOvsJson('["test",{"op":"insert","table":"A","row":{"name":"later"}}]')),
      db.execute(parseOvsJson('["test",{"op":"update","table":"A","where":[],"row":{"i":8}}]')),
    ]);
    for (const outcome of outcomes) assert.match(toOvsJson(outcome), /"error":"I\/O error"/);
    assert.equal(toOvsJson(await db.execute(select)), before);
    db.close();
  }));

Deno.test("a file cut at any byte opens with every complete transaction kept", () =>
  withTempDir(async (dir) => {
    const db = await Database.create(`${dir}/db`, schemaFromJson(TEST_SCHEMA));
    const names = ["a", "b", "c", "d", "e"];
    for (const name of names) {
      await db.execute(
        parseOvsJson(`["test",{"op":"insert","table":"A","row":{"name":"${name}"}}]`),
      );
    }
    db.close();
    const whole = await Deno.readFile(`${dir}/db`);
    // Where each record ends: a cut keeps exactly the records that end at or before it.
    const ends = decodeLog(whole, "db").records.map((r) => r.end);
    const query = parseOvsJson(
      '["test",{"op":"select","table":"A","where":[],"columns":["name"]}]',
    );
    for (let cut = ends[0]!; cut <= whole.length; cut++) {
      await Deno.writeFile(`${dir}/cut`, whole.subarray(0, cut));
      const opened = await Database.open(`${dir}/cut`, { onWarning: () => {} });
      const rows = toOvsJson(await opened.execute(query));
      opened.close();
      const complete = ends.filter((end) => end <= cut).length - 1;
      assert.equal((rows.match(/"name"/g) ?? []).length, complete, `cut at byte ${cut}`);
    }
  }));

Deno.test("a read waits only for the commits before it, and replies keep request order", () =>
  withTempDir(async (dir) => {
    const db = await Database.create(`${dir}/db`, schemaFromJson(TEST_SCHEMA));
    const storage = db.storage!;
    // Every group write waits for its own release, so a stream of writers never ends by itself.
    const gates: Array<() => void> = [];
    const realAppend = storage.appendMany.bind(storage);
    storage.appendMany = async (records, inline) => {
      await new Promise<void>((resolve) => gates.push(resolve));
      return realAppend(records, inline);
    };
    const order: string[] = [];
    const insert = (name: string) =>
      db.execute(parseOvsJson(`["test",{"op":"insert","table":"A","row":{"name":"${name}"}}]`))
        .then(() => order.push(name));
    const first = insert("w1");
    const read = db.execute(
      parseOvsJson('["test",{"op":"select","table":"A","where":[],"columns":["name"]}]'),
    ).then((rows) => {
      order.push("read");
      return rows;
    });
    await new Promise((r) => setTimeout(r, 5));
    const second = insert("w2");
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(order, []);
    gates.shift()!();
    // The reader is answered once w1 is durable, although w2 is still waiting for its sync.
    assert.match(toOvsJson(await read), /"w1"/);
    await first;
    assert.deepEqual(order, ["w1", "read"]);
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 1));
    gates.shift()!();
    await second;
    assert.deepEqual(order, ["w1", "read", "w2"]);
    db.close();
  }));

Deno.test("listeners hear each durable commit with its sequence number", () =>
  withTempDir(async (dir) => {
    const db = await Database.create(`${dir}/db`, schemaFromJson(TEST_SCHEMA));
    const seen: number[] = [];
    db.onCommit((_changes, _txnId, seq) => seen.push(seq));
    const before = db.committedSeq;
    await Promise.all(
      [1, 2, 3].map((i) =>
        db.execute(parseOvsJson(`["test",{"op":"insert","table":"A","row":{"name":"s${i}"}}]`))
      ),
    );
    assert.deepEqual(seen, [before + 1, before + 2, before + 3]);
    assert.equal(db.committedSeq, before + 3);
    await db.settled(db.committedSeq);
    assert.equal(db.hasPending, false);
    db.close();
  }));

Deno.test("log records carry the SHA-1 of their bytes, as upstream's do", () => {
  for (const json of [{}, { a: "x".repeat(200) }, { b: ["set", ["é", "😀"]] }]) {
    const record = encodeRecord(json as never);
    const text = new TextDecoder().decode(record);
    const nl = text.indexOf("\n");
    const [, , length, digest] = text.slice(0, nl).split(" ");
    const body = record.subarray(new TextEncoder().encode(text.slice(0, nl + 1)).length);
    assert.equal(Number(length), body.length);
    assert.equal(digest, createHash("sha1").update(body).digest("hex"));
  }
});
