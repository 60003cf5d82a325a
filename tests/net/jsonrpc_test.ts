import assert from "node:assert/strict";
import { messageFromJson, messageToJson, notify, reply, request } from "../../core/net/jsonrpc.ts";

Deno.test("jsonrpc classifies requests, notifications, replies and errors by their members", () => {
  assert.deepEqual(messageFromJson({ method: "echo", params: [], id: 0 }), request("echo", [], 0));
  assert.deepEqual(
    messageFromJson({ method: "update", params: [1], id: null }),
    notify("update", [1]),
  );
  assert.deepEqual(messageFromJson({ result: "x", error: null, id: 3 }), reply("x", 3));
  assert.deepEqual(messageFromJson({ error: "bad", id: 3 }), {
    type: "error",
    error: "bad",
    id: 3,
  });
});

Deno.test("jsonrpc rejects invalid messages with upstream's reasons", () => {
  const cases: [unknown, string][] = [
    [[1], "message is not a JSON object"],
    [{ method: 1, params: [], id: 1 }, "method is not a JSON string"],
    [{ method: "x", params: [], id: 1, extra: 1 }, 'message has unexpected member "extra"'],
    [{ method: "x", params: {}, id: 1 }, '"params" must be JSON array'],
    [{ method: "x", id: 1 }, 'request must have "params"'],
    [{ method: "x", params: [], result: 1, id: 1 }, 'reply must not have "method"'],
    [{ result: 1 }, 'reply must have "id"'],
    [{}, 'notification must have "method"'],
  ];
  for (const [json, reason] of cases) {
    assert.deepEqual(messageFromJson(json as never), { invalid: reason }, JSON.stringify(json));
  }
});

Deno.test("jsonrpc writes members in Open vSwitch 3.1's order", () => {
  assert.equal(
    JSON.stringify(messageToJson(request("echo", [], 0))),
    '{"id":0,"method":"echo","params":[]}',
  );
  assert.equal(
    JSON.stringify(messageToJson(reply("ok", 0))),
    '{"id":0,"result":"ok","error":null}',
  );
  assert.equal(
    JSON.stringify(messageToJson(notify("update", []))),
    '{"id":null,"method":"update","params":[]}',
  );
});
