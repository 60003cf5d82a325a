import assert from "node:assert/strict";
import {
  openPassiveStream,
  openStream,
  parsePassiveTarget,
  parseTarget,
} from "../../core/net/stream.ts";

Deno.test("stream names parse as upstream's, relative unix paths under OVS_RUNDIR", () => {
  Deno.env.set("OVS_RUNDIR", "/run/test");
  assert.deepEqual(parseTarget("unix:db.sock", 6640), { kind: "unix", path: "/run/test/db.sock" });
  assert.deepEqual(parseTarget("unix:/x/db.sock", 6640), { kind: "unix", path: "/x/db.sock" });
  assert.deepEqual(parseTarget("tcp:127.0.0.1", 6640), {
    kind: "tcp",
    host: "127.0.0.1",
    port: 6640,
  });
  assert.deepEqual(parseTarget("tcp:[::1]:6653", 6640), { kind: "tcp", host: "::1", port: 6653 });
  assert.deepEqual(parseTarget("ssl:10.0.0.1:6641", 6640), {
    kind: "ssl",
    host: "10.0.0.1",
    port: 6641,
  });
  assert.deepEqual(parsePassiveTarget("ptcp:6641:127.0.0.1", 6640), {
    kind: "ptcp",
    host: "127.0.0.1",
    port: 6641,
  });
  assert.deepEqual(parsePassiveTarget("ptcp:", 6640), {
    kind: "ptcp",
    host: "0.0.0.0",
    port: 6640,
  });
  assert.deepEqual(parsePassiveTarget("punix:/x/y", 6640), { kind: "punix", path: "/x/y" });
  assert.throws(() => parseTarget("tcp:1.2.3.4:99999", 6640), /bad port/);
  assert.throws(() => parseTarget("bogus:x", 6640), /unknown stream type/);
  Deno.env.delete("OVS_RUNDIR");
});

Deno.test("ptcp:0 listens on a free port and reports it", async () => {
  const listener = openPassiveStream("ptcp:0:127.0.0.1", 6640);
  const match = /^ptcp:(\d+):127\.0\.0\.1$/.exec(listener.name);
  assert.ok(match, listener.name);
  const accepted = listener.accept();
  const client = await openStream(`tcp:127.0.0.1:${match[1]}`, 6640);
  const server = await accepted;
  await client.write(new Uint8Array([1, 2, 3]));
  const buffer = new Uint8Array(3);
  assert.equal(await server.read(buffer), 3);
  client.close();
  server.close();
  listener.close();
});

Deno.test("an ssl stream without keys and certificates fails as upstream's: Protocol not available", async () => {
  // (tests/net/stream_ssl_test.ts covers SSL streams that are configured.)
  await assert.rejects(openStream("ssl:127.0.0.1:6640", 6640), {
    message: "Protocol not available",
  });
});
