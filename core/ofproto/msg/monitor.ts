// Flow removal and flow monitoring (upstream's ofp-monitor): flow-removed in its OpenFlow 1.0,
// 1.1-1.4, 1.5 (OXS statistics) and Nicira forms; flow monitor requests (Nicira, ONF 1.3 and
// OpenFlow 1.4+), their updates (full, abbreviated, paused/resumed), cancel, pause and resume;
// and requestforward, which wraps a group or meter mod. With their texts.
//
// Promises: decode checks lengths, flags and events as upstream (OFPBRC_BAD_LEN,
// OFPMOFC_BAD_FLAGS, NXBRC_MUST_BE_ZERO, NXBRC_FM_BAD_EVENT, OFPBFC_MSG_*), and translates
// between the Nicira and OpenFlow 1.4 flag and event numbers as upstream does.

import { OfpError } from "../errors.ts";
import { OFP10, OFP13, OFP15 } from "../fields.ts";
import { formatMatch } from "../match_text.ts";
import { Match } from "../match.ts";
import { pullNxMatch, putNxMatch, putOxmMatch } from "../nx_match.ts";
import { decodeOfp10Match, encodeOfp10Match } from "../ofp10_match.ts";
import { pullOfp11Match } from "../ofp11_match.ts";
import {
  P_OF10_NXM,
  P_OF10_NXM_TID,
  P_OF10_STD,
  P_OF10_STD_TID,
  P_OF14_UP,
  type Protocols,
} from "../protocols.ts";
import { WireReader, type WireWriter } from "../wire.ts";
import { flowRemovedReasonToString } from "./connection.ts";
import { type FlowFormatOptions, putOfp11MatchFor, UINT64_MAX } from "./flow_mod.ts";
import { decodeGroupMod, encodeGroupMod, formatGroupMod, type GroupMod } from "./group.ts";
import { OFPG_ANY } from "./group_stats.ts";
import { decodeMeterMod, encodeMeterMod, formatMeterMod, type MeterMod } from "./meter.ts";
import type { MultipartReply } from "./multipart.ts";
import {
  formatOfpacts,
  type Ofpact,
  pullActions,
  pullInstructions,
  putActions,
  putInstructions,
} from "./ofpacts.ts";
import { formatPort, formatTable, OFPP_NONE, portFromOfp11, portToOfp11 } from "./ports.ts";
import { protocolToVersion } from "./protocol.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { bitNames, formatDuration } from "./text_util.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_monitor");
const rl = new RateLimit(1, 5);

export const OFPRR_IDLE_TIMEOUT = 0;
export const OFPRR_HARD_TIMEOUT = 1;
export const OFPRR_DELETE = 2;
export const OFPRR_GROUP_DELETE = 3;
export const OFPRR_METER_DELETE = 4;
export const OFPRR_EVICTION = 5;

export interface FlowRemoved {
  match: Match;
  cookie: bigint;
  priority: number;
  reason: number;
  /** 255 when the message has none. */
  tableId: number;
  durationSec: number;
  durationNsec: number;
  idleTimeout: number;
  hardTimeout: number;
  packetCount: bigint;
  byteCount: bigint;
}

// OXS statistics, as flow_stats.ts reads them (kept local: flow-removed needs only this).
function pullOxsStats(r: WireReader) {
  const s = {
    durationSec: 0xffffffff,
    durationNsec: 0xffffffff,
    packetCount: UINT64_MAX,
    byteCount: UINT64_MAX,
  };
  if (r.remaining < 4) throw new OfpError("OFPBMC_BAD_LEN");
  const statLen = r.peekU16(2);
  if (statLen < 4) throw new OfpError("OFPBMC_BAD_LEN");
  const padded = Math.ceil(statLen / 8) * 8;
  if (r.remaining < padded) throw new OfpError("OFPBMC_BAD_LEN");
  const body = r.bytes(padded).subarray(4, statLen);
  const b = new WireReader(body, 0, body.length, "OFPBMC_BAD_LEN");
  while (b.remaining) {
    const header = b.peekU32();
    const exp = header >>> 16 === 0xffff;
    const len = header & 0xff;
    if (exp && b.remaining < 8) throw new OfpError("OFPBMC_BAD_LEN");
    if (len < (exp ? 4 : 0)) throw new OfpError("OFPBMC_BAD_LEN");
    b.skip(exp ? 8 : 4);
    const p = new WireReader(b.bytes(len - (exp ? 4 : 0)));
    if (exp) continue;
    if (header === 0x80020008) {
      s.durationSec = p.u32();
      s.durationNsec = p.u32();
    } else if (header === 0x80020808) s.packetCount = p.u64();
    else if (header === 0x80020a08) s.byteCount = p.u64();
  }
  return s;
}

