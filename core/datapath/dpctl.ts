// The dpctl commands (upstream's lib/dpctl.c), written once for both faces: the ovs-dpctl tool
// and the daemon's dpctl/* unixctl commands (the caller registers them). Output and errors go
// through injected writers with upstream's exact texts ("dummy@ovs-dummy:", "  lookups: hit:N
// missed:N lost:N", "flow-dump from the main thread:", "ovs-vswitchd: updating flow table
// (Invalid argument)"). Datapaths are the ones open in this process (dpif.ts's registry). The flow
// key text (the odp_key codec) and the OpenFlow-syntax dump filter are injected: core/datapath
// does not know OpenFlow. This file holds the command table, the datapath and port commands and
// show; the flow commands are in dpctl_flows.ts, what they share in dpctl_common.ts.
// Not implemented: the conntrack, ipf, cache and offload-stats commands.

import { errnoOf } from "./dp_errors.ts";
import { allDatapaths, type NetdevDatapath } from "./dpif.ts";
import {
  code,
  type DpctlCommand,
  dpctlError,
  type DpctlParams,
  parsedDpifOpen,
} from "./dpctl_common.ts";
import {
  addFlow,
  delFlow,
  delFlows,
  dumpFlows,
  getFlow,
  modFlow,
  normalizeActions,
  parseActionsCommand,
  processFlows,
} from "./dpctl_flows.ts";
import { closeNetdev, type Netdev, NETDEV_UP, openNetdev } from "./netdev.ts";

export { type DpctlParams, type FlowKeyCodec, ODP_FLOW_CODEC } from "./dpctl_common.ts";
export { formatFlowStats, formatTcpFlagsShort } from "./dpctl_flows.ts";

function forEachDp(fn: (dp: NetdevDatapath) => void): number {
  const dps = allDatapaths().sort((a, b) =>
    a.type === b.type ? (a.name < b.name ? -1 : 1) : (a.type < b.type ? -1 : 1)
  );
  for (const dp of dps) fn(dp);
  return 0;
}

// ---------------------------------------------------------------------------------------------
// Datapaths and ports.

function addDp(args: string[], p: DpctlParams): number {
  try {
    parsedDpifOpen(args[1]!, true);
  } catch (e) {
    dpctlError(p, errnoOf(e), "add_dp");
    return code(errnoOf(e));
  }
  return args.length > 2 ? addIf(args, p) : 0;
}

function delDp(args: string[], p: DpctlParams): number {
  let dp: NetdevDatapath;
  try {
    dp = parsedDpifOpen(args[1]!, false);
  } catch (e) {
    dpctlError(p, errnoOf(e), "opening datapath");
    return code(errnoOf(e));
  }
  dp.destroy();
  return 0;
}

/** Splits "name,key=value,..." as strtok_r does (empty fields skipped). */
function splitIfaceArg(arg: string): { name: string | undefined; options: [string, string][] } {
  const tokens = arg.split(",").filter((t) => t !== "");
  const options: [string, string][] = [];
  for (const option of tokens.slice(1)) {
    const eq = option.indexOf("=");
    const k = eq < 0 ? option : option.slice(0, eq);
    const v = eq < 0 ? "" : option.slice(eq + 1).replace(/^=+/, "");
    if (k === "") continue;
    options.push([k, v]);
  }
  return { name: tokens[0], options };
}

function atoi(text: string): number {
  const m = /^\s*[+-]?\d+/.exec(text);
  return m ? parseInt(m[0], 10) >>> 0 : 0;
}

function addIf(args: string[], p: DpctlParams): number {
  let dp: NetdevDatapath;
  try {
    dp = parsedDpifOpen(args[1]!, false);
  } catch (e) {
    dpctlError(p, errnoOf(e), "opening datapath");
    return code(errnoOf(e));
  }
  let lastError = 0;
  for (const arg of args.slice(2)) {
    const { name, options } = splitIfaceArg(arg);
    if (!name) {
      dpctlError(p, undefined, `${arg} is not a valid network device name`);
      lastError = code("EINVAL");
      continue;
    }
    let type = "system";
    let portNo: number | undefined;
    const config = new Map<string, string>();
    for (const [k, v] of options) {
      if (k === "type") type = v;
      else if (k === "port_no") portNo = atoi(v);
      else if (config.has(k)) dpctlError(p, undefined, `duplicate "${k}" option`);
      else config.set(k, v);
    }
    let netdev: Netdev;
    try {
      netdev = openNetdev(name, type);
    } catch (e) {
      dpctlError(p, errnoOf(e), `${name}: failed to open network device`);
      lastError = code(errnoOf(e));
      continue;
    }
    try {
      netdev.setConfig(config);
      dp.portAdd(netdev, portNo);
      netdev.updateFlags(0, NETDEV_UP);
    } catch (e) {
      dpctlError(p, errnoOf(e), `adding ${name} to ${args[1]} failed`);
      lastError = code(errnoOf(e));
    } finally {
      closeNetdev(netdev);
    }
  }
  return lastError;
}

