// Starts the real ovs-vswitchd on the dummy datapath (with the real ovsdb-server) in a fresh
// OVS_RUNDIR, for differential datapath tests: ovs-vsctl, ovs-appctl and file helpers bound to
// that directory, and a stop that cleans everything up. Test-only.

import { startOvsdbServer } from "../support/ovsdb.ts";
import { run, type RunResult } from "../support/run.ts";
import { needPrograms } from "../support/skip.ts";

export const REAL_SWITCH = needPrograms(
  "ovsdb-server",
  "ovsdb-tool",
  "ovs-vsctl",
  "ovs-vswitchd",
  "ovs-appctl",
);

export interface RealSwitch {
  dir: string;
  vsctl(...args: string[]): Promise<RunResult>;
  appctl(...args: string[]): Promise<RunResult>;
  stop(): Promise<void>;
}

export async function startRealSwitch(): Promise<RealSwitch> {
  const server = await startOvsdbServer("real");
  const env = server.env;
  const init = await run("ovs-vsctl", ["--no-wait", "init"], env);
  if (init.code !== 0) throw new Error(init.stderr);
  const started = await run("ovs-vswitchd", [
    "--enable-dummy",
    "--disable-system",
    "--disable-system-route",
    "--detach",
    "--no-chdir",
    "--pidfile",
    "--log-file",
    "-vconsole:off",
  ], env);
  if (started.code !== 0) throw new Error(started.stderr);
  return {
    dir: server.dir,
    vsctl: (...args) => run("ovs-vsctl", ["--timeout=10", ...args], env),
    appctl: (...args) => run("ovs-appctl", ["--timeout=10", ...args], env),
    async stop() {
      await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], env);
      await server.stop();
    },
  };
}

/** Runs `args` and fails unless the exit code is 0. */
export async function must(result: Promise<RunResult>, what = ""): Promise<string> {
  const r = await result;
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}
