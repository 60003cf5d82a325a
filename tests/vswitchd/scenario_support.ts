// Scenario tests in the style of upstream's tests/ofproto-dpif.at, run on both switches: the same
// script of commands (real ovs-vsctl, ovs-ofctl, ovs-appctl, as upstream's suite uses them) goes
// to our ovs-vswitchd and to the real one on the dummy datapath, and each step's output, as a user
// sees it, must be the same. Only what legitimately differs is masked: durations and ages (unless
// a step asks for exact times under `time/stop`), ufids, the random MACs of LOCAL and patch ports,
// revalidator thread ids and dump timings, the order in which NORMAL and FLOOD visit ports (the
// real switch walks a pointer-hashed map, so it changes from run to run) and the order of
// datapath flow dumps (ufid-hashed with a random secret). Also checks the logs: ours must not log
// a WARN or ERR the real one does not.

import assert from "node:assert/strict";
import { readPcapFile } from "../../core/datapath/pcap.ts";
import { addPorts, maskTimes, startSwitch, type Switch, warnings } from "../support/switch.ts";

/**
 * One step: a command line (tool then arguments, words split on spaces, '…' quoting a word with
 * spaces), optionally prefixed by flags:
 *   `!exact`   compare durations and ages too (the scenario stopped time first)
 *   `!rc`      compare only the exit code
 *   `!sort`    compare the output's lines sorted
 *   `!nomac`   mask every `addr:` MAC (ovs-ofctl show of LOCAL and patch ports)
 * Pseudo-commands: `pcap FILE` (the frames of a tx_pcap file, in hex), `cat FILE`, `sleep MS`.
 * `$DIR` stands for the switch's directory. A command with --detach (ovs-ofctl monitor) runs
 * with its stdout and stderr in $DIR/monitor.log and $DIR/monitor.err.
 */
export type Step = string;

export interface Scenario {
  /** Dummy ports p<n> (ofport n) on br0. */
  ports?: number[];
  /** More ovs-vsctl arguments for the bridge's creation. */
  extra?: string[];
  steps: Step[];
}

export interface StepResult {
  step: Step;
  real: string;
  ours: string;
}

const FLAG = /^!(exact|rc|sort|nomac)\s+/;

function splitWords(line: string): string[] {
  return (line.match(/'[^']*'|\S+/g) ?? []).map((w) =>
    w.startsWith("'") && w.endsWith("'") ? w.slice(1, -1) : w
  );
}

/** Splits a datapath action list at its top-level commas. */
function topLevel(actions: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < actions.length; i++) {
    const c = actions[i];
    if (c === "(") depth++;
    else if (c === ")") depth--;
    else if (c === "," && depth === 0) {
      out.push(actions.slice(start, i));
      start = i + 1;
    }
  }
  out.push(actions.slice(start));
  return out;
}

/**
 * Datapath actions as a set of "what was done to the packet => where it went": the same
 * deliveries in another port order compare equal, while any difference in what a port receives
 * still shows.
 */
export function canonicalActions(actions: string): string {
  const state: string[] = [];
  const deliveries: string[] = [];
  for (const token of topLevel(actions.trim())) {
    if (/^\d+$/.test(token) || /^(userspace|recirc|lb_output|clone|drop)\b/.test(token)) {
      deliveries.push(`${state.join(";")}=>${token}`);
    } else if (token === "pop_vlan" && state.at(-1)?.startsWith("push_vlan(")) {
      state.pop();
    } else {
      state.push(token);
    }
  }
  return deliveries.sort().join(" ");
}

function canonicalizeDatapathActions(text: string): string {
  return text
    .replace(/(Datapath actions: )(.*)$/gm, (_, head, acts) => head + canonicalActions(acts))
    .replace(/(, actions:)(.*)$/gm, (_, head, acts) => head + canonicalActions(acts));
}

