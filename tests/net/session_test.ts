import assert from "node:assert/strict";
import { JsonRpcSession } from "../../core/net/jsonrpc_session.ts";
import { reply } from "../../core/net/jsonrpc.ts";
import { JsonRpcConnection } from "../../core/net/jsonrpc_connection.ts";
import { vlogSetLevels } from "../../core/net/vlog.ts";
import { waitFor } from "../support/run.ts";

vlogSetLevels("reconnect", "console", "off");

Deno.test("a session connects once its server appears, and reconnects after the server drops it", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/server.sock`;
  const session = new JsonRpcSession(`unix:${path}`, { defaultPort: 0 });
  let connects = 0;
  let disconnects = 0;
  session.onConnect = () => connects++;
  session.onDisconnect = () => disconnects++;
  session.start();
  try {
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(session.isConnected, false);
    const listener = Deno.listen({ transport: "unix", path });
    const served: JsonRpcConnection[] = [];
    (async () => {
      for await (const conn of listener) {
        const connection = new JsonRpcConnection(conn, { name: "server" });
        connection.onMessage = (message) => {
          if (message.type === "request") connection.send(reply(message.method, message.id));
        };
        connection.start();
        served.push(connection);
      }
    })().catch(() => {});
    // The first retry comes after the 1 s minimum backoff.
    await waitFor(() => session.isConnected, 4000, "first connection");
    assert.equal(await session.call("hello", []), "hello");
    served[0]?.close();
    await waitFor(() => disconnects === 1, 2000, "disconnect");
    await waitFor(() => session.isConnected, 4000, "reconnection");
    assert.equal(connects, 2);
    assert.notEqual(session.seqno, 0);
    listener.close();
    for (const connection of served) connection.close();
  } finally {
    session.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a session answers the server's echo requests", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/server.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const session = new JsonRpcSession(`unix:${path}`, { defaultPort: 0 });
  session.start();
  try {
    const conn = await listener.accept();
    const server = new JsonRpcConnection(conn, { name: "server" });
    server.start();
    assert.deepEqual(await server.call("echo", ["ping", 1]), ["ping", 1]);
    server.close();
  } finally {
    session.close();
    listener.close();
    await Deno.remove(dir, { recursive: true });
  }
});
