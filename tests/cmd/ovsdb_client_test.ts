import assert from "node:assert/strict";
import { maskUuids, startOvsdbServer, type TestServer } from "../support/ovsdb.ts";
import { MAIN, run, runOvs } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";

const REAL = needPrograms("ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovsdb-client", "ovs-appctl");

async function populate(server: TestServer): Promise<void> {
  const vsctl = (...args: string[]) =>
    run("ovs-vsctl", [`--db=${server.remote}`, "--no-wait", ...args], server.env);
  await vsctl("init");
  await vsctl(
    "add-br",
    "br0",
    "--",
    "set",
    "Bridge",
    "br0",
    "external_ids:x=y",
    "fail_mode=secure",
  );
  await vsctl("add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=internal");
}

/** Same order-insensitive comparison for outputs whose row order follows random UUIDs. */
function normalise(text: string): string {
  return maskUuids(text);
}

const COMMANDS: string[][] = [
  ["list-dbs"],
  ["get-schema-version"],
  ["get-schema-cksum", "Open_vSwitch"],
  ["list-tables"],
  ["list-columns", "Open_vSwitch", "SSL"],
  ["--format=csv", "list-columns", "Bridge"],
  ["dump", "Open_vSwitch", "Bridge", "name", "external_ids", "fail_mode"],
  ["--format=json", "dump", "Open_vSwitch", "Interface", "name", "type"],
  ["--bare", "dump", "Open_vSwitch", "Port", "name"],
  ["--format=list", "dump", "Open_vSwitch", "Bridge", "name", "datapath_type"],
  ["--format=html", "dump", "Open_vSwitch", "Interface", "name"],
  [
    "transact",
    '["Open_vSwitch",{"op":"select","table":"Bridge","where":[],"columns":["name","fail_mode"]}]',
  ],
  ["query", '["Open_vSwitch",{"op":"insert","table":"QoS","row":{"type":"x"}}]'],
  ["transact", '["Open_vSwitch",{"op":"insert","table":"Nosuch","row":{}}]'],
  [
    "--pretty",
    "transact",
    '["Open_vSwitch",{"op":"select","table":"Open_vSwitch","where":[],"columns":["bridges"]}]',
  ],
  ["get-schema"],
  ["nosuch"],
  ["dump", "Open_vSwitch", "Nosuch"],
  ["dump", "Open_vSwitch", "Bridge", "nosuchcolumn"],
];

testIf(
  REAL,
  "our ovsdb-client prints what the real one prints, against our server and the real one",
  async () => {
    const ours = await startOvsdbServer("ours");
    const real = await startOvsdbServer("real");
    try {
      await populate(ours);
      await populate(real);
      for (const server of [ours, real]) {
        for (const command of COMMANDS) {
          // The server argument goes right after the command name, as a user writes it.
          const at = command.findIndex((word) => !word.startsWith("-"));
          const args = [...command.slice(0, at + 1), server.remote, ...command.slice(at + 1)];
          const theirs = await run("ovsdb-client", args, server.env);
          const mine = await runOvs(["ovsdb-client", ...args], server.env);
          const what = `${command.join(" ")} against ${
            server === ours ? "our" : "the real"
          } server`;
          assert.equal(mine.code, theirs.code, `exit code of ${what}: ${mine.stderr}`);
          assert.equal(normalise(mine.stdout), normalise(theirs.stdout), `stdout of ${what}`);
          assert.equal(mine.stderr, theirs.stderr, `stderr of ${what}`);
        }
      }
      const failed = await runOvs(["ovsdb-client", "list-dbs", "unix:/nonexistent/db.sock"]);
      const failedReal = await run("ovsdb-client", ["list-dbs", "unix:/nonexistent/db.sock"]);
      assert.deepEqual([failed.code, failed.stderr], [failedReal.code, failedReal.stderr]);
    } finally {
      await ours.stop();
      await real.stop();
    }
  },
);

