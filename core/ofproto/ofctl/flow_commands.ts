// ovs-ofctl's flow table commands (dump-flows, dump-aggregate, add-flow, add-flows, mod-flows,
// del-flows, packet-out) and their offline twins (parse-flow, parse-flows), following upstream's
// ovs-ofctl.c: the name maps are fetched before parsing, the protocol is chosen as
// open_vconn_for_flow_mod and set_protocol_for_flow_dump choose it, each flow mod is sent with its
// own barrier, and --bundle sends them all in one atomic bundle.

import { RateLimit, vlogModule } from "../../net/vlog.ts";
import { OfpError, ParseError } from "../errors.ts";
import { arePrereqsOk, isFieldAllWild } from "../field_set.ts";
import { fieldByName, readField } from "../fields.ts";
import { Match } from "../match.ts";
import {
  encodeFlowMod,
  type FlowMod,
  OFPFC_ADD,
  OFPFC_DELETE,
  OFPFC_DELETE_STRICT,
  OFPFC_MODIFY,
  OFPFC_MODIFY_STRICT,
} from "../msg/flow_mod.ts";
import {
  decodeFlowStatsReply,
  encodeFlowStatsRequest,
  type FlowStats,
  type FlowStatsRequest,
  formatFlowStats,
} from "../msg/flow_stats.ts";
import {
  FLOW_CMD_ANY,
  formatParseFlows,
  parseFlowModFile,
  parseFlowModStr,
  parseFlowStatsRequestStr,
} from "../msg/flow_text.ts";
import { OFPBF_ATOMIC, OFPBF_ORDERED } from "../msg/bundle.ts";
import { hexDump } from "../msg/hexdump.ts";
import { encodePacketOut, type PacketOut } from "../msg/packet.ts";
import { ethFromHex, parsePacketOutStr } from "../msg/packet_out_text.ts";
import { ofpToString } from "../msg/print.ts";
import { parseActionList } from "../msg/ofpacts.ts";
import { protocolFromVersion, protocolToVersion } from "../msg/protocol.ts";
import { allocXid, multipartMore, pullRaw } from "../msg/raw.ts";
import { P_OF13_UP, type Protocols } from "../protocols.ts";
import type { Vconn } from "../vconn.ts";
import { VconnError } from "../vconn_error.ts";
import { messageXid } from "../vconn_wire.ts";
import { bundleTransact } from "./bundle.ts";
import { OfctlFatal, showNames, type SortCriterion } from "./config.ts";
import { MANY, type OfctlCommand } from "./command.ts";
import { errnoText } from "./offline_commands.ts";
import { type OfctlSession, run } from "./session.ts";

const log = vlogModule("vconn");
const badReply = new RateLimit(5, 5);
const decoder = new TextDecoder();

/** The contents of a flow, group or bundle file ("-": stdin), or upstream's open error. */
export async function readFlowFile(session: OfctlSession, name: string): Promise<string> {
  try {
    return decoder.decode(await session.io.readInput(name));
  } catch (error) {
    throw new ParseError(`${name}: open failed (${errnoText(error)})`);
  }
}

// ---- Dumping ---------------------------------------------------------------------------------

async function prepareDumpFlows(
  session: OfctlSession,
  argv: string[],
  aggregate: boolean,
): Promise<{ vconn: Vconn; fsr: FlowStatsRequest; protocol: Protocols }> {
  const name = argv[1]!;
  const match = argv[2] ?? "";
  const portMap = match ? await session.portsToAccept(name) : undefined;
  const tableMap = match ? await session.tablesToAccept(name) : undefined;
  const { fsr, usable } = parseFlowStatsRequestStr(match, aggregate, { portMap, tableMap });
  const opened = await session.openVconn(name);
  const protocol = await session.setProtocolForFlowDump(opened.vconn, opened.protocol, usable);
  return { vconn: opened.vconn, fsr, protocol };
}

/**
 * Every flow the switch reports for `fsr` (vconn_dump_flows). A reply of the wrong kind or one
 * that does not decode logs upstream's warning and fails as a protocol error.
 */
