import assert from "node:assert/strict";
import { Idl } from "../../core/db/idl.ts";
import { IdlTransaction } from "../../core/db/idl_txn.ts";
import { vlogSetLevels } from "../../core/net/vlog.ts";
import { run } from "../support/run.ts";
import { startOvsdbServer } from "../support/ovsdb.ts";
import { needPrograms, testIf } from "../support/skip.ts";

vlogSetLevels(undefined, "console", "off");

/** A real ovsdb-server on a fresh database, the oracle our IDL must agree with. */
async function realServer() {
  const server = await startOvsdbServer("real");
  const vsctl = (...args: string[]) =>
    run("ovs-vsctl", [`--db=${server.remote}`, "--no-wait", ...args], server.env);
  return { ...server, vsctl };
}

/** An IDL on `server`'s Open_vSwitch database, synced, with the root row created. */
async function syncedIdl(server: Awaited<ReturnType<typeof realServer>>): Promise<Idl> {
  assert.equal((await server.vsctl("init")).code, 0);
  const idl = new Idl(server.remote, "Open_vSwitch", { quiet: true });
  idl.start();
  await idl.waitForSync();
  return idl;
}

const REAL = needPrograms("ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovs-appctl");

testIf(REAL, "the IDL replicates a real server's database and follows its changes", async () => {
  const server = await realServer();
  const idl = new Idl(server.remote, "Open_vSwitch", { quiet: true });
  try {
    assert.equal((await server.vsctl("init")).code, 0);
    assert.equal((await server.vsctl("add-br", "br0")).code, 0);
    idl.start();
    await idl.waitForSync();
    const bridges = [...idl.rows("Bridge")];
    assert.equal(bridges.length, 1);
    assert.deepEqual(bridges[0]?.columns.get("name"), { keys: ["br0"], values: null });
    const changed = idl.waitForChange();
    assert.equal((await server.vsctl("set", "Bridge", "br0", "external_ids:k=v")).code, 0);
    await changed;
    while ([...idl.rows("Bridge")][0]?.columns.get("external_ids")?.keys[0] !== "k") {
      await idl.waitForChange();
    }
    assert.deepEqual([...idl.rows("Bridge")][0]?.columns.get("external_ids"), {
      keys: ["k"],
      values: ["v"],
    });
  } finally {
    idl.close();
    await server.stop();
  }
});

testIf(
  REAL,
  "an IDL transaction inserts referenced rows that the real ovs-vsctl then sees",
  async () => {
    const server = await realServer();
    const idl = await syncedIdl(server);
    try {
      const root = idl.first("Open_vSwitch");
      assert.ok(root);
      const txn = new IdlTransaction(idl);
      const iface = txn.insert("Interface");
      txn.write("Interface", iface, "name", { keys: ["br9"], values: null });
      txn.write("Interface", iface, "type", { keys: ["internal"], values: null });
      const port = txn.insert("Port");
      txn.write("Port", port, "name", { keys: ["br9"], values: null });
      txn.write("Port", port, "interfaces", { keys: [iface], values: null });
      const bridge = txn.insert("Bridge");
      txn.write("Bridge", bridge, "name", { keys: ["br9"], values: null });
      txn.write("Bridge", bridge, "ports", { keys: [port], values: null });
      txn.verify("Open_vSwitch", root.uuid, "bridges");
      txn.write("Open_vSwitch", root.uuid, "bridges", { keys: [bridge], values: null });
      txn.increment("Open_vSwitch", root.uuid, "next_cfg");
      txn.comment("ovs-deno idl test");
      const result = await txn.commit();
      assert.equal(result.status, "success", result.error);
      assert.equal(result.inserted.size, 3);
      assert.equal(result.incremented, 1n);
      const listed = await server.vsctl("list-br");
      assert.equal(listed.stdout, "br9\n");
      const ports = await server.vsctl("list-ifaces", "br9");
      assert.equal(ports.stdout, "");
      const type = await server.vsctl("get", "Interface", "br9", "type");
      assert.equal(type.stdout, "internal\n");
    } finally {
      idl.close();
      await server.stop();
    }
  },
);

testIf(
  REAL,
  "a transaction whose verified column changed meanwhile reports try again",
  async () => {
    const server = await realServer();
    const idl = await syncedIdl(server);
    try {
      const root = idl.first("Open_vSwitch");
      assert.ok(root);
      const txn = new IdlTransaction(idl);
      txn.verify("Open_vSwitch", root.uuid, "external_ids");
      txn.write("Open_vSwitch", root.uuid, "external_ids", { keys: ["mine"], values: ["1"] });
      // Someone else changes the verified column before we commit.
      assert.equal(
        (await server.vsctl("set", "Open_vSwitch", ".", "external_ids:theirs=2")).code,
        0,
      );
      const result = await txn.commit();
      assert.equal(result.status, "try again");
      const ids = await server.vsctl("get", "Open_vSwitch", ".", "external_ids");
      assert.equal(ids.stdout, '{theirs="2"}\n');
    } finally {
      idl.close();
      await server.stop();
    }
  },
);
