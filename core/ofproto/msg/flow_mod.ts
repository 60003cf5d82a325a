// Flow mods (upstream's ofp-flow, first part): the version-free flow mod, its three wire
// forms — OpenFlow 1.0 (ofp10_match), Nicira NXT_FLOW_MOD (NXM match, cookie matching, the
// table-id extension) and OpenFlow 1.1+ (standard or OXM match, instructions) — with upstream's
// translation rules (1.1 modify-as-add, table id ranges, importance only on 1.4+ adds, out_group
// only on deletes, flag bits per version), and the flow mod text ofp-print shows.
//
// Promises: decode checks what upstream checks, in its order, with its errors (bad table,
// command, flags, emergency flows, NXM cookie on adds, inconsistent conntrack tuples, action
// consistency); encode picks the message by protocol exactly as ofputil_encode_flow_mod.

import { OfpError } from "../errors.ts";
import { OFP10, OFP11, OFP12, OFP13, OFP14 } from "../fields.ts";
import {
  W_CT_IPV6_DST,
  W_CT_IPV6_SRC,
  W_CT_NW_DST,
  W_CT_NW_SRC,
  W_DL_TYPE_VLAN,
} from "../../datapath/flow.ts";
import { formatMatch } from "../match_text.ts";
import type { Match } from "../match.ts";
import type { TunMetadataMap } from "../tun_metadata.ts";
import type { DecodeOptions } from "../actions/raw.ts";
import { normalizeMatch } from "../match_normalize.ts";
import { pullNxMatch, putNxMatch, putOxmMatch } from "../nx_match.ts";
import { nxMatchToString } from "../nxm_header.ts";
import {
  decodeOfp10Match,
  encodeOfp10Match,
  ofp10MatchToString,
  pullOfp10Match,
} from "../ofp10_match.ts";
import { encodeOfp11Match, pullOfp11Match } from "../ofp11_match.ts";
import {
  P_OF10_NXM,
  P_OF10_NXM_TID,
  P_OF10_STD,
  P_OF10_STD_TID,
  P_OF11_STD,
  P_TID,
  type Protocols,
} from "../protocols.ts";
import { WireReader, type WireWriter } from "../wire.ts";
import { OFPG_ANY } from "./group_stats.ts";
import {
  checkOfpactsConsistency,
  formatOfpacts,
  type Ofpact,
  pullInstructions,
  putActions,
  putInstructions,
} from "./ofpacts.ts";
import {
  formatPort,
  formatTable,
  OFPP_ANY,
  OFPP_MAX,
  portFromOfp11,
  type PortNames,
  portToOfp11,
  type TableNames,
} from "./ports.ts";
import { protocolFromVersion, protocolSetTid, protocolToVersion } from "./protocol.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_flow");
const rl = new RateLimit(1, 5);

export const OFPFC_ADD = 0;
export const OFPFC_MODIFY = 1;
export const OFPFC_MODIFY_STRICT = 2;
export const OFPFC_DELETE = 3;
export const OFPFC_DELETE_STRICT = 4;

export const OFPUTIL_FF_SEND_FLOW_REM = 1 << 0;
export const OFPUTIL_FF_NO_PKT_COUNTS = 1 << 1;
export const OFPUTIL_FF_NO_BYT_COUNTS = 1 << 2;
export const OFPUTIL_FF_CHECK_OVERLAP = 1 << 3;
export const OFPUTIL_FF_RESET_COUNTS = 1 << 4;
export const OFPUTIL_FF_EMERG = 1 << 5;
export const OFPUTIL_FF_HIDDEN_FIELDS = 1 << 6;
export const OFPUTIL_FF_NO_READONLY = 1 << 7;

export const OFP_DEFAULT_PRIORITY = 0x8000;
export const OFP_FLOW_PERMANENT = 0;
export const OFPTT_ALL = 0xff;
export const UINT64_MAX = 0xffffffffffffffffn;

