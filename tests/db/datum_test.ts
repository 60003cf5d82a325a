import assert from "node:assert/strict";
import { parseOvsJson, toOvsJson } from "../../core/db/json.ts";
import { typeFromJson, typeToEnglish, typeToJson } from "../../core/db/types.ts";
import {
  datumApplyDiff,
  datumDiff,
  datumFromJson,
  datumToJson,
  SymbolTable,
} from "../../core/db/datum.ts";
import { atomFromString, datumFromString, datumToString } from "../../core/db/data_string.ts";
import { OvsdbError } from "../../core/db/error.ts";

const type = (s: string) => typeFromJson(parseOvsJson(s));
const datum = (t: string, d: string) => datumFromJson(parseOvsJson(d), type(t));
const show = (t: string, d: string) => toOvsJson(datumToJson(datum(t, d), type(t)));

function rejects(fn: () => unknown, error: string, details: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof OvsdbError, String(e));
    assert.equal(e.error, error);
    assert.equal(e.details, details);
    return true;
  });
}

Deno.test("types print back exactly as upstream prints them", () => {
  const cases: [string, string][] = [
    ['"integer"', '"integer"'],
    ['{"key":"string"}', '"string"'],
    ['{"key":"string","min":0,"max":"unlimited"}', '{"max":"unlimited","min":0,"key":"string"}'],
    [
      '{"key":{"type":"integer","minInteger":1,"maxInteger":10}}',
      '{"key":{"minInteger":1,"maxInteger":10,"type":"integer"}}',
    ],
    [
      '{"key":{"type":"uuid","refTable":"T","refType":"weak"}}',
      '{"key":{"refType":"weak","type":"uuid","refTable":"T"}}',
    ],
    [
      '{"key":{"type":"uuid","refTable":"T","refType":"strong"}}',
      '{"key":{"type":"uuid","refTable":"T"}}',
    ],
    [
      '{"key":{"type":"string","enum":["set",["b","a"]]}}',
      '{"key":{"type":"string","enum":["set",["a","b"]]}}',
    ],
    ['{"key":{"type":"string","enum":"a"}}', '{"key":{"type":"string","enum":"a"}}'],
  ];
  for (const [input, output] of cases) {
    assert.equal(toOvsJson(typeToJson(type(input))), output, input);
  }
});

Deno.test("bad types are rejected with upstream's details", () => {
  const cases: [string, string][] = [
    ['"int"', '"int" is not an atomic-type'],
    ["1", "ovsdb type expected"],
    ['{"key":"integer","min":2}', "ovsdb type fails constraint checks"],
    ['{"key":"integer","max":0}', "ovsdb type fails constraint checks"],
    ['{"key":"integer","min":-1}', "bad min or max value"],
    ['{"key":{"type":"integer","minInteger":5,"maxInteger":1}}', "minInteger exceeds maxInteger"],
    ['{"key":{"type":"real","minReal":5,"maxReal":1}}', "minReal exceeds maxReal"],
    ['{"key":{"type":"string","minLength":5,"maxLength":1}}', "minLength exceeds maxLength"],
    [
      '{"key":{"type":"uuid","refTable":"T","refType":"soft"}}',
      'refType must be "strong" or "weak" (not "soft")',
    ],
    [
      '{"key":"integer","bogus":1}',
      "Parsing ovsdb type failed: Member 'bogus' is present but not allowed here.",
    ],
    ['{"value":"integer"}', "Parsing ovsdb type failed: Required 'key' member is missing."],
  ];
  for (const [input, details] of cases) rejects(() => type(input), "syntax error", details);
});

Deno.test("types read in English as upstream words them", () => {
  assert.equal(typeToEnglish(type('"integer"')), "integer");
  assert.equal(typeToEnglish(type('{"key":"string","min":0,"max":"unlimited"}')), "set of strings");
  assert.equal(
    typeToEnglish(type('{"key":"string","min":1,"max":"unlimited"}')),
    "set of 1 or more strings",
  );
  assert.equal(typeToEnglish(type('{"key":"integer","min":0,"max":2}')), "set of up to 2 integers");
  assert.equal(typeToEnglish(type('{"key":"integer","min":1,"max":4}')), "set of 1 to 4 integers");
  assert.equal(
    typeToEnglish(type('{"key":"string","value":"uuid","min":0,"max":"unlimited"}')),
    "map of (string, uuid) pairs",
  );
});