function setIf(args: string[], p: DpctlParams): number {
  let dp: NetdevDatapath;
  try {
    dp = parsedDpifOpen(args[1]!, false);
  } catch (e) {
    dpctlError(p, errnoOf(e), "opening datapath");
    return code(errnoOf(e));
  }
  let lastError = 0;
  for (const arg of args.slice(2)) {
    const { name, options } = splitIfaceArg(arg);
    if (!name) {
      dpctlError(p, undefined, `${arg} is not a valid network device name`);
      continue;
    }
    const port = dp.portByName(name);
    if (!port) {
      dpctlError(p, "ENODEV", `${name}: failed to query port in ${args[1]}`);
      lastError = code("ENODEV");
      continue;
    }
    const config = port.netdev.getConfig();
    let failed = false;
    for (const [k, v] of options) {
      if (k === "type") {
        if (v !== port.type) {
          dpctlError(p, undefined, `${name}: can't change type from ${port.type} to ${v}`);
          failed = true;
          break;
        }
      } else if (k === "port_no") {
        if (port.portNo !== atoi(v)) {
          dpctlError(
            p,
            undefined,
            `${name}: can't change port number from ${port.portNo} to ${atoi(v) | 0}`,
          );
          failed = true;
          break;
        }
      } else if (v === "") {
        config.delete(k);
      } else {
        config.set(k, v);
      }
    }
    if (failed) {
      lastError = code("EINVAL");
      continue;
    }
    try {
      port.netdev.setConfig(config);
    } catch (e) {
      dpctlError(p, errnoOf(e), "Error updating configuration");
      lastError = code(errnoOf(e));
    }
  }
  return lastError;
}

function delIf(args: string[], p: DpctlParams): number {
  let dp: NetdevDatapath;
  try {
    dp = parsedDpifOpen(args[1]!, false);
  } catch (e) {
    dpctlError(p, errnoOf(e), "opening datapath");
    return code(errnoOf(e));
  }
  let lastError = 0;
  for (const name of args.slice(2)) {
    let portNo: number;
    if (/^\d*$/.test(name)) {
      portNo = atoi(name);
    } else {
      const port = dp.portByName(name);
      if (!port) {
        dpctlError(p, undefined, `no port named ${name}`);
        lastError = code("ENOENT");
        continue;
      }
      portNo = port.portNo;
    }
    try {
      dp.portDel(portNo);
    } catch (e) {
      dpctlError(p, errnoOf(e), `deleting port ${name} from ${args[1]} failed`);
      lastError = code(errnoOf(e));
    }
  }
  return lastError;
}

// ---------------------------------------------------------------------------------------------
// show, dump-dps.

function stat(value: number | undefined): string {
  return value === undefined ? "?" : String(value);
}

function humanSize(value: number | undefined): string {
  if (value === undefined) return "";
  const units: [number, string][] = [[2 ** 40, "TiB"], [2 ** 30, "GiB"], [2 ** 20, "MiB"], [
    1024,
    "KiB",
  ]];
  for (const [size, unit] of units) {
    if (value >= size) return ` (${(value / size).toFixed(1)} ${unit})`;
  }
  return "";
}