function putOxsStats(w: WireWriter, fr: FlowRemoved): void {
  const start = w.length;
  w.u32(0);
  if (fr.durationSec !== 0xffffffff) w.u32(0x80020008).u32(fr.durationSec).u32(fr.durationNsec);
  if (fr.packetCount !== UINT64_MAX) w.u32(0x80020808).u64(fr.packetCount);
  if (fr.byteCount !== UINT64_MAX) w.u32(0x80020a08).u64(fr.byteCount);
  w.setU16(start + 2, w.length - start);
  w.padTo(8, start);
}

export function decodeFlowRemoved(msg: Uint8Array): FlowRemoved {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const fr: FlowRemoved = {
    match: new Match(),
    cookie: 0n,
    priority: 0,
    reason: 0,
    tableId: 255,
    durationSec: 0,
    durationNsec: 0,
    idleTimeout: 0,
    hardTimeout: 0,
    packetCount: 0n,
    byteCount: 0n,
  };
  const name = raw.info.raw;
  if (name === "OFPT15_FLOW_REMOVED") {
    fr.tableId = r.u8();
    fr.reason = r.u8();
    fr.priority = r.u16();
    fr.idleTimeout = r.u16();
    fr.hardTimeout = r.u16();
    fr.cookie = r.u64();
    fr.match = pullOfp11Match(r).match;
    const s = pullOxsStats(r);
    fr.durationSec = s.durationSec;
    fr.durationNsec = s.durationNsec;
    fr.packetCount = s.packetCount;
    fr.byteCount = s.byteCount;
  } else if (name === "OFPT11_FLOW_REMOVED") {
    fr.cookie = r.u64();
    fr.priority = r.u16();
    fr.reason = r.u8();
    fr.tableId = r.u8();
    fr.durationSec = r.u32();
    fr.durationNsec = r.u32();
    fr.idleTimeout = r.u16();
    fr.hardTimeout = r.u16();
    fr.packetCount = r.u64();
    fr.byteCount = r.u64();
    fr.match = pullOfp11Match(r).match;
  } else if (name === "OFPT10_FLOW_REMOVED") {
    fr.match = decodeOfp10Match(r);
    fr.cookie = r.u64();
    fr.priority = r.u16();
    fr.reason = r.u8();
    r.skip(1);
    fr.durationSec = r.u32();
    fr.durationNsec = r.u32();
    fr.idleTimeout = r.u16();
    r.skip(2);
    fr.packetCount = r.u64();
    fr.byteCount = r.u64();
  } else {
    fr.cookie = r.u64();
    fr.priority = r.u16();
    fr.reason = r.u8();
    const tableId = r.u8();
    fr.tableId = tableId ? tableId - 1 : 255;
    fr.durationSec = r.u32();
    fr.durationNsec = r.u32();
    fr.idleTimeout = r.u16();
    const matchLen = r.u16();
    fr.packetCount = r.u64();
    fr.byteCount = r.u64();
    fr.match = pullNxMatch(r, matchLen);
    if (r.remaining) throw new OfpError("OFPBRC_BAD_LEN");
  }
  return fr;
}

function unknownToZero(v: bigint): bigint {
  return v !== UINT64_MAX ? v : 0n;
}

