import assert from "node:assert/strict";
import { maskUuids, startOvsdbServer, type TestServer } from "../support/ovsdb.ts";
import { run, runOvs } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";

const REAL = needPrograms("ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovs-vswitchd", "ovs-appctl");

const VSWITCHD_ARGS = [
  "--enable-dummy",
  "--disable-system",
  "--disable-system-route",
  "--detach",
  "--no-chdir",
  "--pidfile",
  "--log-file",
  "-vconsole:off",
];

/** A database server and a switch daemon, both ours or both real, on the dummy datapath. */
async function startSwitch(which: "ours" | "real"): Promise<TestServer> {
  const server = await startOvsdbServer(which);
  const init = await run("ovs-vsctl", ["--no-wait", "init"], server.env);
  assert.equal(init.code, 0, init.stderr);
  const started = which === "ours"
    ? await runOvs(["ovs-vswitchd", ...VSWITCHD_ARGS], server.env)
    : await run("ovs-vswitchd", VSWITCHD_ARGS, server.env);
  assert.equal(started.code, 0, started.stderr);
  return {
    ...server,
    async stop() {
      await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], server.env);
      await server.stop();
    },
  };
}

const SCRIPT: string[][] = [
  [
    "add-br",
    "br0",
    "--",
    "set",
    "bridge",
    "br0",
    "datapath-type=dummy",
    "fail-mode=secure",
    "other-config:datapath-id=fedcba9876543210",
    "other-config:hwaddr=aa:55:aa:55:00:00",
  ],
  ["add-port", "br0", "p2", "--", "set", "Interface", "p2", "type=dummy"],
  ["add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=dummy", "ofport_request=1"],
  ["add-port", "br0", "p10", "--", "set", "Interface", "p10", "type=dummy", "ofport_request=10"],
  ["add-port", "br0", "p3", "--", "set", "Interface", "p3", "type=dummy"],
  ["del-port", "p2"],
  ["add-port", "br0", "p4", "--", "set", "Interface", "p4", "type=dummy"],
  ["add-port", "br0", "bad", "--", "set", "Interface", "bad", "type=nosuchtype"],
];

testIf(
  REAL,
  "ovs-vsctl waits for our ovs-vswitchd, which numbers ports as the real one does",
  async () => {
    const ours = await startSwitch("ours");
    const real = await startSwitch("real");
    try {
      for (const command of SCRIPT) {
        // Without --no-wait: ovs-vsctl returns only once the switch reports cur_cfg.
        const a = await run("ovs-vsctl", ["--timeout=10", ...command], ours.env);
        const b = await run("ovs-vsctl", ["--timeout=10", ...command], real.env);
        assert.equal(a.code, b.code, `${command.join(" ")}: ${a.stderr}`);
      }
      const query = ["--columns=name,ofport", "--format=csv", "--no-headings", "list", "Interface"];
      const sorted = (text: string) => text.trim().split("\n").sort().join("\n");
      const a = await run("ovs-vsctl", query, ours.env);
      const b = await run("ovs-vsctl", query, real.env);
      assert.equal(sorted(a.stdout), sorted(b.stdout));
      for (
        const get of [["get", "Open_vSwitch", ".", "cur_cfg", "next_cfg"], [
          "get",
          "Bridge",
          "br0",
          "datapath_id",
        ]]
      ) {
        const x = await run("ovs-vsctl", get, ours.env);
        const y = await run("ovs-vsctl", get, real.env);
        assert.equal(maskUuids(x.stdout), maskUuids(y.stdout), get.join(" "));
      }
    } finally {
      await ours.stop();
      await real.stop();
    }
  },
);

testIf(
  REAL,
  "our ovs-vswitchd reports an interface it cannot create in its error column",
  async () => {
    const ours = await startSwitch("ours");
    try {
      await run(
        "ovs-vsctl",
        ["add-br", "br0", "--", "set", "bridge", "br0", "datapath-type=dummy"],
        ours.env,
      );
      await run("ovs-vsctl", [
        "add-port",
        "br0",
        "x",
        "--",
        "set",
        "Interface",
        "x",
        "type=nosuchtype",
      ], ours.env);
      const error = await run("ovs-vsctl", ["get", "Interface", "x", "error", "ofport"], ours.env);
      assert.equal(
        error.stdout,
        '"could not open network device x (Address family not supported by protocol)"\n-1\n',
      );
    } finally {
      await ours.stop();
    }
  },
);
