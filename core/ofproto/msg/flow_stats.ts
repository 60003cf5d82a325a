// Flow statistics (upstream's ofp-flow, second part): flow and aggregate stats requests in
// their OpenFlow 1.0, Nicira and 1.1+ forms, flow stats replies (1.0, 1.1/1.2, 1.3/1.4 with
// flags, 1.5 with OXS statistics, NXST_FLOW with flow ages), aggregate replies, and the texts —
// including the flow line `ovs-ofctl dump-flows` prints, as a function with options.
//
// Promises: replies are appended to a MultipartReply so they split at flow boundaries as
// upstream's do; a flow too large for any message is left out with upstream's warning; decode
// errors are OfpError with upstream's names (OpenFlow 1.5 flow stats use "<invalid>", the name
// upstream prints for the errno it returns there).

import { OfpError } from "../errors.ts";
import { OFP10, OFP14 } from "../fields.ts";
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
  P_OF14_OXM,
  type Protocols,
} from "../protocols.ts";
import { WireReader, WireWriter } from "../wire.ts";
import {
  decodeFlowModFlags,
  encodeFlowModFlags,
  type FlowFormatOptions,
  formatFlowModFlags,
  OFP_FLOW_PERMANENT,
  putOfp11MatchFor,
  UINT64_MAX,
} from "./flow_mod.ts";
import { OFPG_ANY } from "./group_stats.ts";
import type { MultipartReply } from "./multipart.ts";
import {
  formatOfpacts,
  type Ofpact,
  pullInstructions,
  putActions,
  putInstructions,
} from "./ofpacts.ts";
import { formatPort, formatTable, OFPP_ANY, portFromOfp11, portToOfp11 } from "./ports.ts";
import { protocolToVersion } from "./protocol.ts";
import { finishMessage, OFP_MAX_MSG_LEN, pullRaw, startMessage } from "./raw.ts";
import { formatDuration } from "./text_util.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_flow");
const rl = new RateLimit(1, 5);

export interface FlowStatsRequest {
  aggregate: boolean;
  match: Match;
  cookie: bigint;
  cookieMask: bigint;
  outPort: number;
  outGroup: number;
  tableId: number;
}

/** Decodes a flow or aggregate stats request (upstream's ofputil_decode_flow_stats_request). */
export function decodeFlowStatsRequest(msg: Uint8Array): FlowStatsRequest {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const name = raw.info.raw;
  const aggregate = raw.info.type === "AGGREGATE_STATS_REQUEST";
  if (name === "OFPST10_FLOW_REQUEST" || name === "OFPST10_AGGREGATE_REQUEST") {
    const match = decodeOfp10Match(r);
    const tableId = r.u8();
    r.skip(1);
    const outPort = r.u16();
    return { aggregate, match, cookie: 0n, cookieMask: 0n, outPort, outGroup: OFPG_ANY, tableId };
  }
  if (name === "NXST_FLOW_REQUEST" || name === "NXST_AGGREGATE_REQUEST") {
    const outPort = r.u16();
    const matchLen = r.u16();
    const tableId = r.u8();
    r.skip(3);
    const cookie = { cookie: 0n, mask: 0n };
    const match = pullNxMatch(r, matchLen, {}, cookie);
    if (r.remaining) throw new OfpError("OFPBRC_BAD_LEN");
    return {
      aggregate,
      match,
      cookie: cookie.cookie,
      cookieMask: cookie.mask,
      outPort,
      outGroup: OFPG_ANY,
      tableId,
    };
  }
  const tableId = r.u8();
  r.skip(3);
  const outPort = portFromOfp11(r.u32());
  const outGroup = r.u32();
  r.skip(4);
  const cookie = r.u64();
  const cookieMask = r.u64();
  const match = pullOfp11Match(r).match;
  return { aggregate, match, cookie, cookieMask, outPort, outGroup, tableId };
}