export function encodeFlowRemoved(fr: FlowRemoved, protocol: Protocols): Uint8Array {
  const reason = fr.reason === OFPRR_METER_DELETE && !(protocol & P_OF14_UP)
    ? OFPRR_DELETE
    : fr.reason;
  if (protocol === P_OF10_STD || protocol === P_OF10_STD_TID) {
    const w = startMessage("OFPT10_FLOW_REMOVED", OFP10, 0);
    encodeOfp10Match(w, fr.match);
    w.u64(fr.cookie).u16(fr.priority).u8(reason).u8(0).u32(fr.durationSec).u32(fr.durationNsec);
    w.u16(fr.idleTimeout).zeros(2);
    w.u64(unknownToZero(fr.packetCount)).u64(unknownToZero(fr.byteCount));
    return finishMessage(w);
  }
  if (protocol === P_OF10_NXM || protocol === P_OF10_NXM_TID) {
    const w = startMessage("NXT_FLOW_REMOVED", OFP10, 0);
    w.u64(fr.cookie).u16(fr.priority).u8(reason).u8((fr.tableId + 1) & 0xff);
    w.u32(fr.durationSec).u32(fr.durationNsec).u16(fr.idleTimeout);
    const at = w.length;
    w.u16(0).u64(fr.packetCount).u64(fr.byteCount);
    w.setU16(at, putNxMatch(w, fr.match));
    return finishMessage(w);
  }
  const version = protocolToVersion(protocol);
  if (version === OFP15) {
    const w = startMessage("OFPT15_FLOW_REMOVED", version, 0);
    w.u8(fr.tableId).u8(reason).u16(fr.priority).u16(fr.idleTimeout).u16(fr.hardTimeout);
    w.u64(fr.cookie);
    putOxmMatch(w, fr.match, version);
    putOxsStats(w, fr);
    return finishMessage(w);
  }
  const w = startMessage("OFPT11_FLOW_REMOVED", version, 0);
  w.u64(fr.cookie).u16(fr.priority).u8(reason).u8(fr.tableId).u32(fr.durationSec);
  w.u32(fr.durationNsec).u16(fr.idleTimeout).u16(fr.hardTimeout);
  w.u64(fr.packetCount).u64(fr.byteCount);
  putOfp11MatchFor(w, fr.match, protocol, version);
  return finishMessage(w);
}

export function formatFlowRemoved(fr: FlowRemoved, opts: FlowFormatOptions = {}): string {
  let s = " " + formatMatch(fr.match, { priority: fr.priority, portMap: opts.portNames });
  s += ` reason=${flowRemovedReasonToString(fr.reason)}`;
  if (fr.tableId !== 255) s += " table_id=" + formatTable(fr.tableId, opts.tableNames);
  if (fr.cookie !== 0n) s += ` cookie:0x${fr.cookie.toString(16)}`;
  s += " duration" + formatDuration(fr.durationSec, fr.durationNsec);
  s += ` idle${fr.idleTimeout}`;
  if (fr.hardTimeout) s += ` hard${fr.hardTimeout}`;
  return s + ` pkts${fr.packetCount} bytes${fr.byteCount}\n`;
}

// Flow monitoring.

export const OFPFMF_INITIAL = 1 << 0;
export const OFPFMF_ADD = 1 << 1;
export const OFPFMF_REMOVED = 1 << 2;
export const OFPFMF_MODIFY = 1 << 3;
export const OFPFMF_INSTRUCTIONS = 1 << 4;
export const OFPFMF_NO_ABBREV = 1 << 5;
export const OFPFMF_ONLY_OWN = 1 << 6;

export const OFPFMC_ADD = 0;
export const OFPFMC_MODIFY = 1;
export const OFPFMC_DELETE = 2;

export const OFPFME_INITIAL = 0;
export const OFPFME_ADDED = 1;
export const OFPFME_REMOVED = 2;
export const OFPFME_MODIFIED = 3;
export const OFPFME_ABBREV = 4;
export const OFPFME_PAUSED = 5;
export const OFPFME_RESUMED = 6;

/** Nicira flag bit → OpenFlow 1.4 flag bit. */
const NX_TO_OFP_FLAGS: readonly (readonly [number, number])[] = [
  [1 << 0, OFPFMF_INITIAL],
  [1 << 1, OFPFMF_ADD],
  [1 << 2, OFPFMF_REMOVED],
  [1 << 3, OFPFMF_MODIFY],
  [1 << 4, OFPFMF_INSTRUCTIONS],
  [1 << 5, OFPFMF_ONLY_OWN],
];

function nxToOfpFlags(f: number): number {
  let out = 0;
  for (const [nx, of] of NX_TO_OFP_FLAGS) if (f & nx) out |= of;
  return out;
}

function ofpToNxFlags(f: number): number {
  let out = 0;
  for (const [nx, of] of NX_TO_OFP_FLAGS) if (f & of) out |= nx;
  return out;
}

