import assert from "node:assert/strict";
import { parseJson, stringifyJson } from "../../core/net/json_value.ts";

Deno.test("json parser keeps 64-bit integers exact as bigint", () => {
  const value = parseJson('{"a":18446744073709551615,"b":-9223372036854775808,"c":7,"d":1.5}');
  assert.deepEqual(value, { a: 18446744073709551615n, b: -9223372036854775808n, c: 7, d: 1.5 });
});

Deno.test("json serialiser writes bigints as plain integers, compactly", () => {
  assert.equal(
    stringifyJson({ a: 18446744073709551615n, b: [1, "x"] }),
    '{"a":18446744073709551615,"b":[1,"x"]}',
  );
});

Deno.test("json parser rejects malformed text with SyntaxError", () => {
  assert.throws(() => parseJson('{"a":}'), SyntaxError);
});
