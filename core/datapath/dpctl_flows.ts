// The dpctl flow commands (upstream's dpctl_dump_flows, dpctl_put_flow, dpctl_get_flow,
// dpctl_del_flow, dpctl_process_flows, dpctl_parse_actions): datapath flows shown, added,
// modified, fetched and deleted with upstream's exact texts, through dpctl_common.ts's writers.

import { formatDpActions, parseDpActions } from "./dp_actions.ts";
import { DpError, type Errno, errnoOf } from "./dp_errors.ts";
import type { DpFlow, NetdevDatapath } from "./dpif.ts";
import { code, dpctlError, type DpctlParams, dpExists, optDpifOpen } from "./dpctl_common.ts";
import { FLOW_WORDS, type FlowWords } from "./flow.ts";
import { parseUfid } from "./megaflow.ts";
import { formatOdpAttrs } from "./odp_format.ts";
import { parseOdpFlow } from "./odp_key.ts";
import { parseOdpAttrs } from "./odp_parse.ts";
import type { DpAction } from "./dp_actions.ts";
import { W_DL_TYPE_VLAN, W_MPLS_LSE } from "./flow.ts";

function portNamesOf(dp: NetdevDatapath): Map<string, number> {
  return new Map(dp.portList().map((port) => [port.name, port.portNo]));
}

function portNamer(
  dp: NetdevDatapath,
  p: DpctlParams,
): ((n: number) => string | undefined) | undefined {
  if (!p.names) return undefined;
  const names = new Map(dp.portList().map((port) => [port.portNo, port.name]));
  return (n) => names.get(n);
}

const TCP_FLAG_LETTERS: [number, string][] = [
  [0x002, "S"],
  [0x001, "F"],
  [0x008, "P"],
  [0x004, "R"],
  [0x020, "U"],
  [0x010, "."],
  [0x040, "E"],
  [0x080, "C"],
  [0x100, "N"],
  [0x200, "[200]"],
  [0x400, "[400]"],
  [0x800, "[800]"],
];

/** packet_format_tcp_flags. */
export function formatTcpFlagsShort(flags: number): string {
  if (!flags) return "none";
  return TCP_FLAG_LETTERS.filter(([bit]) => flags & bit).map(([, l]) => l).join("");
}

/** dpif_flow_stats_format. */
export function formatFlowStats(
  stats: { packets: number; bytes: number; used: number; tcpFlags: number },
  now: number,
): string {
  let text = `packets:${stats.packets}, bytes:${stats.bytes}, used:`;
  text += stats.used ? `${((now - stats.used) / 1000).toFixed(3)}s` : "never";
  if (stats.tcpFlags) text += `, flags:${formatTcpFlagsShort(stats.tcpFlags)}`;
  return text;
}

function formatFlow(f: DpFlow, dp: NetdevDatapath, p: DpctlParams): string {
  const portName = portNamer(dp, p);
  let text = "";
  if (p.verbosity && f.ufid) text += `ufid:${f.ufid}, `;
  text += p.codec.format(
    f.key,
    f.mask,
    portName ? { verbose: p.verbosity > 0, portName } : {
      verbose: p.verbosity > 0,
    },
  );
  text += ", " + formatFlowStats(f.stats, p.now ? p.now() : dp.now());
  if (p.verbosity && f.offloaded) {
    text += f.dpLayer === "ovs" ? ", offloaded:partial" : ", offloaded:yes";
  }
  if (p.verbosity) text += `, dp:${f.dpLayer}`;
  text += ", actions:" + formatDpActions(f.actions, portName ? { portName } : {});
  if (p.verbosity && f.extraInfo) text += `, dp-extra-info:${f.extraInfo}`;
  return text;
}

const DUMP_TYPES = ["ovs", "tc", "dpdk", "offloaded", "non-offloaded", "partially-offloaded"];

