import assert from "node:assert/strict";
import { maskUuids, startOvsdbServer, type TestServer } from "../support/ovsdb.ts";
import { run, runOvs } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";

const REAL = needPrograms("ovsdb-server", "ovsdb-tool", "ovs-vsctl", "ovs-appctl");

/** stderr as compared: the database name, the program's path and log timestamps vary. */
function normaliseErrors(text: string, remote: string): string {
  return maskUuids(text.replaceAll(remote, "DB"))
    .replace(/^\S*ovs-vsctl:/gm, "ovs-vsctl:")
    .replace(/^[\d-]+T[\d:]+Z\|/gm, "TIME|");
}

/** Lines in a stable order: rows follow random UUIDs, so two servers list them differently. */
function rowsAsSet(text: string): string {
  return text.split("\n").sort().join("\n");
}

const SCRIPT: string[][] = [
  ["show"],
  ["add-br", "brfirst"],
  ["del-br", "brfirst"],
  ["init"],
  ["list-br"],
  ["add-br", "br0"],
  ["--real", "list-br"],
  ["--fake", "list-br"],
  ["wait-until", "Bridge", "br0", "name=br0"],
  ["--oneline", "list-br", "--", "br-exists", "br0", "--", "list-br"],
  ["--dry-run", "add-br", "brdry"],
  ["br-exists", "brdry"],
  ["add-br", "br0"],
  ["--may-exist", "add-br", "br0"],
  ["add-br", ""],
  ["add-port", "br0", "p1", "--", "set", "Interface", "p1", "type=internal"],
  ["add-port", "br0", "p2", "tag=10", "other_config:k=v"],
  ["add-port", "br0", "p1"],
  ["add-port", "br9", "p3"],
  ["--may-exist", "add-port", "br0", "p1"],
  ["add-br", "br1"],
  ["add-bond", "br1", "bond0", "a", "b", "lacp=active"],
  ["add-bond", "br1", "bond1", "c"],
  ["--fake-iface", "add-bond", "br1", "bond2", "d", "e"],
  ["get", "Port", "bond2", "bond_fake_iface"],
  ["add-bond-iface", "bond0", "c"],
  ["--may-exist", "add-bond-iface", "bond0", "c"],
  ["del-bond-iface", "bond0", "a"],
  ["del-bond-iface", "nosuch"],
  ["list-ifaces", "br1"],
  ["br-set-external-id", "br1", "k", "v"],
  ["br-set-external-id", "br1", "k2", "v2"],
  ["br-get-external-id", "br1"],
  ["br-get-external-id", "br1", "k2"],
  ["br-set-external-id", "br1", "k"],
  ["br-get-external-id", "br1"],
  ["br-to-vlan", "br1"],
  ["br-to-parent", "br1"],
  ["add-br", "vlan10", "br1", "10"],
  ["add-br", "vlan11", "vlan10", "11"],
  ["add-br", "vlan12", "nosuch", "12"],
  ["add-br", "vlan13", "br1", "10"],
  ["add-br", "vlan14", "br1", "5000"],
  ["--may-exist", "add-br", "vlan10", "br1", "10"],
  ["--may-exist", "add-br", "vlan10", "br1", "11"],
  ["--may-exist", "add-br", "vlan10"],
  ["--may-exist", "add-br", "br1", "br0", "3"],
  ["add-port", "vlan10", "v1"],
  ["list-br"],
  ["--real", "list-br"],
  ["--fake", "list-br"],
  ["list-ports", "vlan10"],
  ["list-ports", "br1"],
  ["port-to-br", "v1"],
  ["br-to-vlan", "vlan10"],
  ["br-to-parent", "vlan10"],
  ["get", "Port", "v1", "tag"],
  ["get-fail-mode", "vlan10"],
  ["br-set-external-id", "vlan10", "a", "b"],
  ["br-get-external-id", "vlan10"],
  ["br-get-external-id", "vlan10", "a"],
  ["get", "Port", "vlan10", "external_ids"],
  ["del-port", "vlan10", "v1"],
  ["del-br", "vlan10"],
  ["list-br"],
  ["set-ssl", "/k.pem", "/c.pem", "/ca.pem"],
  ["get-ssl"],
  ["--bootstrap", "set-ssl", "/k2.pem", "/c2.pem", "/ca2.pem"],
  ["get-ssl"],
  ["del-ssl"],
  ["get-ssl"],
  ["add-port", "br1", "q1"],
  ["list-br"],
  ["list-ports", "br0"],
  ["list-ifaces", "br0"],
  ["list-ports", "nosuch"],
  ["port-to-br", "p1"],
  ["port-to-br", "nosuch"],
  ["iface-to-br", "q1"],
  ["iface-to-br", "nosuch"],
  ["br-exists", "br0"],
  ["br-exists", "nosuch"],
  ["get", "Port", "p2", "tag", "other_config", "other_config:k"],
  ["get", "Port", "p2", "other_config:missing"],
  ["--if-exists", "get", "Port", "p2", "other_config:missing"],
  ["get", "Port", "nosuch", "tag"],
  ["get", "Nosuchtable", "x", "y"],
  ["get", "Port", "p2", "nosuchcolumn"],
  ["set", "Bridge", "br0", "other_config:hwaddr=00:11:22:33:44:55", "external_ids:a=b"],
  ["set", "Bridge", "br0", "name=other"],
  ["set", "Port", "p2", "tag=notanumber"],
  ["set", "Port", "p2", "tag=5000"],
  ["get", "Bridge", "br0", "other_config:hwaddr"],
  ["--columns=name,tag", "list", "Port", "p2"],
  ["--columns=name,type", "list", "Interface", "p1"],
  ["--format=csv", "--columns=name", "find", "Interface", "type=internal"],
  ["--format=json", "--columns=name,tag", "list", "Port", "p2"],
  ["--bare", "--columns=name", "find", "Bridge", "name=br1"],
  ["--columns=name", "find", "Port", "tag!=10"],
  ["--columns=name", "find", "Port", "tag<20"],
  ["--columns=name", "find", "Port", "tag>=10"],
  ["--columns=name", "find", "Port", "tag{>=}10"],
  ["--columns=name", "find", "Port", "other_config:k=v"],
  ["--columns=name", "find", "Port", "other_config:k{in}[v,w]"],
  ["--columns=name", "find", "Port", "other_config:k{not-in}[v]"],
  ["--columns=name", "find", "Bridge", "ports{>=}[]"],
  ["--columns=name", "find", "Interface", "type{in}[internal,dummy]"],
  ["set-fail-mode", "br0", "secure"],
  ["get-fail-mode", "br0"],
  ["set-fail-mode", "br0", "bogus"],
  ["del-fail-mode", "br0"],
  ["get-fail-mode", "br0"],
  ["set-controller", "br0", "tcp:127.0.0.1:6653", "punix:/tmp/x.sock"],
  ["get-controller", "br0"],
  ["--columns=target", "list", "Controller", "br0"],
  ["set-controller", "br0", "tcp:127.0.0.1:6653"],
  ["--columns=target", "list", "Controller", "br0"],
  ["--format=table", "--columns=name,tag", "list", "Port", "p2"],
  ["--format=html", "--columns=name,tag", "list", "Port", "p2"],
  ["--data=json", "--columns=name,tag,other_config", "list", "Port", "p2"],
  ["comment", "a", "note"],
  ["del-controller", "br0"],
  ["get-controller", "br0"],
  ["set-manager", "ptcp:6640"],
  ["get-manager"],
  ["del-manager"],
  ["add", "Bridge", "br0", "flood_vlans", "1", "2", "3"],
  ["set", "bridge", "br0", "datapath-type=dummy", "fail-mode=secure"],
  ["get", "br", "br0", "datapath_t", "fail_m"],
  ["get", "Br", "br0", "other"],
  ["get", "Flow", "x", "y"],
  ["get", "Bridge", "br0", "flood_vlans"],
  ["remove", "Bridge", "br0", "flood_vlans", "2"],
  ["get", "Bridge", "br0", "flood_vlans"],
  ["clear", "Bridge", "br0", "flood_vlans"],
  ["clear", "Port", "p2", "interfaces"],
  ["--", "--id=@q", "create", "QoS", "type=linux-htb", "--", "set", "Port", "p1", "qos=@q"],
  ["--columns=type", "list", "QoS"],
  ["show"],
  [
    "set",
    "Bridge",
    "br0",
    "other_config:hwaddr=00:11:22:33:44:55",
    "other_config:x=y",
    "fail_mode=secure",
  ],
  ["set-controller", "br0", "tcp:1.2.3.4"],
  ["emer-reset"],
  ["get", "Bridge", "br0", "other_config", "controller", "fail_mode"],
  ["list", "Controller"],
  ["del-port", "br0", "nosuch"],
  ["del-port", "br0"],
  ["del-port", "br1", "p2"],
  ["del-port", "br0", "p2"],
  ["--if-exists", "del-port", "nosuch"],
  ["list-ports", "br0"],
  ["del-br", "nosuch"],
  ["--if-exists", "del-br", "nosuch"],
  ["del-br", "br1"],
  ["list-br"],
  ["--all", "destroy", "QoS"],
  ["list", "QoS"],
  ["bogus-command"],
  ["--bogus-option", "list-br"],
];

