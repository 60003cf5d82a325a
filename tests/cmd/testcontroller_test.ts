// ovs-testcontroller against the real Open vSwitch: Debian's ovsdb-server and
// `ovs-vswitchd --enable-dummy` with one bridge per (scenario, controller), where each scenario
// runs upstream's ovs-testcontroller on one bridge and ours on another with the same options.
// Frames go in with `netdev-dummy/receive`, come out in the ports' tx_pcap files, and the flows
// the controllers installed are read back with `ovs-ofctl dump-flows`. Every scenario must give
// the same frames at every step and the same flow table (durations masked) for both controllers;
// the plain OpenFlow 1.0 and 1.3 scenarios are also checked against upstream's known output.
// Also: command-line errors, --help and --version, compared with the real program's.

import assert from "node:assert/strict";
import { readPcapFile } from "../../core/datapath/pcap.ts";
import { alive, freePort, run, runOvs, type RunResult, waitUntil } from "../support/run.ts";
import { firstReason, needPrograms, testIf } from "../support/skip.ts";
import { addPorts, maskTimes, REAL_OVS, startSwitch, type Switch } from "../support/switch.ts";

const NEED = firstReason(REAL_OVS, needPrograms("ovs-testcontroller"));

type Which = "real" | "ours";

interface Scenario {
  name: string;
  /** The one OpenFlow version the scenario's bridge allows (and its flows are dumped in). */
  version: string;
  /**
   * Controller options; `bridge` names the bridge it will control (for port names). Scenarios
   * with the same options share one controller process, which then serves several switches.
   */
  args: (bridge: string, dir: string) => string[];
}

const PLAIN = () => [];

const SCENARIOS: readonly Scenario[] = [
  { name: "OpenFlow 1.0", version: "OpenFlow10", args: PLAIN },
  { name: "OpenFlow 1.1", version: "OpenFlow11", args: PLAIN },
  { name: "OpenFlow 1.2", version: "OpenFlow12", args: PLAIN },
  { name: "OpenFlow 1.3", version: "OpenFlow13", args: PLAIN },
  { name: "OpenFlow 1.4", version: "OpenFlow14", args: PLAIN },
  { name: "OpenFlow 1.5", version: "OpenFlow15", args: PLAIN },
  { name: "1.0 -O --wildcards", version: "OpenFlow10", args: () => ["-O", "OpenFlow10", "-w"] },
  { name: "1.3 --wildcards=0x2000ec", version: "OpenFlow13", args: () => ["--wildcards=0x2000ec"] },
  { name: "1.3 --hub", version: "OpenFlow13", args: () => ["--hub"] },
  { name: "1.0 --hub --noflow", version: "OpenFlow10", args: () => ["-H", "-n"] },
  { name: "1.3 --noflow", version: "OpenFlow13", args: () => ["--noflow"] },
  // Upstream's -N learns nothing, so it floods through flows like a hub.
  { name: "1.3 --normal", version: "OpenFlow13", args: () => ["-N", "--max-idle=permanent"] },
  { name: "1.3 --queue", version: "OpenFlow13", args: () => ["--max-idle=30", "-q", "3"] },
  { name: "1.0 --port-queue", version: "OpenFlow10", args: (br) => ["-Q", `${br}p2:7`] },
  {
    name: "1.0 --with-flows needing NXM",
    version: "OpenFlow10",
    args: (_br, dir) => [`--with-flows=${dir}/nxm.flows`],
  },
  // Upstream's --mute does nothing (lswitch_create never copies it): the same must hold here.
  { name: "1.3 --mute", version: "OpenFlow13", args: () => ["--mute"] },
];

const A = "50:54:00:00:00:01";
const B = "50:54:00:00:00:02";
const C = "50:54:00:00:00:03";

function tcp(src: string, dst: string, from: string, to: string, sport: number, dport: number) {
  return `eth(src=${src},dst=${dst}),eth_type(0x0800),ipv4(src=${from},dst=${to},proto=6,tos=0,ttl=64,frag=no),tcp(src=${sport},dst=${dport})`;
}

