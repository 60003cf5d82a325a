import assert from "node:assert/strict";
import { vswitchSchemaJson } from "../../core/db/schemas/vswitch_schema.ts";
import { parseOvsJson, toOvsJson } from "../../core/db/json.ts";
import { schemaFromJson, schemaToJson } from "../../core/db/schema.ts";
import { ovsDirs, run, runOvs } from "../support/run.ts";
import { firstReason, needPrograms, testIf } from "../support/skip.ts";

/** Debian's copy of upstream's schema, read only at test time as the oracle. */
const REFERENCE = "/usr/share/openvswitch/vswitch.ovsschema";

function referenceMissing(): string | undefined {
  try {
    Deno.statSync(REFERENCE);
    return undefined;
  } catch {
    return `needs ${REFERENCE} (Debian's openvswitch-common)`;
  }
}

testIf(
  referenceMissing(),
  "the built-in schema equals upstream's, table by table and column by column",
  () => {
    const ours = schemaFromJson(vswitchSchemaJson());
    const theirs = schemaFromJson(parseOvsJson(Deno.readTextFileSync(REFERENCE)));
    assert.deepEqual([...ours.tables.keys()].sort(), [...theirs.tables.keys()].sort());
    for (const [name, table] of theirs.tables) {
      const mine = ours.tables.get(name)!;
      assert.deepEqual(
        [...mine.columns.keys()].sort(),
        [...table.columns.keys()].sort(),
        `columns of ${name}`,
      );
      for (const [column, schema] of table.columns) {
        const other = mine.columns.get(column)!;
        assert.deepEqual(
          { type: other.type, mutable: other.mutable, persistent: other.persistent },
          { type: schema.type, mutable: schema.mutable, persistent: schema.persistent },
          `${name}.${column}`,
        );
      }
      assert.deepEqual(
        {
          isRoot: mine.isRoot,
          maxRows: mine.maxRows,
          indexes: mine.indexes.map((i) => i.map((c) => c.name)),
        },
        {
          isRoot: table.isRoot,
          maxRows: table.maxRows,
          indexes: table.indexes.map((i) => i.map((c) => c.name)),
        },
        `table ${name}`,
      );
    }
    // And printed the way upstream prints schemas, the two are the same text.
    assert.equal(toOvsJson(schemaToJson(ours)), toOvsJson(schemaToJson(theirs)));
  },
);

testIf(
  firstReason(referenceMissing(), needPrograms("ovsdb-tool")),
  "the real ovsdb-tool accepts the built-in schema and reports upstream's version and checksum",
  async () => {
    const { dir } = await ovsDirs();
    try {
      await Deno.writeTextFile(`${dir}/ours.ovsschema`, toOvsJson(vswitchSchemaJson()));
      for (const command of ["schema-version", "schema-cksum", "schema-name"]) {
        const a = await run("ovsdb-tool", [command, `${dir}/ours.ovsschema`]);
        const b = await run("ovsdb-tool", [command, REFERENCE]);
        assert.deepEqual([a.code, a.stdout], [b.code, b.stdout], command);
      }
      const created = await run("ovsdb-tool", [
        "create",
        `${dir}/conf.db`,
        `${dir}/ours.ovsschema`,
      ]);
      assert.equal(created.code, 0, created.stderr);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

testIf(
  firstReason(referenceMissing(), needPrograms("ovsdb-tool")),
  "ovsdb-tool create without a schema file writes the built-in schema byte for byte as upstream",
  async () => {
    const { dir, env } = await ovsDirs();
    try {
      const ours = await runOvs(["ovsdb-tool", "create"], {
        ...env,
        OVS_PKGDATADIR: `${dir}/none`,
      });
      assert.equal(ours.code, 0, ours.stderr);
      const real = await run("ovsdb-tool", ["create", `${dir}/real.db`, REFERENCE]);
      assert.equal(real.code, 0, real.stderr);
      assert.deepEqual(
        await Deno.readFile(`${dir}/conf.db`),
        await Deno.readFile(`${dir}/real.db`),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