async function vsctl(server: TestServer, ours: boolean, command: string[]) {
  const args = [`--db=${server.remote}`, "--no-wait", ...command];
  return ours
    ? await runOvs(["ovs-vsctl", ...args], server.env)
    : await run("ovs-vsctl", args, server.env);
}

testIf(
  REAL,
  "our ovs-vsctl and the real one print the same for a long script, on real servers",
  async () => {
    const forOurs = await startOvsdbServer("real");
    const forTheirs = await startOvsdbServer("real");
    try {
      for (const command of SCRIPT) {
        const a = await vsctl(forOurs, true, command);
        const b = await vsctl(forTheirs, false, command);
        const what = command.join(" ");
        assert.equal(a.code, b.code, `exit code of ${what}: ${a.stderr}`);
        assert.equal(
          rowsAsSet(maskUuids(a.stdout)),
          rowsAsSet(maskUuids(b.stdout)),
          `stdout of ${what}`,
        );
        assert.equal(
          normaliseErrors(a.stderr, forOurs.remote),
          normaliseErrors(b.stderr, forTheirs.remote),
          `stderr of ${what}`,
        );
      }
    } finally {
      await forOurs.stop();
      await forTheirs.stop();
    }
  },
);

testIf(REAL, "our ovs-vsctl against our ovsdb-server answers as the real pair does", async () => {
  const ours = await startOvsdbServer("ours");
  const real = await startOvsdbServer("real");
  try {
    for (const command of SCRIPT) {
      const a = await vsctl(ours, true, command);
      const b = await vsctl(real, false, command);
      const what = command.join(" ");
      assert.equal(a.code, b.code, `exit code of ${what}: ${a.stderr}`);
      assert.equal(
        rowsAsSet(maskUuids(a.stdout)),
        rowsAsSet(maskUuids(b.stdout)),
        `stdout of ${what}`,
      );
      assert.equal(
        normaliseErrors(a.stderr, ours.remote),
        normaliseErrors(b.stderr, real.remote),
        `stderr of ${what}`,
      );
    }
  } finally {
    await ours.stop();
    await real.stop();
  }
});