export interface FlowMonitorRequest {
  id: number;
  command: number;
  /** OFPFMF_* bits. */
  flags: number;
  outPort: number;
  outGroup: number;
  tableId: number;
  match: Match;
}

function badFlags(what: string, flags: number): OfpError {
  log.rateLimited(rl, "warn", `${what} has bad flags 0x${flags.toString(16)}`);
  return new OfpError("OFPMOFC_BAD_FLAGS");
}

/** One flow monitor request at `r` (row `raw`); undefined at the end. */
export function pullFlowMonitorRequest(raw: string, r: WireReader): FlowMonitorRequest | undefined {
  if (r.remaining === 0) return undefined;
  const rq: FlowMonitorRequest = {
    id: 0,
    command: OFPFMC_ADD,
    flags: 0,
    outPort: OFPP_NONE,
    outGroup: OFPG_ANY,
    tableId: 0xff,
    match: new Match(),
  };
  if (raw === "NXST_FLOW_MONITOR_REQUEST" || raw === "ONFST13_FLOW_MONITOR_REQUEST") {
    const nx = raw === "NXST_FLOW_MONITOR_REQUEST";
    const what = nx ? "NXST_FLOW_MONITOR" : "ONFST_FLOW_MONITOR";
    if (r.remaining < 16) {
      log.rateLimited(rl, "warn", `${what} request has ${r.remaining} leftover bytes at end`);
      throw new OfpError("OFPBRC_BAD_LEN");
    }
    rq.id = r.u32();
    const flags = r.u16();
    let matchLen = 0;
    let outPort32 = 0;
    let zeros: Uint8Array;
    if (nx) {
      rq.outPort = r.u16();
      matchLen = r.u16();
      rq.tableId = r.u8();
      zeros = r.bytes(5);
    } else {
      matchLen = r.u16();
      outPort32 = r.u32();
      rq.tableId = r.u8();
      zeros = r.bytes(3);
    }
    void matchLen;
    if (!(flags & 0xe) || flags & ~0x3f) throw badFlags(what, flags);
    if (zeros.some((b) => b)) throw new OfpError("NXBRC_MUST_BE_ZERO");
    rq.flags = nxToOfpFlags(flags);
    if (nx) {
      rq.match = pullNxMatch(r, matchLen);
    } else {
      rq.outPort = portFromOfp11(outPort32);
      rq.match = pullOfp11Match(r).match;
    }
    return rq;
  }
  if (r.remaining < 16) {
    log.rateLimited(
      rl,
      "warn",
      `OFPST_FLOW_MONITOR request has ${r.remaining} leftover bytes at end`,
    );
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  rq.id = r.u32();
  const outPort32 = r.u32();
  const outGroup = r.u32();
  const flags = r.u16();
  const tableId = r.u8();
  rq.command = r.u8();
  if (rq.command === OFPFMC_DELETE) {
    rq.match = pullOfp11Match(r).match;
    return rq;
  }
  if (!(flags & 0xe) || flags & ~(0x1f | OFPFMF_ONLY_OWN)) {
    throw badFlags("OFPST_FLOW_MONITOR", flags);
  }
  rq.flags = flags;
  rq.outPort = portFromOfp11(outPort32);
  rq.outGroup = outGroup;
  rq.tableId = tableId;
  rq.match = pullOfp11Match(r).match;
  return rq;
}

/** A flow monitor request message carrying `requests` (all in one message, as upstream). */
export function encodeFlowMonitorRequest(
  requests: readonly FlowMonitorRequest[],
  version: number,
  xid: number,
): Uint8Array {
  const raw = version <= 3
    ? "NXST_FLOW_MONITOR_REQUEST"
    : version === OFP13
    ? "ONFST13_FLOW_MONITOR_REQUEST"
    : "OFPST14_FLOW_MONITOR_REQUEST";
  const w = startMessage(raw, version, xid);
  for (const rq of requests) {
    const start = w.length;
    if (version <= 3) {
      w.u32(rq.id).u16(ofpToNxFlags(rq.flags)).u16(rq.outPort).u16(0).u8(rq.tableId).zeros(5);
      w.setU16(start + 8, putNxMatch(w, rq.match));
    } else if (version === OFP13) {
      w.u32(rq.id).u16(ofpToNxFlags(rq.flags)).u16(0).u32(portToOfp11(rq.outPort));
      w.u8(rq.tableId).zeros(3);
      w.setU16(start + 6, putOxmMatch(w, rq.match, version));
    } else {
      w.u32(rq.id).u32(portToOfp11(rq.outPort)).u32(rq.outGroup).u16(rq.flags).u8(rq.tableId);
      w.u8(rq.command);
      putOxmMatch(w, rq.match, version);
    }
  }
  return finishMessage(w);
}

const MONITOR_FLAG_NAMES: Record<number, string> = {
  [OFPFMF_INITIAL]: "initial",
  [OFPFMF_ADD]: "add",
  [OFPFMF_REMOVED]: "delete",
  [OFPFMF_MODIFY]: "modify",
  [OFPFMF_INSTRUCTIONS]: "actions",
  [OFPFMF_NO_ABBREV]: "no-abbrev",
  [OFPFMF_ONLY_OWN]: "own",
};

export function formatFlowMonitorRequest(
  rq: FlowMonitorRequest,
  opts: FlowFormatOptions = {},
): string {
  if (rq.command === OFPFMC_DELETE) return `\n id=${rq.id} command=delete`;
  let s = `\n id=${rq.id} flags=` + bitNames(rq.flags, (b) => MONITOR_FLAG_NAMES[b], ",");
  if (rq.outPort !== OFPP_NONE) s += " out_port=" + formatPort(rq.outPort, opts.portNames);
  if (rq.outGroup && rq.outGroup !== OFPG_ANY) s += ` out_group=${rq.outGroup | 0}`;
  if (rq.tableId !== 0xff) s += " table=" + formatTable(rq.tableId, opts.tableNames);
  s += " " + formatMatch(rq.match, { priority: 0x8000, portMap: opts.portNames });
  return s.endsWith(" ") ? s.slice(0, -1) : s;
}

export interface FlowUpdate {
  /** OFPFME_* */
  event: number;
  reason: number;
  idleTimeout: number;
  hardTimeout: number;
  tableId: number;
  cookie: bigint;
  priority: number;
  match: Match;
  ofpacts: Ofpact[];
  /** For ABBREV. */
  xid: number;
}

const NX_EVENTS = [OFPFME_ADDED, OFPFME_REMOVED, OFPFME_MODIFIED, OFPFME_ABBREV];

function badLen(name: string, r: WireReader): OfpError {
  log.rateLimited(rl, "warn", `${name} has ${r.remaining} leftover bytes at end`);
  return new OfpError("OFPBRC_BAD_LEN");
}

/** One flow update of a flow monitor reply at `r`; undefined at the end. */
export function pullFlowUpdate(
  raw: string,
  name: string,
  version: number,
  r: WireReader,
): FlowUpdate | undefined {
  if (r.remaining === 0) return undefined;
  const u: FlowUpdate = {
    event: 0,
    reason: 0,
    idleTimeout: 0,
    hardTimeout: 0,
    tableId: 0,
    cookie: 0n,
    priority: 0,
    match: new Match(),
    ofpacts: [],
    xid: 0,
  };
  if (r.remaining < 4) throw badLen(name, r);
  const length = r.peekU16();
  const event = r.peekU16(2);
  if (length > r.remaining || length % 8) throw badLen(name, r);
  if (raw !== "OFPST14_FLOW_MONITOR_REPLY") {
    if (event === 3) {
      if (length !== 8) throw badLen(name, r);
      r.skip(4);
      u.xid = r.u32();
    } else if (event <= 2) {
      if (length < 24) throw badLen(name, r);
      r.skip(4);
      u.reason = r.u16();
      u.priority = r.u16();
      u.idleTimeout = r.u16();
      u.hardTimeout = r.u16();
      const matchLen = r.u16();
      u.tableId = r.u8();
      r.skip(1);
      u.cookie = r.u64();
      if (24 + matchLen > length) throw badLen(name, r);
      if (raw === "ONFST13_FLOW_MONITOR_REPLY") {
        const got = pullOfp11Match(r);
        u.match = got.match;
        u.ofpacts = pullInstructions(r, length - 24 - got.paddedLength, version);
      } else {
        u.match = pullNxMatch(r, matchLen);
        u.ofpacts = pullActions(r, length - 24 - Math.ceil(matchLen / 8) * 8, version);
      }
    } else {
      log.rateLimited(rl, "warn", `NXST_FLOW_MONITOR reply has bad event ${event}`);
      throw new OfpError("NXBRC_FM_BAD_EVENT");
    }
    u.event = NX_EVENTS[event]!;
    return u;
  }
  u.event = event;
  if (event === OFPFME_ABBREV) {
    if (length !== 8) throw badLen(name, r);
    r.skip(4);
    u.xid = r.u32();
  } else if (event === OFPFME_PAUSED || event === OFPFME_RESUMED) {
    if (length !== 8) throw badLen(name, r);
    r.skip(8);
  } else if (event <= OFPFME_MODIFIED) {
    if (length < 24) throw badLen(name, r);
    r.skip(4);
    u.tableId = r.u8();
    u.reason = r.u8();
    u.idleTimeout = r.u16();
    u.hardTimeout = r.u16();
    u.priority = r.u16();
    r.skip(4);
    u.cookie = r.u64();
    const got = pullOfp11Match(r);
    u.match = got.match;
    u.ofpacts = pullInstructions(r, length - 24 - got.paddedLength, version);
  } else {
    log.rateLimited(rl, "warn", `NXST_FLOW_MONITOR reply has bad event ${event}`);
    throw new OfpError("NXBRC_FM_BAD_EVENT");
  }
  return u;
}

function ofpToNxEvent(e: number): number {
  return e === OFPFME_INITIAL || e === OFPFME_ADDED
    ? 0
    : e === OFPFME_REMOVED
    ? 1
    : e === OFPFME_MODIFIED
    ? 2
    : 3;
}

/** Appends one flow update to a flow monitor reply being built. */
export function appendFlowUpdate(reply: MultipartReply, u: FlowUpdate): void {
  const version = reply.version;
  reply.append((w) => {
    if (version <= OFP13) {
      if (u.event === OFPFME_ABBREV) {
        w.u16(8).u16(3).u32(u.xid);
        return;
      }
      w.u16(0).u16(ofpToNxEvent(u.event)).u16(u.reason).u16(u.priority).u16(u.idleTimeout);
      w.u16(u.hardTimeout).u16(0).u8(u.tableId).u8(0).u64(u.cookie);
      let matchLen: number;
      if (version === OFP13) {
        matchLen = putOxmMatch(w, u.match, version);
        putInstructions(w, u.ofpacts, version);
      } else {
        matchLen = putNxMatch(w, u.match);
        putActions(w, u.ofpacts, version);
      }
      w.setU16(12, matchLen);
    } else if (u.event === OFPFME_ABBREV) {
      w.u16(8).u16(u.event).u32(u.xid);
      return;
    } else {
      w.u16(0).u16(u.event).u8(u.tableId).u8(u.reason).u16(u.idleTimeout).u16(u.hardTimeout);
      w.u16(u.priority).zeros(4).u64(u.cookie);
      putOxmMatch(w, u.match, version);
      putInstructions(w, u.ofpacts, version);
    }
    w.setU16(0, w.length);
  });
}

/** The reply row flow updates use on a connection of `version`. */
export function flowUpdateRaw(version: number): string {
  return version <= 3
    ? "NXST_FLOW_MONITOR_REPLY"
    : version === OFP13
    ? "ONFST13_FLOW_MONITOR_REPLY"
    : "OFPST14_FLOW_MONITOR_REPLY";
}

export function formatFlowUpdate(u: FlowUpdate, opts: FlowFormatOptions = {}): string {
  let s = "\n event=";
  switch (u.event) {
    case OFPFME_INITIAL:
      s += "INITIAL";
      break;
    case OFPFME_ADDED:
      s += "ADDED";
      break;
    case OFPFME_REMOVED:
      s += `DELETED reason=${flowRemovedReasonToString(u.reason)}`;
      break;
    case OFPFME_MODIFIED:
      s += "MODIFIED";
      break;
    case OFPFME_ABBREV:
      return s + `ABBREV xid=0x${u.xid.toString(16)}`;
    case OFPFME_PAUSED:
      return s + "PAUSED";
    case OFPFME_RESUMED:
      return s + "RESUMED";
  }
  s += " table=" + formatTable(u.tableId, opts.tableNames);
  if (u.idleTimeout) s += ` idle_timeout=${u.idleTimeout}`;
  if (u.hardTimeout) s += ` hard_timeout=${u.hardTimeout}`;
  s += ` cookie=${u.cookie ? "0x" + u.cookie.toString(16) : "0"}`;
  s += " " + formatMatch(u.match, { priority: 0x8000, portMap: opts.portNames });
  if (u.ofpacts.length) {
    if (!s.endsWith(" ")) s += " ";
    s += "actions=" +
      formatOfpacts(u.ofpacts, { portMap: opts.portNames, tableMap: opts.tableNames });
  }
  return s;
}

/** Cancels monitor `id` (a request with command delete in 1.4+). */
export function encodeFlowMonitorCancel(id: number, version: number, xid: number): Uint8Array {
  if (version <= OFP13) {
    const w = startMessage(
      version === OFP13 ? "ONFT13_FLOW_MONITOR_CANCEL" : "NXT_FLOW_MONITOR_CANCEL",
      version,
      xid,
    );
    w.u32(id);
    return finishMessage(w);
  }
  const w = startMessage("OFPST14_FLOW_MONITOR_REQUEST", version, xid);
  w.u32(id).zeros(10).u8(0).u8(OFPFMC_DELETE);
  return finishMessage(w);
}

export function decodeFlowMonitorCancel(msg: Uint8Array): number {
  const raw = pullRaw(msg);
  return new WireReader(msg, raw.bodyOffset).u32();
}

/** A monitoring paused or resumed notice. */
export function encodeFlowMonitorPause(paused: boolean, version: number): Uint8Array {
  if (version <= 3) {
    return finishMessage(
      startMessage(paused ? "NXT_FLOW_MONITOR_PAUSED" : "NXT_FLOW_MONITOR_RESUMED", version, 0),
    );
  }
  if (version === OFP13) {
    return finishMessage(
      startMessage(
        paused ? "ONFT13_FLOW_MONITOR_PAUSED" : "ONFT13_FLOW_MONITOR_RESUMED",
        version,
        0,
      ),
    );
  }
  const w = startMessage("OFPST14_FLOW_MONITOR_REPLY", version, 0);
  w.u16(8).u16(paused ? OFPFME_PAUSED : OFPFME_RESUMED).zeros(4);
  return finishMessage(w);
}

// Request forwarding.

export type RequestForward =
  | { reason: "group_mod"; xid: number; groupMod: GroupMod }
  | { reason: "meter_mod"; xid: number; meterMod: MeterMod };

export function decodeRequestForward(msg: Uint8Array): RequestForward {
  const raw = pullRaw(msg);
  const inner = msg.subarray(raw.bodyOffset);
  if (inner.length < 8) throw new OfpError("OFPBFC_MSG_BAD_LEN");
  const innerLen = (inner[2]! << 8) | inner[3]!;
  if (innerLen < 8 || innerLen > inner.length) throw new OfpError("OFPBFC_MSG_BAD_LEN");
  if (inner[0] !== raw.version) throw new OfpError("OFPBRC_BAD_VERSION");
  const innerMsg = inner.subarray(0, innerLen);
  const innerRaw = pullRaw(innerMsg);
  if (innerRaw.info.type === "GROUP_MOD") {
    return { reason: "group_mod", xid: innerRaw.xid, groupMod: decodeGroupMod(innerMsg) };
  }
  if (innerRaw.info.type === "METER_MOD") {
    return { reason: "meter_mod", xid: innerRaw.xid, meterMod: decodeMeterMod(innerMsg) };
  }
  throw new OfpError("OFPBFC_MSG_UNSUP");
}

export function encodeRequestForward(rf: RequestForward, version: number): Uint8Array {
  const inner = rf.reason === "group_mod"
    ? encodeGroupMod(rf.groupMod, version, rf.xid)
    : encodeMeterMod(rf.meterMod, version, rf.xid);
  const raw = version < OFP13
    ? "NXT_REQUESTFORWARD"
    : version === OFP13
    ? "ONFT13_REQUESTFORWARD"
    : "OFPT14_REQUESTFORWARD";
  const w = startMessage(raw, version, 0);
  w.bytes(inner);
  return finishMessage(w);
}

export function formatRequestForward(
  rf: RequestForward,
  version: number,
  opts: FlowFormatOptions = {},
): string {
  if (rf.reason === "group_mod") {
    return " reason=group_mod" + formatGroupMod(rf.groupMod, version, opts);
  }
  return " reason=meter_mod" + formatMeterMod(rf.meterMod);
}
