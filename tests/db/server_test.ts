import assert from "node:assert/strict";
import { maskUuids, startOvsdbServer, type TestServer } from "../support/ovsdb.ts";
import { alive, run, runOvs, waitFor } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";
import { JsonRpcConnection } from "../../core/net/jsonrpc_connection.ts";

const REAL = needPrograms("ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovsdb-client", "ovs-appctl");

/**
 * Output lines in a stable order: ovs-vsctl lists rows in its replica's hash order, which follows
 * the rows' random UUIDs, so two servers legitimately differ in row order.
 */
function rowsAsSet(text: string): string {
  return text.split("\n").sort().join("\n");
}

/** Runs one ovs-vsctl command line (real client) against `server`. */
function vsctl(server: TestServer, ...args: string[]) {
  return run("ovs-vsctl", [`--db=${server.remote}`, "--no-wait", ...args], server.env);
}

const VSCTL_SCRIPT: string[][] = [
  ["init"],
  ["add-br", "br0"],
  ["add-br", "br0"],
  ["add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=internal"],
  ["add-port", "br0", "p2", "tag=10"],
  ["add-bond", "br0", "bond0", "a", "b"],
  ["list-br"],
  ["list-ports", "br0"],
  ["list-ifaces", "br0"],
  ["port-to-br", "p1"],
  ["iface-to-br", "a"],
  ["br-exists", "br0"],
  ["br-exists", "nosuch"],
  ["set", "Bridge", "br0", "other_config:hwaddr=00:11:22:33:44:55", "external_ids:a=b"],
  ["get", "Bridge", "br0", "other_config", "external_ids:a"],
  ["--columns=name,tag", "list", "Port", "p2"],
  ["--format=csv", "--columns=name", "find", "Interface", "type=internal"],
  ["--format=json", "--columns=name,type", "list", "Interface", "p1"],
  ["set-fail-mode", "br0", "secure"],
  ["get-fail-mode", "br0"],
  ["set-controller", "br0", "tcp:127.0.0.1:6653", "punix:/tmp/x.sock"],
  ["get-controller", "br0"],
  ["set-manager", "ptcp:6640"],
  ["get-manager"],
  ["add", "Bridge", "br0", "flood_vlans", "1", "2"],
  ["remove", "Bridge", "br0", "flood_vlans", "1"],
  ["clear", "Bridge", "br0", "flood_vlans"],
  ["--", "--id=@q", "create", "QoS", "type=linux-htb", "--", "set", "Port", "p1", "qos=@q"],
  ["set", "Interface", "p1", "nosuchcolumn=1"],
  ["set", "Port", "p2", "tag=notanumber"],
  ["del-port", "br0", "nosuch"],
  ["del-port", "br0", "p2"],
  ["show"],
  ["del-br", "br0"],
  ["list-br"],
  ["--all", "destroy", "QoS"],
  ["list", "QoS"],
];

testIf(
  REAL,
  "the real ovs-vsctl gets the same answers from our server as from the real one",
  async () => {
    const ours = await startOvsdbServer("ours");
    const real = await startOvsdbServer("real");
    try {
      for (const command of VSCTL_SCRIPT) {
        const a = await vsctl(ours, ...command);
        const b = await vsctl(real, ...command);
        const what = command.join(" ");
        assert.equal(a.code, b.code, `exit code of ${what}: ${a.stderr}`);
        assert.equal(
          rowsAsSet(maskUuids(a.stdout)),
          rowsAsSet(maskUuids(b.stdout)),
          `stdout of ${what}`,
        );
        assert.equal(
          a.stderr.replaceAll(ours.dir, "DIR"),
          b.stderr.replaceAll(real.dir, "DIR"),
          `stderr of ${what}`,
        );
      }
    } finally {
      await ours.stop();
      await real.stop();
    }
  },
);