export async function dumpFlows(
  vconn: Vconn,
  fsr: FlowStatsRequest,
  protocol: Protocols,
): Promise<FlowStats[]> {
  const request = encodeFlowStatsRequest(fsr, protocol, allocXid());
  const xid = messageXid(request);
  await vconn.sendBlock(request);
  const flows: FlowStats[] = [];
  for (let more = true; more;) {
    let reply: Uint8Array;
    do reply = await vconn.recv(); while (messageXid(reply) !== xid);
    let type: string | undefined;
    try {
      type = pullRaw(reply).info.type;
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
    }
    if (type !== "FLOW_STATS_REPLY") {
      log.rateLimited(
        badReply,
        "warn",
        `received bad reply: ${ofpToString(reply, { verbosity: 1 })}`,
      );
      throw new VconnError("EPROTO");
    }
    try {
      flows.push(...decodeFlowStatsReply(reply));
    } catch (error) {
      if (!(error instanceof OfpError)) throw error;
      log.rateLimited(badReply, "warn", `parse error in reply (${error.errorName})`);
      throw new VconnError("EPROTO");
    }
    more = multipartMore(reply);
  }
  return flows;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return 0;
}

/** upstream's compare_flows for --sort/--rsort. */
function compareFlows(criteria: readonly SortCriterion[], a: FlowStats, b: FlowStats): number {
  for (const sc of criteria) {
    let ret: number;
    const f = sc.field;
    if (!f) {
      ret = a.priority < b.priority ? -1 : a.priority > b.priority ? 1 : 0;
    } else {
      const ina = arePrereqsOk(a.match, f) && !isFieldAllWild(a.match, f);
      const inb = arePrereqsOk(b.match, f) && !isFieldAllWild(b.match, f);
      // Flows without the field go last in either order.
      if (ina !== inb) return ina ? -1 : 1;
      ret = compareBytes(readField(a.match.flow, f), readField(b.match.flow, f));
    }
    if (ret) return sc.order === "asc" ? ret : -ret;
  }
  return 0;
}

async function dumpFlowsCommand(session: OfctlSession, argv: string[]): Promise<void> {
  const config = session.config;
  if (!config.sort.length && !showNames(config) && config.showStats) {
    const { vconn, fsr, protocol } = await prepareDumpFlows(session, argv, false);
    await session.dumpTransaction(vconn, encodeFlowStatsRequest(fsr, protocol, allocXid()));
    vconn.close();
    return;
  }
  const { vconn, fsr, protocol } = await prepareDumpFlows(session, argv, false);
  const flows = await run(dumpFlows(vconn, fsr, protocol), "dump flows");
  if (config.sort.length) {
    // A stable sort keeps the switch's order for equal flows, as upstream's qsort tiebreak does.
    flows.sort((a, b) => compareFlows(config.sort, a, b));
  }
  const portNames = await session.portsToShow(argv[1]!);
  const tableNames = await session.tablesToShow(argv[1]!);
  let out = "";
  for (const fs of flows) {
    out += " " + formatFlowStats(fs, { portNames, tableNames, showStats: config.showStats }) + "\n";
  }
  session.io.out(out);
  vconn.close();
}

async function dumpAggregate(session: OfctlSession, argv: string[]): Promise<void> {
  const { vconn, fsr, protocol } = await prepareDumpFlows(session, argv, true);
  await session.dumpTransaction(vconn, encodeFlowStatsRequest(fsr, protocol, allocXid()));
  vconn.close();
}

// ---- Changing flows --------------------------------------------------------------------------

/** upstream's ds_put_hex: "0x" and the bytes after leading zeros, or "0". */
function plainHex(data: Uint8Array): string {
  let s = "";
  for (const b of data) {
    if (s) s += b.toString(16).padStart(2, "0");
    else if (b) s = `0x${b.toString(16)}`;
  }
  return s || "0";
}

