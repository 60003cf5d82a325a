import assert from "node:assert/strict";
import { JsonRpcConnection } from "../../core/net/jsonrpc_connection.ts";
import type { JsonRpcMessage } from "../../core/net/jsonrpc.ts";
import { reply } from "../../core/net/jsonrpc.ts";

/** A listening unix socket in a fresh directory, and a way to connect raw clients to it. */
async function socketPair(): Promise<
  { server: Deno.Conn; client: Deno.Conn; cleanup: () => void }
> {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/test.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const [client, server] = await Promise.all([
    Deno.connect({ transport: "unix", path }),
    listener.accept(),
  ]);
  listener.close();
  return {
    server,
    client,
    cleanup: () => {
      try {
        client.close();
      } catch { /* closed */ }
      Deno.removeSync(dir, { recursive: true });
    },
  };
}

async function readAll(conn: Deno.Conn): Promise<string> {
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(65536);
  for (;;) {
    let n: number | null;
    try {
      n = await conn.read(buffer);
    } catch {
      break;
    }
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
  }
  return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
}

Deno.test("connection answers requests split over many writes", async () => {
  const { server, client, cleanup } = await socketPair();
  const connection = new JsonRpcConnection(server, { name: "test" });
  connection.onMessage = (message: JsonRpcMessage) => {
    if (message.type === "request") connection.send(reply(message.params, message.id));
  };
  connection.start();
  const text = '{"id":7,"method":"echo","params":["hello"]}';
  const encoded = new TextEncoder().encode(text);
  for (const byte of encoded) {
    await client.write(new Uint8Array([byte]));
  }
  const buffer = new Uint8Array(1024);
  const n = await client.read(buffer);
  assert.equal(
    new TextDecoder().decode(buffer.subarray(0, n ?? 0)),
    '{"id":7,"result":["hello"],"error":null}',
  );
  connection.close();
  cleanup();
});

Deno.test("connection answers malformed JSON with an error and disconnects", async () => {
  const { server, client, cleanup } = await socketPair();
  const connection = new JsonRpcConnection(server, { name: "test" });
  const closed = new Promise<string | undefined>((resolve) => (connection.onClose = resolve));
  connection.start();
  await client.write(new TextEncoder().encode('{"id":1,"method":}'));
  const answer = await readAll(client);
  const parsed = JSON.parse(answer);
  assert.equal(parsed.id, null);
  assert.match(parsed.error, /^syntax error/);
  assert.equal(await closed, "protocol error");
  cleanup();
});

Deno.test("connection answers an invalid JSON-RPC message with the reason and disconnects", async () => {
  const { server, client, cleanup } = await socketPair();
  const connection = new JsonRpcConnection(server, { name: "test" });
  connection.start();
  await client.write(new TextEncoder().encode('{"id":1,"method":"x"}'));
  assert.deepEqual(JSON.parse(await readAll(client)), {
    id: null,
    error: 'request must have "params"',
  });
  cleanup();
});

Deno.test("connection refuses an oversized message without crashing", async () => {
  const { server, client, cleanup } = await socketPair();
  const connection = new JsonRpcConnection(server, { name: "test", maxTextBytes: 4096 });
  const closed = new Promise<string | undefined>((resolve) => (connection.onClose = resolve));
  connection.start();
  const huge = new TextEncoder().encode('{"id":1,"method":"x","params":["' + "a".repeat(100000));
  client.write(huge).catch(() => {});
  const reason = await closed;
  assert.match(reason ?? "", /maximum message size 4096/);
  cleanup();
});

Deno.test("connection disconnects a peer that does not read once the backlog bound is passed", async () => {
  const { server, cleanup } = await socketPair();
  const connection = new JsonRpcConnection(server, { name: "test", maxBacklogBytes: 1 << 20 });
  const closed = new Promise<string | undefined>((resolve) => (connection.onClose = resolve));
  connection.start();
  const big = "x".repeat(64 * 1024);
  let sent = 0;
  while (connection.send(reply(big, sent))) {
    sent++;
    if (sent > 10000) break;
  }
  assert.ok(sent < 10000, "the bound must stop an unread peer");
  assert.equal(await closed, "sending backlog exceeded");
  cleanup();
});

Deno.test("connection call resolves with the peer's result and rejects on its error", async () => {
  const { server, client, cleanup } = await socketPair();
  const a = new JsonRpcConnection(server, { name: "a" });
  const b = new JsonRpcConnection(client, { name: "b" });
  b.onMessage = (message) => {
    if (message.type !== "request") return;
    if (message.method === "fail") b.send({ type: "error", error: "nope", id: message.id });
    else b.send(reply(message.params.length, message.id));
  };
  a.start();
  b.start();
  assert.equal(await a.call("count", [1, 2, 3]), 3);
  await assert.rejects(a.call("fail", []), /nope/);
  a.close();
  b.close();
  cleanup();
});
