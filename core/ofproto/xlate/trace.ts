// ofproto/trace and ofproto/trace-packet-out (upstream's ofproto-dpif-trace.c): argument
// parsing (`[options] [dpname] odp_flow [packet]` or `[options] bridge br_flow [packet]`, with
// -generate, --l7, --l7-len, --names, --ct-next and, for trace-packet-out, -consistent and the
// actions), a traced translation, and the report exactly as upstream prints it: "Flow:", the
// nested notes, "Final flow:", "Megaflow:", "Datapath actions:", the failure and slow-path
// explanations, then each conntrack recirculation traced in turn. The switch is reached through
// a small host interface that the daemon implements; nothing here prints.

import {
  FLOW_WORDS,
  type FlowWords,
  W_CT_STATE,
  W_CT_ZONE,
  W_DL_DST,
  W_DP_HASH,
  W_IN_PORT,
  W_IPV6_DST,
  W_IPV6_SRC,
  W_NW_DST,
  W_NW_SRC,
  W_PKT_MARK,
  W_RECIRC_ID,
  W_SKB_PRIORITY,
  W_TP,
} from "../../datapath/flow.ts";
import { type DpAction, formatDpActions } from "../../datapath/dp_actions.ts";
import { OdpParseError, parseOdpAttrs } from "../../datapath/odp_parse.ts";
import { FitError, odpAttrsToFlow } from "../../datapath/odp_to_flow.ts";
import { composeFlow } from "../../datapath/flow_compose.ts";
import { extractFlow } from "../../datapath/flow_extract.ts";
import { Packet } from "../../datapath/packet.ts";
import { parseActions } from "../actions/parse.ts";
import type { Ofpact } from "../actions/types.ts";
import { NX_NAT_F_DST, NX_NAT_F_SRC } from "../actions/types.ts";
import { ParseError } from "../errors.ts";
import { ctStateName, formatFlags, parseFieldExactValue } from "../field_text.ts";
import { fieldByOwnName } from "../subfield.ts";
import { nextKeyValue } from "../key_value.ts";
import { PROTOCOL_SHORTHANDS } from "../match_text.ts";
import { PortMap } from "../port_text.ts";
import {
  SLOW_ACTION,
  SLOW_BFD,
  SLOW_CFM,
  SLOW_LACP,
  SLOW_LLDP,
  SLOW_MATCH,
  SLOW_STP,
} from "./commit.ts";
import type { LearnedFlow, TraceRecirc } from "./context.ts";
import type { RecircTable } from "./rid.ts";
import { formatTraceNodes, type TraceNode } from "./trace_tree.ts";
import { formatFlow, formatXMatch, traceFormatter } from "./trace_format.ts";
import type { XlateBridge } from "./view.ts";
import { newXFlow, prereqsOk, setFlowValue } from "./xflow.ts";
import { Xlator } from "./xlate.ts";
import { readField } from "../fields.ts";

const OFPP_NONE = 0xffff;
const CS_NEW = 0x01;
const CS_TRACKED = 0x20;

/** A datapath (upstream's dpif_backer) as trace needs it. */
export interface TraceDatapath {
  /** Datapath port names and numbers (for in_port(NAME) and --names). */
  portNames(): ReadonlyMap<string, number>;
  /** The bridge and OpenFlow port of a datapath port, if any. */
  portByOdp(odpPort: number): { bridge: XlateBridge; ofport: number } | undefined;
}

/** What trace needs of the switch. */
export interface TraceHost {
  bridgeByName(name: string): XlateBridge | undefined;
  bridgeByUuid(uuid: Uint8Array): XlateBridge | undefined;
  /** A datapath by type ("dummy", "netdev", "system"), as upstream's all_dpif_backers. */
  datapathByType(type: string): TraceDatapath | undefined;
  /** The only datapath, when there is exactly one. */
  defaultDatapath(): TraceDatapath | undefined;
  /** The datapath a bridge lives in. */
  datapathOf(bridge: XlateBridge): TraceDatapath;
  readonly recirc: RecircTable;
  now(): number;
  /** Applies learned flows of a trace with a packet (side effects, as upstream). */
  onLearn?(fm: LearnedFlow): boolean;
  /**
   * Executes `actions` on `packet` except outputs and recirculations (controller and other
   * userspace actions), as a trace with a packet does; returns an error text or undefined.
   */
  executeExceptOutputs?(
    bridge: XlateBridge,
    packet: Packet,
    flow: FlowWords,
    actions: readonly DpAction[],
    slow: number,
  ): string | undefined;
}

