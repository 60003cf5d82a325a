// What the ovs-ofctl tests share: the real ovsdb-server and ovs-vswitchd on the dummy datapath in
// a fresh directory, with bridge br0 speaking OpenFlow 1.0 to 1.5 and a few dummy ports, and a
// runner that gives the same command to the real ovs-ofctl and to ours and reports both results
// with durations and ages masked. Not a test file itself.

import assert from "node:assert/strict";
import { startOvsdbServer, type TestServer } from "../support/ovsdb.ts";
import { run, runOvs, type RunResult } from "../support/run.ts";
import { needPrograms } from "../support/skip.ts";

export const REAL_SWITCH = needPrograms(
  "ovsdb-server",
  "ovsdb-tool",
  "ovs-vsctl",
  "ovs-vswitchd",
  "ovs-appctl",
  "ovs-ofctl",
);

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

export interface TestSwitch extends TestServer {
  /** Runs the real ovs-ofctl. */
  real(args: string[], stdin?: string): Promise<RunResult>;
  /** Runs ours. */
  ours(args: string[], stdin?: string): Promise<RunResult>;
}

/** The real switch with br0 (ports p1, p2, p3 as 1, 2, 3) in its own directory. */
export async function startRealSwitch(): Promise<TestSwitch> {
  const server = await startOvsdbServer("real");
  const env = server.env;
  const init = await run("ovs-vsctl", ["--no-wait", "init"], env);
  assert.equal(init.code, 0, init.stderr);
  const started = await run("ovs-vswitchd", VSWITCHD_ARGS, env);
  assert.equal(started.code, 0, started.stderr);
  const bridge = await run("ovs-vsctl", [
    "--timeout=10",
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
    "protocols=[OpenFlow10,OpenFlow11,OpenFlow12,OpenFlow13,OpenFlow14,OpenFlow15]",
    ...[1, 2, 3].flatMap((n) => [
      "--",
      "add-port",
      "br0",
      `p${n}`,
      "--",
      "set",
      "Interface",
      `p${n}`,
      "type=dummy",
      `ofport_request=${n}`,
    ]),
  ], env);
  assert.equal(bridge.code, 0, bridge.stderr);
  return {
    ...server,
    real: (args, stdin) => run("ovs-ofctl", args, env, stdin),
    ours: (args, stdin) => runOvs(["ovs-ofctl", ...args], env, stdin),
    async stop() {
      await run("ovs-appctl", ["-t", "ovs-ofctl", "exit"], env);
      await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], env);
      await server.stop();
    },
  };
}

/** Hides what differs between two runs by timing alone. */
export function maskTimes(text: string): string {
  return text
    .replace(/duration([=:])[0-9.]+s/g, "duration$1?s")
    .replace(/(idle|hard)_age=\d+/g, "$1_age=?")
    .replace(/ time=[0-9.]+ ms/g, " time=? ms")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\|\d+\|/g, "TIME|N|")
    // getopt names the program by argv[0], which Deno.Command sets to the resolved path; a
    // shell would pass the bare name.
    .replace(/^\/usr\/bin\/ovs-ofctl:/gm, "ovs-ofctl:");
}

/**
 * Puts the switch back where every script starts: no flows, groups, meters or TLV maps, ports
 * up, tables with explicit default settings.
 */
async function reset(sw: TestSwitch): Promise<void> {
  for (
    const args of [
      ["-O", "OpenFlow15", "del-flows", "br0"],
      ["-O", "OpenFlow15", "del-groups", "br0"],
      ["-O", "OpenFlow15", "del-meters", "br0"],
      ["del-tlv-map", "br0"],
      ["set-frags", "br0", "normal"],
      ["mod-port", "br0", "p1", "up"],
      ["mod-port", "br0", "p1", "flood"],
      ["-O", "OpenFlow14", "mod-table", "br0", "all", "noevict"],
      ["-O", "OpenFlow14", "mod-table", "br0", "all", "novacancy"],
      ["-O", "OpenFlow12", "mod-table", "br0", "all", "controller"],
    ]
  ) {
    const result = await sw.real(args);
    assert.equal(result.code, 0, `${args.join(" ")}: ${result.stderr}`);
  }
}

export interface Step {
  args: string[];
  stdin?: string;
  /** The switch lists these in its hash order, which its history changes: compare sorted. */
  unordered?: boolean;
}

/**
 * Runs `steps` with the real tool from a reset switch, then with ours from a reset switch, and
 * compares every step's output and exit code.
 */