/** Encodes a flow or aggregate stats request for `protocol`. */
export function encodeFlowStatsRequest(
  fsr: FlowStatsRequest,
  protocol: Protocols,
  xid: number,
): Uint8Array {
  if (protocol === P_OF10_STD || protocol === P_OF10_STD_TID) {
    const w = startMessage(
      fsr.aggregate ? "OFPST10_AGGREGATE_REQUEST" : "OFPST10_FLOW_REQUEST",
      OFP10,
      xid,
    );
    encodeOfp10Match(w, fsr.match);
    w.u8(fsr.tableId).zeros(1).u16(fsr.outPort);
    return finishMessage(w);
  }
  if (protocol === P_OF10_NXM || protocol === P_OF10_NXM_TID) {
    const w = startMessage(
      fsr.aggregate ? "NXST_AGGREGATE_REQUEST" : "NXST_FLOW_REQUEST",
      OFP10,
      xid,
    );
    const at = w.length;
    w.u16(fsr.outPort).u16(0).u8(fsr.tableId).zeros(3);
    const matchLen = putNxMatch(w, fsr.match, fsr.cookie, fsr.cookieMask);
    w.setU16(at + 2, matchLen);
    return finishMessage(w);
  }
  const version = protocolToVersion(protocol);
  const raw = !fsr.aggregate
    ? "OFPST11_FLOW_REQUEST"
    : protocol > P_OF14_OXM
    ? "OFPST15_AGGREGATE_REQUEST"
    : "OFPST11_AGGREGATE_REQUEST";
  const w = startMessage(raw, version, xid);
  w.u8(fsr.tableId).zeros(3).u32(portToOfp11(fsr.outPort)).u32(fsr.outGroup).zeros(4);
  w.u64(fsr.cookie).u64(fsr.cookieMask);
  putOfp11MatchFor(w, fsr.match, protocol, version);
  return finishMessage(w);
}

export function formatFlowStatsRequest(
  fsr: FlowStatsRequest,
  opts: FlowFormatOptions = {},
): string {
  let s = "";
  if (fsr.tableId !== 0xff) s += " table=" + formatTable(fsr.tableId, opts.tableNames);
  if (fsr.outPort !== OFPP_ANY) s += " out_port=" + formatPort(fsr.outPort, opts.portNames);
  return s + " " + formatMatch(fsr.match, { priority: 0x8000, portMap: opts.portNames });
}

/** One flow of a flow stats reply (upstream's ofputil_flow_stats). */
export interface FlowStats {
  match: Match;
  cookie: bigint;
  tableId: number;
  durationSec: number;
  durationNsec: number;
  priority: number;
  idleTimeout: number;
  hardTimeout: number;
  /** Seconds since last hit; -1 when unknown. */
  idleAge: number;
  /** Seconds since last modification; -1 when unknown. */
  hardAge: number;
  /** UINT64_MAX when unknown. */
  packetCount: bigint;
  byteCount: bigint;
  flags: number;
  importance: number;
  ofpacts: Ofpact[];
}

interface OxsStats {
  durationSec: number;
  durationNsec: number;
  idleAge: number;
  packetCount: bigint;
  byteCount: bigint;
  flowCount: number;
}

const OXS_CLASS = 0x8002;

function oxsHeader(field: number, length: number): number {
  return ((OXS_CLASS << 16) | (field << 9) | length) >>> 0;
}

const OXS_DURATION = oxsHeader(0, 8);
const OXS_IDLE_TIME = oxsHeader(1, 8);
const OXS_FLOW_COUNT = oxsHeader(3, 4);
const OXS_PACKET_COUNT = oxsHeader(4, 8);
const OXS_BYTE_COUNT = oxsHeader(5, 8);

