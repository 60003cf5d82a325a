// ovsdb-tool: our face against the real one (same arguments, same files, same output), plus the
// behaviours that need no real Open vSwitch.

import assert from "node:assert/strict";
import { needPrograms, testIf } from "../support/skip.ts";
import { run } from "../../cmd/ovsdb_tool.ts";
import { SETUP_TXN, TEST_SCHEMA_TEXT, withTempDir } from "../db/support.ts";

async function ours(args: string[]): Promise<[number, string, string]> {
  let out = "";
  let err = "";
  const code = await run(args, (s) => out += s, (s) => err += s);
  return [code, out, err];
}

async function theirs(args: string[]): Promise<[number, string, string]> {
  const r = await new Deno.Command("ovsdb-tool", { args, stdout: "piped", stderr: "piped" })
    .output();
  const d = new TextDecoder();
  return [r.code, d.decode(r.stdout), d.decode(r.stderr)];
}

const VSWITCH = "/usr/share/openvswitch/vswitch.ovsschema";
const needTool = needPrograms("ovsdb-tool");

/** Removes timestamps so two show-log outputs can be compared. */
const noDates = (s: string) => s.replace(/ \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}/g, " <date>");

testIf(
  needTool,
  "create writes the same bytes as upstream's ovsdb-tool create",
  () =>
    withTempDir(async (dir) => {
      for (const schema of [VSWITCH, `${dir}/test.ovsschema`]) {
        await Deno.writeTextFile(`${dir}/test.ovsschema`, TEST_SCHEMA_TEXT);
        await Deno.remove(`${dir}/a.db`).catch(() => {});
        await Deno.remove(`${dir}/b.db`).catch(() => {});
        assert.equal((await theirs(["create", `${dir}/a.db`, schema]))[0], 0);
        assert.equal((await ours(["create", `${dir}/b.db`, schema]))[0], 0);
        assert.deepEqual(await Deno.readFile(`${dir}/b.db`), await Deno.readFile(`${dir}/a.db`));
      }
    }),
);

testIf(
  needTool,
  "schema and database queries print what upstream prints",
  () =>
    withTempDir(async (dir) => {
      const db = `${dir}/v.db`;
      await theirs(["create", db, VSWITCH]);
      const commands = [
        ["db-name", db],
        ["db-version", db],
        ["db-cksum", db],
        ["schema-name", VSWITCH],
        ["schema-version", VSWITCH],
        ["schema-cksum", VSWITCH],
        ["needs-conversion", db, VSWITCH],
        ["compare-versions", "1.2.3", "<", "1.10.0"],
        ["compare-versions", "1.2.3", ">", "1.10.0"],
        ["compare-versions", "1.2.3", "~", "1.10.0"],
        ["db-name", `${dir}/missing.db`],
        ["schema-name", `${dir}/missing.ovsschema`],
        ["schema-name", db],
        ["db-name", db, "extra"],
        ["frobnicate"],
        ["query", db, "[1,"],
        ["query", db, '["Open_vSwitch",{"op":"select","table":"Bridge","where":[]}]'],
        ["transact", db, '["nope"]'],
        ["--version"],
      ];
      for (const args of commands) {
        const a = await theirs(args);
        const b = await ours(args);
        assert.deepEqual(b, a, args.join(" "));
      }
    }),
);

testIf(
  needTool,
  "bad schemas are reported with upstream's messages",
  () =>
    withTempDir(async (dir) => {
      const schemas = [
        '{"name":"x","tables":{}}',
        '{"name":"x","version":"1.2","tables":{}}',
        '{"name":"x","tables":{"_t":{"columns":{"a":{"type":"integer"}}}}}',
        '{"name":"x","tables":{"t":{"columns":{}}}}',
        '{"name":"x","tables":{"t":{"columns":{"_a":{"type":"integer"}}}}}',
        '{"name":"x","tables":{"t":{"columns":{"a":{"type":"integer"}},"maxRows":0}}}',
        '{"name":"x","tables":{"t":{"columns":{"a":{"type":{"key":{"type":"uuid","refTable":"u"}}}}}}}',
        '{"name":"x","tables":{"t":{"columns":{"a":{"type":"integer"}},"indexes":[["b"]]}}}',
        '{"name":"x","tables":{"t":{"columns":{"a":{"type":"integer","ephemeral":true}},"indexes":[["a"]]}}}',
        '{"name":"x","tables":{"t":{"columns":{"a":{"type":"integer"}},"indexes":[[]]}}}',
        '{"name":"x","tables":{"t":{"columns":{"a":{"type":"intege"}}}}}',
        '{"name":"x","tables":{"t":{"columns":{"a":{"typo":"integer"}}}}}',
        '{"tables":{}}',
        '{"name":"1x","tables":{}}',
        '{"name":"x","tables":{},"extra":1}',
      ];
      for (const schema of schemas) {
        const path = `${dir}/s.ovsschema`;
        await Deno.writeTextFile(path, schema);
        const a = await theirs(["schema-name", path]);
        const b = await ours(["schema-name", path]);
        assert.deepEqual(b, a, schema);
      }
    }),
);