testIf(
  REAL,
  "the real ovsdb-client reads the same dump, schema and database list from our server",
  async () => {
    const ours = await startOvsdbServer("ours");
    const real = await startOvsdbServer("real");
    try {
      for (const server of [ours, real]) {
        await vsctl(server, "init");
        await vsctl(server, "add-br", "br0", "--", "set", "Bridge", "br0", "external_ids:x=y");
      }
      const commands = [
        ["list-dbs"],
        ["get-schema-version", "Open_vSwitch"],
        ["list-tables", "Open_vSwitch"],
        ["list-columns", "Open_vSwitch", "Bridge"],
        ["dump", "Open_vSwitch", "Bridge", "name", "external_ids"],
        ["--format=json", "dump", "Open_vSwitch", "Interface", "name", "type"],
        [
          "transact",
          '["Open_vSwitch",{"op":"select","table":"Bridge","where":[],"columns":["name"]}]',
        ],
        ["transact", '["Open_vSwitch",{"op":"insert","table":"Nosuch","row":{}}]'],
        ["transact", '["Nosuchdb"]'],
        ["get-schema", "Open_vSwitch"],
      ];
      for (const command of commands) {
        const args = command[0]?.startsWith("--")
          ? [command[0], command[1] ?? "", ours.remote, ...command.slice(2)]
          : [command[0] ?? "", ours.remote, ...command.slice(1)];
        const argsReal = args.map((x) => (x === ours.remote ? real.remote : x));
        const mine = await run("ovsdb-client", args, ours.env);
        const theirs = await run("ovsdb-client", argsReal, real.env);
        const what = command.join(" ");
        assert.equal(mine.code, theirs.code, `exit code of ${what}: ${mine.stderr}`);
        assert.equal(maskUuids(mine.stdout), maskUuids(theirs.stdout), `stdout of ${what}`);
      }
    } finally {
      await ours.stop();
      await real.stop();
    }
  },
);

testIf(REAL, "our server answers bad requests with errors and keeps serving", async () => {
  const ours = await startOvsdbServer("ours");
  try {
    const socket = `${ours.dir}/db.sock`;
    const exchange = async (text: string): Promise<string> => {
      const conn = await Deno.connect({ transport: "unix", path: socket });
      await conn.write(new TextEncoder().encode(text));
      const buffer = new Uint8Array(65536);
      const n = await conn.read(buffer);
      conn.close();
      return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
    };
    assert.match(
      await exchange('{"id":1,"method":"nosuch","params":[]}'),
      /"error":"unknown method"/,
    );
    assert.match(
      await exchange('{"id":1,"method":"transact","params":["Nosuch"]}'),
      /unknown database/,
    );
    assert.match(
      await exchange('{"id":1,"method":"transact","params":[1]}'),
      /must begin with <db-name>/,
    );
    assert.match(await exchange('{"id":1,"method":}'), /"error"/);
    assert.match(
      await exchange(
        '{"id":7,"method":"transact","params":["Open_vSwitch",{"op":"insert","table":"Bridge","row":{"name":5}}]}',
      ),
      /"error":"syntax error"/,
    );
    const listed = await vsctl(ours, "list-br");
    assert.equal(listed.code, 0);
    const pid = Number(Deno.readTextFileSync(`${ours.dir}/ovsdb-server.pid`).trim());
    assert.ok(alive(pid));
  } finally {
    await ours.stop();
  }
});

testIf(REAL, "the real ovsdb-tool reads the database file our server wrote", async () => {
  const ours = await startOvsdbServer("ours");
  try {
    await vsctl(ours, "init");
    await vsctl(ours, "add-br", "br7");
    const log = await run("ovsdb-tool", ["show-log", ours.db], ours.env);
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, /^record 0: "Open_vSwitch" schema, version="8\.3\.1"/m);
    assert.match(
      log.stdout,
      /^record 2: \d{4}-\d\d-\d\d [\d:.]+ "ovs-vsctl \(invoked by [^)]*\): \S*ovs-vsctl --db=unix:\S+ --no-wait add-br br7"$/m,
    );
    const query = await run(
      "ovsdb-tool",
      [
        "query",
        ours.db,
        '["Open_vSwitch",{"op":"select","table":"Bridge","where":[],"columns":["name"]}]',
      ],
      ours.env,
    );
    assert.equal(query.stdout, '[{"rows":[{"name":"br7"}]}]\n');
  } finally {
    await ours.stop();
  }
});