/** Reads an ofp_oxs_stat at `r` (upstream's oxs_pull_stat); OFPBMC_BAD_LEN when malformed. */
function pullOxs(r: WireReader): OxsStats {
  const s: OxsStats = {
    durationSec: 0xffffffff,
    durationNsec: 0xffffffff,
    idleAge: 0xffffffff,
    packetCount: UINT64_MAX,
    byteCount: UINT64_MAX,
    flowCount: 0xffffffff,
  };
  if (r.remaining < 4) throw new OfpError("OFPBMC_BAD_LEN");
  const statLen = r.peekU16(2);
  if (statLen < 4) throw new OfpError("OFPBMC_BAD_LEN");
  const padded = Math.ceil(statLen / 8) * 8;
  if (r.remaining < padded) throw new OfpError("OFPBMC_BAD_LEN");
  const body = r.bytes(padded).subarray(4, statLen);
  const b = new WireReader(body, 0, body.length, "OFPBMC_BAD_LEN");
  while (b.remaining) {
    if (b.remaining < 4) throw new OfpError("OFPBMC_BAD_LEN");
    let header = b.peekU32();
    const experimenter = header >>> 16 === 0xffff;
    if (experimenter && b.remaining < 8) throw new OfpError("OFPBMC_BAD_LEN");
    const length = header & 0xff;
    const expLen = experimenter ? 4 : 0;
    if (length < expLen) throw new OfpError("OFPBMC_BAD_LEN");
    b.skip(4 + expLen);
    const payload = b.bytes(length - expLen);
    if (experimenter) header = 0;
    const p = new WireReader(payload);
    switch (header) {
      case OXS_DURATION:
        s.durationSec = p.u32();
        s.durationNsec = p.u32();
        break;
      case OXS_IDLE_TIME:
        s.idleAge = p.u32();
        break;
      case OXS_PACKET_COUNT:
        s.packetCount = p.u64();
        break;
      case OXS_BYTE_COUNT:
        s.byteCount = p.u64();
        break;
      case OXS_FLOW_COUNT:
        s.flowCount = p.u32();
        break;
    }
  }
  return s;
}

function putOxs(w: WireWriter, s: OxsStats): void {
  const start = w.length;
  w.u32(0);
  if (s.durationSec !== 0xffffffff) w.u32(OXS_DURATION).u32(s.durationSec).u32(s.durationNsec);
  if (s.idleAge !== 0xffffffff) w.u32(OXS_IDLE_TIME).u32(s.idleAge).u32(0);
  if (s.packetCount !== UINT64_MAX) w.u32(OXS_PACKET_COUNT).u64(s.packetCount);
  if (s.byteCount !== UINT64_MAX) w.u32(OXS_BYTE_COUNT).u64(s.byteCount);
  if (s.flowCount !== 0xffffffff) w.u32(OXS_FLOW_COUNT).u32(s.flowCount);
  w.setU16(start + 2, w.length - start);
  w.padTo(8, start);
}

function invalid(text: string): OfpError {
  log.rateLimited(rl, "warn", text);
  return new OfpError("<invalid>");
}

/**
 * Decodes one flow of a flow stats reply at `r` (upstream's ofputil_decode_flow_stats_reply);
 * undefined at the end. `flowAgeExtension` reads NXST_FLOW's idle and hard ages.
 */