export type TraceReply = { ok: true; text: string } | { ok: false; error: string };

interface ParsedTrace {
  bridge: XlateBridge;
  flow: FlowWords;
  packet: Packet | undefined;
  names: boolean;
  consistent: boolean;
  ctStates: number[];
}

class TraceError extends Error {}

/** eth_from_hex: a frame from hex digits, or upstream's error text. */
export function ethFromHex(hex: string): Packet | string {
  const bytes: number[] = [];
  let i = 0;
  for (;;) {
    while (i < hex.length && " \t\r\n".includes(hex[i]!)) i++;
    const pair = /^[0-9a-fA-F]{2}/.exec(hex.slice(i, i + 2));
    if (!pair) break;
    bytes.push(parseInt(pair[0], 16));
    i += 2;
  }
  if (i < hex.length) return "Trailing garbage in packet data";
  if (bytes.length < 14) return "Packet data too short for Ethernet";
  const p = new Packet();
  p.reset();
  p.buffer.set(bytes, p.start);
  p.length = bytes.length;
  return p;
}

/** parse_ofp_exact_flow: an OpenFlow-style flow with every field given exactly. */
export function parseExactFlow(s: string, portMap?: PortMap): FlowWords {
  const flow = newXFlow();
  let pos = 0;
  let dlTypeSet = false;
  let protoSet = false;
  for (;;) {
    const r = nextKeyValue(s, pos);
    if (!r) break;
    pos = r.next;
    const { key, value } = r.item;
    const shorthand = PROTOCOL_SHORTHANDS[key];
    if (shorthand) {
      if (dlTypeSet) throw new TraceError(`${s}: Ethernet type set multiple times`);
      dlTypeSet = true;
      flow[51] = ((shorthand[0] << 16) | (flow[51]! & 0xffff)) >>> 0;
      if (shorthand[1]) {
        if (protoSet) throw new TraceError(`${s}: network protocol set multiple times`);
        protoSet = true;
        flow[64] = ((flow[64]! & 0x00ffffff) | (shorthand[1] << 24)) >>> 0;
      }
      continue;
    }
    const f = fieldByOwnName(key);
    if (!f) throw new TraceError(`${s}: unknown field ${key}`);
    if (!prereqsOk(f, flow, undefined)) {
      throw new TraceError(`${s}: prerequisites not met for setting ${key}`);
    }
    if (readField(flow, f).some((b) => b !== 0)) {
      throw new TraceError(`${s}: field ${key} set multiple times`);
    }
    let v: Uint8Array;
    try {
      v = parseFieldExactValue(f, value, portMap);
    } catch (e) {
      if (e instanceof ParseError) {
        throw new TraceError(`${s}: bad value for ${key} (${e.message})`);
      }
      throw e;
    }
    if (f.name === "eth_type") dlTypeSet = true;
    if (f.name === "nw_proto") protoSet = true;
    setFlowValue(flow, f, v);
  }
  if (!(flow[W_IN_PORT]! & 0xffff)) flow[W_IN_PORT] = OFPP_NONE;
  return flow;
}

const CT_STATE_BITS: Record<string, number> = {
  new: 0x01,
  est: 0x02,
  rel: 0x04,
  rpl: 0x08,
  inv: 0x10,
  trk: 0x20,
  snat: 0x40,
  dnat: 0x80,
};

/** parse_ct_state and validate_ct_state, with upstream's error texts. */
function parseCtState(text: string): number {
  let state = 0;
  for (const word of text.split(/[, ]+/)) {
    if (!word) continue;
    const bit = CT_STATE_BITS[word];
    if (!bit) throw new TraceError(`${word}: unknown connection tracking state flag`);
    state |= bit;
  }
  const shown = formatFlags(state, ctStateName);
  let error = "";
  if (state && !(state & 0x20)) {
    error += `${shown}: invalid connection state: If "trk" is unset, no other flags are set\n`;
  }
  if (state & 0x10 && state & ~(0x20 | 0x10)) {
    error += `${shown}: invalid connection state: when "inv" is set, only "trk" may also be set\n`;
  }
  if (state & 0x01 && state & 0x02) {
    error += `${shown}: invalid connection state: "new" and "est" are mutually exclusive\n`;
  }
  if (state & 0x01 && state & 0x08) {
    error += `${shown}: invalid connection state: "new" and "rpy" are mutually exclusive\n`;
  }
  if (error) throw new TraceError(error);
  return state;
}