/** The frames of the story every scenario plays: [input port, datapath flow of the frame]. */
const STEPS: readonly (readonly [number, string])[] = [
  [1, tcp(A, B, "10.0.0.1", "10.0.0.2", 8, 9)], // B unknown: flooded
  [2, tcp(B, A, "10.0.0.2", "10.0.0.1", 9, 8)], // A known: flow and packet-out to p1
  [1, tcp(A, B, "10.0.0.1", "10.0.0.2", 8, 9)], // B known now: flow to p2
  [1, tcp(A, B, "10.0.0.1", "10.0.0.2", 8, 9)], // forwarded by that flow
  [
    3,
    `eth(src=${C},dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.0.3,tip=10.0.0.1,op=1,sha=${C},tha=00:00:00:00:00:00)`,
  ],
  [1, tcp(A, "01:80:c2:00:00:00", "10.0.0.1", "10.0.0.2", 8, 9)], // reserved: a drop flow
];

/** One controller process: upstream's or ours, with one set of options. */
interface Controller {
  which: Which;
  name: string;
  args: string[];
  port: number;
  pidfile: string;
  logfile: string;
}

/** One bridge, controlled by one controller, playing one scenario. */
interface Side {
  which: Which;
  scenario: Scenario;
  bridge: string;
  controller: Controller;
}

function bridgeArgs(bridge: string, index: number, version: string, dir: string): string[] {
  const args = [
    "--",
    "add-br",
    bridge,
    "--",
    "set",
    "bridge",
    bridge,
    "datapath-type=dummy",
    "fail-mode=secure",
    `other-config:datapath-id=${(0x100 + index).toString(16).padStart(16, "0")}`,
    `protocols=${version}`,
  ];
  for (const n of [1, 2, 3]) {
    args.push(
      "--",
      "add-port",
      bridge,
      `${bridge}p${n}`,
      "--",
      "set",
      "Interface",
      `${bridge}p${n}`,
      "type=dummy",
      `ofport_request=${n}`,
      `options:tx_pcap=${dir}/${bridge}p${n}.pcap`,
    );
  }
  return args;
}

async function startController(sw: Switch, c: Controller): Promise<void> {
  const args = [
    "--detach",
    "--no-chdir",
    `--pidfile=${c.pidfile}`,
    `--log-file=${c.logfile}`,
    `--unixctl=${sw.dir}/${c.name}.ctl`,
    "-vconsole:off",
    "-vlearning_switch:file:dbg",
    ...c.args,
    `ptcp:${c.port}:127.0.0.1`,
  ];
  const result = c.which === "real"
    ? await run("ovs-testcontroller", args, sw.env)
    : await runOvs(["ovs-testcontroller", ...args], sw.env);
  assert.equal(result.code, 0, `${c.which} ${c.args.join(" ")}: ${result.stderr}`);
}

async function stopController(c: Controller): Promise<void> {
  try {
    const pid = Number((await Deno.readTextFile(c.pidfile)).trim());
    Deno.kill(pid, "SIGTERM");
  } catch {
    // Already gone.
  }
}

