// Shared fixtures for the OVSDB engine tests: a schema that exercises every type and
// constraint, a temporary-directory helper, and UUID masking for comparisons with upstream.

import type { JsonObject } from "../../core/net/json_value.ts";
import { toOvsJson } from "../../core/db/json.ts";

/** A schema with every atomic type, constraints, strong and weak references, indexes, maxRows. */
export const TEST_SCHEMA: JsonObject = {
  name: "test",
  version: "1.2.3",
  tables: {
    A: {
      columns: {
        i: { type: { key: { type: "integer", minInteger: 0n, maxInteger: 100n } } },
        r: { type: { key: { type: "real", minReal: -1n, maxReal: 1e10 }, min: 0n, max: 1n } },
        s: {
          type: {
            key: { type: "string", enum: ["set", ["x", "y", "z"]] },
            min: 0n,
            max: "unlimited",
          },
        },
        m: { type: { key: "string", value: "integer", min: 0n, max: "unlimited" } },
        b: { type: "boolean" },
        name: { type: { key: { type: "string", minLength: 1n, maxLength: 5n } } },
        bs: { type: { key: { type: "uuid", refTable: "B" }, min: 0n, max: "unlimited" } },
        ws: { type: { key: { type: "uuid", refTable: "B", refType: "weak" }, min: 0n, max: 2n } },
        im: { type: "integer", mutable: false },
        is: { type: { key: "integer", min: 0n, max: 2n } },
        rs: { type: { key: "real", min: 0n, max: "unlimited" } },
      },
      indexes: [["name"]],
      isRoot: true,
    },
    B: { columns: { n: { type: "integer" } } },
    C: {
      columns: {
        n: { type: "integer" },
        w: { type: { key: { type: "uuid", refTable: "B", refType: "weak" } } },
      },
      maxRows: 2n,
      isRoot: true,
    },
  },
};

export const TEST_SCHEMA_TEXT = toOvsJson(TEST_SCHEMA, { insertionOrder: true });

export const U1 = "11111111-1111-1111-1111-111111111111";
export const U2 = "22222222-2222-2222-2222-222222222222";
export const UB1 = "bbbbbbb1-0000-0000-0000-000000000000";
export const UB2 = "bbbbbbb2-0000-0000-0000-000000000000";

/** A transaction that fills the test database with known rows (fixed UUIDs). */
export const SETUP_TXN = toOvsJson([
  "test",
  { op: "insert", table: "B", uuid: UB1, row: { n: 1n } },
  { op: "insert", table: "B", uuid: UB2, row: { n: 2n } },
  {
    op: "insert",
    table: "A",
    uuid: U1,
    row: {
      i: 1n,
      name: "one",
      s: ["set", ["x", "y"]],
      m: ["map", [["a", 1n], ["b", 2n]]],
      bs: ["uuid", UB1],
      ws: ["set", [["uuid", UB1], ["uuid", UB2]]],
      im: 5n,
    },
  },
  {
    op: "insert",
    table: "A",
    uuid: U2,
    row: { i: 2n, name: "two", bs: ["uuid", UB2], rs: ["set", [1.5, 2.5]] },
  },
  { op: "insert", table: "C", row: { n: 1n, w: ["uuid", UB1] } },
], { insertionOrder: true });

/** Replaces every UUID in `s` with "<U>" except the fixed ones above. */
export function maskUuids(s: string): string {
  const keep = new Set([U1, U2, UB1, UB2]);
  return s.replace(
    /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
    (u) => keep.has(u) ? u : "<U>",
  );
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ovsdb-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