function parseTraceArgs(
  host: TraceHost,
  args: readonly string[],
  forPacketOut: boolean,
): ParsedTrace {
  const positional: string[] = [];
  let generate = false;
  let l7Len = 64;
  let names = false;
  let consistent = false;
  const ctStates: number[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "-generate" || arg === "--generate") {
      generate = true;
    } else if (arg === "--l7") {
      if (i + 1 >= args.length) throw new TraceError(`Missing argument for option ${arg}`);
      const hex = args[++i]!;
      if (!/^(\s*[0-9a-fA-F]{2})*\s*$/.test(hex)) {
        throw new TraceError("Trailing garbage in packet data");
      }
      l7Len = hex.replace(/\s/g, "").length / 2;
    } else if (arg === "--l7-len") {
      if (i + 1 >= args.length) throw new TraceError(`Missing argument for option ${arg}`);
      l7Len = parseInt(args[++i]!, 10) || 0;
      if (l7Len > 64000) throw new TraceError(`${args[i]}: too much L7 data`);
    } else if (forPacketOut && (arg === "-consistent" || arg === "--consistent")) {
      consistent = true;
    } else if (arg === "-names" || arg === "--names") {
      names = true;
    } else if (arg === "--ct-next") {
      if (i + 1 >= args.length) throw new TraceError(`Missing argument for option ${arg}`);
      ctStates.push(parseCtState(args[++i]!));
    } else if (arg.startsWith("-")) {
      throw new TraceError(`${arg}: unknown option`);
    } else if (positional.length >= 3) {
      throw new TraceError("too many arguments");
    } else {
      positional.push(arg);
    }
  }

  let packet: Packet | undefined;
  if (!generate && positional.length > 1) {
    const p = ethFromHex(positional[positional.length - 1]!);
    if (typeof p !== "string") {
      packet = p;
      positional.pop();
    } else if (positional.length > 2) {
      throw new TraceError(p);
    }
  }

  let dp: TraceDatapath | undefined;
  if (positional.length === 2) {
    const a = positional[0]!;
    dp = host.datapathByType(a.startsWith("ovs-") ? a.slice(4) : a);
  } else if (positional.length === 1) {
    dp = host.defaultDatapath();
  } else {
    throw new TraceError("Syntax error");
  }

  const flowText = positional[positional.length - 1]!;
  const dpNames = dp?.portNames();
  let odpError: string | undefined;
  let bridge: XlateBridge;
  let flow: FlowWords;
  try {
    const attrs = parseOdpAttrs(flowText, (name) => dpNames?.get(name));
    if (!dp) throw new TraceError("Cannot find the datapath");
    const words = new Uint32Array(FLOW_WORDS);
    const err = new FitError();
    if (odpAttrsToFlow(attrs.key, words, null, err) === "error") throw new TraceError(err.message);
    const recircId = words[W_RECIRC_ID]!;
    let found: { bridge: XlateBridge; ofport: number } | undefined;
    if (recircId) {
      const node = host.recirc.find(recircId);
      if (!node) {
        throw new TraceError(`no recirculation data for recirc_id 0x${recircId.toString(16)}`);
      }
      const inPort = node.state.metadata[W_IN_PORT]! & 0xffff;
      const b = host.bridgeByUuid(node.state.bridgeUuid);
      if (!b) {
        throw new TraceError(`no recirculation data for recirc_id 0x${recircId.toString(16)}`);
      }
      found = { bridge: b, ofport: inPort };
      if (inPort !== OFPP_NONE && inPort !== 0xfffd && node.state.xportOfport !== undefined) {
        found = { bridge: b, ofport: node.state.xportOfport };
      }
    } else {
      found = dp.portByOdp(words[W_IN_PORT]!);
      if (!found) {
        throw new TraceError(`no OpenFlow port for datapath port ${words[W_IN_PORT]! >>> 0}`);
      }
    }
    bridge = found.bridge;
    flow = newXFlow();
    flow.set(words);
    flow[W_IN_PORT] = found.ofport;
  } catch (e) {
    if (e instanceof TraceError) throw e;
    if (!(e instanceof OdpParseError)) throw e;
    odpError = e.message;
    if (positional.length !== 2) {
      throw new TraceError(`${odpError} (or the bridge name was omitted)`);
    }
    const b = host.bridgeByName(positional[0]!);
    if (!b) throw new TraceError(`${positional[0]}: unknown bridge`);
    bridge = b;
    const portMap = new PortMap();
    for (const p of b.ports()) portMap.put(p.ofport, p.name);
    try {
      flow = parseExactFlow(flowText, portMap);
    } catch (e2) {
      if (e2 instanceof TraceError) throw new TraceError(`Bad openflow flow syntax: ${e2.message}`);
      throw e2;
    }
  }

  if (generate) {
    packet = new Packet();
    packet.reset();
    composeFlow(packet, flow, l7Len);
  } else if (packet) {
    // pkt_metadata_from_flow: the packet's metadata is the flow's; extraction keeps it.
    packet.inPort = flow[W_IN_PORT]!;
    packet.recircId = flow[W_RECIRC_ID]!;
    packet.dpHash = flow[W_DP_HASH]!;
    packet.skbPriority = flow[W_SKB_PRIORITY]!;
    packet.pktMark = flow[W_PKT_MARK]!;
    const saved = flow.slice();
    extractFlow(packet, flow.subarray(0, FLOW_WORDS));
    // Conntrack state, OpenFlow metadata and tunnel: not in the frame, so from the flow.
    for (let w = W_CT_STATE; w < W_DL_DST; w++) flow[w] = saved[w]!;
  }
  return { bridge, flow, packet, names, consistent, ctStates };
}