/** The frames each port of `bridge` has sent so far, as hex. */
function sentFrames(dir: string, bridge: string): string[][] {
  return [1, 2, 3].map((n) => {
    try {
      return readPcapFile(`${dir}/${bridge}p${n}.pcap`).map((r) =>
        Array.from(r.frame, (b) => b.toString(16).padStart(2, "0")).join("")
      );
    } catch {
      return [];
    }
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until nothing more comes out of any port for `quietMs`. */
async function settle(dir: string, bridges: string[], quietMs = 500): Promise<void> {
  const deadline = Date.now() + 10_000;
  let last = JSON.stringify(bridges.map((b) => sentFrames(dir, b)));
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await sleep(50);
    const now = JSON.stringify(bridges.map((b) => sentFrames(dir, b)));
    if (now !== last) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= quietMs) {
      return;
    }
  }
}

async function dumpFlows(sw: Switch, side: Side): Promise<string> {
  const text = await sw.ofctl("-O", side.scenario.version, "dump-flows", side.bridge);
  const [header = "", ...flows] = maskTimes(text).trimEnd().split("\n");
  return [header.replace(/xid=0x[0-9a-f]+/, "xid=?"), ...flows.sort()].join("\n");
}

interface Outcome {
  frames: string[][][];
  flows: string;
}

testIf(
  NEED,
  "ovs-testcontroller makes the real switch a learning switch, installing the same flows as upstream's",
  async () => {
    const controllers = new Map<string, Controller>();
    const sides: Side[] = [];
    const sw = await startSwitch("real", []);
    const dir = sw.dir;
    try {
      await Deno.writeTextFile(`${dir}/nxm.flows`, "priority=5,reg0=1,actions=drop\n");
      const extra: string[] = [];
      SCENARIOS.forEach((scenario, i) => {
        for (const which of ["real", "ours"] as const) {
          const bridge = `${which === "real" ? "r" : "o"}${i}`;
          const args = scenario.args(bridge, dir);
          const key = `${which} ${JSON.stringify(args)}`;
          let controller = controllers.get(key);
          if (!controller) {
            const name = `${which}-${controllers.size}`;
            controller = {
              which,
              name,
              args,
              port: freePort(),
              pidfile: `${dir}/${name}.pid`,
              logfile: `${dir}/${name}.log`,
            };
            controllers.set(key, controller);
          }
          sides.push({ which, scenario, bridge, controller });
          extra.push(
            ...bridgeArgs(bridge, 2 * i + (which === "real" ? 0 : 1), scenario.version, dir),
          );
        }
      });
      await sw.vsctl(...extra.slice(1));
      await Promise.all([...controllers.values()].map((c) => startController(sw, c)));
      await sw.vsctl(
        ...sides.flatMap((s) => [
          "--",
          "set-controller",
          s.bridge,
          `tcp:127.0.0.1:${s.controller.port}`,
        ]).slice(1),
      );
      await waitUntil("every bridge connected to its controller", async () => {
        const csv = await sw.vsctl(
          "--format=csv",
          "--no-headings",
          "--columns=target,is_connected",
          "list",
          "controller",
        );
        return csv.trim().split("\n").filter((l) => l.endsWith(",true")).length === sides.length;
      }, 20_000);
      // From OpenFlow 1.3 the handshake ends with a table-miss flow: wait for it too.
      for (const side of sides.filter((s) => s.scenario.version >= "OpenFlow13")) {
        await waitUntil(
          `${side.bridge}'s table-miss flow`,
          async () => (await dumpFlows(sw, side)).includes("priority=0 actions=CONTROLLER:128"),
          20_000,
        );
      }

      const outcomes = new Map<string, Outcome>();
      for (const side of sides) outcomes.set(side.bridge, { frames: [], flows: "" });
      const bridges = sides.map((s) => s.bridge);
      for (const [port, flow] of STEPS) {
        await Promise.all(
          bridges.map((b) => sw.appctl("netdev-dummy/receive", `${b}p${port}`, flow)),
        );
        await settle(dir, bridges);
        for (const side of sides) {
          outcomes.get(side.bridge)!.frames.push(sentFrames(dir, side.bridge));
        }
      }
      await sw.appctl("revalidator/wait");
      for (const side of sides) outcomes.get(side.bridge)!.flows = await dumpFlows(sw, side);

      for (let i = 0; i < SCENARIOS.length; i++) {
        const name = SCENARIOS[i]!.name;
        const real = outcomes.get(`r${i}`)!;
        const ours = outcomes.get(`o${i}`)!;
        assert.deepEqual(ours.frames, real.frames, `${name}: frames out of p1..p3 after each step`);
        // Packet counts are compared below for the plain scenarios only: with wildcarded flows
        // the real switch itself sometimes counts a packet twice.
        const noCounts = (flows: string) =>
          flows.replace(/n_packets=\d+, n_bytes=\d+/g, "n_packets=?, n_bytes=?");
        assert.equal(noCounts(ours.flows), noCounts(real.flows), `${name}: flow table`);
      }
      for (const c of controllers.values()) {
        if (c.which !== "ours") continue;
        const log = await Deno.readTextFile(c.logfile);
        const trouble = log.split("\n").filter((l) => /\|(WARN|ERR|EMER)\|/.test(l));
        assert.deepEqual(trouble, [], `warnings in the log of our ${c.args.join(" ")}`);
      }

      // What upstream's controller is known to do, independently of the comparison.
      const counts = (o: Outcome) => o.frames.map((ports) => ports.map((p) => p.length));
      const exact = (inPort: number, src: string, dst: string, from: string, to: string) =>
        `in_port=${inPort},vlan_tci=0x0000,dl_src=${src},dl_dst=${dst},nw_src=${from},nw_dst=${to},nw_tos=0`;
      for (let i = 0; i < 6; i++) {
        const plain = outcomes.get(`o${i}`)!;
        assert.deepEqual(counts(plain), [
          [0, 1, 1], // flooded to p2 and p3
          [1, 1, 1], // to p1 by packet-out
          [1, 2, 1], // to p2 by packet-out
          [1, 3, 1], // to p2 by the flow
          [2, 4, 1], // a broadcast floods
          [2, 4, 1], // reserved destinations are dropped
        ], SCENARIOS[i]!.name);
        assert.match(
          plain.flows,
          new RegExp(
            `n_packets=1, n_bytes=118, idle_timeout=60, .*priority=(65535|1),tcp,${
              exact(1, A, B, "10.0.0.1", "10.0.0.2").replace("0x0000", "0x0000(/0x1fff)?")
            },tp_src=8,tp_dst=9 actions=output:2`,
          ),
          `${SCENARIOS[i]!.name}: the fourth frame went through the learned flow`,
        );
      }
      const of10 = outcomes.get("o0")!;
      assert.equal(of10.flows.split("\n").length, 4, of10.flows);
      assert.match(
        of10.flows,
        new RegExp(
          ` idle_timeout=60, idle_age=\\?, priority=65535,tcp,${
            exact(2, B, A, "10.0.0.2", "10.0.0.1")
          },tp_src=9,tp_dst=8 actions=output:1\n`,
        ),
      );
      assert.match(of10.flows, /,dl_dst=01:80:c2:00:00:00,.* actions=drop/);
      const of13 = outcomes.get("o3")!;
      assert.match(
        of13.flows,
        new RegExp(
          ` idle_timeout=60, priority=1,tcp,${
            exact(2, B, A, "10.0.0.2", "10.0.0.1").replace("0x0000", "0x0000/0x1fff")
          },tp_src=9,tp_dst=8 actions=output:1\n`,
        ),
      );
      assert.match(of13.flows, /n_packets=5, n_bytes=\d+, priority=0 actions=CONTROLLER:128/);
      // One controller served the six plain bridges, learning on each separately.
      const shared = controllers.get("ours []")!;
      const sharedLog = await Deno.readTextFile(shared.logfile);
      for (let i = 0; i < 6; i++) {
        const dpid = (0x100 + 2 * i + 1).toString(16).padStart(16, "0");
        assert.match(
          sharedLog,
          new RegExp(
            `learning_switch\\|DBG\\|${dpid}: learned that 50:54:00:00:00:01 is on port 1`,
          ),
        );
      }
    } finally {
      await Promise.all([...controllers.values()].map(stopController));
      await sw.stop();
    }
  },
);

/** Stderr without log-line timestamps and sequence numbers. */
function maskLog(text: string): string {
  // getopt names the program by argv[0], which is the full path when started from a test.
  return text.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z\|\d+\|/gm, "").replace(/^\/usr\/bin\//gm, "");
}

testIf(
  NEED,
  "ovs-testcontroller reports bad command lines, --help and --version as upstream's",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "ovs-tc-" });
    const env = { OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir };
    try {
      await Deno.writeTextFile(`${dir}/bad.flows`, "in_port=1,actions=drop\nbogus\n");
      const cases: string[][] = [
        [],
        ["-x"],
        ["--noflow=1", "ptcp:0"],
        ["--max-idle"],
        ["--no", "ptcp:0"],
        ["--max-idle=0", "ptcp:0"],
        ["--max-idle=70000", "ptcp:0"],
        ["-Q", "foo", "ptcp:0"],
        ["-Q", "a:", "ptcp:0"],
        ["-Q", "a:1", "-Q", "a:2", "ptcp:0"],
        ["-O", "OpenFlow13,foo", "ptcp:0"],
        ["--with-flows", `${dir}/nonexistent`, "ptcp:0"],
        ["--with-flows", `${dir}/bad.flows`, "ptcp:0"],
        [`unix:${dir}/nonexistent`, "tcp:127.0.0.1:1", "foo:bar"],
        ["-H", "-N", "--queue=1", `unix:${dir}/nonexistent`],
        ["--max-idle=0", "--help"],
        ["--help"],
        ["-V"],
      ];
      const runBoth = (args: string[]) =>
        Promise.all([
          run("ovs-testcontroller", args, env),
          runOvs(["ovs-testcontroller", ...args], env),
        ]);
      const results: [RunResult, RunResult][] = [];
      // A few at a time: each of ours is a Deno start-up.
      for (let i = 0; i < cases.length; i += 6) {
        results.push(...await Promise.all(cases.slice(i, i + 6).map(runBoth)));
      }
      cases.forEach((args, i) => {
        const [real, ours] = results[i]!;
        const what = `ovs-testcontroller ${args.join(" ")}`;
        assert.equal(ours.code, real.code, `${what}: exit code`);
        assert.equal(ours.stdout, real.stdout, `${what}: stdout`);
        assert.equal(maskLog(ours.stderr), maskLog(real.stderr), `${what}: stderr`);
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

testIf(
  NEED,
  "ovs-testcontroller detaches with a pidfile, serves unixctl and exits on SIGTERM",
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "ovs-tc-" });
    const env = { OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir };
    try {
      const started = await runOvs(
        [
          "ovs-testcontroller",
          "--detach",
          "--no-chdir",
          "--pidfile",
          "--log-file",
          `punix:${dir}/c.sock`,
        ],
        env,
      );
      assert.equal(started.code, 0, started.stderr);
      const pid = Number((await Deno.readTextFile(`${dir}/ovs-testcontroller.pid`)).trim());
      const version = await run("ovs-appctl", ["-t", "ovs-testcontroller", "version"], env);
      assert.equal(version.stdout, "ovs-testcontroller (Open vSwitch) 3.1.0\n");
      assert.ok((await Deno.stat(`${dir}/c.sock`)).isSocket);
      Deno.kill(pid, "SIGTERM");
      await waitUntil("the pidfile to go", async () => {
        try {
          await Deno.stat(`${dir}/ovs-testcontroller.pid`);
          return false;
        } catch {
          return true;
        }
      }, 5000);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

testIf(
  NEED,
  "ovs-testcontroller connects actively to a switch and exits once that connection is gone",
  async () => {
    const sw = await startSwitch("real", addPorts("br0", 1, 2));
    let pid = 0;
    try {
      const started = await runOvs([
        "ovs-testcontroller",
        "--detach",
        "--no-chdir",
        "--pidfile",
        "--log-file",
        "-vconsole:off",
        `unix:${sw.dir}/br0.mgmt`,
      ], sw.env);
      assert.equal(started.code, 0, started.stderr);
      pid = Number((await Deno.readTextFile(`${sw.dir}/ovs-testcontroller.pid`)).trim());
      await waitUntil(
        "the table-miss flow",
        async () =>
          (await sw.ofctl("dump-flows", "br0")).includes("priority=0 actions=CONTROLLER:128"),
        20_000,
      );
      for (const [port, flow] of STEPS.slice(0, 2)) {
        await sw.appctl("netdev-dummy/receive", `p${port}`, flow);
        await sleep(300);
      }
      await waitUntil(
        "the learned flow",
        async () =>
          (await sw.ofctl("dump-flows", "br0")).includes(
            "priority=1,tcp,in_port=2,vlan_tci=0x0000/0x1fff,dl_src=50:54:00:00:00:02,dl_dst=50:54:00:00:00:01,nw_src=10.0.0.2,nw_dst=10.0.0.1,nw_tos=0,tp_src=9,tp_dst=8 actions=output:1",
          ),
        20_000,
      );
      await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], sw.env);
      await waitUntil("our controller to exit", () => Promise.resolve(!alive(pid)), 10_000);
      await assert.rejects(Deno.stat(`${sw.dir}/ovs-testcontroller.pid`));
    } finally {
      if (pid && alive(pid)) Deno.kill(pid, "SIGTERM");
      await sw.stop();
    }
  },
);