/** A flow mod, version-free (upstream's ofputil_flow_mod). */
export interface FlowMod {
  match: Match;
  priority: number;
  /** The cookie to match (with cookieMask) for modify and delete. */
  cookie: bigint;
  cookieMask: bigint;
  /** The cookie to set; UINT64_MAX for "leave unchanged". */
  newCookie: bigint;
  modifyCookie: boolean;
  /** 0xff: all tables / not specified. */
  tableId: number;
  command: number;
  idleTimeout: number;
  hardTimeout: number;
  importance: number;
  /** 0xffffffff: none. */
  bufferId: number;
  outPort: number;
  outGroup: number;
  /** OFPUTIL_FF_* bits. */
  flags: number;
  ofpacts: Ofpact[];
}

const FLAG_TABLE: readonly (readonly [number, number, number, number])[] = [
  // raw flag, min version, max version (0: no limit), OFPUTIL_FF_ flag
  [1 << 0, OFP10, 0, OFPUTIL_FF_SEND_FLOW_REM],
  [1 << 1, OFP10, 0, OFPUTIL_FF_CHECK_OVERLAP],
  [1 << 2, OFP10, OFP10, OFPUTIL_FF_EMERG],
  [1 << 2, OFP12, 0, OFPUTIL_FF_RESET_COUNTS],
  [1 << 3, OFP13, 0, OFPUTIL_FF_NO_PKT_COUNTS],
  [1 << 4, OFP13, 0, OFPUTIL_FF_NO_BYT_COUNTS],
];

/**
 * Raw flow mod flags → OFPUTIL_FF_* (upstream's ofputil_decode_flow_mod_flags); `command` -1
 * for flow stats. OFPFMFC_BAD_FLAGS for bits the version does not define.
 */
export function decodeFlowModFlags(raw: number, command: number, version: number): number {
  let rest = raw;
  let flags = 0;
  for (const [bit, min, max, flag] of FLAG_TABLE) {
    if (rest & bit && version >= min && (!max || version <= max)) {
      rest &= ~bit;
      flags |= flag;
    }
  }
  if ((version === OFP10 || version === OFP11) && command === OFPFC_ADD) {
    flags |= OFPUTIL_FF_RESET_COUNTS;
  }
  if (rest) throw new OfpError("OFPFMFC_BAD_FLAGS");
  return flags;
}

export function encodeFlowModFlags(flags: number, version: number): number {
  let raw = 0;
  for (const [bit, min, max, flag] of FLAG_TABLE) {
    if (flags & flag && version >= min && (!max || version <= max)) raw |= bit;
  }
  return raw;
}

/** "send_flow_rem check_overlap ..." with a trailing space per flag. */
export function formatFlowModFlags(flags: number): string {
  let s = "";
  if (flags & OFPUTIL_FF_SEND_FLOW_REM) s += "send_flow_rem ";
  if (flags & OFPUTIL_FF_CHECK_OVERLAP) s += "check_overlap ";
  if (flags & OFPUTIL_FF_RESET_COUNTS) s += "reset_counts ";
  if (flags & OFPUTIL_FF_NO_PKT_COUNTS) s += "no_packet_counts ";
  if (flags & OFPUTIL_FF_NO_BYT_COUNTS) s += "no_byte_counts ";
  if (flags & OFPUTIL_FF_HIDDEN_FIELDS) s += "allow_hidden_fields ";
  if (flags & OFPUTIL_FF_NO_READONLY) s += "no_readonly_table ";
  return s;
}

/** Options for decoding a flow mod as a switch does. */
export interface FlowModDecodeOptions {
  /** The connection's protocol (matters for the table-id extension); default: the version's. */
  protocol?: Protocols;
  maxPort?: number;
  maxTable?: number;
  /**
   * The switch's TLV map: tun_metadata<n> must be mapped and takes its mapped length (see
   * nx_match.ts). Without one, each match places its own fields, as ovs-ofctl does.
   */
  tunTable?: TunMetadataMap;
  /** How actions are accepted (`enableDebug` for a switch run with --enable-dummy). */
  actions?: DecodeOptions;
}

