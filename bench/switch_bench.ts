// The speed race (run by bench/switch.sh): one test bed of two namespaces, each joined by a veth
// pair to the host, and three switches taking turns between the host-side ends: the Linux
// bridge, the real Open vSwitch 3.1 on its userspace datapath (datapath_type=netdev, system
// ports, NORMAL), and ours (bench/our_switch.ts: our ovsdb-server and ovs-vswitchd, the same
// bridge; or a command given with --ours, such as the bare forwarding loop
// bench/forward_loop.ts, labelled with its command). For each, with the
// kernel's default offloads and with them off: ping RTT (median, p99), TCP throughput (iperf3),
// 64-byte UDP frames per second delivered (trafgen), distinct 5-tuples per second delivered
// (each frame a new flow), and CPU seconds per million frames (the switch's process, and the
// whole machine's). Prints a table and ratios to the real Open vSwitch. Root only; traffic stays
// in the namespaces made here. Not a test.

import { NetTestBed, quantile } from "../tests/support/netns.ts";
import { run } from "../tests/support/run.ts";
import { hasProgram } from "../tests/support/skip.ts";
import { benchRuleCount, benchRules } from "./bench_rules.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const OUR_SWITCH = `${Deno.execPath()} run -A ${ROOT}bench/our_switch.ts {A} {B}`;