function explainSlowPath(slow: number): string {
  const reasons: [number, string][] = [
    [SLOW_CFM, "Consists of CFM packets"],
    [SLOW_BFD, "Consists of BFD packets"],
    [SLOW_LACP, "Consists of LACP packets"],
    [SLOW_STP, "Consists of STP packets"],
    [SLOW_LLDP, "Consists of LLDP packets"],
    [SLOW_ACTION, "Uses action(s) not supported by datapath"],
    [SLOW_MATCH, "Datapath can't match specifically enough"],
  ];
  let out = "\nThis flow is handled by the userspace slow path because it:";
  for (const [bit, text] of reasons) if (slow & bit) out += `\n  - ${text}.`;
  return out;
}

function ipv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

/** ofproto_trace__: one traced translation. */
function traceOnce(
  host: TraceHost,
  xlator: Xlator,
  bridge: XlateBridge,
  flow: FlowWords,
  packet: Packet | undefined,
  ofpacts: readonly Ofpact[] | undefined,
  names: boolean,
  queue: TraceRecirc[],
): string {
  const nodes: TraceNode[] = [];
  let portMap: PortMap | undefined;
  if (names) {
    portMap = new PortMap();
    for (const p of bridge.ports()) portMap.put(p.ofport, p.name);
  }
  const r = xlator.translate({
    bridge,
    flow,
    packet,
    mayLearn: packet !== undefined,
    now: host.now(),
    recirc: host.recirc,
    ofpacts,
    tcpFlags: 0,
    trace: { nodes, formatter: traceFormatter(names), recircQueue: queue },
    onLearn: host.onLearn?.bind(host),
    bridgeByUuid: (u) => host.bridgeByUuid(u),
  });
  const initial = r.initialFlow;
  let out = `Flow: ${formatFlow(initial, portMap)}\n`;
  out += formatTraceNodes(nodes);
  let same = true;
  for (let i = 0; i < initial.length; i++) if (initial[i] !== r.finalFlow[i]) same = false;
  out += `\nFinal flow: ${same ? "unchanged" : formatFlow(r.finalFlow, portMap)}\n`;
  out += `Megaflow: ${formatXMatch(flow, r.mask, portMap)}\n`;
  let portName: ((port: number) => string | undefined) | undefined;
  if (names) {
    const byNumber = new Map<number, string>();
    for (const [name, number] of host.datapathOf(bridge).portNames()) byNumber.set(number, name);
    portName = (port) => byNumber.get(port);
  }
  out += `Datapath actions: ${formatDpActions(r.actions, portName ? { portName } : {})}`;
  if (r.error !== "OK") {
    out += `\nTranslation failed (${r.error}), packet is dropped.\n`;
  } else {
    if (r.slow) out += explainSlowPath(r.slow);
    if (packet && host.executeExceptOutputs) {
      const err = host.executeExceptOutputs(bridge, packet, initial, r.actions, r.slow);
      if (err) out += `\nAction execution failed (${err})\n.`;
    }
  }
  for (const id of r.recircIds) host.recirc.unref(id);
  return out;
}

