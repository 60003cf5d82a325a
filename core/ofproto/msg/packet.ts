// Packets between switch and controller (upstream's ofp-packet): packet-in in its OpenFlow 1.0,
// 1.1, 1.2, 1.3+, NXT_PACKET_IN and NXT_PACKET_IN2 forms (the last with userdata and the
// continuation a paused pipeline resumes from), NXT_RESUME, packet-out in its 1.0, 1.1-1.4 and
// 1.5 forms, and their texts.
//
// Promises: decoders check lengths and ports as upstream (OFPBRC_BAD_LEN, OFPBRC_BAD_PORT,
// OFPBPC_*); packet-in reasons are translated per version on encode as upstream; the
// continuation is decoded into its parts for ovs-vswitchd and for printing.

import { OfpError } from "../errors.ts";
import { FIELDS, OFP11, OFP13, OFP14 } from "../fields.ts";
import { W_IN_PORT, W_PACKET_TYPE } from "../../datapath/flow.ts";
import { formatMatch } from "../match_text.ts";
import { Match } from "../match.ts";
import {
  pullNxMatch,
  pullOxmMatch,
  pullRawMatch,
  putNxMatch,
  putOxmMatch,
  putRawMatch,
} from "../nx_match.ts";
import { isFieldAllWild } from "../field_set.ts";
import { WireReader, type WireWriter } from "../wire.ts";
import { hexDump } from "./hexdump.ts";
import { formatOfpacts, type Ofpact, pullActions, putActions } from "./ofpacts.ts";
import { packetToString } from "./packet_text.ts";
import {
  formatTable,
  OFPP_CONTROLLER,
  OFPP_LOCAL,
  OFPP_MAX,
  OFPP_NONE,
  portFromOfp11,
  type PortNames,
  portToOfp11,
  type TableNames,
} from "./ports.ts";
import {
  propEnd,
  propNested,
  propStart,
  propStartNested,
  propU32,
  propU64,
  propU8,
  pullProp,
  putProp,
  putPropFlag,
  putPropU32,
  putPropU64,
  putPropU8,
  unknownProp,
} from "./props.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { packetInReasonToString } from "./connection.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_packet");
const rl = new RateLimit(1, 5);

const UINT64_MAX = 0xffffffffffffffffn;

export const OFPR_NO_MATCH = 0;
export const OFPR_ACTION = 1;
export const OFPR_INVALID_TTL = 2;
export const OFPR_ACTION_SET = 3;
export const OFPR_GROUP = 4;
export const OFPR_PACKET_OUT = 5;
export const OFPR_EXPLICIT_MISS = 6;
export const OFPR_IMPLICIT_MISS = 7;

const NXPINT_PACKET = 0n;
const NXPINT_FULL_LEN = 1n;
const NXPINT_BUFFER_ID = 2n;
const NXPINT_TABLE_ID = 3n;
const NXPINT_COOKIE = 4n;
const NXPINT_REASON = 5n;
const NXPINT_METADATA = 6n;
const NXPINT_USERDATA = 7n;
const NXPINT_CONTINUATION = 8n;

const NXCPT_BRIDGE = 0x8000n;
const NXCPT_STACK = 0x8001n;
const NXCPT_MIRRORS = 0x8002n;
const NXCPT_CONNTRACKED = 0x8003n;
const NXCPT_TABLE_ID = 0x8004n;
const NXCPT_COOKIE = 0x8005n;
const NXCPT_ACTIONS = 0x8006n;
const NXCPT_ACTION_SET = 0x8007n;
const NXCPT_ODP_PORT = 0x8008n;

/** A packet-in, version-free, with the private continuation (ofputil_packet_in_private). */
export interface PacketIn {
  /** The packet bytes carried (maybe truncated). */
  packet: Uint8Array;
  /** The full length of the packet. */
  totalLen: number;
  /** 0xffffffff: not buffered. */
  bufferId: number;
  reason: number;
  tableId: number;
  /** UINT64_MAX: none. */
  cookie: bigint;
  /** Metadata fields (in_port, registers, tunnel ...), as a match. */
  flowMetadata: Match;
  userdata: Uint8Array;
  /** Continuation (NXT_PACKET_IN2 with pause and NXT_RESUME). */
  bridge: Uint8Array | undefined;
  /** Stack values, top first. */
  stack: Uint8Array[];
  mirrors: number;
  conntracked: boolean;
  /** The actions still to run, unroll_xlate marking each rule's table and cookie. */
  actions: Ofpact[];
  actionSet: Ofpact[];
  odpPort: number;
  /** The raw continuation property bytes (for NXT_RESUME encoding by a controller). */
  continuation: Uint8Array;
}