testIf(REAL, "every acknowledged transaction survives SIGKILL of our server", async () => {
  const ours = await startOvsdbServer("ours");
  try {
    await vsctl(ours, "init");
    const acknowledged: string[] = [];
    for (let i = 0; i < 20; i++) {
      const result = await vsctl(ours, "add-br", `br${i}`);
      if (result.code === 0) acknowledged.push(`br${i}`);
    }
    const pid = Number(Deno.readTextFileSync(`${ours.dir}/ovsdb-server.pid`).trim());
    Deno.kill(pid, "SIGKILL");
    await waitFor(() => !alive(pid), 5000, "server death");
    const restarted = await runOvs(
      [
        "ovsdb-server",
        "--detach",
        "--no-chdir",
        "--pidfile",
        "--log-file",
        `--remote=punix:${ours.dir}/db.sock`,
        ours.db,
      ],
      ours.env,
    );
    assert.equal(restarted.code, 0, restarted.stderr);
    const listed = await vsctl(ours, "list-br");
    assert.deepEqual(listed.stdout.trim().split("\n").sort(), acknowledged.sort());
  } finally {
    await ours.stop();
  }
});

/** One of our server's coverage counters, read with the real ovs-appctl. */
async function counter(server: TestServer, name: string): Promise<number> {
  const out = await run(
    "ovs-appctl",
    ["-t", "ovsdb-server", "coverage/read-counter", name],
    server.env,
  );
  return Number(out.stdout.trim());
}

testIf(
  REAL,
  "pipelined transactions are answered in order and share fdatasyncs (group commit)",
  async () => {
    const server = await startOvsdbServer("ours");
    const conn = await Deno.connect({ transport: "unix", path: `${server.dir}/db.sock` });
    const connection = new JsonRpcConnection(conn, { name: "test" });
    connection.start();
    try {
      await connection.call("transact", ["Open_vSwitch", {
        op: "insert",
        table: "Open_vSwitch",
        row: {},
      }]);
      const syncsBefore = await counter(server, "ovsdb_log_sync");
      const order: number[] = [];
      const n = 60;
      // Sent back to back without waiting; a select in the middle must see the inserts before it.
      const calls = Array.from({ length: n }, (_, i) =>
        connection.call(
          "transact",
          i === n / 2
            ? ["Open_vSwitch", { op: "select", table: "QoS", where: [], columns: ["type"] }]
            : ["Open_vSwitch", { op: "insert", table: "QoS", row: { type: `q${i}` } }],
        ).then((result) => {
          order.push(i);
          return result;
        }));
      const results = await Promise.all(calls);
      assert.deepEqual(order, Array.from({ length: n }, (_, i) => i));
      const selected = JSON.stringify(
        results[n / 2],
        (_k, v) => typeof v === "bigint" ? String(v) : v,
      );
      assert.equal((selected.match(/"type":"q/g) ?? []).length, n / 2);
      const syncs = (await counter(server, "ovsdb_log_sync")) - syncsBefore;
      assert.ok(syncs > 0 && syncs < n / 2, `${syncs} fdatasyncs for ${n - 1} transactions`);
    } finally {
      connection.close();
      await server.stop();
    }
  },
);

testIf(REAL, "many monitors with the same parameters all receive each update", async () => {
  const server = await startOvsdbServer("ours");
  const connections: JsonRpcConnection[] = [];
  try {
    const updates: string[][] = [];
    for (let i = 0; i < 5; i++) {
      const conn = await Deno.connect({ transport: "unix", path: `${server.dir}/db.sock` });
      const connection = new JsonRpcConnection(conn, { name: `m${i}` });
      const seen: string[] = [];
      updates.push(seen);
      connection.onMessage = (message) => {
        if (message.type === "notify") seen.push(JSON.stringify(message.params));
      };
      connection.start();
      connections.push(connection);
      await connection.call("monitor_cond", [
        "Open_vSwitch",
        i % 2 === 0 ? "even" : ["odd", i],
        { QoS: [{ columns: ["type"] }] },
      ]);
    }
    const writer = connections[0]!;
    for (let i = 0; i < 3; i++) {
      await writer.call("transact", ["Open_vSwitch", {
        op: "insert",
        table: "QoS",
        row: { type: `t${i}` },
      }]);
    }
    await waitFor(() => updates.every((u) => u.length === 3));
    for (let i = 0; i < 5; i++) {
      const id = JSON.stringify(i % 2 === 0 ? "even" : ["odd", i]);
      for (const [k, update] of updates[i]!.entries()) {
        assert.ok(update.startsWith(`[${id},{"QoS":{"`), update);
        assert.ok(update.includes(`{"insert":{"type":"t${k}"}}`), update);
        // The same text, apart from the monitor id, as every other client got.
        assert.equal(update.slice(id.length + 2), updates[0]![k]!.slice(8));
      }
    }
  } finally {
    for (const connection of connections) connection.close();
    await server.stop();
  }
});