/** ofproto_trace: the main translation, then each conntrack recirculation it forked. */
function traceAll(
  host: TraceHost,
  p: ParsedTrace,
  ofpacts: readonly Ofpact[] | undefined,
): string {
  const xlator = new Xlator();
  const queue: TraceRecirc[] = [];
  let out = traceOnce(host, xlator, p.bridge, p.flow, p.packet, ofpacts, p.names, queue);
  const ctStates = p.ctStates.slice();
  while (queue.length) {
    const node = queue.shift()!;
    const flow = newXFlow();
    flow.set(node.flow);
    flow[W_RECIRC_ID] = node.recircId;
    flow[W_CT_ZONE] = ((flow[W_CT_ZONE]! & 0xffff0000) | (node.zone & 0xffff)) >>> 0;
    out += `\n\n${"=".repeat(79)}\nrecirc(0x${node.recircId.toString(16)})`;
    let ctState: number;
    if (!ctStates.length) {
      ctState = CS_TRACKED | CS_NEW;
      out += " - resume conntrack with default ct_state=trk|new (use --ct-next to customize)";
    } else {
      ctState = ctStates.shift()!;
      out += ` - resume conntrack with ct_state=${formatFlags(ctState, ctStateName)}`;
    }
    flow[W_CT_STATE] = ctState;
    out += "\n";
    if (node.nat) {
      out += "Replacing src/dst IP/ports to simulate NAT:\n Initial flow: ";
      out += natFlowText(flow, node.nat.rangeAf) + "\n";
      applyNat(flow, node.nat);
      out += " Modified flow: " + natFlowText(flow, node.nat.rangeAf) + "\n";
    }
    out += `${"=".repeat(79)}\n\n`;
    out += traceOnce(host, xlator, p.bridge, flow, p.packet, ofpacts, p.names, queue);
    host.recirc.unref(node.recircId);
  }
  return out;
}

function natFlowText(flow: FlowWords, af: string): string {
  if (af === "ipv4") {
    return `nw_src=${ipv4(flow[W_NW_SRC]!)},tp_src=${flow[W_TP]! >>> 16},nw_dst=${
      ipv4(flow[W_NW_DST]!)
    },tp_dst=${flow[W_TP]! & 0xffff}`;
  }
  if (af === "ipv6") {
    const v6 = (w: number) => {
      const parts: string[] = [];
      for (let i = 0; i < 4; i++) {
        parts.push((flow[w + i]! >>> 16).toString(16), (flow[w + i]! & 0xffff).toString(16));
      }
      return `[${parts.join(":")}]`;
    };
    return `ipv6_src=${v6(W_IPV6_SRC)},tp_src=${flow[W_TP]! >>> 16},ipv6_dst=${
      v6(W_IPV6_DST)
    },tp_dst=${flow[W_TP]! & 0xffff}`;
  }
  return "";
}

function applyNat(flow: FlowWords, nat: TraceRecirc["nat"] & object): void {
  const setIp = (word: number) => {
    if (nat.rangeAf === "ipv4") flow[word] = nat.ipv4Min >>> 0;
  };
  if (nat.flags & NX_NAT_F_SRC) {
    setIp(W_NW_SRC);
    if (nat.rangeAf !== "none" && nat.protoMin) {
      flow[W_TP] = ((nat.protoMin << 16) | (flow[W_TP]! & 0xffff)) >>> 0;
    }
  }
  if (nat.flags & NX_NAT_F_DST) {
    setIp(W_NW_DST);
    if (nat.rangeAf !== "none" && nat.protoMin) {
      flow[W_TP] = ((flow[W_TP]! & 0xffff0000) | nat.protoMin) >>> 0;
    }
  }
}

/** The unixctl command `ofproto/trace ARGS...`. */
export function ofprotoTrace(host: TraceHost, args: readonly string[]): TraceReply {
  try {
    const p = parseTraceArgs(host, args, false);
    return { ok: true, text: traceAll(host, p, undefined) };
  } catch (e) {
    if (e instanceof TraceError) return { ok: false, error: e.message };
    throw e;
  }
}

/** The unixctl command `ofproto/trace-packet-out ARGS... ACTIONS`. */
export function ofprotoTracePacketOut(host: TraceHost, args: readonly string[]): TraceReply {
  if (!args.length) return { ok: false, error: "Syntax error" };
  let ofpacts: Ofpact[];
  try {
    ofpacts = parseActions(args[args.length - 1]!, { instructions: false }).ofpacts;
  } catch (e) {
    if (e instanceof ParseError) return { ok: false, error: e.message };
    throw e;
  }
  try {
    const p = parseTraceArgs(host, args.slice(0, -1), true);
    return { ok: true, text: traceAll(host, p, ofpacts) };
  } catch (e) {
    if (e instanceof TraceError) return { ok: false, error: e.message };
    throw e;
  }
}