export function pullFlowStats(
  raw: string,
  version: number,
  r: WireReader,
  flowAgeExtension = false,
): FlowStats | undefined {
  if (r.remaining === 0) return undefined;
  const fs: FlowStats = {
    match: new Match(),
    cookie: 0n,
    tableId: 0,
    durationSec: 0,
    durationNsec: 0,
    priority: 0,
    idleTimeout: 0,
    hardTimeout: 0,
    idleAge: -1,
    hardAge: -1,
    packetCount: 0n,
    byteCount: 0n,
    flags: 0,
    importance: 0,
    ofpacts: [],
  };
  let instructionsLen: number;
  const short = (what: string) => {
    log.rateLimited(rl, "warn", `${what} reply has ${r.remaining} leftover bytes at end`);
    return new OfpError("OFPBRC_BAD_LEN");
  };
  if (raw === "OFPST15_FLOW_REPLY") {
    if (r.remaining < 24) {
      throw invalid(`OFPST_FLOW reply has ${r.remaining} leftover bytes at end`);
    }
    const length = r.u16();
    r.skip(2);
    fs.tableId = r.u8();
    r.skip(1);
    fs.priority = r.u16();
    fs.idleTimeout = r.u16();
    fs.hardTimeout = r.u16();
    const flags = r.u16();
    fs.importance = r.u16();
    fs.cookie = r.u64();
    if (length < 24) throw invalid(`OFPST_FLOW reply claims invalid length ${length}`);
    let matchLen: number;
    try {
      const got = pullOfp11Match(r);
      fs.match = got.match;
      matchLen = got.paddedLength;
    } catch (e) {
      if (!(e instanceof OfpError)) throw e;
      throw invalid("OFPST_FLOW reply bad match");
    }
    fs.flags = decodeFlowModFlags(flags, -1, version);
    const start = r.offset;
    let oxs: OxsStats;
    try {
      oxs = pullOxs(r);
    } catch (e) {
      if (!(e instanceof OfpError)) throw e;
      throw invalid("OXS OFPST_FLOW reply bad stats");
    }
    const statLen = r.offset - start;
    fs.durationSec = oxs.durationSec;
    fs.durationNsec = oxs.durationNsec;
    fs.packetCount = oxs.packetCount;
    fs.byteCount = oxs.byteCount;
    fs.idleAge = oxs.idleAge === 0xffffffff ? -1 : oxs.idleAge;
    instructionsLen = length - 24 - matchLen - statLen;
  } else if (raw === "OFPST11_FLOW_REPLY" || raw === "OFPST13_FLOW_REPLY") {
    if (r.remaining < 48) throw short("OFPST_FLOW");
    const length = r.u16();
    fs.tableId = r.u8();
    r.skip(1);
    fs.durationSec = r.u32();
    fs.durationNsec = r.u32();
    fs.priority = r.u16();
    fs.idleTimeout = r.u16();
    fs.hardTimeout = r.u16();
    const flags = r.u16();
    const importance = r.u16();
    r.skip(2);
    fs.cookie = r.u64();
    fs.packetCount = r.u64();
    fs.byteCount = r.u64();
    if (length < 48) {
      log.rateLimited(rl, "warn", `OFPST_FLOW reply claims invalid length ${length}`);
      throw new OfpError("OFPBRC_BAD_LEN");
    }
    let matchLen: number;
    try {
      const got = pullOfp11Match(r);
      fs.match = got.match;
      matchLen = got.paddedLength;
    } catch (e) {
      log.rateLimited(rl, "warn", "OFPST_FLOW reply bad match");
      throw e;
    }
    instructionsLen = length - 48 - matchLen;
    fs.importance = version >= OFP14 ? importance : 0;
    fs.flags = raw === "OFPST13_FLOW_REPLY" ? decodeFlowModFlags(flags, -1, version) : 0;
  } else if (raw === "OFPST10_FLOW_REPLY") {
    if (r.remaining < 88) throw short("OFPST_FLOW");
    const length = r.u16();
    fs.tableId = r.u8();
    r.skip(1);
    const m = decodeOfp10Match(r);
    fs.durationSec = r.u32();
    fs.durationNsec = r.u32();
    fs.priority = r.u16();
    fs.idleTimeout = r.u16();
    fs.hardTimeout = r.u16();
    r.skip(6);
    fs.cookie = r.u64();
    fs.packetCount = r.u64();
    fs.byteCount = r.u64();
    if (length < 88) {
      log.rateLimited(rl, "warn", `OFPST_FLOW reply claims invalid length ${length}`);
      throw new OfpError("OFPBRC_BAD_LEN");
    }
    fs.match = m;
    instructionsLen = length - 88;
  } else {
    if (r.remaining < 48) throw short("NXST_FLOW");
    const length = r.u16();
    fs.tableId = r.u8();
    r.skip(1);
    fs.durationSec = r.u32();
    fs.durationNsec = r.u32();
    fs.priority = r.u16();
    fs.idleTimeout = r.u16();
    fs.hardTimeout = r.u16();
    const matchLen = r.u16();
    const idleAge = r.u16();
    const hardAge = r.u16();
    fs.cookie = r.u64();
    fs.packetCount = r.u64();
    fs.byteCount = r.u64();
    const paddedMatch = Math.ceil(matchLen / 8) * 8;
    if (length < 48 + paddedMatch) {
      log.rateLimited(
        rl,
        "warn",
        `NXST_FLOW reply with match_len=${matchLen} claims invalid length ${length}`,
      );
      throw new OfpError("OFPBRC_BAD_LEN");
    }
    fs.match = pullNxMatch(r, matchLen);
    instructionsLen = length - 48 - paddedMatch;
    if (flowAgeExtension) {
      if (idleAge) fs.idleAge = idleAge - 1;
      if (hardAge) fs.hardAge = hardAge - 1;
    }
  }
  try {
    fs.ofpacts = pullInstructions(r, instructionsLen, version);
  } catch (e) {
    log.rateLimited(rl, "warn", "OFPST_FLOW reply bad instructions");
    throw e;
  }
  return fs;
}