testIf(
  REAL,
  "ovsdb-client monitor prints the initial rows and each change as upstream does",
  async () => {
    const server = await startOvsdbServer("ours");
    try {
      await populate(server);
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--quiet",
          MAIN,
          "ovsdb-client",
          "monitor",
          server.remote,
          "Open_vSwitch",
          "Bridge",
          "name,fail_mode",
        ],
        env: server.env,
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let output = "";
      const waitFor = async (pattern: RegExp) => {
        while (!pattern.test(output)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`monitor ended; output so far:\n${output}`);
          output += value;
        }
      };
      await waitFor(/initial br0 +secure\n/);
      await run("ovs-vsctl", [
        `--db=${server.remote}`,
        "--no-wait",
        "set-fail-mode",
        "br0",
        "standalone",
      ], server.env);
      await waitFor(/new +br0 +standalone\n/);
      child.kill("SIGTERM");
      await child.status;
      await reader.cancel().catch(() => {});
      await child.stderr.cancel().catch(() => {});
      const pad = (text: string) => text.padEnd(36);
      assert.equal(
        maskUuids(output).replaceAll("<uuid>", pad("<uuid>")),
        [
          `${pad("row")} action  name fail_mode`,
          `${"-".repeat(36)} ------- ---- ---------`,
          `${pad("<uuid>")} initial br0  secure`,
          "",
          `${pad("row")} action name fail_mode`,
          `${"-".repeat(36)} ------ ---- ----------`,
          `${pad("<uuid>")} old         secure`,
          `${pad("")} new    br0  standalone`,
          "",
        ].join("\n"),
      );
    } finally {
      await server.stop();
    }
  },
);

/** Runs a monitor command with our client and the real one side by side on `server`. */
async function monitorBoth(server: TestServer, args: string[], changes: () => Promise<void>) {
  const spawn = (command: string, prefix: string[]) =>
    new Deno.Command(command, {
      args: [...prefix, ...args],
      env: server.env,
      stdout: "piped",
      stderr: "piped",
    })
      .spawn();
  const ours = spawn(Deno.execPath(), ["run", "-A", "--quiet", MAIN, "ovsdb-client"]);
  const real = spawn("ovsdb-client", []);
  await new Promise((r) => setTimeout(r, 700));
  await changes();
  await new Promise((r) => setTimeout(r, 700));
  ours.kill("SIGTERM");
  real.kill("SIGTERM");
  const decode = async (child: Deno.ChildProcess) =>
    new TextDecoder().decode((await child.output()).stdout);
  return { ours: await decode(ours), real: await decode(real) };
}

const MONITORS: Array<[string, string[], "ours" | "real"]> = [
  ["monitor-cond", ["monitor-cond", '[["name","==","br0"]]', "Bridge", "name,fail_mode"], "real"],
  ["monitor-cond-since", [
    "monitor-cond-since",
    '[["name","!=","nosuch"]]',
    "Bridge",
    "name,fail_mode",
  ], "real"],
  ["monitor ALL", ["monitor", "ALL"], "real"],
  ["monitor-cond", ["monitor-cond", '[["name","==","br0"]]', "Bridge", "name,fail_mode"], "ours"],
  ["monitor ALL", ["monitor", "ALL"], "ours"],
];

for (const [name, args, which] of MONITORS) {
  const where = which === "ours" ? "our" : "the real";
  testIf(
    REAL,
    `ovsdb-client ${name} prints the same as the real client, on ${where} server`,
    async () => {
      const server = await startOvsdbServer(which);
      try {
        await populate(server);
        const vsctl = (...words: string[]) =>
          run("ovs-vsctl", [`--db=${server.remote}`, "--no-wait", ...words], server.env);
        const outputs = await monitorBoth(
          server,
          [args[0] ?? "", server.remote, ...args.slice(1)],
          async () => {
            await vsctl("set-fail-mode", "br0", "standalone");
            await vsctl("add-br", "br9");
            await vsctl("del-br", "br9");
          },
        );
        // Transaction ids (update3) are random UUIDs too.
        assert.equal(maskUuids(outputs.ours), maskUuids(outputs.real));
        assert.match(outputs.ours, /br0/);
      } finally {
        await server.stop();
      }
    },
  );
}

