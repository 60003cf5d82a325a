import assert from "node:assert/strict";
import {
  compareBytes,
  formatG,
  parseExact,
  parseOvsJson,
  quoteString,
  rawJson,
  toOvsJson,
} from "../../core/db/json.ts";
import { hashOrder, hashString } from "../../core/db/hash_order.ts";

Deno.test("reals print like C's %.15g", () => {
  const cases: [number, string][] = [
    [1.5, "1.5"],
    [0.1, "0.1"],
    [1e-7, "1e-07"],
    [123456789012345678, "1.23456789012346e+17"],
    [1e15, "1e+15"],
    [123456789012345, "123456789012345"],
    [-2.5e-5, "-2.5e-05"],
    [0.0001, "0.0001"],
    [1 / 3, "0.333333333333333"],
    [Number.MAX_VALUE, "1.79769313486232e+308"],
    [0, "0"],
  ];
  for (const [x, s] of cases) assert.equal(formatG(x), s, String(x));
});

Deno.test("integers and reals are told apart as upstream's parser does", () => {
  assert.equal(parseOvsJson("1"), 1n);
  assert.equal(parseOvsJson("1.0"), 1n);
  assert.equal(parseOvsJson("1e2"), 100n);
  assert.equal(parseOvsJson("-0"), 0n);
  assert.equal(parseOvsJson("1.5"), 1.5);
  assert.equal(parseOvsJson("9223372036854775807"), 9223372036854775807n);
  assert.equal(parseOvsJson("9223372036854775808"), 9223372036854775808);
  assert.equal(parseOvsJson("1e-2"), 0.01);
});

Deno.test("malformed JSON is rejected with upstream's position and reason", () => {
  const cases: [string, string][] = [
    ["[1,", "line 0, column 3, byte 3: unexpected end of input"],
    ["", "line 0, column 0, byte 0: empty input stream"],
    ["[1] x", "line 0, column 4, byte 4: trailing garbage at end of input"],
    ["01", "leading zeros not allowed"],
    ["1.", "decimal point must be followed by digit"],
    ["1e", "exponent must contain at least one digit"],
    ["-", "'-' must be followed by digit"],
    ["tru", "invalid keyword 'tru'"],
    ['{"a" 1}', "syntax error parsing object expecting ':'"],
    ['{"a":1 "b"}', "syntax error expecting '}' or ','"],
    ["[1 2]", "syntax error expecting ']' or ','"],
    ['"abc', "unexpected end of input in quoted string"],
    ['"a\u0001"', "U+0001 must be escaped in quoted string"],
    ["\n  @", "line 1, column 2, byte 3: invalid character '@'"],
  ];
  for (const [text, msg] of cases) {
    assert.throws(() => parseOvsJson(text), (e: unknown) => {
      assert.ok(e instanceof SyntaxError);
      assert.ok(e.message.includes(msg), `${JSON.stringify(text)}: ${e.message}`);
      return true;
    });
  }
});

Deno.test("strings are escaped as upstream's serializer does", () => {
  assert.equal(quoteString('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(quoteString("\b\t\n\f\r\u0001\u001f"), '"\\b\\t\\n\\f\\r\\u0001\\u001f"');
  assert.equal(quoteString("é/\u007f"), '"é/\u007f"');
  assert.equal(parseOvsJson('"\\u00e9\\ud83d\\ude00\\/"'), "é😀/");
});

Deno.test("object members print in upstream's hash order, or sorted", () => {
  // Upstream writes this record's members in exactly this order.
  const record = { ordinals: {}, _comment: "hi", _is_diff: true, _date: 1n };
  assert.equal(toOvsJson(record), '{"_date":1,"ordinals":{},"_is_diff":true,"_comment":"hi"}');
  assert.equal(
    toOvsJson(record, { sort: true }),
    '{"_comment":"hi","_date":1,"_is_diff":true,"ordinals":{}}',
  );
  assert.deepEqual(hashOrder(["key", "min", "max"]), ["max", "min", "key"]);
});

Deno.test("hash_string matches upstream's portable hash", () => {
  // Stable values: changing them changes every member order we print.
  assert.equal(hashString(""), 0);
  assert.equal(typeof hashString("name"), "number");
  assert.notEqual(hashString("name"), hashString("eman"));
});

Deno.test("pretty output uses two-space indentation as upstream", () => {
  assert.equal(
    toOvsJson({ a: [1n, { b: null }], c: [] }, { pretty: true, sort: true }),
    '{\n  "a": [\n    1,\n    {\n      "b": null}],\n  "c": []}',
  );
});

Deno.test("strings compare by UTF-8 bytes", () => {
  assert.ok(compareBytes("a", "b") < 0);
  assert.ok(compareBytes("\uffff", "😀") < 0);
  assert.equal(compareBytes("x", "x"), 0);
  assert.ok(compareBytes("ab", "a") > 0);
});

Deno.test("the native-parser path gives exactly what the exact parser gives", () => {
  const texts = [
    "1",
    "-0",
    "0.0",
    "1.0",
    "1e2",
    "1.5e1",
    "1E400",
    "-1e400",
    "1e-400",
    "0.1e1",
    "12345678901234567",
    "1.0000000000000001",
    "9007199254740993",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551616",
    "1e19",
    "1e20",
    "2.5",
    '"\\u0000"',
    '["\\u0000"]',
    '["a\\\\u0000"]',
    '{"__proto__":1,"a":[1,2.5,{"b":null}]}',
    '{"a":1,"b":2,"a":3}',
    '["uuid","550e8400-e29b-41d4-a716-446655440000"]',
    '["e-123", 0]',
    "[" + "[".repeat(1000) + "]".repeat(1000) + "]",
    "[".repeat(1000) + "]".repeat(1000),
    "[".repeat(5000) + "]".repeat(5000),
    '"\\ud83d\\ude00"',
    '"\\ud800"',
    " [ 1 , 2 ] ",
  ];
  const run = (f: (t: string) => unknown, t: string) => {
    try {
      return { value: f(t) };
    } catch (e) {
      return { error: String(e) };
    }
  };
  for (const text of texts) {
    assert.deepEqual(run(parseOvsJson, text), run(parseExact, text), text.slice(0, 40));
  }
});

Deno.test("raw JSON is spliced into serialised output verbatim", () => {
  const shared = rawJson(toOvsJson({ b: 1n, a: ["x"] }));
  assert.equal(
    toOvsJson(["update2", ["id", shared]]),
    `["update2",["id",${toOvsJson({ b: 1n, a: ["x"] })}]]`,
  );
  assert.equal(toOvsJson([shared], { pretty: true }), `[\n  ${toOvsJson({ b: 1n, a: ["x"] })}]`);
});