export function newPacketIn(packet: Uint8Array = new Uint8Array()): PacketIn {
  return {
    packet,
    totalLen: packet.length,
    bufferId: 0xffffffff,
    reason: 0,
    tableId: 0,
    cookie: UINT64_MAX,
    flowMetadata: new Match(),
    userdata: new Uint8Array(),
    bridge: undefined,
    stack: [],
    mirrors: 0,
    conntracked: false,
    actions: [],
    actionSet: [],
    odpPort: 0,
    continuation: new Uint8Array(),
  };
}

function setInPort(m: Match, port: number): void {
  m.flow[W_IN_PORT] = port;
  m.mask[W_IN_PORT] = 0xffff;
}

function decodePacketIn2(msg: Uint8Array, bodyOffset: number, loose: boolean, pin: PacketIn) {
  const body = msg.subarray(bodyOffset);
  let totalLen = 0;
  let hasPacket = false;
  let offset = 0;
  while (offset < body.length) {
    const { prop, next } = pullProp(body, offset);
    offset = next;
    switch (prop.type) {
      case NXPINT_PACKET:
        pin.packet = prop.payload;
        hasPacket = prop.payload.length > 0;
        break;
      case NXPINT_FULL_LEN:
        totalLen = propU32(prop);
        break;
      case NXPINT_BUFFER_ID:
        pin.bufferId = propU32(prop);
        break;
      case NXPINT_TABLE_ID:
        pin.tableId = propU8(prop);
        break;
      case NXPINT_COOKIE:
        pin.cookie = propU64(prop);
        break;
      case NXPINT_REASON:
        pin.reason = propU8(prop);
        break;
      case NXPINT_METADATA:
        pin.flowMetadata = pullRawMatch(prop.payload, { strict: !loose });
        break;
      case NXPINT_USERDATA:
        pin.userdata = prop.payload;
        break;
      case NXPINT_CONTINUATION:
        pin.continuation = propNested(prop);
        break;
      default:
        unknownProp(log, loose, "NX_PACKET_IN2", prop.type);
    }
  }
  if (!hasPacket) {
    log.rateLimited(rl, "warn", "NXT_PACKET_IN2 lacks packet");
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  if (!totalLen) {
    totalLen = pin.packet.length;
  } else if (totalLen < pin.packet.length) {
    log.rateLimited(rl, "warn", "NXT_PACKET_IN2 claimed full_len < len");
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  pin.totalLen = totalLen;
}

function decodeContinuation(pin: PacketIn, version: number, loose: boolean): void {
  const c = pin.continuation;
  let tableId = 0;
  let cookie = 0n;
  let offset = 0;
  while (offset < c.length) {
    const { prop, next } = pullProp(c, offset);
    offset = next;
    switch (prop.type) {
      case NXCPT_BRIDGE:
        if (prop.payload.length !== 16) throw new OfpError("OFPBPC_BAD_LEN");
        pin.bridge = prop.payload.slice();
        break;
      case NXCPT_STACK:
        if (prop.payload.length > 128) {
          log.rateLimited(rl, "warn", `NXCPT_STACK property has bad length ${prop.payload.length}`);
          throw new OfpError("OFPBPC_BAD_LEN");
        }
        pin.stack.push(prop.payload.slice());
        break;
      case NXCPT_MIRRORS:
        pin.mirrors = propU32(prop);
        break;
      case NXCPT_CONNTRACKED:
        pin.conntracked = true;
        break;
      case NXCPT_TABLE_ID:
        tableId = propU8(prop);
        break;
      case NXCPT_COOKIE:
        cookie = propU64(prop);
        break;
      case NXCPT_ACTIONS:
        pin.actions.push({ type: "unroll_xlate", ruleTableId: tableId, ruleCookie: cookie });
        pin.actions.push(...pullNested(prop.raw, version));
        break;
      case NXCPT_ACTION_SET:
        pin.actionSet.push(...pullNested(prop.raw, version));
        break;
      case NXCPT_ODP_PORT:
        pin.odpPort = propU32(prop);
        break;
      default:
        unknownProp(log, loose, "continuation", prop.type);
    }
  }
}

function pullNested(raw: Uint8Array, version: number): Ofpact[] {
  if (raw.length < 8) {
    log.rateLimited(rl, "warn", `actions property has bad length ${raw.length}`);
    throw new OfpError("OFPBPC_BAD_LEN");
  }
  const r = new WireReader(raw, 8);
  return pullActions(r, r.remaining, version);
}

/**
 * Decodes any packet-in (and NXT_RESUME) with its continuation (upstream's
 * ofputil_decode_packet_in_private). `loose` ignores unknown properties and match fields.
 */
export function decodePacketIn(msg: Uint8Array, loose = true): PacketIn {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const pin = newPacketIn();
  const name = raw.info.raw;
  if (name === "OFPT13_PACKET_IN" || name === "OFPT12_PACKET_IN") {
    pin.bufferId = r.u32();
    pin.totalLen = r.u16();
    pin.reason = r.u8();
    pin.tableId = r.u8();
    if (name === "OFPT13_PACKET_IN") pin.cookie = r.u64();
    pin.flowMetadata = pullOxmMatch(r, { strict: false });
    if (r.remaining < 2) throw new OfpError("OFPBRC_BAD_LEN");
    r.skip(2);
    pin.packet = r.bytes(r.remaining);
  } else if (name === "OFPT10_PACKET_IN") {
    pin.bufferId = r.u32();
    pin.totalLen = r.u16();
    setInPort(pin.flowMetadata, r.u16());
    pin.reason = r.u8();
    r.skip(1);
    pin.packet = r.bytes(r.remaining);
  } else if (name === "OFPT11_PACKET_IN") {
    pin.bufferId = r.u32();
    const inPort = portFromOfp11(r.u32());
    r.skip(4);
    setInPort(pin.flowMetadata, inPort);
    pin.totalLen = r.u16();
    pin.reason = r.u8();
    pin.tableId = r.u8();
    pin.packet = r.bytes(r.remaining);
  } else if (name === "NXT_PACKET_IN") {
    pin.bufferId = r.u32();
    pin.totalLen = r.u16();
    pin.reason = r.u8();
    pin.tableId = r.u8();
    pin.cookie = r.u64();
    const matchLen = r.u16();
    r.skip(6);
    pin.flowMetadata = pullNxMatch(r, matchLen, { strict: false });
    if (r.remaining < 2) throw new OfpError("OFPBRC_BAD_LEN");
    r.skip(2);
    pin.packet = r.bytes(r.remaining);
  } else {
    pin.totalLen = 0;
    decodePacketIn2(msg, raw.bodyOffset, loose, pin);
  }
  decodeContinuation(pin, raw.version, loose);
  return pin;
}

function encodeReason(reason: number, version: number): number {
  switch (reason) {
    case OFPR_ACTION_SET:
    case OFPR_GROUP:
    case OFPR_PACKET_OUT:
      return version < OFP14 ? OFPR_ACTION : reason;
    case OFPR_EXPLICIT_MISS:
      return version < OFP13 ? OFPR_ACTION : OFPR_NO_MATCH;
    case OFPR_IMPLICIT_MISS:
      return OFPR_NO_MATCH;
    default:
      return reason;
  }
}

export type PacketInFormatName = "standard" | "nxt_packet_in" | "nxt_packet_in2";

function putPacketInProps(pin: PacketIn, version: number, include: number, w: WireWriter) {
  putProp(w, NXPINT_PACKET, pin.packet.subarray(0, include));
  if (include !== pin.packet.length) putPropU32(w, NXPINT_FULL_LEN, pin.packet.length);
  putPropU8(w, NXPINT_TABLE_ID, pin.tableId);
  if (pin.cookie !== UINT64_MAX) putPropU64(w, NXPINT_COOKIE, pin.cookie);
  putPropU8(w, NXPINT_REASON, encodeReason(pin.reason, version));
  const start = propStart(w, NXPINT_METADATA);
  putRawMatch(w, pin.flowMetadata, version);
  propEnd(w, start);
}

function putContinuation(pin: PacketIn, version: number, w: WireWriter): void {
  const start = propStartNested(w, NXPINT_CONTINUATION);
  const inner = w.length;
  if (pin.bridge && pin.bridge.some((b) => b)) putProp(w, NXCPT_BRIDGE, pin.bridge);
  for (const v of pin.stack) putProp(w, NXCPT_STACK, v);
  if (pin.mirrors) putPropU32(w, NXCPT_MIRRORS, pin.mirrors);
  if (pin.conntracked) putPropFlag(w, NXCPT_CONNTRACKED);
  if (pin.actions.length) {
    let tableId = 0;
    let cookie = 0n;
    let group: Ofpact[] = [];
    const flush = () => {
      if (group.length) {
        const p = propStartNested(w, NXCPT_ACTIONS);
        putActions(w, group, version);
        propEnd(w, p);
      }
      group = [];
    };
    for (const a of pin.actions) {
      if (a.type === "unroll_xlate") {
        flush();
        if (tableId !== a.ruleTableId) {
          putPropU8(w, NXCPT_TABLE_ID, a.ruleTableId);
          tableId = a.ruleTableId;
        }
        if (cookie !== a.ruleCookie) {
          putPropU64(w, NXCPT_COOKIE, a.ruleCookie);
          cookie = a.ruleCookie;
        }
      } else {
        group.push(a);
      }
    }
    flush();
  }
  if (pin.actionSet.length) {
    const p = propStartNested(w, NXCPT_ACTION_SET);
    putActions(w, pin.actionSet, version);
    propEnd(w, p);
  }
  if (pin.odpPort) putPropU32(w, NXCPT_ODP_PORT, pin.odpPort);
  if (w.length > inner) propEnd(w, start);
  else w.truncate(start);
}

/**
 * Encodes a packet-in for a connection of `version` using `format` (upstream's
 * ofputil_encode_packet_in_private). `protocolIsOf11Std` picks the OpenFlow 1.1 layout.
 */
export function encodePacketIn(
  pin: PacketIn,
  version: number,
  format: PacketInFormatName,
): Uint8Array {
  const inPort = pin.flowMetadata.flow[W_IN_PORT]! & 0xffff;
  if (format === "nxt_packet_in2") {
    const w = startMessage("NXT_PACKET_IN2", version, 0);
    putPacketInProps(pin, version, pin.packet.length, w);
    putContinuation(pin, version, w);
    if (pin.userdata.length) putProp(w, NXPINT_USERDATA, pin.userdata);
    return finishMessage(w);
  }
  let w;
  if (format === "nxt_packet_in") {
    w = startMessage("NXT_PACKET_IN", version, 0);
    const at = w.length;
    w.u32(0xffffffff).u16(pin.packet.length).u8(encodeReason(pin.reason, version));
    w.u8(pin.tableId).u64(pin.cookie).u16(0).zeros(6);
    w.setU16(at + 16, putNxMatch(w, pin.flowMetadata));
    w.zeros(2);
  } else if (version === 1) {
    w = startMessage("OFPT10_PACKET_IN", version, 0);
    w.u32(0xffffffff).u16(pin.packet.length).u16(inPort);
    w.u8(encodeReason(pin.reason, version)).u8(0);
  } else if (version === OFP11) {
    w = startMessage("OFPT11_PACKET_IN", version, 0);
    const p = portToOfp11(inPort);
    w.u32(0xffffffff).u32(p).u32(p).u16(pin.packet.length);
    w.u8(encodeReason(pin.reason, version)).u8(pin.tableId);
  } else {
    w = startMessage(version >= OFP13 ? "OFPT13_PACKET_IN" : "OFPT12_PACKET_IN", version, 0);
    w.u32(0xffffffff).u16(pin.packet.length).u8(encodeReason(pin.reason, version));
    w.u8(pin.tableId);
    if (version >= OFP13) w.u64(pin.cookie);
    putOxmMatch(w, pin.flowMetadata, version);
    w.zeros(2);
  }
  w.bytes(pin.packet);
  return finishMessage(w);
}

/** NXT_RESUME for `pin` with its raw `continuation` (upstream's ofputil_encode_resume). */
export function encodeResume(pin: PacketIn, version: number, xid = 0): Uint8Array {
  const w = startMessage("NXT_RESUME", version, xid);
  putPacketInProps(pin, version, pin.packet.length, w);
  const p = propStartNested(w, NXPINT_CONTINUATION);
  w.bytes(pin.continuation);
  propEnd(w, p);
  return finishMessage(w);
}

function hexArg(d: Uint8Array): string {
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join(".");
}

function hexTrimmed(d: Uint8Array): string {
  let out = "";
  for (const b of d) {
    if (out) out += b.toString(16).padStart(2, "0");
    else if (b) out = `0x${b.toString(16)}`;
  }
  return out || "0";
}

function uuidText(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface PacketFormatOptions {
  portNames?: PortNames | undefined;
  tableNames?: TableNames | undefined;
  verbosity?: number;
}

/** A packet-in's text (upstream's ofputil_packet_in_private_format). */
export function formatPacketIn(pin: PacketIn, opts: PacketFormatOptions = {}): string {
  let s = "";
  if (pin.tableId || opts.tableNames?.nameOf(pin.tableId) !== undefined) {
    s += " table_id=" + formatTable(pin.tableId, opts.tableNames);
  }
  if (pin.cookie !== UINT64_MAX) s += ` cookie=0x${pin.cookie.toString(16)}`;
  s += ` total_len=${pin.totalLen} `;
  s += formatMatch(pin.flowMetadata, { priority: 0x8000, portMap: opts.portNames });
  s += ` (via ${packetInReasonToString(pin.reason)})`;
  s += ` data_len=${pin.packet.length}`;
  if (pin.bufferId === 0xffffffff) {
    s += " (unbuffered)";
    if (pin.totalLen !== pin.packet.length) s += " (***total_len != data_len***)";
  } else {
    s += ` buffer=0x${pin.bufferId.toString(16).padStart(8, "0")}`;
    if (pin.totalLen < pin.packet.length) s += " (***total_len < data_len***)";
  }
  s += "\n";
  if (pin.userdata.length) s += ` userdata=${hexArg(pin.userdata)}\n`;
  if (pin.bridge && pin.bridge.some((b) => b)) {
    s += ` continuation.bridge=${uuidText(pin.bridge)}\n`;
  }
  if (pin.stack.length) {
    s += " continuation.stack=(top)";
    for (const v of pin.stack) s += " " + hexTrimmed(v);
    s += " (bottom)\n";
  }
  if (pin.mirrors) s += ` continuation.mirrors=0x${pin.mirrors.toString(16)}\n`;
  if (pin.conntracked) s += " continuation.conntracked=true\n";
  const fo = { portMap: opts.portNames, tableMap: opts.tableNames };
  if (pin.actions.length) s += " continuation.actions=" + formatOfpacts(pin.actions, fo) + "\n";
  if (pin.actionSet.length) {
    s += " continuation.action_set=" + formatOfpacts(pin.actionSet, fo) + "\n";
  }
  if (pin.odpPort) s += ` continuation.odp_port=${pin.odpPort}\n`;
  const verbosity = opts.verbosity ?? 0;
  if (verbosity > 0) s += packetToString(pin.packet, pin.flowMetadata.flow[W_PACKET_TYPE]);
  if (verbosity > 2) s += hexDump(pin.packet, 0, false);
  return s;
}

// Packet out.

export interface PacketOut {
  /** The packet (empty when buffered). */
  packet: Uint8Array;
  /** 0xffffffff: not buffered. */
  bufferId: number;
  /** in_port, packet_type and (1.5) other pipeline fields. */
  flowMetadata: Match;
  ofpacts: Ofpact[];
}

const PIPELINE_FIELDS = new Set([
  "tun_id",
  "tun_src",
  "tun_dst",
  "tun_ipv6_src",
  "tun_ipv6_dst",
  "tun_flags",
  "tun_gbp_id",
  "tun_gbp_flags",
  "metadata",
  "in_port",
  "in_port_oxm",
  "packet_type",
]);

/** mf_is_pipeline_field. */
export function isPipelineField(name: string): boolean {
  return PIPELINE_FIELDS.has(name) || /^(x{0,2})reg[0-9]+$/.test(name) ||
    name.startsWith("tun_metadata");
}

function badInPort(port: number): boolean {
  return port >= OFPP_MAX && port !== OFPP_LOCAL && port !== OFPP_NONE &&
    port !== OFPP_CONTROLLER;
}

export function decodePacketOut(msg: Uint8Array): PacketOut {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const po: PacketOut = {
    packet: new Uint8Array(),
    bufferId: 0,
    flowMetadata: new Match(),
    ofpacts: [],
  };
  const setEth = () => {
    po.flowMetadata.flow[W_PACKET_TYPE] = 0;
    po.flowMetadata.mask[W_PACKET_TYPE] = 0xffffffff;
  };
  if (raw.info.raw === "OFPT15_PACKET_OUT") {
    po.bufferId = r.u32();
    const actionsLen = r.u16();
    r.skip(2);
    const m = pullOxmMatch(r, { strict: false });
    for (const f of FIELDS) {
      if (!isFieldAllWild(m, f) && !isPipelineField(f.name)) {
        throw new OfpError("OFPBRC_PIPELINE_FIELDS_ONLY");
      }
    }
    po.flowMetadata = m;
    if (!(m.mask[W_IN_PORT]! & 0xffff)) throw new OfpError("OFPBRC_BAD_PORT");
    po.ofpacts = pullActions(r, actionsLen, raw.version);
  } else if (raw.info.raw === "OFPT11_PACKET_OUT") {
    po.bufferId = r.u32();
    const inPort = portFromOfp11(r.u32());
    const actionsLen = r.u16();
    r.skip(6);
    setEth();
    setInPort(po.flowMetadata, inPort);
    po.ofpacts = pullActions(r, actionsLen, raw.version);
  } else {
    po.bufferId = r.u32();
    const inPort = r.u16();
    const actionsLen = r.u16();
    setEth();
    setInPort(po.flowMetadata, inPort);
    po.ofpacts = pullActions(r, actionsLen, raw.version);
  }
  const inPort = po.flowMetadata.flow[W_IN_PORT]! & 0xffff;
  if (badInPort(inPort)) {
    log.rateLimited(rl, "warn", `packet-out has bad input port 0x${inPort.toString(16)}`);
    throw new OfpError("OFPBRC_BAD_PORT");
  }
  if (po.bufferId === 0xffffffff) po.packet = r.bytes(r.remaining);
  return po;
}

export function encodePacketOut(po: PacketOut, version: number, xid: number): Uint8Array {
  const inPort = po.flowMetadata.flow[W_IN_PORT]! & 0xffff;
  let w;
  if (version === 1) {
    w = startMessage("OFPT10_PACKET_OUT", version, xid);
    w.u32(po.bufferId).u16(inPort).u16(0);
    const at = w.length;
    putActions(w, po.ofpacts, version);
    w.setU16(at - 2, w.length - at);
  } else if (version < 6) {
    w = startMessage("OFPT11_PACKET_OUT", version, xid);
    w.u32(po.bufferId).u32(portToOfp11(inPort)).u16(0).zeros(6);
    const at = w.length;
    putActions(w, po.ofpacts, version);
    w.setU16(at - 8, w.length - at);
  } else {
    w = startMessage("OFPT15_PACKET_OUT", version, xid);
    const lenAt = w.length + 4;
    w.u32(po.bufferId).u16(0).zeros(2);
    putOxmMatch(w, po.flowMetadata, version);
    const at = w.length;
    putActions(w, po.ofpacts, version);
    w.setU16(lenAt, w.length - at);
  }
  if (po.bufferId === 0xffffffff) w.bytes(po.packet);
  return finishMessage(w);
}

export function formatPacketOut(po: PacketOut, opts: PacketFormatOptions = {}): string {
  let s = " " + formatMatch(po.flowMetadata, { priority: 0x8000, portMap: opts.portNames });
  s += " actions=" +
    formatOfpacts(po.ofpacts, { portMap: opts.portNames, tableMap: opts.tableNames });
  const verbosity = opts.verbosity ?? 0;
  if (po.bufferId === 0xffffffff) {
    s += ` data_len=${po.packet.length}`;
    if (verbosity > 0 && po.packet.length > 0) {
      s += "\n" + packetToString(po.packet, po.flowMetadata.flow[W_PACKET_TYPE]);
    }
    if (verbosity > 2) s += hexDump(po.packet, 0, false);
  } else {
    s += ` buffer=0x${po.bufferId.toString(16).padStart(8, "0")}`;
  }
  return s;
}