export function dumpFlows(argsIn: string[], p: DpctlParams): number {
  const args = [...argsIn];
  let filter: string | undefined;
  let types: string | undefined;
  let pmd: number | undefined;
  let last = 0;
  while (args.length > 1 && last !== args.length) {
    last = args.length;
    const tail = args[args.length - 1]!;
    if (tail.startsWith("filter=") && filter === undefined) {
      filter = tail.slice(7);
      args.pop();
    } else if (tail.startsWith("type=") && types === undefined) {
      if (!p.isAppctl) {
        dpctlError(
          p,
          undefined,
          "Invalid argument 'type'. Use 'ovs-appctl dpctl/dump-flows' instead.",
        );
        return code("EINVAL");
      }
      types = tail.slice(5);
      args.pop();
    } else if (tail.startsWith("pmd=")) {
      args.pop();
      const m = /^pmd=([+-]?\d+)/.exec(tail);
      if (!m) return code("EINVAL");
      pmd = Number(m[1]);
    }
  }
  const dp = optDpifOpen(args, p, 2);
  if (typeof dp === "number") return dp;
  let filterWords: { key: FlowWords; mask: FlowWords } | undefined;
  if (filter !== undefined) {
    try {
      if (!p.parseFilter) throw new Error("filters are not supported here");
      filterWords = p.parseFilter(filter, portNamesOf(dp));
    } catch (e) {
      dpctlError(p, undefined, `Failed to parse filter (${e instanceof Error ? e.message : e})`);
      return code("EINVAL");
    }
  }
  const wanted = new Set<string>();
  if (types === undefined) {
    DUMP_TYPES.forEach((t) => wanted.add(t));
  } else {
    for (const t of types.split(",").filter((x) => x !== "")) {
      if (t === "all") DUMP_TYPES.forEach((x) => wanted.add(x));
      else if (DUMP_TYPES.includes(t)) wanted.add(t);
      else {
        dpctlError(p, "EINVAL", `Failed to parse type (${t})`);
        return code("EINVAL");
      }
    }
  }
  const mainThread = pmd === -1 || pmd === undefined;
  if (pmd !== undefined && !mainThread) return 0;
  let headerDone = pmd !== undefined;
  for (const f of dp.flowDump()) {
    if (filterWords && !filterMatches(f, filterWords)) continue;
    const passes = (wanted.has("ovs") && f.dpLayer === "ovs") ||
      (wanted.has("non-offloaded") && !f.offloaded);
    let text = "";
    if (!headerDone) {
      text += "flow-dump from the main thread:\n";
      headerDone = true;
    }
    if (passes) text += formatFlow(f, dp, p) + "\n";
    if (text) p.output(text);
  }
  return 0;
}

function filterMatches(f: DpFlow, filter: { key: FlowWords; mask: FlowWords }): boolean {
  for (let w = 0; w < FLOW_WORDS; w++) {
    const fm = filter.mask[w]!;
    if (!fm) continue;
    const want = filter.key[w]! & f.mask[w]! & fm;
    if (((f.key[w]! & fm) ^ want) !== 0) return false;
  }
  return true;
}

/** Splits an optional leading "ufid:UUID" off key text; throws EINVAL on a malformed one. */
function takeUfid(text: string): { ufid: string | undefined; rest: string } {
  if (!text.startsWith("ufid:")) return { ufid: undefined, rest: text };
  const ufid = parseUfid(text.slice(5));
  if (!ufid) throw new DpError("EINVAL");
  return { ufid, rest: text.slice(5 + 36) };
}

function putFlow(
  dp: NetdevDatapath,
  keyText: string,
  actionsText: string,
  flags: { create: boolean; modify: boolean; zeroStats: boolean },
  p: DpctlParams,
): number {
  let ufid: string | undefined;
  let rest: string;
  try {
    ({ ufid, rest } = takeUfid(keyText));
  } catch (e) {
    dpctlError(p, errnoOf(e), "parsing flow ufid");
    return code(errnoOf(e));
  }
  let parsed: { key: FlowWords; mask: FlowWords; fits: boolean };
  try {
    parsed = p.codec.parse(rest, portNamesOf(dp));
  } catch (e) {
    dpctlError(p, "EINVAL", `parsing flow key (${e instanceof Error ? e.message : e})`);
    return code("EINVAL");
  }
  let actions;
  try {
    actions = parseDpActions(actionsText);
  } catch (e) {
    dpctlError(p, errnoOf(e), "parsing actions");
    return code(errnoOf(e));
  }
  if (!parsed.fits) {
    // dpif-netdev refuses a key that does not convert to a flow exactly.
    dpctlError(p, "EINVAL", "updating flow table");
    return code("EINVAL");
  }
  try {
    const stats = dp.flowPut({
      key: parsed.key,
      mask: parsed.mask,
      actions,
      ...(ufid ? { ufid } : {}),
      ...flags,
    });
    if (p.printStatistics) p.output(formatFlowStats(stats, p.now ? p.now() : dp.now()) + "\n");
  } catch (e) {
    dpctlError(p, errnoOf(e), "updating flow table");
    return code(errnoOf(e));
  }
  return 0;
}

