// Our whole switch on two host devices, for bench/switch.sh: our ovsdb-server and ovs-vswitchd
// (main.ts, as a user runs them) in a temporary directory, one bridge of datapath_type=netdev
// with DEV_A and DEV_B as system ports, fail mode standalone without controller (so the switch
// forwards with its own `priority=0 actions=NORMAL` flow, as the real one in the same race). Prints "pid N" for the switch
// daemon (whose CPU the bench counts), then "ready" once the bridge is in place;
// with OVS_BENCH_RULES=N it adds bench/bench_rules.ts's rules first;
// on SIGTERM or SIGINT it removes the bridge, stops the daemons and the directory. Uses the real
// ovsdb-tool (to create the database) and ovs-vsctl (to configure it).
// Usage: deno run -A bench/our_switch.ts DEV_A DEV_B

import { benchRuleCount, benchRules } from "./bench_rules.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const [devA, devB] = Deno.args;
if (!devA || !devB) {
  console.error("usage: our_switch.ts DEV_A DEV_B");
  Deno.exit(2);
}

const dir = await Deno.makeTempDir({ prefix: "our-switch-" });
const env = { OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir };
const bridge = `ours${Deno.pid % 100000}`;

async function must(command: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(command, { args, env, stdout: "piped", stderr: "piped" })
    .output();
  if (out.code !== 0) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

const ovs = (face: string, args: string[]) =>
  must(Deno.execPath(), ["run", "-A", "--quiet", `${ROOT}main.ts`, face, ...args]);
const daemon = ["--detach", "--no-chdir", "--pidfile", "--log-file", "-vconsole:off"];

async function stop(): Promise<void> {
  await must("ovs-vsctl", ["--timeout=10", "--if-exists", "del-br", bridge]).catch(() => {});
  await must("ovs-appctl", ["-t", "ovs-vswitchd", "exit"]).catch(() => {});
  await must("ovs-appctl", ["-t", "ovsdb-server", "exit"]).catch(() => {});
  await Deno.remove(dir, { recursive: true }).catch(() => {});
}

let stopping = false;
const onSignal = async () => {
  if (stopping) return;
  stopping = true;
  await stop();
  Deno.exit(0);
};
Deno.addSignalListener("SIGTERM", onSignal);
Deno.addSignalListener("SIGINT", onSignal);

try {
  await must("ovsdb-tool", [
    "create",
    `${dir}/conf.db`,
    "/usr/share/openvswitch/vswitch.ovsschema",
  ]);
  await ovs("ovsdb-server", [...daemon, `--remote=punix:${dir}/db.sock`, `${dir}/conf.db`]);
  await must("ovs-vsctl", ["--no-wait", "init"]);
  await ovs("ovs-vswitchd", daemon);
  console.log(`pid ${(await Deno.readTextFile(`${dir}/ovs-vswitchd.pid`)).trim()}`);
  await must("ovs-vsctl", [
    "--timeout=30",
    "add-br",
    bridge,
    "--",
    "set",
    "bridge",
    bridge,
    "datapath_type=netdev",
    "--",
    "add-port",
    bridge,
    devA,
    "--",
    "add-port",
    bridge,
    devB,
  ]);
  if (benchRuleCount() > 1) {
    await Deno.writeTextFile(`${dir}/rules.txt`, benchRules(benchRuleCount()));
    await must("ovs-ofctl", ["add-flows", bridge, `${dir}/rules.txt`]);
  }
  console.log("ready");
} catch (e) {
  console.error(`our_switch: ${e instanceof Error ? e.message : e}`);
  await stop();
  Deno.exit(1);
}
// Stays until signalled.
setInterval(() => {}, 1 << 30);
