// Upcalls and megaflow hits through the whole switch on the dummy datapath, ours against the real
// ovs-vswitchd 3.1 in one run: frames go in by `netdev-dummy/receive` over one kept unixctl
// connection (the same client for both), each from a new source MAC so that NORMAL makes each one
// a new megaflow (an upcall, a translation, an install), then the same frames again (megaflow
// hits). With 1 OpenFlow rule (actions=NORMAL) and with 1000 (999 rules that the frames do not
// match above it). Upstream's dummy port queues at most 100 frames and its datapath drains the
// queue after the command has replied, so frames go in bursts of BURST and each burst waits until
// the datapath's lookup counters (dpctl/show) have counted it. Prints frames/s per step and
// ours/real (higher is better).
//
// Usage: deno run -A bench/upcall_bench.ts [--frames N]

import { frameFromString } from "../core/datapath/pcap.ts";
import { UnixctlClient } from "../core/net/unixctl_client.ts";
import { benchRules } from "./bench_rules.ts";
import {
  addPorts,
  REAL_OVS,
  startSwitch,
  type Switch,
  type Which,
} from "../tests/support/switch.ts";

if (REAL_OVS) {
  console.log(`skipped: ${REAL_OVS}`);
  Deno.exit(0);
}

function option(name: string): string | undefined {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : undefined;
}

const FRAMES = Number(option("--frames") ?? 2000);
const BURST = 50;
const DST = "50:54:00:00:ff:02";

const hex2 = (x: number) => (x & 0xff).toString(16).padStart(2, "0");

function frameHex(flow: string): string {
  return [...frameFromString(flow)].map(hex2).join("");
}

/** Frame i: a UDP datagram from a MAC and address of its own to the host on p2. */
function frame(i: number): string {
  const mac = `02:00:00:${hex2(i >> 16)}:${hex2(i >> 8)}:${hex2(i)}`;
  const ip = `10.${(i >> 16) & 0xff}.${(i >> 8) & 0xff}.${i & 0xff}`;
  return frameHex(
    `eth(src=${mac},dst=${DST}),eth_type(0x0800),ipv4(src=${ip},dst=10.255.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1000,dst=2000)`,
  );
}

async function control(sw: Switch): Promise<UnixctlClient> {
  const pid = (await Deno.readTextFile(`${sw.dir}/ovs-vswitchd.pid`)).trim();
  return await UnixctlClient.connect(`${sw.dir}/ovs-vswitchd.${pid}.ctl`);
}

async function call(client: UnixctlClient, command: string, args: string[]): Promise<string> {
  const outcome = await client.transact(command, args);
  if ("error" in outcome) throw new Error(`${command}: ${String(outcome.error)}`);
  return String(outcome.result);
}

async function lookups(client: UnixctlClient): Promise<number> {
  const show = await call(client, "dpctl/show", []);
  const m = /lookups: hit:(\d+) missed:(\d+) lost:(\d+)/.exec(show);
  if (!m) throw new Error(`no lookup counters in dpctl/show:\n${show}`);
  return Number(m[1]) + Number(m[2]) + Number(m[3]);
}

async function megaflows(sw: Switch): Promise<number> {
  const dump = await sw.appctl("dpctl/dump-flows");
  return dump.split("\n").filter((l) => l.includes("actions:")).length;
}

/**
 * Sends every frame into p1, burst by burst; seconds until all were looked up. Upstream's bursts
 * wait for its datapath to drain the port's queue; ours switches a burst before it replies, so
 * it is counted once at the end (asking dpctl/show after every burst would also run, each time,
 * the revalidation our daemon does before it shows datapath state).
 */
async function inject(client: UnixctlClient, frames: string[], which: Which): Promise<number> {
  const start = performance.now();
  let expected = await lookups(client);
  for (let i = 0; i < frames.length; i += BURST) {
    const burst = frames.slice(i, i + BURST);
    await call(client, "netdev-dummy/receive", ["p1", ...burst]);
    expected += burst.length;
    if (which === "real") {
      while ((await lookups(client)) < expected) await new Promise((r) => setTimeout(r, 0));
    }
  }
  if ((await lookups(client)) < expected) throw new Error(`${which}: frames were lost`);
  return (performance.now() - start) / 1000;
}

interface Figures {
  upcallsPerSecond: number;
  hitsPerSecond: number;
  megaflows: number;
}

async function measure(which: Which, rules: number, frames: string[]): Promise<Figures> {
  const sw = await startSwitch(which, addPorts("br0", 1, 2));
  try {
    const flows = "priority=0,actions=NORMAL\n" + benchRules(rules);
    await sw.tool("ovs-ofctl", ["add-flows", "br0", "-"], { stdin: flows });
    // The destination is learned first, so every frame is forwarded to p2 alone.
    await sw.appctl(
      "netdev-dummy/receive",
      "p2",
      frameHex(
        `eth(src=${DST},dst=ff:ff:ff:ff:ff:ff),eth_type(0x0800),ipv4(src=10.255.0.2,dst=10.255.0.1,proto=17,tos=0,ttl=64,frag=no),udp(src=2000,dst=1000)`,
      ),
    );
    await sw.appctl("revalidator/wait");
    const client = await control(sw);
    const upcallSeconds = await inject(client, frames, which);
    await sw.appctl("revalidator/wait");
    const installed = await megaflows(sw);
    const hitSeconds = await inject(client, frames, which);
    client.close();
    return {
      upcallsPerSecond: frames.length / upcallSeconds,
      hitsPerSecond: frames.length / hitSeconds,
      megaflows: installed,
    };
  } finally {
    await sw.stop();
  }
}

const frames = Array.from({ length: FRAMES }, (_, i) => frame(i + 1));
const rate = (x: number) => `${Math.round(x).toLocaleString("en-US")}/s`;
console.log(`${FRAMES} frames, in bursts of ${BURST}`);
console.log("| OpenFlow rules | step | ours | real | ours/real |");
console.log("| ---: | --- | ---: | ---: | ---: |");
for (const rules of [1, 1000]) {
  const real = await measure("real", rules, frames);
  const ours = await measure("ours", rules, frames);
  console.log(
    `| ${rules} | new megaflows (upcalls) | ${rate(ours.upcallsPerSecond)} | ${
      rate(real.upcallsPerSecond)
    } | ${(ours.upcallsPerSecond / real.upcallsPerSecond).toFixed(2)} |`,
  );
  console.log(
    `| ${rules} | megaflow hits | ${rate(ours.hitsPerSecond)} | ${rate(real.hitsPerSecond)} | ${
      (ours.hitsPerSecond / real.hitsPerSecond).toFixed(2)
    } |`,
  );
  console.log(`| ${rules} | megaflows installed | ${ours.megaflows} | ${real.megaflows} | |`);
}