function showDp(dp: NetdevDatapath, p: DpctlParams): void {
  let text = `${dp.fullName}:\n`;
  const s = dp.getStats();
  text += `  lookups: hit:${s.hit} missed:${s.missed} lost:${s.lost}\n  flows: ${s.flows}\n`;
  if (s.masks) {
    const packets = s.hit + s.missed;
    text += `  masks: hit:${s.masks.hit} total:${s.masks.total} hit/pkt:${
      (packets ? s.masks.hit / packets : 0).toFixed(2)
    }\n`;
    if (s.masks.cacheHit !== undefined) {
      text += `  cache: hit:${s.masks.cacheHit} hit-rate:${
        (packets ? (s.masks.cacheHit / packets) * 100 : 0).toFixed(2)
      }%\n`;
    }
  }
  for (const port of dp.portList()) {
    text += `  port ${port.portNo}: ${port.name}`;
    if (port.type !== "system") {
      text += ` (${port.type}`;
      const config = [...port.netdev.getConfig()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      config.forEach(([k, v], j) => text += `${j ? "," : ":"} ${k}=${v}`);
      text += ")";
    }
    text += "\n";
    if (p.printStatistics) {
      const st = port.netdev.getStats();
      text += `    RX packets:${stat(st.rxPackets)} errors:${stat(st.rxErrors)} dropped:${
        stat(st.rxDropped)
      } overruns:${stat(st.rxOverErrors)} frame:${stat(st.rxFrameErrors)}\n`;
      text += `    TX packets:${stat(st.txPackets)} errors:${stat(st.txErrors)} dropped:${
        stat(st.txDropped)
      } aborted:${stat(st.txAbortedErrors)} carrier:${stat(st.txCarrierErrors)}\n`;
      text += `    collisions:${stat(st.collisions)}\n`;
      text += `    RX bytes:${stat(st.rxBytes)}${humanSize(st.rxBytes)}  TX bytes:${
        stat(st.txBytes)
      }${humanSize(st.txBytes)}\n`;
    }
  }
  p.output(text);
}

function show(args: string[], p: DpctlParams): number {
  if (args.length <= 1) return forEachDp((dp) => showDp(dp, p));
  let lastError = 0;
  for (const name of args.slice(1)) {
    try {
      showDp(parsedDpifOpen(name, false), p);
    } catch (e) {
      dpctlError(p, errnoOf(e), `opening datapath ${name} failed`);
      lastError = code(errnoOf(e));
    }
  }
  return lastError;
}

function dumpDps(_args: string[], p: DpctlParams): number {
  return forEachDp((dp) => p.output(`${dp.fullName}\n`));
}

function help(_args: string[], p: DpctlParams): number {
  p.usage?.();
  return 0;
}

function listCommands(_args: string[], p: DpctlParams): number {
  let text = "The available commands are:\n";
  for (const c of DPCTL_COMMANDS) {
    if (p.isAppctl && c.name === "help") continue;
    text += `  ${p.isAppctl ? "dpctl/" : ""}${c.name.padEnd(23)} ${c.usage}\n`;
  }
  p.output(text);
  return 0;
}

const INT_MAX = 0x7fffffff;

export const DPCTL_COMMANDS: readonly DpctlCommand[] = [
  {
    name: "add-dp",
    usage: "dp [iface...]",
    minArgs: 1,
    maxArgs: INT_MAX,
    handler: addDp,
    readWrite: true,
  },
  { name: "del-dp", usage: "dp", minArgs: 1, maxArgs: 1, handler: delDp, readWrite: true },
  {
    name: "add-if",
    usage: "dp iface...",
    minArgs: 2,
    maxArgs: INT_MAX,
    handler: addIf,
    readWrite: true,
  },
  {
    name: "del-if",
    usage: "dp iface...",
    minArgs: 2,
    maxArgs: INT_MAX,
    handler: delIf,
    readWrite: true,
  },
  {
    name: "set-if",
    usage: "dp iface...",
    minArgs: 2,
    maxArgs: INT_MAX,
    handler: setIf,
    readWrite: true,
  },
  { name: "dump-dps", usage: "", minArgs: 0, maxArgs: 0, handler: dumpDps, readWrite: false },
  {
    name: "show",
    usage: "[-s] [dp...]",
    minArgs: 0,
    maxArgs: INT_MAX,
    handler: show,
    readWrite: false,
  },
  {
    name: "dump-flows",
    usage: "[-m] [--names] [dp] [filter=..] [type=..] [pmd=..]",
    minArgs: 0,
    maxArgs: 6,
    handler: dumpFlows,
    readWrite: false,
  },
  {
    name: "add-flow",
    usage: "[dp] flow actions",
    minArgs: 2,
    maxArgs: 3,
    handler: addFlow,
    readWrite: true,
  },
  {
    name: "mod-flow",
    usage: "[dp] flow actions",
    minArgs: 2,
    maxArgs: 3,
    handler: modFlow,
    readWrite: true,
  },
  {
    name: "get-flow",
    usage: "[dp] ufid",
    minArgs: 1,
    maxArgs: 2,
    handler: getFlow,
    readWrite: false,
  },
  {
    name: "del-flow",
    usage: "[dp] flow",
    minArgs: 1,
    maxArgs: 2,
    handler: delFlow,
    readWrite: true,
  },
  {
    name: "add-flows",
    usage: "[dp] file",
    minArgs: 1,
    maxArgs: 2,
    handler: processFlows,
    readWrite: true,
  },
  {
    name: "mod-flows",
    usage: "[dp] file",
    minArgs: 1,
    maxArgs: 2,
    handler: processFlows,
    readWrite: true,
  },
  {
    name: "del-flows",
    usage: "[dp] [file]",
    minArgs: 0,
    maxArgs: 2,
    handler: delFlows,
    readWrite: true,
  },
  { name: "help", usage: "", minArgs: 0, maxArgs: INT_MAX, handler: help, readWrite: false },
  {
    name: "list-commands",
    usage: "",
    minArgs: 0,
    maxArgs: INT_MAX,
    handler: listCommands,
    readWrite: false,
  },
  {
    name: "parse-actions",
    usage: "actions",
    minArgs: 1,
    maxArgs: INT_MAX,
    handler: parseActionsCommand,
    readWrite: false,
  },
  {
    name: "normalize-actions",
    usage: "actions",
    minArgs: 2,
    maxArgs: INT_MAX,
    handler: normalizeActions,
    readWrite: false,
  },
];

/** dpctl_run_command: `args[0]` is the command name. Returns 0 or an errno value. */
export function dpctlRunCommand(args: string[], p: DpctlParams): number {
  if (args.length < 1) {
    dpctlError(p, undefined, "missing command name; use --help for help");
    return code("EINVAL");
  }
  const command = DPCTL_COMMANDS.find((c) => c.name === args[0]);
  if (!command) {
    dpctlError(p, undefined, `unknown command '${args[0]}'; use --help for help`);
    return code("EINVAL");
  }
  const n = args.length - 1;
  if (n < command.minArgs) {
    dpctlError(
      p,
      undefined,
      `'${command.name}' command requires at least ${command.minArgs} arguments`,
    );
    return code("EINVAL");
  }
  if (n > command.maxArgs) {
    dpctlError(
      p,
      undefined,
      `'${command.name}' command takes at most ${command.maxArgs} arguments`,
    );
    return code("EINVAL");
  }
  if (command.readWrite && p.readOnly) {
    dpctlError(p, undefined, `'${command.name}' command does not work in read only mode`);
    return code("EINVAL");
  }
  return command.handler(args, p);
}

/**
 * The dpctl/* unixctl face (dpctl_unixctl_handler): `args` are the words after "dpctl/NAME"
 * with NAME first. Parses -m/-s/--more/--names/... itself. Returns the reply text and whether it
 * is an error reply.
 */
export function dpctlUnixctl(
  args: string[],
  base: Pick<DpctlParams, "codec" | "parseFilter" | "readFile" | "now"> & { programName: string },
): { error: boolean; text: string } {
  let text = "";
  const p: DpctlParams = {
    isAppctl: true,
    programName: base.programName,
    verbosity: 0,
    names: false,
    printStatistics: false,
    zeroStatistics: false,
    mayCreate: false,
    readOnly: false,
    output: (t) => text += t,
    error: (t) => text += t,
    codec: base.codec,
    ...(base.parseFilter ? { parseFilter: base.parseFilter } : {}),
    ...(base.readFile ? { readFile: base.readFile } : {}),
    ...(base.now ? { now: base.now } : {}),
  };
  const rest = [...args];
  const name = rest.shift()!;
  let setNames = false;
  let error = false;
  while (rest.length > 0 && !error) {
    const arg = rest[0]!;
    if (arg.startsWith("--")) {
      if (arg === "--statistics") p.printStatistics = true;
      else if (arg === "--clear") p.zeroStatistics = true;
      else if (arg === "--may-create") p.mayCreate = true;
      else if (arg === "--more") p.verbosity++;
      else if (arg === "--names") {
        p.names = true;
        setNames = true;
      } else if (arg === "--no-names") {
        p.names = false;
        setNames = true;
      } else {
        text += `Unrecognized option ${arg}`;
        error = true;
      }
    } else if (arg.startsWith("-") && arg.length > 1) {
      for (const c of arg.slice(1)) {
        if (c === "m") p.verbosity++;
        else if (c === "s") p.printStatistics = true;
        else {
          text += `Unrecognized option -${c}`;
          error = true;
          break;
        }
      }
    } else {
      break;
    }
    if (error) break;
    rest.shift();
  }
  if (!setNames) p.names = p.verbosity > 0;
  if (!error) {
    const command = DPCTL_COMMANDS.find((c) => c.name === name);
    error = command ? command.handler([name, ...rest], p) !== 0 : true;
  }
  return { error, text };
}