async function flowModsToSwitch(
  session: OfctlSession,
  remote: string,
  fms: readonly FlowMod[],
  usable: Protocols,
): Promise<void> {
  if (session.config.bundle) {
    const { vconn, protocol } = await session.openVconnForFlowMod(remote, usable & P_OF13_UP);
    const requests = fms.map((fm) => encodeFlowMod(fm, protocol, allocXid()));
    await bundleTransact(session, vconn, requests, OFPBF_ORDERED | OFPBF_ATOMIC);
    vconn.close();
    return;
  }
  const { vconn, protocol } = await session.openVconnForFlowMod(remote, usable);
  const verbosity = session.config.verbosity;
  let dump = "";
  for (const fm of fms) {
    const message = encodeFlowMod(fm, protocol, allocXid());
    if (verbosity === 5) dump += hexDump(message, 0, true);
    else if (verbosity > 5) dump += plainHex(message) + "\n";
    await session.transactNoReply(vconn, message);
  }
  session.io.out(dump);
  vconn.close();
}

async function flowModFile(session: OfctlSession, argv: string[], command: number): Promise<void> {
  const name = argv[1]!;
  const portMap = await session.portsToAccept(name);
  const tableMap = await session.tablesToAccept(name);
  const contents = await readFlowFile(session, argv[2]!);
  const { fms, usable } = parseFlowModFile(
    contents,
    argv[2]!,
    command === OFPFC_ADD ? FLOW_CMD_ANY : command,
    { portMap, tableMap },
  );
  await flowModsToSwitch(session, name, fms, usable);
}

async function flowMod(session: OfctlSession, argv: string[], command: number): Promise<void> {
  if (argv.length > 2 && argv[2] === "-") return await flowModFile(session, argv, command);
  const name = argv[1]!;
  const portMap = await session.portsToAccept(name);
  const tableMap = await session.tablesToAccept(name);
  const { fm, usable } = parseFlowModStr(argv[2] ?? "", command, { portMap, tableMap });
  await flowModsToSwitch(session, name, [fm], usable);
}

// ---- Packet out ------------------------------------------------------------------------------

/** A packet as ovs-ofctl takes it in hex (eth_from_hex), or upstream's complaint. */
function ethFromHexText(hex: string): Uint8Array | string {
  try {
    return ethFromHex(hex);
  } catch (error) {
    if (error instanceof ParseError) return error.message;
    throw error;
  }
}

function setInPort(match: Match, port: number): void {
  match.set(fieldByName("in_port")!, new Uint8Array([port >> 8, port & 0xff]));
}

/**
 * The packet-out for ofctl/packet-out on a monitor's connection: the message, or the error text
 * the command replies with.
 */
export async function packetOutMessage(
  session: OfctlSession,
  vconnName: string,
  text: string,
  version: number,
): Promise<Uint8Array | string> {
  const protocol = protocolFromVersion(version);
  let parsed;
  try {
    parsed = parsePacketOutStr(text, {
      portMap: await session.portsToAccept(vconnName),
      tableMap: await session.tablesToAccept(vconnName),
    });
  } catch (error) {
    if (error instanceof ParseError) return error.message;
    throw error;
  }
  if (!(parsed.usable & protocol)) {
    return "PACKET_OUT actions are incompatible with the OpenFlow connection.";
  }
  return encodePacketOut(parsed.po, version, allocXid());
}