Deno.test("datums are sorted canonically and printed in RFC 7047 notation", () => {
  const set = '{"key":"string","min":0,"max":"unlimited"}';
  assert.equal(show(set, '["set",["b","a","c"]]'), '["set",["a","b","c"]]');
  assert.equal(show(set, '"a"'), '"a"');
  assert.equal(show(set, '["set",[]]'), '["set",[]]');
  const map = '{"key":"integer","value":"string","min":0,"max":"unlimited"}';
  assert.equal(show(map, '["map",[[2,"b"],[1,"a"]]]'), '["map",[[1,"a"],[2,"b"]]]');
  const uuids = '{"key":"uuid","min":0,"max":"unlimited"}';
  assert.equal(
    show(
      uuids,
      '["set",[["uuid","B0000000-0000-0000-0000-000000000000"],["uuid","a0000000-0000-0000-0000-000000000000"]]]',
    ),
    '["set",[["uuid","a0000000-0000-0000-0000-000000000000"],["uuid","b0000000-0000-0000-0000-000000000000"]]]',
  );
  assert.equal(show('"real"', "3"), "3");
  assert.equal(
    show('{"key":"real","min":0,"max":"unlimited"}', '["set",[2.5,-1,1e100]]'),
    '["set",[-1,2.5,1e+100]]',
  );
});

Deno.test("bad datums are rejected with upstream's details", () => {
  const set = '{"key":"string","min":0,"max":2}';
  const cases: [string, string, string, string][] = [
    [set, '["set",["a","a"]]', "ovsdb error", "set contains duplicate"],
    [
      set,
      '["set",["a","b","c"]]',
      "syntax error",
      "set must have 0 to 2 members but 3 are present",
    ],
    [
      '"string"',
      '["set",["a","b"]]',
      "syntax error",
      "set must have exactly one member but 2 are present",
    ],
    ['"integer"', '"x"', "syntax error", "expected integer"],
    ['"integer"', "1.5", "syntax error", "expected integer"],
    ['"boolean"', "1", "syntax error", "expected boolean"],
    ['"uuid"', '["uuid","x"]', "syntax error", '"x" is not a valid UUID'],
    ['"uuid"', '["named-uuid","x"]', "syntax error", 'expected ["uuid", <string>]'],
    [
      '{"key":"integer","value":"integer","min":0,"max":"unlimited"}',
      '["map",[[1,1],[1,2]]]',
      "ovsdb error",
      "map contains duplicate key",
    ],
    [
      '{"key":"integer","value":"integer","min":0,"max":"unlimited"}',
      '["map",[[1]]]',
      "syntax error",
      "expected 2-element array",
    ],
    [
      '{"key":"integer","value":"integer","min":0,"max":"unlimited"}',
      '["set",[]]',
      "syntax error",
      'expected ["map", <array>]',
    ],
    [
      '{"key":{"type":"integer","minInteger":0,"maxInteger":10}}',
      "11",
      "constraint violation",
      "11 is not in the valid range 0 to 10 (inclusive)",
    ],
    [
      '{"key":{"type":"integer","minInteger":0}}',
      "-1",
      "constraint violation",
      "-1 is less than minimum allowed value 0",
    ],
    [
      '{"key":{"type":"integer","maxInteger":0}}',
      "1",
      "constraint violation",
      "1 is greater than maximum allowed value 0",
    ],
    [
      '{"key":{"type":"real","minReal":0.5,"maxReal":1}}',
      "2",
      "constraint violation",
      "2 is not in the valid range 0.5 to 1 (inclusive)",
    ],
    [
      '{"key":{"type":"string","maxLength":2}}',
      '"abc"',
      "constraint violation",
      '"abc" length 3 is greater than maximum allowed length 2',
    ],
    [
      '{"key":{"type":"string","enum":["set",["a","b"]]}}',
      '"c"',
      "constraint violation",
      "c is not one of the allowed values ([a, b])",
    ],
  ];
  for (const [t, d, error, details] of cases) rejects(() => datum(t, d), error, details);
});