testIf(REAL, "ovs-vsctl reports an unreachable database as upstream does", async () => {
  const a = await runOvs(["ovs-vsctl", "--db=unix:/nonexistent/db.sock", "list-br"]);
  const b = await run("ovs-vsctl", ["--db=unix:/nonexistent/db.sock", "list-br"]);
  assert.deepEqual([a.code, a.stderr], [b.code, b.stderr]);
});

testIf(
  needPrograms("ovsdb-server", "ovsdb-tool", "ovs-vswitchd", "ovs-appctl"),
  "ovs-vsctl without --no-wait waits for our ovs-vswitchd to apply the change",
  async () => {
    const server = await startOvsdbServer("ours");
    try {
      assert.equal((await runOvs(["ovs-vsctl", "--no-wait", "init"], server.env)).code, 0);
      const started = await runOvs(
        [
          "ovs-vswitchd",
          "--enable-dummy",
          "--disable-system",
          "--detach",
          "--no-chdir",
          "--pidfile",
          "--log-file",
          "-vconsole:off",
        ],
        server.env,
      );
      assert.equal(started.code, 0, started.stderr);
      const added = await runOvs(
        [
          "ovs-vsctl",
          "--timeout=10",
          "add-br",
          "br0",
          "--",
          "set",
          "bridge",
          "br0",
          "datapath-type=dummy",
          "--",
          "add-port",
          "br0",
          "p1",
          "--",
          "set",
          "Interface",
          "p1",
          "type=dummy",
        ],
        server.env,
      );
      assert.equal(added.code, 0, added.stderr);
      // Once ovs-vsctl returns, the switch has applied the configuration.
      const ofport = await runOvs(["ovs-vsctl", "get", "Interface", "p1", "ofport"], server.env);
      assert.equal(ofport.stdout, "1\n");
      const cfg = await runOvs(
        ["ovs-vsctl", "get", "Open_vSwitch", ".", "cur_cfg", "next_cfg"],
        server.env,
      );
      const [cur, next] = cfg.stdout.trim().split("\n");
      assert.equal(cur, next);
      // An interface the switch cannot create is reported as upstream reports it.
      const bad = await runOvs([
        "ovs-vsctl",
        "--timeout=10",
        "add-port",
        "br0",
        "x",
        "--",
        "set",
        "Interface",
        "x",
        "type=nosuch",
      ], server.env);
      assert.equal(bad.code, 65);
      assert.equal(
        bad.stderr.split("\n")[0],
        "ovs-vsctl: Error detected while setting up 'x': could not open network device x " +
          "(Address family not supported by protocol).  See ovs-vswitchd log for details.",
      );
    } finally {
      await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], server.env);
      await server.stop();
    }
  },
);