function delFlowOn(dp: NetdevDatapath, keyText: string, p: DpctlParams): number {
  let ufid: string | undefined;
  let rest: string;
  try {
    ({ ufid, rest } = takeUfid(keyText));
  } catch (e) {
    dpctlError(p, errnoOf(e), "parsing flow ufid");
    return code(errnoOf(e));
  }
  let parsed: { key: FlowWords; mask: FlowWords; fits: boolean };
  try {
    parsed = p.codec.parse(rest, portNamesOf(dp));
  } catch (e) {
    dpctlError(p, "EINVAL", e instanceof Error ? e.message : String(e));
    return code("EINVAL");
  }
  try {
    if (!ufid && !parsed.fits) throw new DpError("ENOENT");
    const stats = dp.flowDel(ufid ? { ufid } : { key: parsed.key });
    if (p.printStatistics) p.output(formatFlowStats(stats, p.now ? p.now() : dp.now()) + "\n");
  } catch (e) {
    dpctlError(p, errnoOf(e), "deleting flow");
    // Upstream suggests a UFID whenever none was given (or one was generated from the key).
    if (errnoOf(e) === "ENOENT") p.output("Perhaps you need to specify a UFID?\n");
    return code(errnoOf(e));
  }
  return 0;
}

export function addFlow(args: string[], p: DpctlParams): number {
  const dp = optDpifOpen(args, p, 4);
  if (typeof dp === "number") return dp;
  return putFlow(dp, args[args.length - 2]!, args[args.length - 1]!, {
    create: true,
    modify: false,
    zeroStats: false,
  }, p);
}

export function modFlow(args: string[], p: DpctlParams): number {
  const dp = optDpifOpen(args, p, 4);
  if (typeof dp === "number") return dp;
  return putFlow(dp, args[args.length - 2]!, args[args.length - 1]!, {
    create: p.mayCreate,
    modify: true,
    zeroStats: p.zeroStatistics,
  }, p);
}

export function getFlow(args: string[], p: DpctlParams): number {
  const keyText = args[args.length - 1]!;
  const dp = optDpifOpen(args, p, 3);
  if (typeof dp === "number") return dp;
  const ufid = keyText.startsWith("ufid:") ? parseUfid(keyText.slice(5)) : undefined;
  if (!ufid) {
    dpctlError(p, keyText.startsWith("ufid:") ? "EINVAL" : undefined, "parsing flow ufid");
    // Upstream returns 0 here (its error variable is still clear).
    return 0;
  }
  try {
    p.output(formatFlow(dp.flowGet({ ufid }), dp, p) + "\n");
  } catch (e) {
    dpctlError(p, errnoOf(e), "getting flow");
    return code(errnoOf(e));
  }
  return 0;
}

export function delFlow(args: string[], p: DpctlParams): number {
  const dp = optDpifOpen(args, p, 3);
  if (typeof dp === "number") return dp;
  return delFlowOn(dp, args[args.length - 1]!, p);
}

/** dpctl_parse_flow_line. */
function parseFlowLine(
  defaultCommand: "add" | "modify" | "delete",
  line: string,
): { command: "add" | "modify" | "delete"; flow?: string; actions?: string } {
  let s = line.replace(/^[ \t\r\n]+/, "");
  const word = /^[^, \t\r\n]*/.exec(s)![0];
  let command = defaultCommand;
  // strncmp with the word's length: an empty word matches "add", as upstream's does.
  if ("add".startsWith(word)) command = "add";
  else if ("delete".startsWith(word)) command = "delete";
  else if ("modify".startsWith(word)) command = "modify";
  if ("add".startsWith(word) || "delete".startsWith(word) || "modify".startsWith(word)) {
    s = s.slice(word.length);
  }
  s = s.replace(/^[ \t\r\n]+/, "");
  const flow = /^[^ \t\r\n]*/.exec(s)![0];
  if (!flow) return { command };
  s = s.slice(flow.length).replace(/^[ \t\r\n]+/, "");
  return s ? { command, flow, actions: s } : { command, flow };
}