async function packetOut(session: OfctlSession, argv: string[]): Promise<void> {
  const name = argv[1]!;
  if (argv.length > 4) {
    const portMap = await session.portsToAccept(name);
    const tableMap = await session.tablesToAccept(name);
    const { ofpacts, usable } = parseActionList(argv[3]!, { portMap, tableMap });
    const po: PacketOut = {
      packet: new Uint8Array(),
      bufferId: 0xffffffff,
      flowMetadata: new Match(),
      ofpacts,
    };
    setInPort(po.flowMetadata, await session.portNumber(name, argv[2]!));
    const { vconn, protocol } = await session.openVconnForFlowMod(name, usable);
    for (const hex of argv.slice(4)) {
      const packet = ethFromHexText(hex);
      if (typeof packet === "string") throw new OfctlFatal(packet);
      po.packet = packet;
      await session.transactNoReply(
        vconn,
        encodePacketOut(po, protocolToVersion(protocol), allocXid()),
      );
    }
    vconn.close();
  } else if (argv.length === 3) {
    const portMap = await session.portsToAccept(name);
    const tableMap = await session.tablesToAccept(name);
    const { po, usable } = parsePacketOutStr(argv[2]!, { portMap, tableMap });
    const { vconn, protocol } = await session.openVconnForFlowMod(name, usable);
    await session.transactNoReply(
      vconn,
      encodePacketOut(po, protocolToVersion(protocol), allocXid()),
    );
    vconn.close();
  } else {
    throw new OfctlFatal(`Too many arguments (${argv.length})`);
  }
}

// ---- Offline parsing -------------------------------------------------------------------------

function printParseFlows(session: OfctlSession, fms: FlowMod[], usable: Protocols): void {
  const result = formatParseFlows(
    fms,
    usable,
    session.config.allowedProtocols,
    session.config.verbosity,
  );
  session.io.out(result.stdout);
  if (result.fatal) throw new OfctlFatal(result.fatal);
}

function parseFlowCommand(session: OfctlSession, argv: string[]): Promise<void> {
  const { fm, usable } = parseFlowModStr(argv[1]!, OFPFC_ADD);
  printParseFlows(session, [fm], usable);
  return Promise.resolve();
}

async function parseFlowsCommand(session: OfctlSession, argv: string[]): Promise<void> {
  const contents = await readFlowFile(session, argv[1]!);
  const { fms, usable } = parseFlowModFile(contents, argv[1]!, OFPFC_ADD);
  printParseFlows(session, fms, usable);
}

const strictOr = (session: OfctlSession, strict: number, loose: number) =>
  session.config.strict ? strict : loose;

export const FLOW_COMMANDS: readonly OfctlCommand[] = [
  {
    name: "dump-flows",
    usage: "switch",
    minArgs: 1,
    maxArgs: 2,
    readOnly: true,
    run: dumpFlowsCommand,
  },
  {
    name: "dump-aggregate",
    usage: "switch",
    minArgs: 1,
    maxArgs: 2,
    readOnly: true,
    run: dumpAggregate,
  },
  {
    name: "add-flow",
    usage: "switch flow",
    minArgs: 2,
    maxArgs: 2,
    readOnly: false,
    run: (s, a) => flowMod(s, a, OFPFC_ADD),
  },
  {
    name: "add-flows",
    usage: "switch file",
    minArgs: 2,
    maxArgs: 2,
    readOnly: false,
    run: (s, a) => flowModFile(s, a, OFPFC_ADD),
  },
  {
    name: "mod-flows",
    usage: "switch flow",
    minArgs: 2,
    maxArgs: 2,
    readOnly: false,
    run: (s, a) => flowMod(s, a, strictOr(s, OFPFC_MODIFY_STRICT, OFPFC_MODIFY)),
  },
  {
    name: "del-flows",
    usage: "switch [flow]",
    minArgs: 1,
    maxArgs: 2,
    readOnly: false,
    run: (s, a) => flowMod(s, a, strictOr(s, OFPFC_DELETE_STRICT, OFPFC_DELETE)),
  },
  {
    name: "packet-out",
    usage: 'switch "in_port=<port> packet=<hex data> actions=..."',
    minArgs: 2,
    maxArgs: MANY,
    readOnly: false,
    run: packetOut,
  },
  {
    name: "parse-flow",
    usage: undefined,
    minArgs: 1,
    maxArgs: 1,
    readOnly: false,
    run: parseFlowCommand,
  },
  {
    name: "parse-flows",
    usage: undefined,
    minArgs: 1,
    maxArgs: 1,
    readOnly: false,
    run: parseFlowsCommand,
  },
];