testIf(
  REAL,
  "ovsdb-client backup and restore round-trip a database, and needs-conversion and wait answer",
  async () => {
    const server = await startOvsdbServer("ours");
    try {
      await populate(server);
      const vsctl = (...words: string[]) =>
        run("ovs-vsctl", [`--db=${server.remote}`, "--no-wait", ...words], server.env);
      const before = (await vsctl("show")).stdout;
      const backup = await runOvs(["ovsdb-client", "backup", server.remote], server.env);
      assert.equal(backup.code, 0, backup.stderr);
      // The backup is a database file the real ovsdb-tool reads.
      await Deno.writeTextFile(`${server.dir}/backup.db`, backup.stdout);
      const shown = await run("ovsdb-tool", ["show-log", `${server.dir}/backup.db`], server.env);
      assert.equal(shown.code, 0, shown.stderr);
      await vsctl("del-br", "br0");
      const restored = await runOvs(
        ["ovsdb-client", "restore", server.remote],
        server.env,
        backup.stdout,
      );
      assert.equal(restored.code, 0, restored.stderr);
      // Restored rows get new UUIDs, so `show` lists ports in another order: compare the lines.
      const lines = (text: string) => maskUuids(text).split("\n").sort().join("\n");
      assert.equal(lines((await vsctl("show")).stdout), lines(before));
      for (
        const args of [[
          "needs-conversion",
          server.remote,
          "/usr/share/openvswitch/vswitch.ovsschema",
        ]]
      ) {
        const mine = await runOvs(["ovsdb-client", ...args], server.env);
        const theirs = await run("ovsdb-client", args, server.env);
        assert.deepEqual([mine.code, mine.stdout], [theirs.code, theirs.stdout]);
      }
      const waited = await runOvs([
        "ovsdb-client",
        "wait",
        server.remote,
        "Open_vSwitch",
        "connected",
      ], server.env);
      assert.equal(waited.code, 0, waited.stderr);
    } finally {
      await server.stop();
    }
  },
);

testIf(
  REAL,
  "ovsdb-client convert changes a live database's schema on our server and on the real one",
  async () => {
    for (const which of ["ours", "real"] as const) {
      const server = await startOvsdbServer(which);
      try {
        await populate(server);
        const schema = JSON.parse(
          await Deno.readTextFile("/usr/share/openvswitch/vswitch.ovsschema"),
        );
        schema.version = "8.3.2";
        schema.tables.Extra = { columns: { note: { type: "string" } }, isRoot: true };
        await Deno.writeTextFile(`${server.dir}/new.ovsschema`, JSON.stringify(schema));
        for (const client of ["ours", "real"] as const) {
          const args = ["needs-conversion", server.remote, `${server.dir}/new.ovsschema`];
          const answer = client === "ours"
            ? await runOvs(["ovsdb-client", ...args], server.env)
            : await run("ovsdb-client", args, server.env);
          assert.equal(answer.stdout, "yes\n", `${client} client, ${which} server`);
        }
        const converted = await runOvs([
          "ovsdb-client",
          "convert",
          server.remote,
          `${server.dir}/new.ovsschema`,
        ], server.env);
        assert.equal(converted.code, 0, converted.stderr);
        const version = await run(
          "ovsdb-client",
          ["get-schema-version", server.remote],
          server.env,
        );
        assert.equal(version.stdout, "8.3.2\n", `${which} server`);
        const bridges = await run(
          "ovs-vsctl",
          [`--db=${server.remote}`, "--no-wait", "list-br"],
          server.env,
        );
        assert.equal(bridges.stdout, "br0\n", `data kept by the ${which} server`);
        const file = await run("ovsdb-tool", ["db-version", server.db], server.env);
        assert.equal(file.stdout, "8.3.2\n", `${which} server's file`);
      } finally {
        await server.stop();
      }
    }
  },
);