/** ds_get_preprocessed_line: drops comments and blank lines, joins backslash continuations. */
function preprocessedLines(text: string): { line: string; number: number }[] {
  const out: { line: string; number: number }[] = [];
  const raw = text.split("\n");
  for (let i = 0; i < raw.length; i++) {
    let line = raw[i]!;
    const number = i + 1;
    while (line.endsWith("\\") && i + 1 < raw.length) line = line.slice(0, -1) + raw[++i]!;
    const hash = line.indexOf("#");
    if (hash >= 0) line = line.slice(0, hash);
    if (line.trim() === "") continue;
    out.push({ line, number });
  }
  return out;
}

export function processFlows(args: string[], p: DpctlParams): number {
  const fileName = args[args.length - 1]!;
  const defaultCommand = args[0]!.includes("mod-flows")
    ? "modify"
    : args[0]!.includes("del-flows")
    ? "delete"
    : "add";
  const dp = optDpifOpen(args, p, 4);
  if (typeof dp === "number") return dp;
  let text: string;
  try {
    if (!p.readFile) throw new DpError("ENOENT");
    text = p.readFile(fileName);
  } catch (e) {
    const errno: Errno = e instanceof Deno.errors.NotFound || errnoOf(e) === "ENOENT"
      ? "ENOENT"
      : errnoOf(e);
    dpctlError(p, errno, `Opening file "${fileName}" failed`);
    return 0;
  }
  for (const { line, number } of preprocessedLines(text)) {
    const parsed = parseFlowLine(defaultCommand, line);
    const { command, flow, actions } = parsed;
    if (
      (!flow && !actions) || ((command === "add" || command === "modify") && !actions) ||
      (command === "delete" && actions)
    ) {
      dpctlError(p, undefined, `Failed parsing line number ${number}, skipped!`);
      continue;
    }
    if (command === "add") {
      putFlow(dp, flow!, actions!, { create: true, modify: false, zeroStats: false }, p);
    } else if (command === "modify") {
      putFlow(dp, flow!, actions!, { create: false, modify: true, zeroStats: false }, p);
    } else {
      delFlowOn(dp, flow!, p);
    }
  }
  return 0;
}

export function delFlows(args: string[], p: DpctlParams): number {
  if ((!(args.length > 1 && dpExists(args[1]!)) && args.length === 2) || args.length > 2) {
    return processFlows(args, p);
  }
  const dp = optDpifOpen(args, p, 2);
  if (typeof dp === "number") return dp;
  dp.flowFlush();
  return 0;
}

export function parseActionsCommand(args: string[], p: DpctlParams): number {
  for (const text of args.slice(1)) {
    try {
      p.output(formatDpActions(parseDpActions(text)) + "\n");
    } catch (e) {
      dpctlError(p, errnoOf(e), "odp_actions_from_string");
      return code(errnoOf(e));
    }
  }
  return 0;
}

interface VlanHeader {
  tpid: number;
  tci: number;
}

/**
 * dpctl_normalize_actions ("ovs-dpctl normalize-actions FLOW ACTIONS [NAME=NUMBER...]"): the
 * actions grouped by the VLAN tags the packet carries when each runs, each group's outputs
 * sorted, so two equivalent action lists print alike. Our flow words hold one VLAN tag with no
 * TPID, so a tagged input flow is taken as 802.1Q.
 */