/** Every flow of a flow stats reply message. */
export function decodeFlowStatsReply(msg: Uint8Array, flowAgeExtension = false): FlowStats[] {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const out: FlowStats[] = [];
  for (;;) {
    const fs = pullFlowStats(raw.info.raw, raw.version, r, flowAgeExtension);
    if (!fs) return out;
    out.push(fs);
  }
}

function unknownToZero(v: bigint): bigint {
  return v !== UINT64_MAX ? v : 0n;
}

/** Encodes one flow of a reply of row `raw` (without appending it anywhere). */
export function encodeFlowStatsEntry(fs: FlowStats, raw: string, version: number): Uint8Array {
  const w = new WireWriter();
  if (raw === "OFPST15_FLOW_REPLY") {
    w.u16(0).zeros(2).u8(fs.tableId).u8(0).u16(fs.priority).u16(fs.idleTimeout);
    w.u16(fs.hardTimeout).u16(encodeFlowModFlags(fs.flags, version)).u16(fs.importance);
    w.u64(fs.cookie);
    putOxmMatch(w, fs.match, version);
    putOxs(w, {
      durationSec: fs.durationSec,
      durationNsec: fs.durationNsec,
      idleAge: fs.idleAge >= 0 ? fs.idleAge : 0xffffffff,
      packetCount: fs.packetCount,
      byteCount: fs.byteCount,
      flowCount: 0xffffffff,
    });
    putInstructions(w, fs.ofpacts, version);
  } else if (raw === "OFPST11_FLOW_REPLY" || raw === "OFPST13_FLOW_REPLY") {
    w.u16(0).u8(fs.tableId).u8(0).u32(fs.durationSec).u32(fs.durationNsec);
    w.u16(fs.priority).u16(fs.idleTimeout).u16(fs.hardTimeout);
    w.u16(raw === "OFPST13_FLOW_REPLY" ? encodeFlowModFlags(fs.flags, version) : 0);
    w.u16(version >= OFP14 ? fs.importance : 0).zeros(2);
    w.u64(fs.cookie).u64(unknownToZero(fs.packetCount)).u64(unknownToZero(fs.byteCount));
    putOxmMatch(w, fs.match, version);
    putInstructions(w, fs.ofpacts, version);
  } else if (raw === "OFPST10_FLOW_REPLY") {
    w.u16(0).u8(fs.tableId).u8(0);
    encodeOfp10Match(w, fs.match);
    w.u32(fs.durationSec).u32(fs.durationNsec).u16(fs.priority).u16(fs.idleTimeout);
    w.u16(fs.hardTimeout).zeros(6).u64(fs.cookie);
    w.u64(unknownToZero(fs.packetCount)).u64(unknownToZero(fs.byteCount));
    putActions(w, fs.ofpacts, version);
  } else {
    const age = (a: number) => a < 0 ? 0 : a < 0xffff ? a + 1 : 0xffff;
    w.u16(0).u8(fs.tableId).u8(0).u32(fs.durationSec).u32(fs.durationNsec);
    w.u16(fs.priority).u16(fs.idleTimeout).u16(fs.hardTimeout);
    const lenAt = w.length;
    w.u16(0).u16(age(fs.idleAge)).u16(age(fs.hardAge));
    w.u64(fs.cookie).u64(fs.packetCount).u64(fs.byteCount);
    w.setU16(lenAt, putNxMatch(w, fs.match));
    putActions(w, fs.ofpacts, version);
  }
  w.setU16(0, w.length & 0xffff);
  return w.finish();
}

/**
 * Appends one flow to a flow stats reply (upstream's ofputil_append_flow_stats_reply); a flow
 * that cannot fit in any single message is left out with upstream's warning. Returns whether
 * it was appended.
 */
export function appendFlowStats(reply: MultipartReply, fs: FlowStats): boolean {
  const entry = encodeFlowStatsEntry(fs, reply.raw.raw, reply.version);
  const headerLen = reply.version === OFP10 ? (reply.raw.kind === "NXST" ? 24 : 12) : 16;
  if (entry.length > OFP_MAX_MSG_LEN - headerLen) {
    log.rateLimited(
      rl,
      "warn",
      "Flow exceeded the maximum flow statistics reply size and was excluded from the " +
        "response set",
    );
    return false;
  }
  reply.appendBytes(entry);
  return true;
}