export async function compareScript(
  sw: TestSwitch,
  options: string[],
  steps: Step[],
): Promise<string[]> {
  const results: Record<"real" | "ours", RunResult[]> = { real: [], ours: [] };
  for (const tool of ["real", "ours"] as const) {
    await reset(sw);
    for (const step of steps) {
      results[tool].push(await sw[tool]([...options, ...step.args], step.stdin));
    }
  }
  const mismatches: string[] = [];
  steps.forEach((step, i) => {
    const what = `ovs-ofctl ${[...options, ...step.args].join(" ")}`;
    const real = results.real[i]!;
    const ours = results.ours[i]!;
    for (const stream of ["stdout", "stderr"] as const) {
      const normal = (text: string) => {
        const masked = maskTimes(text);
        return step.unordered ? masked.split("\n").sort().join("\n") : masked;
      };
      if (normal(ours[stream]) !== normal(real[stream])) {
        mismatches.push(`${what}: ${stream}\n--- real\n${real[stream]}--- ours\n${ours[stream]}`);
      }
    }
    if (ours.code !== real.code) mismatches.push(`${what}: exit ${ours.code}, real ${real.code}`);
  });
  return mismatches;
}

/** Fails listing every step that differed. */
export function assertNoMismatches(mismatches: string[]): void {
  assert.deepEqual(mismatches.map((m) => m.split("\n")[0]), [], mismatches.join("\n"));
}

/** Steps whose messages differ by version: run in 1.0, 1.3 and 1.5. */
export const SWITCH_STEPS: Step[] = [
  { args: ["show", "br0"] },
  { args: ["dump-tables", "br0"] },
  { args: ["dump-ports", "br0", "p2"] },
  { args: ["dump-ports-desc", "br0"] },
  { args: ["dump-ports-desc", "br0", "1"] },
  { args: ["mod-port", "br0", "p1", "down"] },
  { args: ["dump-ports-desc", "br0", "p1"] },
  { args: ["set-frags", "br0", "drop"] },
  { args: ["get-frags", "br0"] },
  { args: ["queue-stats", "br0"] },
  { args: ["queue-get-config", "br0"] },
  { args: ["dump-table-desc", "br0"] },
  { args: ["meter-features", "br0"] },
  { args: ["add-meter", "br0", "meter=1 pktps burst stats bands=type=drop rate=10 burst_size=5"] },
  { args: ["add-meter", "br0", "meter=1 pktps bands=type=drop rate=10"] },
  { args: ["mod-meter", "br0", "meter=1 kbps bands=type=dscp_remark rate=100 prec_level=2"] },
  { args: ["dump-meters", "br0"] },
  { args: ["meter-stats", "br0", "meter=1"] },
  { args: ["del-meters", "br0"] },
];

/** Steps that read the same in every version: run once, in 1.0. */
export const ONCE_STEPS: Step[] = [
  { args: ["dump-desc", "br0"] },
  { args: ["dump-ports", "br0"] },
  { args: ["dump-ports", "br0", "nosuchport"] },
  { args: ["get-frags", "br0"] },
  { args: ["set-frags", "br0", "bogus"] },
  { args: ["mod-port", "br0", "p1", "noflood"] },
  { args: ["dump-ports-desc", "br0", "p1"] },
  { args: ["mod-port", "br0", "p9", "up"] },
  { args: ["mod-port", "br0", "p1", "sideways"] },
  { args: ["probe", "br0"] },
  { args: ["-O", "OpenFlow13", "dump-table-features", "br0"] },
  { args: ["-O", "OpenFlow14", "dump-table-desc", "br0"] },
  { args: ["-O", "OpenFlow14", "mod-table", "br0", "1", "evict"] },
  { args: ["-O", "OpenFlow14", "dump-table-desc", "br0"] },
  { args: ["-O", "OpenFlow14", "mod-table", "br0", "0", "vacancy:50,10"] },
  { args: ["-O", "OpenFlow12", "mod-table", "br0", "all", "continue"] },
  { args: ["mod-table", "br0", "0", "drop"] },
  { args: ["-O", "OpenFlow13", "dump-meter", "br0", "meter=1"] },
  { args: ["-O", "OpenFlow13", "del-meter", "br0", "meter=2"] },
  { args: ["-O", "OpenFlow13", "add-meter", "br0", "meter=3 frobnicate bands=type=drop rate=1"] },
  { args: ["add-tlv-map", "br0", "{class=0xffff,type=0,len=4}->tun_metadata0"] },
  { args: ["add-tlv-map", "br0", "{class=0xffff,type=0,len=4}->tun_metadata0"] },
  { args: ["dump-tlv-map", "br0"] },
  { args: ["ct-flush-zone", "br0", "5"] },
  { args: ["ct-flush", "br0", "zone=5", "ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.2"] },
];

const FLOWS_FILE = `# a comment line, then flows
priority=10,in_port=1,actions=output:2
priority=20,ip,nw_src=10.0.0.0/8,actions=mod_nw_tos:16,output:3   # trailing comment

cookie=0x17,tcp,tp_dst=80,actions=drop
delete in_port=9
udp,tp_src=53,actions=CONTROLLER:64
`;

const BUNDLE_FILE = `flow add priority=3,arp,actions=NORMAL
flow add priority=4,in_port=2,actions=output:1
group add group_id=7,type=all,bucket=output:1
`;

