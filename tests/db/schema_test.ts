import assert from "node:assert/strict";
import { toOvsJson } from "../../core/db/json.ts";
import {
  schemaFromJson,
  schemaFromText,
  schemaToJson,
  serverSchema,
} from "../../core/db/schema.ts";
import { OvsdbError } from "../../core/db/error.ts";
import { TEST_SCHEMA } from "./support.ts";

const VSWITCH = "/usr/share/openvswitch/vswitch.ovsschema";

Deno.test("every table has _uuid and _version, and ephemeral and immutable columns are kept", () => {
  const schema = schemaFromJson(TEST_SCHEMA);
  const a = schema.tables.get("A")!;
  assert.equal(a.byIndex[0]!.name, "_uuid");
  assert.equal(a.byIndex[1]!.name, "_version");
  assert.equal(a.columns.get("im")!.mutable, false);
  assert.equal(a.isRoot, true);
  assert.equal(schema.tables.get("B")!.isRoot, false);
  assert.equal(schema.tables.get("C")!.maxRows, 2);
  assert.deepEqual(a.indexes.map((i) => i.map((c) => c.name)), [["name"]]);
});

Deno.test("a schema prints back to JSON that parses to the same schema", () => {
  const once = toOvsJson(schemaToJson(schemaFromJson(TEST_SCHEMA)));
  const twice = toOvsJson(schemaToJson(schemaFromText(once)));
  assert.equal(
    toOvsJson(schemaToJson(schemaFromText(twice)), { sort: true }),
    toOvsJson(schemaToJson(schemaFromText(once)), { sort: true }),
  );
});

Deno.test("the vswitch schema parses when installed", { ignore: !existsSync(VSWITCH) }, () => {
  const schema = schemaFromText(Deno.readTextFileSync(VSWITCH));
  assert.equal(schema.name, "Open_vSwitch");
  assert.ok(schema.tables.has("Bridge"));
  assert.equal(schema.tables.get("Open_vSwitch")!.maxRows, 1);
});

Deno.test("the _Server schema is upstream's", () => {
  const s = serverSchema();
  assert.equal(s.name, "_Server");
  assert.equal(s.version, "1.2.0");
  assert.deepEqual([...s.tables.get("Database")!.columns.keys()].sort(), [
    "_uuid",
    "_version",
    "cid",
    "connected",
    "index",
    "leader",
    "model",
    "name",
    "schema",
    "sid",
  ]);
});

Deno.test("invalid schemas are rejected with upstream's details", () => {
  const cases: [string, string][] = [
    ['{"name":"x","version":"1","tables":{}}', 'schema version "1" not in format x.y.z'],
    ['{"name":"x","tables":{"t":{"columns":{}}}}', "table must have at least one column"],
    [
      '{"name":"x","tables":{"t":{"columns":{"a":{"type":"integer"}},"maxRows":0}}}',
      "maxRows must be at least 1",
    ],
    [
      '{"name":"x","tables":{"_t":{"columns":{"a":{"type":"integer"}}}}}',
      'names beginning with "_" are reserved',
    ],
    [
      '{"name":"x","tables":{"t":{"columns":{"a":{"type":{"key":{"type":"uuid","refTable":"u"}}}}}}}',
      "column a key refers to undefined table u",
    ],
    [
      '{"name":"x","tables":{"t":{"columns":{"a":{"type":"integer"}},"indexes":[["b"]]}}}',
      "b is not a valid column name",
    ],
    ['{"name":"x"}', "Parsing database schema failed: Required 'tables' member is missing."],
  ];
  for (const [text, details] of cases) {
    assert.throws(() => schemaFromText(text), (e: unknown) => {
      assert.ok(e instanceof OvsdbError);
      assert.equal(e.details, details, text);
      return true;
    });
  }
});

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