testIf(
  needTool,
  "transact, show-log and compact agree with upstream on our files and theirs",
  () =>
    withTempDir(async (dir) => {
      await Deno.writeTextFile(`${dir}/s.ovsschema`, TEST_SCHEMA_TEXT);
      for (const [writer, reader] of [[ours, theirs], [theirs, ours]] as const) {
        const db = `${dir}/x.db`;
        await Deno.remove(db).catch(() => {});
        assert.equal((await writer(["create", db, `${dir}/s.ovsschema`]))[0], 0);
        const r = await writer(["transact", db, SETUP_TXN]);
        assert.equal(r[0], 0, r[2]);
        await writer([
          "transact",
          db,
          '["test",{"op":"update","table":"A","where":[["name","==","one"]],"row":{"s":["set",["z"]],"m":["map",[["b",3]]]}},{"op":"comment","comment":"second"}]',
        ]);
        await writer([
          "transact",
          db,
          '["test",{"op":"delete","table":"A","where":[["name","==","two"]]}]',
        ]);
        for (const m of [[], ["-m"], ["-mm"]]) {
          const a = await writer(["show-log", ...m, db]);
          const b = await reader(["show-log", ...m, db]);
          assert.equal(noDates(b[1]), noDates(a[1]), `show-log ${m.join("")}`);
        }
        const q =
          '["test",{"op":"select","table":"A","where":[],"columns":["name","s","m","ws","bs"]}]';
        assert.equal((await reader(["query", db, q]))[1], (await writer(["query", db, q]))[1]);
        assert.equal((await reader(["compact", db]))[0], 0);
        assert.equal(
          noDates((await writer(["show-log", "-mm", db]))[1]),
          noDates((await reader(["show-log", "-mm", db]))[1]),
        );
        assert.equal((await reader(["query", db, q]))[1], (await writer(["query", db, q]))[1]);
      }
    }),
);

Deno.test("ovsdb-tool prints help and version, and rejects unknown commands", async () => {
  const [code, out] = await ours(["--help"]);
  assert.equal(code, 0);
  assert.ok(out.startsWith("ovsdb-tool: Open vSwitch database management utility\n"));
  assert.deepEqual(await ours(["-V"]), [0, "ovsdb-tool (Open vSwitch) 3.1.0\n", ""]);
  assert.deepEqual(await ours(["nope"]), [
    1,
    "",
    "ovsdb-tool: unknown command 'nope'; use --help for help\n",
  ]);
  assert.deepEqual(await ours([]), [
    1,
    "",
    "ovsdb-tool: missing command name; use --help for help\n",
  ]);
});

Deno.test("ovsdb-tool defaults to $OVS_DBDIR/conf.db and $OVS_PKGDATADIR/vswitch.ovsschema", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/vswitch.ovsschema`, TEST_SCHEMA_TEXT);
    const saved = [Deno.env.get("OVS_DBDIR"), Deno.env.get("OVS_PKGDATADIR")];
    Deno.env.set("OVS_DBDIR", dir);
    Deno.env.set("OVS_PKGDATADIR", dir);
    try {
      assert.equal((await ours(["create"]))[0], 0);
      assert.deepEqual(await ours(["db-name"]), [0, "test\n", ""]);
      assert.deepEqual(await ours(["schema-version"]), [0, "1.2.3\n", ""]);
      assert.deepEqual(await ours(["needs-conversion"]), [0, "no\n", ""]);
      const [code, , err] = await ours(["create"]);
      assert.equal(code, 1);
      assert.ok(
        err.startsWith(`ovsdb-tool: I/O error: ${dir}/conf.db: create failed (File exists)`),
        err,
      );
    } finally {
      for (const [i, name] of ["OVS_DBDIR", "OVS_PKGDATADIR"].entries()) {
        if (saved[i] === undefined) Deno.env.delete(name);
        else Deno.env.set(name, saved[i]!);
      }
    }
  }));

Deno.test("convert moves data to a new schema and drops removed columns", () =>
  withTempDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/s.ovsschema`, TEST_SCHEMA_TEXT);
    assert.equal((await ours(["create", `${dir}/x.db`, `${dir}/s.ovsschema`]))[0], 0);
    assert.equal((await ours(["transact", `${dir}/x.db`, SETUP_TXN]))[0], 0);
    const schema2 = TEST_SCHEMA_TEXT.replace('"version":"1.2.3"', '"version":"1.3.0"').replace(
      /"im":\{[^}]*\},/,
      "",
    );
    await Deno.writeTextFile(`${dir}/s2.ovsschema`, schema2);
    assert.deepEqual(await ours(["needs-conversion", `${dir}/x.db`, `${dir}/s2.ovsschema`]), [
      0,
      "yes\n",
      "",
    ]);
    const r = await ours(["convert", `${dir}/x.db`, `${dir}/s2.ovsschema`]);
    assert.equal(r[0], 0, r[2]);
    assert.deepEqual(await ours(["db-version", `${dir}/x.db`]), [0, "1.3.0\n", ""]);
    const q = await ours([
      "query",
      `${dir}/x.db`,
      '["test",{"op":"select","table":"A","where":[["name","==","one"]],"columns":["i","name"]}]',
    ]);
    assert.equal(q[1], '[{"rows":[{"i":1,"name":"one"}]}]\n');
  }));