export interface FlowStatsFormatOptions extends FlowFormatOptions {
  /** Print duration, counters and ages (dump-flows without --no-stats). */
  showStats?: boolean;
}

function stat(leader: string, v: bigint): string {
  return `${leader}=` + (v !== UINT64_MAX ? v.toString() : "?") + ", ";
}

/** One flow as `ovs-ofctl dump-flows` prints it (upstream's ofputil_flow_stats_format). */
export function formatFlowStats(fs: FlowStats, opts: FlowStatsFormatOptions = {}): string {
  const show = opts.showStats ?? true;
  let s = "";
  if (show || fs.cookie) s += `cookie=0x${fs.cookie.toString(16)}, `;
  if (show) s += "duration=" + formatDuration(fs.durationSec, fs.durationNsec) + ", ";
  if (show || fs.tableId || opts.tableNames?.nameOf(fs.tableId) !== undefined) {
    s += "table=" + formatTable(fs.tableId, opts.tableNames) + ", ";
  }
  if (show) s += stat("n_packets", fs.packetCount) + stat("n_bytes", fs.byteCount);
  if (fs.idleTimeout !== OFP_FLOW_PERMANENT) s += `idle_timeout=${fs.idleTimeout}, `;
  if (fs.hardTimeout !== OFP_FLOW_PERMANENT) s += `hard_timeout=${fs.hardTimeout}, `;
  if (fs.flags) s += formatFlowModFlags(fs.flags);
  if (fs.importance !== 0) s += `importance=${fs.importance}, `;
  if (show && fs.idleAge >= 0) s += `idle_age=${fs.idleAge}, `;
  if (show && fs.hardAge >= 0 && fs.hardAge !== fs.durationSec) s += `hard_age=${fs.hardAge}, `;
  const m = formatMatch(fs.match, { priority: fs.priority, portMap: opts.portNames });
  if (m) s += m + " ";
  return s + "actions=" +
    formatOfpacts(fs.ofpacts, { portMap: opts.portNames, tableMap: opts.tableNames });
}

// Aggregate statistics.

export interface AggregateStats {
  packetCount: bigint;
  byteCount: bigint;
  flowCount: number;
}

/** The aggregate reply to `request` (upstream's ofputil_encode_aggregate_stats_reply). */
export function encodeAggregateStatsReply(as: AggregateStats, request: Uint8Array): Uint8Array {
  const raw = pullRaw(request);
  const replyRaw = raw.info.raw === "OFPST15_AGGREGATE_REQUEST"
    ? "OFPST15_AGGREGATE_REPLY"
    : raw.info.raw === "NXST_AGGREGATE_REQUEST"
    ? "NXST_AGGREGATE_REPLY"
    : "OFPST_AGGREGATE_REPLY";
  const w = startMessage(replyRaw, raw.version, raw.xid);
  if (replyRaw === "OFPST15_AGGREGATE_REPLY") {
    putOxs(w, {
      durationSec: 0xffffffff,
      durationNsec: 0xffffffff,
      idleAge: 0xffffffff,
      packetCount: as.packetCount,
      byteCount: as.byteCount,
      flowCount: as.flowCount,
    });
  } else {
    const v10 = raw.info.raw === "OFPST10_AGGREGATE_REQUEST";
    w.u64(v10 ? unknownToZero(as.packetCount) : as.packetCount);
    w.u64(v10 ? unknownToZero(as.byteCount) : as.byteCount);
    w.u32(as.flowCount).zeros(4);
  }
  return finishMessage(w);
}

export function decodeAggregateStatsReply(msg: Uint8Array): AggregateStats {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  if (raw.info.raw === "OFPST15_AGGREGATE_REPLY") {
    const oxs = pullOxs(r);
    return { packetCount: oxs.packetCount, byteCount: oxs.byteCount, flowCount: oxs.flowCount };
  }
  return { packetCount: r.u64(), byteCount: r.u64(), flowCount: r.u32() };
}

export function formatAggregateStats(as: AggregateStats): string {
  return ` packet_count=${as.packetCount} byte_count=${as.byteCount} flow_count=${as.flowCount}`;
}