testIf(
  REAL,
  "ovs-vsctl wait-until returns once another client makes the condition true",
  async () => {
    const server = await startOvsdbServer("real");
    try {
      await run("ovs-vsctl", [`--db=${server.remote}`, "--no-wait", "init"], server.env);
      let done = false;
      const waiting = runOvs(
        [
          "ovs-vsctl",
          `--db=${server.remote}`,
          "--no-wait",
          "wait-until",
          "Bridge",
          "br5",
          "fail_mode=secure",
        ],
        server.env,
      ).then((result) => {
        done = true;
        return result;
      });
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(done, false, "still waiting while the bridge does not exist");
      await run("ovs-vsctl", [`--db=${server.remote}`, "--no-wait", "add-br", "br5"], server.env);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(done, false, "still waiting while fail_mode is not secure");
      await run("ovs-vsctl", [
        `--db=${server.remote}`,
        "--no-wait",
        "set-fail-mode",
        "br5",
        "secure",
      ], server.env);
      const result = await waiting;
      assert.equal(result.code, 0, result.stderr);
    } finally {
      await server.stop();
    }
  },
);

testIf(
  REAL,
  "in one transaction each command sees the bridges and ports of the commands before it",
  async () => {
    const chain = (...commands: string[][]) => commands.flatMap((c, i) => i ? ["--", ...c] : c);
    const many = Array.from({ length: 40 }, (_, i) => ["add-port", "br0", `m${i}`]);
    const script = [
      chain(
        ["add-br", "br0"],
        ["add-port", "br0", "a"],
        ["add-port", "br0", "b"],
        ["list-ports", "br0"],
        ["del-port", "br0", "a"],
        ["add-port", "br0", "c", "tag=5"],
        ["add-br", "v5", "br0", "5"],
        ["list-ports", "v5"],
        ["add-port", "v5", "d"],
        ["port-to-br", "d"],
        ["add-bond", "br0", "bd", "x", "y"],
        ["list-ifaces", "br0"],
        ["--may-exist", "add-port", "br0", "b"],
        ["iface-to-br", "x"],
        ...many,
        ["list-ports", "br0"],
        ["list-br"],
      ),
      ["list-ports", "br0"],
      chain(["add-port", "br0", "b"]),
      chain(["--may-exist", "add-port", "v5", "b"]),
    ];
    const forOurs = await startOvsdbServer("real");
    const forTheirs = await startOvsdbServer("real");
    try {
      for (const command of script) {
        const a = await vsctl(forOurs, true, command);
        const b = await vsctl(forTheirs, false, command);
        const what = command.slice(0, 8).join(" ");
        assert.equal(a.code, b.code, `exit code of ${what}: ${a.stderr}`);
        assert.equal(a.stdout, b.stdout, `stdout of ${what}`);
        assert.equal(
          normaliseErrors(a.stderr, forOurs.remote),
          normaliseErrors(b.stderr, forTheirs.remote),
          `stderr of ${what}`,
        );
      }
    } finally {
      await forOurs.stop();
      await forTheirs.stop();
    }
  },
);