Deno.test("named UUIDs resolve through the symbol table", () => {
  const symtab = new SymbolTable();
  const t = type('{"key":{"type":"uuid","refTable":"T"}}');
  const d = datumFromJson(parseOvsJson('["named-uuid","row1"]'), t, symtab);
  const symbol = symtab.symbols.get("row1")!;
  assert.equal(d.keys[0], symbol.uuid);
  assert.equal(symbol.strongRef, true);
  rejects(
    () => datumFromJson(parseOvsJson('["named-uuid","1x"]'), t, symtab),
    "syntax error",
    "named-uuid string is not a valid <id>",
  );
});

Deno.test("datum diffs round-trip for sets, maps and scalars", () => {
  const cases: [string, string, string][] = [
    ['{"key":"integer","min":0,"max":"unlimited"}', '["set",[1,2,3]]', '["set",[2,3,4]]'],
    [
      '{"key":"string","value":"integer","min":0,"max":"unlimited"}',
      '["map",[["a",1],["b",2]]]',
      '["map",[["b",3],["c",4]]]',
    ],
    ['"integer"', "1", "2"],
    ['{"key":"integer","min":0,"max":1}', '["set",[]]', "7"],
  ];
  for (const [t, a, b] of cases) {
    const ty = type(t);
    const old = datum(t, a);
    const neu = datum(t, b);
    const diff = datumDiff(old, neu, ty);
    assert.deepEqual(datumApplyDiff(old, diff, ty), neu, `${a} -> ${b}`);
  }
  const ty = type('{"key":"integer","min":0,"max":"unlimited"}');
  assert.equal(
    toOvsJson(
      datumToJson(
        datumDiff(
          datum(toOvsJson(typeToJson(ty)), '["set",[1,2]]'),
          datum(toOvsJson(typeToJson(ty)), '["set",[2,3]]'),
          ty,
        ),
        ty,
      ),
    ),
    '["set",[1,3]]',
  );
});

Deno.test("the string syntax parses and prints as ovs-vsctl's", () => {
  const set = type('{"key":"string","min":0,"max":"unlimited"}');
  assert.equal(datumToString(datumFromString("[b, a]", set), set), "[a, b]");
  assert.equal(datumToString(datumFromString('"hello world"', set), set), '["hello world"]');
  const map = type('{"key":"string","value":"string","min":0,"max":"unlimited"}');
  assert.equal(datumToString(datumFromString('{k=v, a="x y"}', map), map), '{a="x y", k=v}');
  const ints = type('{"key":"integer","min":0,"max":"unlimited"}');
  assert.equal(datumToString(datumFromString("1-3,7", ints), ints), "[1, 2, 3, 7]");
  const scalar = type('"string"');
  assert.equal(datumToString(datumFromString("true", scalar), scalar), '"true"');
  assert.equal(atomFromString("yes", type('"boolean"').key), true);
  assert.equal(atomFromString("2.50", type('"real"').key), 2.5);
  const errors: [() => unknown, string][] = [
    [() => datumFromString("", set), 'use "[]" to specify the empty set'],
    [() => datumFromString("", map), 'use "{}" to specify the empty map'],
    [() => datumFromString("[a", set), '[a: missing "]" at end of data'],
    [() => datumFromString("[a] x", set), '[a] x: trailing garbage after "]"'],
    [() => datumFromString("[a, a]", set), "[a, a]: set contains duplicate value"],
    [() => datumFromString("{a}", map), 'a}: syntax error at "}" expecting "="'],
    [() => atomFromString("x", type('"integer"').key), '"x" is not a valid integer or range'],
    [
      () => atomFromString("maybe", type('"boolean"').key),
      '"maybe" is not a valid boolean (use "true" or "false")',
    ],
    [
      () => atomFromString("", scalar.key),
      'An empty string is not valid as input; use "" to represent the empty string',
    ],
    [
      () => datumFromString("3-1", ints),
      '"3-1" is not a valid range. Range end cannot be before start.',
    ],
    [
      () => datumFromString("a, b", type('{"key":"string","min":0,"max":1}')),
      "a, b: 2 value(s) specified but the maximum number is 1",
    ],
  ];
  for (const [fn, msg] of errors) {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof SyntaxError);
      assert.equal(e.message, msg);
      return true;
    });
  }
});