export function normalizeActions(args: string[], p: DpctlParams): number {
  const portNames = new Map<string, number>();
  for (const arg of args.slice(3)) {
    const m = /^([^=]{1,15})=([+-]?\d+)/.exec(arg);
    if (!m) {
      dpctlError(p, undefined, `${arg}: expected NAME=NUMBER`);
      return code("EINVAL");
    }
    portNames.set(m[1]!, Number(m[2]) >>> 0);
  }
  let keyText: string;
  let parsed: ReturnType<typeof parseOdpFlow>;
  try {
    keyText = formatOdpAttrs(parseOdpAttrs(args[1]!, (n) => portNames.get(n)).key, null, {
      verbose: p.verbosity > 0,
    });
    parsed = parseOdpFlow(args[1]!, (n) => portNames.get(n));
  } catch (e) {
    dpctlError(p, "EINVAL", `odp_flow_key_from_string (${e instanceof Error ? e.message : e})`);
    return code("EINVAL");
  }
  p.output(`input flow: ${keyText}\n`);
  if (parsed.fitness !== "perfect") {
    const errno: Errno = parsed.fitness === "too_much"
      ? "EPERM"
      : parsed.fitness === "too_little"
      ? "ENOENT"
      : "ESRCH";
    dpctlError(
      p,
      errno,
      `odp_flow_key_to_flow failed (${parsed.error ?? "reason unknown"})`,
    );
    return code(errno);
  }
  let actions: DpAction[];
  try {
    actions = parseDpActions(args[2]!, portNames);
  } catch (e) {
    dpctlError(p, errnoOf(e), "odp_actions_from_string");
    return code(errnoOf(e));
  }
  if (p.verbosity) p.output(`input actions: ${formatDpActions(actions)}\n`);
  const tci = parsed.key[W_DL_TYPE_VLAN]! & 0xffff;
  let vlans: VlanHeader[] = [
    { tpid: tci ? 0x8100 : 0, tci },
    { tpid: 0, tci: 0 },
  ];
  const groups: { vlans: VlanHeader[]; actions: DpAction[] }[] = [];
  const groupFor = (v: VlanHeader[]) => {
    let g = groups.find((x) =>
      x.vlans.every((h, i) => h.tpid === v[i]!.tpid && h.tci === v[i]!.tci)
    );
    if (!g) {
      g = { vlans: v.map((h) => ({ ...h })), actions: [] };
      groups.push(g);
    }
    return g;
  };
  for (const a of actions) {
    if (a.type === "pop_vlan") {
      vlans = [vlans[1]!, { tpid: 0, tci: 0 }];
    } else if (a.type === "push_vlan") {
      vlans = [{ tpid: a.tpid, tci: a.tci }, vlans[0]!];
    } else {
      groupFor(vlans).actions.push(a);
    }
  }
  // flow_compare_3way: the flows differ only in their VLAN headers, compared as bytes.
  const cmp = (a: VlanHeader[], b: VlanHeader[]) => {
    for (let i = 0; i < 2; i++) {
      if (a[i]!.tpid !== b[i]!.tpid) return a[i]!.tpid - b[i]!.tpid;
      if (a[i]!.tci !== b[i]!.tci) return a[i]!.tci - b[i]!.tci;
    }
    return 0;
  };
  groups.sort((a, b) => cmp(a.vlans, b.vlans));
  const dlType = parsed.key[W_DL_TYPE_VLAN]! >>> 16;
  const lse = parsed.key[W_MPLS_LSE]!;
  let text = "";
  for (const g of groups) {
    sortOutputRuns(g.actions);
    for (let i = 0; i < 2; i++) {
      const h = g.vlans[i]!;
      if (h.tci !== 0) {
        // Upstream prints the TPID in network byte order as a host integer (byte-swapped).
        const swapped = ((h.tpid & 0xff) << 8) | (h.tpid >> 8);
        text += "vlan(" +
          (h.tpid !== 0x8100 ? `tpid=0x${swapped.toString(16).padStart(4, "0")},` : "") +
          `vid=${h.tci & 0xfff},pcp=${h.tci >> 13}): `;
      } else {
        if (i === 0) text += "no vlan: ";
        break;
      }
    }
    text += dlType === 0x8847 || dlType === 0x8848
      ? `mpls(label=${lse >>> 12},tc=${(lse >>> 9) & 7},ttl=${lse & 0xff}): `
      : "no mpls: ";
    text += formatDpActions(g.actions);
  }
  p.output(text);
  return 0;
}

/** sort_output_actions: each run of consecutive output actions in port order. */
function sortOutputRuns(actions: DpAction[]): void {
  let start = -1;
  const flush = (end: number) => {
    if (start < 0) return;
    const run = actions.slice(start, end).sort((a, b) =>
      (a as { port: number }).port - (b as { port: number }).port
    );
    actions.splice(start, run.length, ...run);
    start = -1;
  };
  for (let i = 0; i < actions.length; i++) {
    if (actions[i]!.type === "output") {
      if (start < 0) start = i;
    } else {
      flush(i);
    }
  }
  flush(actions.length);
}