export const FLOW_STEPS: Step[] = [
  { args: ["add-flow", "br0", "priority=5,in_port=1,actions=output:2"] },
  { args: ["add-flow", "br0", "in_port=p2,actions=p1"] },
  { args: ["add-flows", "br0", "-"], stdin: FLOWS_FILE },
  { args: ["add-flow", "br0", "in_port=1,actions=group:9"] },
  { args: ["add-flow", "br0", "frobozz=1,actions=drop"] },
  { args: ["add-flow", "br0", "in_port=1"] },
  { args: ["add-flow", "br0", "table=300,actions=drop"] },
  { args: ["add-flow", "br0", "table=1,priority=1,actions=drop"] },
  { args: ["add-flow", "br0", "in_port=nosuchport,actions=drop"] },
  { args: ["dump-flows", "br0"] },
  { args: ["--no-stats", "dump-flows", "br0"] },
  { args: ["--names", "dump-flows", "br0"] },
  { args: ["--no-names", "--no-stats", "dump-flows", "br0"] },
  { args: ["--sort", "dump-flows", "br0"] },
  { args: ["--rsort=priority", "dump-flows", "br0"] },
  { args: ["--sort=in_port", "--no-stats", "dump-flows", "br0"] },
  { args: ["dump-flows", "br0", "in_port=1"] },
  { args: ["dump-flows", "br0", "tcp"] },
  { args: ["dump-flows", "br0", "cookie=0x17/-1"] },
  { args: ["dump-flows", "br0", "in_port=p1"] },
  { args: ["dump-flows", "br0", "table=1"] },
  { args: ["dump-aggregate", "br0"] },
  { args: ["dump-aggregate", "br0", "ip"] },
  { args: ["mod-flows", "br0", "in_port=1,actions=drop"] },
  { args: ["--strict", "mod-flows", "br0", "priority=5,in_port=1,actions=output:3"] },
  { args: ["--no-stats", "dump-flows", "br0"] },
  { args: ["del-flows", "br0", "in_port=2"] },
  { args: ["--strict", "del-flows", "br0", "priority=10,in_port=1"] },
  { args: ["--strict", "del-flows", "br0", "in_port=1"] },
  { args: ["--no-stats", "dump-flows", "br0"] },
  {
    args: [
      "packet-out",
      "br0",
      "in_port=1 packet=505400000005000000000007080045000014000000004000ffffffff00000000 actions=output:2",
    ],
  },
  { args: ["packet-out", "br0", "2", "output:1", "505400000005000000000007080045000014"] },
  { args: ["packet-out", "br0", "in_port=1 packet=5054 actions=drop"] },
  { args: ["--bundle", "add-flow", "br0", "priority=9,in_port=3,actions=output:1"] },
  { args: ["bundle", "br0", "-"], stdin: BUNDLE_FILE },
  { args: ["--no-stats", "dump-flows", "br0"] },
  { args: ["add-group", "br0", "group_id=1,type=all,bucket=output:1,bucket=output:2"] },
  { args: ["add-group", "br0", "group_id=1,type=all,bucket=output:1"] },
  { args: ["mod-group", "br0", "group_id=1,type=all,bucket=output:3"] },
  { args: ["--may-create", "mod-group", "br0", "group_id=2,type=indirect,bucket=output:2"] },
  { args: ["add-flow", "br0", "priority=2,actions=group:1"] },
  { args: ["dump-groups", "br0"], unordered: true },
  { args: ["dump-groups", "br0", "1"], unordered: true },
  { args: ["dump-group-stats", "br0"], unordered: true },
  { args: ["dump-group-stats", "br0", "group_id=2"] },
  { args: ["dump-group-features", "br0"] },
  {
    args: [
      "insert-buckets",
      "br0",
      "group_id=1,command_bucket_id=last,bucket=bucket_id=5,actions=output:2",
    ],
  },
  { args: ["remove-buckets", "br0", "group_id=1,command_bucket_id=5"] },
  { args: ["del-groups", "br0", "group_id=2"] },
  { args: ["del-groups", "br0"] },
  { args: ["dump-groups", "br0"] },
  { args: ["del-flows", "br0"] },
  { args: ["dump-flows", "br0"] },
];

export const ERROR_STEPS: Step[] = [
  { args: ["show", "nosuchbridge"] },
  { args: ["show", "unix:/nonexistent/socket"] },
  { args: ["show", "tcp:127.0.0.1:1"] },
  { args: ["show"] },
  { args: ["show", "br0", "extra"] },
  { args: ["frobnicate", "br0"] },
  { args: ["--read-only", "mod-port", "br0", "p1", "up"] },
  { args: ["-O", "OpenFlow99", "show", "br0"] },
  { args: ["-F", "nosuchformat", "show", "br0"] },
  { args: ["-O", "OpenFlow13", "-F", "OpenFlow10", "show", "br0"] },
  { args: ["--timeout=0", "show", "br0"] },
  { args: ["--sort=nosuchfield", "dump-flows", "br0"] },
  { args: ["--color=sometimes", "show", "br0"] },
  { args: ["--no-such-option", "show", "br0"] },
  { args: ["list-commands"] },
  { args: ["monitor", "br0", "frobnicate"] },
  { args: ["-O", "OpenFlow13", "monitor", "br0", "invalid_ttl"] },
];