function ctTupleInconsistent(m: Match): boolean {
  const dlType = m.flow[W_DL_TYPE_VLAN]! >>> 16;
  const v4 = m.mask[W_CT_NW_SRC] || m.mask[W_CT_NW_DST];
  let v6 = false;
  for (let i = 0; i < 4; i++) {
    if (m.mask[W_CT_IPV6_SRC + i] || m.mask[W_CT_IPV6_DST + i]) v6 = true;
  }
  return (v4 !== 0 && v4 !== undefined && dlType !== 0x0800) || (v6 && dlType !== 0x86dd);
}

/** Decodes any flow mod message (upstream's ofputil_decode_flow_mod). */
export function decodeFlowMod(msg: Uint8Array, opts: FlowModDecodeOptions = {}): FlowMod {
  const raw = pullRaw(msg);
  const version = raw.version;
  const protocol = opts.protocol ?? protocolFromVersion(version);
  const r = new WireReader(msg, raw.bodyOffset);
  let match: Match;
  let rawFlags: number;
  const fm: FlowMod = {
    match: undefined as unknown as Match,
    priority: 0,
    cookie: 0n,
    cookieMask: 0n,
    newCookie: 0n,
    modifyCookie: false,
    tableId: 0,
    command: 0,
    idleTimeout: 0,
    hardTimeout: 0,
    importance: 0,
    bufferId: 0,
    outPort: 0,
    outGroup: OFPG_ANY,
    flags: 0,
    ofpacts: [],
  };
  if (raw.info.raw === "OFPT11_FLOW_MOD") {
    const cookie = r.u64();
    const cookieMask = r.u64();
    const tableId = r.u8();
    const command = r.u8();
    fm.idleTimeout = r.u16();
    fm.hardTimeout = r.u16();
    fm.priority = r.u16();
    fm.bufferId = r.u32();
    const outPort = r.u32();
    const outGroup = r.u32();
    rawFlags = r.u16();
    const importance = r.u16();
    match = pullOfp11Match(r, { tunTable: opts.tunTable }).match;
    if (
      command === OFPFC_ADD ||
      (version === OFP11 && (command === OFPFC_MODIFY || command === OFPFC_MODIFY_STRICT) &&
        cookieMask === 0n)
    ) {
      fm.cookie = 0n;
      fm.cookieMask = 0n;
      fm.newCookie = cookie;
    } else {
      fm.cookie = cookie;
      fm.cookieMask = cookieMask;
      fm.newCookie = UINT64_MAX;
    }
    fm.modifyCookie = false;
    fm.command = command;
    fm.tableId = tableId;
    if (
      tableId === OFPTT_ALL &&
      (version === OFP11 || (command !== OFPFC_DELETE && command !== OFPFC_DELETE_STRICT))
    ) {
      throw new OfpError("OFPFMFC_BAD_TABLE_ID");
    }
    fm.importance = version >= OFP14 && command === OFPFC_ADD ? importance : 0;
    fm.outPort = portFromOfp11(outPort);
    fm.outGroup = command === OFPFC_DELETE || command === OFPFC_DELETE_STRICT ? outGroup : OFPG_ANY;
  } else {
    let command: number;
    if (raw.info.raw === "OFPT10_FLOW_MOD") {
      const start = r.offset;
      match = decodeOfp10Match(r);
      normalizeMatch(match, { log: true });
      const wildcards = new WireReader(msg, start).u32();
      fm.newCookie = r.u64();
      command = r.u16();
      fm.idleTimeout = r.u16();
      fm.hardTimeout = r.u16();
      const priority = r.u16();
      fm.priority = wildcards & ((1 << 22) - 1) ? priority : 0xffff;
      fm.bufferId = r.u32();
      fm.outPort = r.u16();
      rawFlags = r.u16();
    } else {
      fm.newCookie = r.u64();
      command = r.u16();
      fm.idleTimeout = r.u16();
      fm.hardTimeout = r.u16();
      fm.priority = r.u16();
      fm.bufferId = r.u32();
      fm.outPort = r.u16();
      rawFlags = r.u16();
      const matchLen = r.u16();
      r.skip(6);
      const cookie = { cookie: 0n, mask: 0n };
      match = pullNxMatch(r, matchLen, { tunTable: opts.tunTable }, cookie);
      fm.cookie = cookie.cookie;
      fm.cookieMask = cookie.mask;
      if ((command & 0xff) === OFPFC_ADD && fm.cookieMask) {
        throw new OfpError("NXBRC_NXM_INVALID");
      }
    }
    fm.importance = 0;
    fm.outGroup = OFPG_ANY;
    fm.modifyCookie = fm.newCookie !== UINT64_MAX;
    if (protocol & P_TID) {
      fm.command = command & 0xff;
      fm.tableId = command >>> 8;
    } else {
      if (command > 0xff) {
        log.rateLimited(
          rl,
          "warn",
          "flow_mod has explicit table_id but flow_mod_table_id extension is not enabled",
        );
      }
      fm.command = command;
      fm.tableId = 0xff;
    }
  }
  if (ctTupleInconsistent(match)) throw new OfpError("OFPBAC_MATCH_INCONSISTENT");
  if (fm.command > OFPFC_DELETE_STRICT) throw new OfpError("OFPFMFC_BAD_COMMAND");
  fm.ofpacts = pullInstructions(r, r.remaining, version, opts.actions);
  fm.flags = decodeFlowModFlags(rawFlags, fm.command, version);
  if (fm.flags & OFPUTIL_FF_EMERG) {
    throw new OfpError(
      fm.hardTimeout || fm.idleTimeout ? "OFPFMFC_BAD_EMERG_TIMEOUT" : "OFPFMFC_TABLE_FULL",
    );
  }
  checkOfpactsConsistency(fm.ofpacts, protocol, {
    match,
    maxPorts: opts.maxPort ?? OFPP_MAX,
    tableId: fm.tableId,
    nTables: opts.maxTable ?? 255,
  });
  fm.match = match;
  return fm;
}

