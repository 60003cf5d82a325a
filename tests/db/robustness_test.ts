// The engine never crashes on bad input: random damage to valid requests, schemas and files
// yields OVSDB errors, never exceptions or "internal error" replies.

import assert from "node:assert/strict";
import { type Json, type JsonObject, parseOvsJson, toOvsJson } from "../../core/db/json.ts";
import { schemaFromJson } from "../../core/db/schema.ts";
import { Database } from "../../core/db/database.ts";
import { OvsdbError } from "../../core/db/error.ts";
import { decodeLog } from "../../core/db/log.ts";
import { SETUP_TXN, TEST_SCHEMA } from "./support.ts";

/** A small deterministic PRNG so failures reproduce. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const ODD_VALUES: Json[] = [
  null,
  true,
  false,
  0n,
  -1n,
  9223372036854775807n,
  1.5,
  -1e300,
  "",
  "x",
  "_uuid",
  "named-uuid",
  ["uuid", "zz"],
  ["set", []],
  ["map", [[1n]]],
  ["named-uuid", "nb"],
  [],
  {},
  { op: "select" },
];

/** Replaces one randomly chosen node of `value` with an odd value. */
function damage(value: Json, random: () => number): Json {
  const nodes: { parent: Json[] | JsonObject; key: string | number }[] = [];
  const walk = (v: Json) => {
    if (Array.isArray(v)) {
      v.forEach((e, i) => {
        nodes.push({ parent: v, key: i });
        walk(e);
      });
    } else if (v !== null && typeof v === "object") {
      for (const [k, e] of Object.entries(v)) {
        nodes.push({ parent: v, key: k });
        walk(e);
      }
    }
  };
  const copy = parseOvsJson(toOvsJson(value, { insertionOrder: true }));
  walk(copy);
  const target = nodes[Math.floor(random() * nodes.length)];
  if (!target) return copy;
  const odd = ODD_VALUES[Math.floor(random() * ODD_VALUES.length)]!;
  (target.parent as Record<string, Json>)[target.key] = parseOvsJson(toOvsJson(odd));
  return copy;
}

const REQUESTS = [
  SETUP_TXN,
  '["test",{"op":"mutate","table":"A","where":[["name","==","one"]],"mutations":[["m","insert",["map",[["z",1]]]],["i","+=",1],["s","delete","x"]]}]',
  '["test",{"op":"update","table":"A","where":[["i",">",0]],"row":{"name":"u","r":0.5}}]',
  '["test",{"op":"select","table":"A","where":[["s","includes","x"]],"columns":["name","m"],"sort":["i"]}]',
  '["test",{"op":"wait","table":"A","timeout":0,"where":[],"columns":["name"],"until":"!=","rows":[{"name":"one"}]}]',
  '["test",{"op":"delete","table":"B","where":[["n","<=",1]]},{"op":"assert","lock":"l"},{"op":"comment","comment":"c"}]',
];

Deno.test("damaged requests produce OVSDB errors, never crashes", async () => {
  const random = rng(7);
  const db = new Database(schemaFromJson(TEST_SCHEMA));
  await db.execute(parseOvsJson(SETUP_TXN));
  for (let i = 0; i < 600; i++) {
    const request = damage(parseOvsJson(REQUESTS[i % REQUESTS.length]!), random);
    const out = toOvsJson(await db.execute(request));
    assert.ok(!out.includes("internal error"), `${toOvsJson(request)} -> ${out}`);
  }
});

Deno.test("damaged schemas are rejected with OVSDB errors", () => {
  const random = rng(11);
  for (let i = 0; i < 400; i++) {
    const schema = damage(TEST_SCHEMA, random);
    try {
      schemaFromJson(schema);
    } catch (e) {
      assert.ok(e instanceof OvsdbError, `${toOvsJson(schema)}: ${e}`);
    }
  }
});

Deno.test("damaged log bytes are reported, never thrown", () => {
  const random = rng(13);
  const good = new TextEncoder().encode(
    'OVSDB JSON 8 8a3d961f7fe8ef7b41d461059884a9461be85059\n{"a":1}\n',
  );
  for (let i = 0; i < 300; i++) {
    const bytes = good.slice(0, Math.floor(random() * (good.length + 1)));
    if (bytes.length) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
    const decoded = decodeLog(bytes, "f");
    assert.ok(decoded.records.length <= 1);
    assert.ok(decoded.goodEnd <= bytes.length);
  }
});