/** What legitimately differs between the two switches' answers to `step`. */
export function normalize(step: Step, text: string, dir: string): string {
  let out = text.replaceAll(dir, "$DIR");
  if (!step.startsWith("!exact")) {
    out = maskTimes(out)
      // hard_age shows only when a modification fell in another second than the creation,
      // which real time decides.
      .replace(/hard_age=\?, /g, "")
      .replace(/duration:[0-9.]+s/g, "duration:?s")
      .replace(/duration[0-9.]+s/g, "duration?s");
  }
  out = out.replace(/ufid:[0-9a-f-]{36}/g, "ufid:?");
  out = canonicalizeDatapathActions(out);
  if (/upcall\/show/.test(step)) {
    // "current" is a count cached for 100 ms of the clock: exact only under time/stop.
    if (!step.startsWith("!exact")) out = out.replace(/\(current \d+\)/g, "(current ?)");
    out = out
      .replace(/\(avg \d+\) \(max \d+\)/g, "(avg ?) (max ?)")
      .replace(/dump duration : \d+ms/g, "dump duration : ?ms")
      .replace(/^ {2}\d+: \(keys/gm, "  ?: (keys");
  }
  // fdb/show's ages follow the clock unless time is stopped.
  if (!step.startsWith("!exact") && /fdb\/show/.test(step)) {
    out = out.replace(/^(\s+\S+\s+\d+\s+[0-9a-f:]{17}\s+)\d+$/gm, "$1?");
  }
  if (step.startsWith("!nomac")) out = out.replace(/addr:[0-9a-f:]{17}/g, "addr:?");
  // Datapath flow dumps come in ufid-hash order, which a random secret decides.
  if (step.startsWith("!sort") || /dump-flows/.test(step) && /(dpctl|dpif)\//.test(step)) {
    out = out.split("\n").sort().join("\n");
  }
  return out;
}

/** Runs `steps` on `sw`, returning each step's raw output (exit code first). */
export async function runSteps(sw: Switch, steps: readonly Step[]): Promise<string[]> {
  const out: string[] = [];
  for (const step of steps) {
    const line = step.replace(FLAG, "").replaceAll("$DIR", sw.dir);
    const [tool, ...args] = splitWords(line);
    if (!tool) throw new Error(`empty step ${step}`);
    if (tool === "sleep") {
      await new Promise((r) => setTimeout(r, Number(args[0])));
      out.push("");
    } else if (tool === "cat") {
      out.push(await Deno.readTextFile(args[0]!).catch((e) => `cannot read: ${e.name}`));
    } else if (tool === "pcap") {
      try {
        out.push(
          readPcapFile(args[0]!).map((r) =>
            [...r.frame].map((b) => b.toString(16).padStart(2, "0")).join("")
          ).join("\n"),
        );
      } catch (error) {
        out.push(`cannot read: ${error instanceof Error ? error.name : String(error)}`);
      }
    } else if (args.includes("--detach")) {
      // A detached daemon must not hold our pipes, or we would wait for it to exit.
      const quoted = [tool, ...args].map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(" ");
      const r = await sw.tool("sh", [
        "-c",
        `${quoted} >"$OVS_RUNDIR/monitor.log" 2>"$OVS_RUNDIR/monitor.err"`,
      ]);
      out.push(`rc=${r.code}`);
    } else {
      const r = await sw.tool(tool, tool === "ovs-vsctl" ? ["--timeout=10", ...args] : args);
      out.push(step.startsWith("!rc") ? `rc=${r.code}` : `rc=${r.code}\n${r.stdout}${r.stderr}`);
    }
  }
  return out;
}

/** Log lines at WARN or above, without timestamps and sequence numbers. */
function warningSet(log: string): string[] {
  return warnings(log)
    .map((line) => line.split("|").slice(2).join("|"))
    // Upstream names the logging thread after the module (revalidator4); ours has one thread.
    .map((line) => line.replace(/^([a-z_]+)\([a-z_]+\d*\)\|/, "$1|"))
    .map((line) => line.replace(/ufid:[0-9a-f-]{36}/g, "ufid:?"))
    // The real daemon's RCU thread complains when the machine is slow; it says nothing of us.
    .filter((line) => !line.startsWith("ovs_rcu"));
}

/** Starts both switches with the same bridge, in parallel. */
export async function startBoth(scenario: Scenario): Promise<[Switch, Switch]> {
  const ports = scenario.ports ?? [1, 2, 3];
  const extra = [...addPorts("br0", ...ports), ...(scenario.extra ?? [])];
  const started = await Promise.allSettled([
    startSwitch("real", extra),
    startSwitch("ours", extra),
  ]);
  const [real, ours] = started;
  if (real.status === "rejected" || ours.status === "rejected") {
    for (const s of started) if (s.status === "fulfilled") await s.value.stop();
    throw real.status === "rejected" ? real.reason : (ours as PromiseRejectedResult).reason;
  }
  return [real.value, ours.value];
}

/**
 * Runs the scenario on both switches and asserts that every step printed the same (normalized)
 * and that our daemon logged no warning the real one did not. Returns the steps' outputs for
 * further checks (each normalized as compared).
 */
export async function compareScenario(scenario: Scenario): Promise<StepResult[]> {
  const [real, ours] = await startBoth(scenario);
  try {
    const [a, b] = await Promise.all([
      runSteps(real, scenario.steps),
      runSteps(ours, scenario.steps),
    ]);
    const results = scenario.steps.map((step, i) => ({
      step,
      real: normalize(step, a[i]!, real.dir),
      ours: normalize(step, b[i]!, ours.dir),
    }));
    if (Deno.env.get("SCENARIO_SHOW")) {
      for (const r of results) console.log(`\n### ${r.step}\n${r.real}`);
    }
    for (const r of results) assert.equal(r.ours, r.real, `step: ${r.step}`);
    const realWarnings = new Set(warningSet(await real.log()));
    const extraWarnings = warningSet(await ours.log()).filter((w) => !realWarnings.has(w));
    assert.deepEqual(extraWarnings, [], "warnings only our switch logged");
    return results;
  } finally {
    await Promise.all([real.stop(), ours.stop()]);
  }
}

/**
 * Asserts that the (normalized) output of step number `step`, or of the first step containing
 * `step`, matches `pattern`: a scenario must show the behaviour it is about, not merely agree.
 */
export function expectOutput(
  results: StepResult[],
  step: string | number,
  pattern: RegExp,
): void {
  const found = typeof step === "number"
    ? results[step]
    : results.find((r) => r.step.includes(step));
  assert.ok(found, `no step ${step}`);
  assert.match(found.real, pattern, `step: ${found.step}`);
}

/** A frame as netdev-dummy/receive takes it in flow syntax, from the parts that vary. */
export function icmpFlow(
  inPort: number,
  src: string,
  dst: string,
  extra: { vlan?: number; nwDst?: string } = {},
): string {
  const ip = `ipv4(src=10.0.0.1,dst=${extra.nwDst ?? "10.0.0.2"},proto=1,tos=0,ttl=64,frag=no),` +
    "icmp(type=8,code=0)";
  const eth = `in_port(${inPort}),eth(src=${src},dst=${dst}),`;
  return extra.vlan === undefined
    ? `${eth}eth_type(0x0800),${ip}`
    : `${eth}eth_type(0x8100),vlan(vid=${extra.vlan},pcp=0),encap(eth_type(0x0800),${ip})`;
}