function tidCommand(fm: FlowMod, protocol: Protocols): number {
  return protocol & P_TID ? (fm.command & 0xff) | (fm.tableId << 8) : fm.command;
}

/** Encodes `fm` for `protocol` (upstream's ofputil_encode_flow_mod). */
export function encodeFlowMod(fm: FlowMod, protocol: Protocols, xid: number): Uint8Array {
  const version = protocolToVersion(protocol);
  const rawFlags = encodeFlowModFlags(fm.flags, version);
  if (protocol === P_OF10_STD || protocol === P_OF10_STD_TID) {
    const w = startMessage("OFPT10_FLOW_MOD", OFP10, xid);
    encodeOfp10Match(w, fm.match);
    w.u64(fm.newCookie).u16(tidCommand(fm, protocol)).u16(fm.idleTimeout).u16(fm.hardTimeout);
    w.u16(fm.priority).u32(fm.bufferId).u16(fm.outPort).u16(rawFlags);
    putActions(w, fm.ofpacts, version);
    return finishMessage(w);
  }
  if (protocol === P_OF10_NXM || protocol === P_OF10_NXM_TID) {
    const w = startMessage("NXT_FLOW_MOD", OFP10, xid);
    w.u64(fm.newCookie).u16(tidCommand(fm, protocol)).u16(fm.idleTimeout).u16(fm.hardTimeout);
    w.u16(fm.priority).u32(fm.bufferId).u16(fm.outPort).u16(rawFlags);
    const lenAt = w.length;
    w.u16(0).zeros(6);
    const matchLen = putNxMatch(w, fm.match, fm.cookie, fm.cookieMask);
    w.setU16(lenAt, matchLen);
    putActions(w, fm.ofpacts, version);
    return finishMessage(w);
  }
  const w = startMessage("OFPT11_FLOW_MOD", version, xid);
  const isModify = fm.command === OFPFC_MODIFY || fm.command === OFPFC_MODIFY_STRICT;
  const cookie = (protocol === P_OF11_STD && isModify && fm.cookieMask === 0n) ||
      fm.command === OFPFC_ADD
    ? fm.newCookie
    : fm.cookie & fm.cookieMask;
  const isDelete = fm.command === OFPFC_DELETE || fm.command === OFPFC_DELETE_STRICT;
  const tableId = fm.tableId !== OFPTT_ALL || (protocol !== P_OF11_STD && isDelete)
    ? fm.tableId
    : 0;
  w.u64(cookie).u64(fm.cookieMask).u8(tableId).u8(fm.command);
  w.u16(fm.idleTimeout).u16(fm.hardTimeout).u16(fm.priority).u32(fm.bufferId);
  w.u32(portToOfp11(fm.outPort)).u32(fm.outGroup).u16(rawFlags);
  w.u16(version >= OFP14 && fm.command === OFPFC_ADD ? fm.importance : 0);
  putOfp11MatchFor(w, fm.match, protocol, version);
  putInstructions(w, fm.ofpacts, version);
  return finishMessage(w);
}

