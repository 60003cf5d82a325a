import assert from "node:assert/strict";
import { JsonFramer, MAX_NESTING } from "../../core/net/json_stream.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function texts(results: ReturnType<JsonFramer["feed"]>): string[] {
  return results.map((r) => ("text" in r ? r.text : `ERROR:${r.error}`));
}

Deno.test("framer finds back-to-back JSON texts with no delimiter in one read", () => {
  const framer = new JsonFramer();
  const out = texts(framer.feed(bytes('{"id":1}{"id":2}[3]')));
  assert.deepEqual(out, ['{"id":1}', '{"id":2}', "[3]"]);
});

Deno.test("framer reassembles a text split across reads at every byte", () => {
  const message = '{"method":"echo","params":["a}b","c\\"{"],"id":"x"}';
  for (let cut = 1; cut < message.length; cut++) {
    const framer = new JsonFramer();
    const first = texts(framer.feed(bytes(message.slice(0, cut))));
    const second = texts(framer.feed(bytes(message.slice(cut))));
    assert.deepEqual([...first, ...second], [message], `cut at ${cut}`);
  }
});

Deno.test("framer keeps braces and escaped quotes inside strings out of the nesting count", () => {
  const framer = new JsonFramer();
  const message = '{"a":"}}}\\\\","b":"\\"{"}';
  assert.deepEqual(texts(framer.feed(bytes(message + message))), [message, message]);
});

Deno.test("framer skips whitespace between texts", () => {
  const framer = new JsonFramer();
  assert.deepEqual(texts(framer.feed(bytes(' \n{"a":1}\r\n\t {"b":2} '))), ['{"a":1}', '{"b":2}']);
  assert.equal(framer.pending, 0);
});

Deno.test("framer handles multi-byte UTF-8 split between reads", () => {
  const framer = new JsonFramer();
  const all = bytes('{"name":"bräu€"}');
  const out = [...texts(framer.feed(all.subarray(0, 12))), ...texts(framer.feed(all.subarray(12)))];
  assert.deepEqual(out, ['{"name":"bräu€"}']);
});

Deno.test("framer refuses a top-level scalar", () => {
  const framer = new JsonFramer();
  assert.deepEqual(texts(framer.feed(bytes("42"))), ["ERROR:syntax error at beginning of input"]);
});

Deno.test("framer refuses nesting deeper than upstream's limit", () => {
  const framer = new JsonFramer();
  const out = texts(framer.feed(bytes("[".repeat(MAX_NESTING + 1))));
  assert.deepEqual(out, [`ERROR:input exceeds maximum nesting depth ${MAX_NESTING}`]);
});

Deno.test("framer refuses an oversized text without buffering it", () => {
  const framer = new JsonFramer(1024);
  const chunk = bytes('{"x":"' + "a".repeat(600));
  assert.deepEqual(texts(framer.feed(chunk)), []);
  const out = texts(framer.feed(chunk));
  assert.equal(out.length, 1);
  assert.match(out[0] ?? "", /^ERROR:input exceeds maximum message size 1024 bytes/);
  assert.ok(framer.pending <= 1024);
  // Once failed, the framer stays failed.
  assert.match(texts(framer.feed(bytes("{}")))[0] ?? "", /^ERROR:/);
});

Deno.test("framer reports invalid UTF-8", () => {
  const framer = new JsonFramer();
  const out = texts(framer.feed(new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])));
  assert.deepEqual(out, ["ERROR:invalid UTF-8 in input"]);
});
