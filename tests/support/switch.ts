// Starts a whole switch for scenario tests — ovsdb-server and ovs-vswitchd on the dummy
// datapath, either ours or Debian's real Open vSwitch — in a private directory, the way
// upstream's own tests start theirs (OVS_VSWITCHD_START), and runs the tools against it. A
// scenario written once runs on both, so a test can compare what the two switches print.
// Tools default to the real ovs-vsctl/ovs-ofctl/ovs-appctl, which talk to either switch; `ours`
// runs our faces instead.

import { startOvsdbServer, type TestServer } from "./ovsdb.ts";
import { run, runOvs, type RunResult } from "./run.ts";
import { needPrograms } from "./skip.ts";

export const REAL_OVS = needPrograms(
  "ovsdb-server",
  "ovsdb-tool",
  "ovs-vsctl",
  "ovs-vswitchd",
  "ovs-appctl",
  "ovs-ofctl",
);

export const VSWITCHD_ARGS = [
  "--enable-dummy",
  "--disable-system",
  "--disable-system-route",
  "--detach",
  "--no-chdir",
  "--pidfile",
  "--log-file",
  "-vconsole:off",
];

export type Which = "ours" | "real";

export interface Switch extends TestServer {
  which: Which;
  /** Runs a tool by upstream name: the real program, or ours when `ours` is set. */
  tool(name: string, args: string[], options?: { ours?: boolean; stdin?: string }): Promise<
    RunResult
  >;
  vsctl(...args: string[]): Promise<string>;
  ofctl(...args: string[]): Promise<string>;
  appctl(...args: string[]): Promise<string>;
  /** The ovs-vswitchd log so far. */
  log(): Promise<string>;
}

/** Fails with the tool's output when it exits non-zero. */
function expectOk(what: string, result: RunResult): string {
  if (result.code !== 0) {
    throw new Error(`${what} exited ${result.code}: ${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/**
 * A switch with bridge br0 set up as upstream's tests set it up: dummy datapath, fail-mode
 * secure, a fixed datapath id and MAC, every OpenFlow version, plus `extra` ovs-vsctl arguments
 * (more commands after `--`).
 */
export async function startSwitch(which: Which, extra: string[] = []): Promise<Switch> {
  const server = await startOvsdbServer(which);
  const env = server.env;
  expectOk("ovs-vsctl init", await run("ovs-vsctl", ["--no-wait", "init"], env));
  const started = which === "ours"
    ? await runOvs(["ovs-vswitchd", ...VSWITCHD_ARGS], env)
    : await run("ovs-vswitchd", VSWITCHD_ARGS, env);
  expectOk(`${which} ovs-vswitchd`, started);
  const tool = (name: string, args: string[], options: { ours?: boolean; stdin?: string } = {}) =>
    options.ours
      ? runOvs([name, ...args], env, options.stdin)
      : run(name, args, env, options.stdin);
  const sw: Switch = {
    ...server,
    which,
    tool,
    vsctl: async (...args) =>
      expectOk("ovs-vsctl", await tool("ovs-vsctl", ["--timeout=10", ...args])),
    ofctl: async (...args) => expectOk("ovs-ofctl", await tool("ovs-ofctl", args)),
    appctl: async (...args) => expectOk("ovs-appctl", await tool("ovs-appctl", args)),
    log: () => Deno.readTextFile(`${server.dir}/ovs-vswitchd.log`).catch(() => ""),
    async stop() {
      await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], env);
      await server.stop();
    },
  };
  await sw.vsctl(
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
    ...extra,
  );
  return sw;
}

/** ovs-vsctl arguments adding dummy ports `p<n>` with ofport_request=n to `bridge`. */
export function addPorts(bridge: string, ...numbers: number[]): string[] {
  return numbers.flatMap((n) => [
    "--",
    "add-port",
    bridge,
    `p${n}`,
    "--",
    "set",
    "Interface",
    `p${n}`,
    "type=dummy",
    `ofport_request=${n}`,
  ]);
}

/** Masks what legitimately differs between runs: durations, ages, used times. */
export function maskTimes(text: string): string {
  return text
    .replace(/duration=[0-9.]+s/g, "duration=?s")
    .replace(/idle_age=[0-9]+/g, "idle_age=?")
    .replace(/hard_age=[0-9]+/g, "hard_age=?")
    .replace(/used:[0-9.]+s/g, "used:?s")
    .replace(/used:never/g, "used:?s");
}

/** The lines of the vswitchd log at WARN or above (upstream's tests fail on unexpected ones). */
export function warnings(log: string): string[] {
  return log.split("\n").filter((line) => /\|(WARN|ERR|EMER)\|/.test(line));
}