/** ofputil_put_ofp11_match: the standard match for OpenFlow 1.1, OXM for 1.2+. */
export function putOfp11MatchFor(
  w: WireWriter,
  m: Match,
  protocol: Protocols,
  version: number,
): void {
  if (protocol === P_OF11_STD) encodeOfp11Match(w, m);
  else putOxmMatch(w, m, version);
}

const COMMAND_NAMES = ["ADD", "MOD", "MOD_STRICT", "DEL", "DEL_STRICT"];

export interface FlowFormatOptions {
  portNames?: PortNames | undefined;
  tableNames?: TableNames | undefined;
  verbosity?: number;
}

/** A flow mod message's text (upstream's ofputil_flow_mod_format). */
export function formatFlowModMessage(msg: Uint8Array, opts: FlowFormatOptions = {}): string {
  const raw = pullRaw(msg);
  const protocol = protocolSetTid(protocolFromVersion(raw.version), true);
  const fm = decodeFlowMod(msg, { protocol, maxPort: OFPP_MAX, maxTable: 255 });
  const verbosity = opts.verbosity ?? 0;
  let s = " " + (COMMAND_NAMES[fm.command] ?? `cmd:${fm.command}`);
  if (fm.tableId !== 0 || opts.tableNames?.nameOf(fm.tableId) !== undefined) {
    s += " table:" + formatTable(fm.tableId, opts.tableNames);
  }
  s += " ";
  let needPriority: boolean;
  if (verbosity >= 3 && raw.info.raw === "OFPT10_FLOW_MOD") {
    s += ofp10MatchToString(
      pullOfp10Match(new WireReader(msg, raw.bodyOffset)),
      opts.portNames,
      verbosity,
    );
    needPriority = true;
  } else if (verbosity >= 3 && raw.info.raw === "NXT_FLOW_MOD") {
    const r = new WireReader(msg, raw.bodyOffset + 24);
    const matchLen = r.u16();
    s += nxMatchToString(msg.subarray(raw.bodyOffset + 32, raw.bodyOffset + 32 + matchLen));
    needPriority = true;
  } else {
    s += formatMatch(fm.match, { priority: fm.priority, portMap: opts.portNames });
    needPriority = false;
  }
  if (!s.endsWith(" ")) s += " ";
  if (fm.newCookie !== 0n && fm.newCookie !== UINT64_MAX) {
    s += `cookie:0x${fm.newCookie.toString(16)} `;
  }
  if (fm.cookieMask !== 0n) {
    s += `cookie:0x${fm.cookie.toString(16)}/0x${fm.cookieMask.toString(16)} `;
  }
  if (fm.idleTimeout !== OFP_FLOW_PERMANENT) s += `idle:${fm.idleTimeout} `;
  if (fm.hardTimeout !== OFP_FLOW_PERMANENT) s += `hard:${fm.hardTimeout} `;
  if (fm.importance !== 0) s += `importance:${fm.importance} `;
  if (fm.priority !== OFP_DEFAULT_PRIORITY && needPriority) s += `pri:${fm.priority} `;
  if (fm.bufferId !== 0xffffffff) s += `buf:0x${fm.bufferId.toString(16)} `;
  if (fm.outPort !== OFPP_ANY) s += "out_port:" + formatPort(fm.outPort, opts.portNames) + " ";
  let flags = fm.flags;
  if (raw.version === OFP10 || raw.version === OFP11) flags &= ~OFPUTIL_FF_RESET_COUNTS;
  s += formatFlowModFlags(flags);
  s += "actions=" +
    formatOfpacts(fm.ofpacts, { portMap: opts.portNames, tableMap: opts.tableNames });
  return s;
}