function option(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const oursCommand = option("--ours") ?? OUR_SWITCH;
const oursLabel = option("--ours")
  ? `ours (${option("--ours")!.split(/\s+/).find((w) => w.endsWith(".ts")) ?? "--ours"})`
  : "ours (ovs-deno netdev)";
const seconds = Number(option("--seconds") ?? 3);
const only = option("--only")?.split(",");
// --rules N: each switch's bridge holds N OpenFlow rules (bench/bench_rules.ts); our switch's
// process reads the count from the environment it inherits.
if (option("--rules")) Deno.env.set("OVS_BENCH_RULES", option("--rules")!);

interface Figures {
  rttMedian: number;
  rttP99: number;
  tcpGbps: number;
  udpKpps: number;
  flowsKps: number;
  procCpuPerM: number;
  machineCpuPerM: number;
}

interface Switch {
  label: string;
  start(a: string, b: string): Promise<void>;
  /** Process ids whose CPU counts as the switch's (none for the kernel bridge). */
  pids(): number[];
  stop(): Promise<void>;
}

function processCpu(pid: number): number {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

function machineBusy(): number {
  const cpu = Deno.readTextFileSync("/proc/stat").split("\n")[0]!.split(/\s+/).slice(1).map(
    Number,
  );
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return (cpu.reduce((a, b) => a + b, 0) - idle) / 100;
}

async function must(command: string, args: string[], env: Record<string, string> = {}) {
  const r = await run(command, args, env);
  if (r.code !== 0) throw new Error(`${command} ${args.join(" ")}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

function linuxBridge(bed: NetTestBed): Switch {
  const br = bed.name("br");
  return {
    label: "linux bridge",
    async start(a, b) {
      await bed.ip("link", "add", br, "type", "bridge");
      bed.adopt(br);
      for (const port of [a, b]) await bed.ip("link", "set", port, "master", br);
      await bed.ip("link", "set", br, "up");
    },
    pids: () => [],
    async stop() {
      await run("ip", ["link", "del", br]);
    },
  };
}

function realOvs(bed: NetTestBed): Switch {
  let dir = "";
  let env: Record<string, string> = {};
  const br = bed.name("ovs");
  const pid = (name: string) => {
    try {
      return Number(Deno.readTextFileSync(`${dir}/${name}.pid`).trim());
    } catch {
      return 0;
    }
  };
  return {
    label: "Open vSwitch 3.1 (netdev)",
    async start(a, b) {
      dir = await Deno.makeTempDir({ prefix: "switch-bench-ovs-" });
      env = { OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir };
      await must("ovsdb-tool", [
        "create",
        `${dir}/conf.db`,
        "/usr/share/openvswitch/vswitch.ovsschema",
      ]);
      await must("ovsdb-server", [
        `${dir}/conf.db`,
        `--remote=punix:${dir}/db.sock`,
        "--detach",
        "--no-chdir",
        "--pidfile",
        "--log-file",
      ], env);
      await must("ovs-vsctl", ["--no-wait", "init"], env);
      await must("ovs-vswitchd", [
        "--detach",
        "--no-chdir",
        "--pidfile",
        "--log-file",
        "-vconsole:off",
      ], env);
      bed.adopt(br);
      await must("ovs-vsctl", [
        "--timeout=20",
        "add-br",
        br,
        "--",
        "set",
        "bridge",
        br,
        "datapath_type=netdev",
        "--",
        "add-port",
        br,
        a,
        "--",
        "add-port",
        br,
        b,
      ], env);
      if (benchRuleCount() > 1) {
        await Deno.writeTextFile(`${dir}/rules.txt`, benchRules(benchRuleCount()));
        await must("ovs-ofctl", ["add-flows", br, `${dir}/rules.txt`], env);
      }
    },
    pids: () => [pid("ovs-vswitchd")],
    async stop() {
      if (!dir) return;
      await run("ovs-vsctl", ["--timeout=10", "--if-exists", "del-br", br], env);
      await run("ovs-appctl", ["-t", "ovs-vswitchd", "exit"], env);
      await run("ovs-appctl", ["-t", "ovsdb-server", "exit"], env);
      await Deno.remove(dir, { recursive: true }).catch(() => undefined);
      dir = "";
    },
  };
}

function ours(): Switch {
  let child: Deno.ChildProcess | undefined;
  let pids: number[] = [];
  return {
    label: oursLabel,
    async start(a, b) {
      const words = oursCommand.replaceAll("{A}", a).replaceAll("{B}", b).split(/\s+/);
      child = new Deno.Command(words[0]!, {
        args: words.slice(1),
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      pids = [child.pid];
      // Our switch says which process forwards ("pid N") and when it is ready; a bare command
      // (the forwarding loop) prints "ready" only.
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      const deadline = Date.now() + 60000;
      while (!/^ready$/m.test(text)) {
        if (Date.now() > deadline) throw new Error("our switch did not get ready in 60 s");
        const { value, done } = await lines.read();
        if (done) throw new Error(`our switch exited before ready: ${text}`);
        text += value;
      }
      const pid = /^pid (\d+)$/m.exec(text);
      if (pid) pids = [Number(pid[1])];
      // Keep draining so the child never blocks on a full pipe.
      void (async () => {
        while (!(await lines.read().catch(() => ({ done: true }))).done) { /* drop */ }
      })();
    },
    pids: () => pids,
    async stop() {
      if (!child) return;
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      child = undefined;
    },
  };
}

interface Hosts {
  bed: NetTestBed;
  left: string;
  right: string;
  leftIp: string;
  rightIp: string;
  rightMac: string;
  leftMac: string;
  ports: [string, string];
}

async function buildBed(): Promise<Hosts> {
  const bed = NetTestBed.create();
  const subnet = `10.${200 + (Deno.pid % 50)}.${Deno.pid % 250}`;
  const left = await bed.addNamespace("l");
  const right = await bed.addNamespace("r");
  const a = await bed.addVeth({ ns: left, address: `${subnet}.1/24` });
  const b = await bed.addVeth({ ns: right, address: `${subnet}.2/24` });
  for (const port of [a.host, b.host]) await bed.setLink(port, true);
  const macOf = async (ns: string) =>
    (await bed.exec(ns, "cat", ["/sys/class/net/eth0/address"])).stdout.trim();
  return {
    bed,
    left,
    right,
    leftIp: `${subnet}.1`,
    rightIp: `${subnet}.2`,
    leftMac: await macOf(left),
    rightMac: await macOf(right),
    ports: [a.host, b.host],
  };
}

async function setOffloads(h: Hosts, on: boolean): Promise<void> {
  for (const port of h.ports) await h.bed.setOffloads(port, on);
  for (const ns of [h.left, h.right]) await h.bed.setOffloads("eth0", on, ns);
}

async function rxPackets(h: Hosts): Promise<number> {
  const r = await h.bed.exec(h.right, "cat", ["/sys/class/net/eth0/statistics/rx_packets"]);
  return Number(r.stdout.trim());
}

/** trafgen in the left namespace for `seconds`: fixed 5-tuple, or a new one per frame. */
async function blast(h: Hosts, newFlows: boolean): Promise<void> {
  const cfg = await Deno.makeTempFile({ suffix: ".trafgen" });
  const ip = (a: string) => a.split(".").join(", ");
  const ports = newFlows ? "drnd(2), drnd(2)," : "0x03, 0xe8, 0x07, 0xd0,";
  const macBytes = (m: string) => m.split(":").map((x) => `0x${x}`).join(", ");
  await Deno.writeTextFile(
    cfg,
    `{ ${macBytes(h.rightMac)}, ${macBytes(h.leftMac)}, 0x08, 0x00,
  0x45, 0x00, const16(46), const16(0), 0x40, 0x00, 64, 17, csumip(14, 33),
  ${ip(h.leftIp)}, ${ip(h.rightIp)},
  ${ports} const16(26), const16(0), fill(0x00, 18) }\n`,
  );
  await h.bed.exec(h.left, "timeout", [
    String(seconds),
    "trafgen",
    "-q",
    "-P",
    "1",
    "-C",
    "-i",
    cfg,
    "-o",
    "eth0",
  ]);
  await Deno.remove(cfg);
}

async function measure(h: Hosts, sw: Switch): Promise<Figures> {
  // Warm up: MAC learning, ARP, JIT.
  await h.bed.ping(h.left, h.rightIp, { count: 3, interval: 0.05, deadline: 5 });
  const ping = await h.bed.ping(h.left, h.rightIp, { count: 100, interval: 0.01, deadline: 10 });
  const server = await h.bed.iperf3Server(h.right, 5201);
  const tcp = await h.bed.iperf3(h.left, h.rightIp, { seconds });
  await server.stop();
  const figures: Figures = {
    rttMedian: quantile(ping.rtts, 0.5),
    rttP99: quantile(ping.rtts, 0.99),
    tcpGbps: tcp.error ? 0 : tcp.bitsPerSecond / 1e9,
    udpKpps: NaN,
    flowsKps: NaN,
    procCpuPerM: NaN,
    machineCpuPerM: NaN,
  };
  if (!hasProgram("trafgen")) return figures;
  for (const newFlows of [false, true]) {
    const before = await rxPackets(h);
    const proc0 = sw.pids().reduce((s, p) => s + processCpu(p), 0);
    const busy0 = machineBusy();
    const t0 = performance.now();
    await blast(h, newFlows);
    const wall = (performance.now() - t0) / 1000;
    const got = (await rxPackets(h)) - before;
    const proc = sw.pids().reduce((s, p) => s + processCpu(p), 0) - proc0;
    const busy = machineBusy() - busy0;
    if (newFlows) {
      figures.flowsKps = got / wall / 1000;
    } else {
      figures.udpKpps = got / wall / 1000;
      figures.procCpuPerM = sw.pids().length ? proc / (got / 1e6) : NaN;
      figures.machineCpuPerM = busy / (got / 1e6);
    }
  }
  return figures;
}

async function waitForPath(h: Hosts): Promise<void> {
  for (let i = 0; i < 40; i++) {
    const p = await h.bed.ping(h.left, h.rightIp, { count: 1, deadline: 1 });
    if (p.received > 0) return;
  }
  throw new Error("no path through the switch after 40 s");
}

const fmt = (v: number, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : "-");

const ROWS: [keyof Figures, string, number, boolean][] = [
  ["rttMedian", "ping RTT median (ms)", 3, false],
  ["rttP99", "ping RTT p99 (ms)", 3, false],
  ["tcpGbps", "TCP throughput (Gbit/s)", 2, true],
  ["udpKpps", "64-byte UDP delivered (kpps)", 0, true],
  ["flowsKps", "new 5-tuples delivered (k/s)", 0, true],
  ["procCpuPerM", "switch CPU s per Mpkt", 2, false],
  ["machineCpuPerM", "machine CPU s/Mpkt (w/ trafgen)", 2, false],
];

async function main(): Promise<number> {
  if (Deno.uid() !== 0) {
    console.error("switch_bench: needs root (namespaces, veth, raw sockets)");
    return 2;
  }
  const started = performance.now();
  const h = await buildBed();
  const results = new Map<string, Figures>();
  const switches = [linuxBridge(h.bed), realOvs(h.bed), ours()].filter((s) =>
    !only || only.some((o) => s.label.toLowerCase().includes(o))
  );
  try {
    for (const mode of ["defaults", "off"] as const) {
      await setOffloads(h, mode === "defaults");
      for (const sw of switches) {
        console.error(`== ${sw.label}, offloads ${mode}`);
        try {
          await sw.start(h.ports[0], h.ports[1]);
          await waitForPath(h);
          results.set(`${sw.label}|${mode}`, await measure(h, sw));
        } catch (e) {
          console.error(`  failed: ${e instanceof Error ? e.message : e}`);
        } finally {
          await sw.stop();
        }
      }
    }
  } finally {
    await h.bed.destroy();
  }
  for (const mode of ["defaults", "off"]) {
    console.log(
      `\noffloads ${mode === "defaults" ? "as the kernel sets them" : "off (ethtool -K)"}`,
    );
    const labels = switches.map((s) => s.label);
    console.log(["metric".padEnd(30), ...labels.map((l) => l.padStart(28)), "ours/OVS".padStart(10)]
      .join(""));
    for (const [key, name, digits] of ROWS) {
      const values = labels.map((l) => results.get(`${l}|${mode}`)?.[key] ?? NaN);
      const ovs = results.get(`Open vSwitch 3.1 (netdev)|${mode}`)?.[key] ?? NaN;
      const mine = results.get(`${oursLabel}|${mode}`)?.[key] ?? NaN;
      const ratio = ovs > 0 ? fmt(mine / ovs, 2) + "x" : mine > 0 ? "OVS 0" : "-";
      console.log(
        [name.padEnd(30), ...values.map((v) => fmt(v, digits).padStart(28)), ratio.padStart(10)]
          .join(""),
      );
    }
  }
  console.log(
    `\n(${benchRuleCount()} OpenFlow rule(s) in each switch; ${
      ((performance.now() - started) / 1000).toFixed(0)
    } s)`,
  );
  return 0;
}

Deno.exit(await main());
