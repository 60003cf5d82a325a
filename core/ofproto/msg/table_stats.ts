// Table statistics, table descriptions and table status (upstream's ofp-table, second half):
// the table stats reply in its OpenFlow 1.0, 1.1, 1.2 and 1.3+ forms (the older ones also say
// what the table supports, so they decode into TableFeatures too), the 1.4+ table description
// with eviction and vacancy properties, and the table status message.
//
// Promises: lengths checked with upstream's errors; encoders write exactly the layout of the
// version asked for.

import { OfpError } from "../errors.ts";
import { field, FIELDS, OFP10, OFP11, OFP12, OFP14 } from "../fields.ts";
import { codeFor, OXM_CLASS_OPENFLOW_BASIC } from "../nxm_header.ts";
import { WireReader, type WireWriter } from "../wire.ts";
import type { MultipartReply } from "./multipart.ts";
import { ofpactBitmapFromOpenflow, ofpactBitmapToOpenflow } from "./ofpact_bitmap.ts";
import { propEnd, propStart, propU32, pullProp, putPropU32, unknownProp } from "./props.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import {
  emptyTableFeatures,
  ovsinstBitmapFromOpenflow,
  ovsinstBitmapToOpenflow,
  type TableEviction,
  type TableFeatures,
  type TableMiss,
  type TableVacancy,
  type TableVacancyConfig,
} from "./table.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_table");
const rl = new RateLimit(1, 5);

export interface TableStats {
  tableId: number;
  activeCount: number;
  lookupCount: bigint;
  matchedCount: bigint;
}

const bit = (name: string) => 1n << BigInt(field(name).id);

const OF10_WC: readonly (readonly [number, string])[] = [
  [1 << 0, "in_port"],
  [1 << 1, "vlan_vid"],
  [1 << 2, "eth_src"],
  [1 << 3, "eth_dst"],
  [1 << 4, "eth_type"],
  [1 << 5, "nw_proto"],
  [1 << 6, "tcp_src"],
  [1 << 7, "tcp_dst"],
  [0x3f << 8, "ip_src"],
  [0x3f << 14, "ip_dst"],
  [1 << 20, "vlan_pcp"],
  [1 << 21, "nw_tos"],
];

const OF11_WC: readonly (readonly [number, string])[] = [
  [1 << 0, "in_port"],
  [1 << 1, "vlan_vid"],
  [1 << 2, "vlan_pcp"],
  [1 << 3, "eth_type"],
  [1 << 4, "nw_tos"],
  [1 << 5, "nw_proto"],
  [1 << 6, "tcp_src"],
  [1 << 7, "tcp_dst"],
  [1 << 8, "mpls_label"],
  [1 << 9, "mpls_tc"],
  [1 << 11, "eth_src"],
  [1 << 12, "eth_dst"],
  [1 << 13, "ip_src"],
  [1 << 14, "ip_dst"],
  [1 << 15, "metadata"],
];

function fieldsFromWc(wc: number, map: readonly (readonly [number, string])[]): bigint {
  let out = 0n;
  for (const [mask, name] of map) if (wc & mask) out |= bit(name);
  return out;
}

function fieldsToWc(fields: bigint, map: readonly (readonly [number, string])[]): number {
  let out = 0;
  for (const [mask, name] of map) if (fields & bit(name)) out |= mask;
  return out >>> 0;
}

/** Field bitmap → OpenFlow 1.2 OXM bitmap (bit n for OXM_OF field n). */
export function oxmBitmapFromFields(fields: bigint, version: number): bigint {
  let out = 0n;
  for (const f of FIELDS) {
    if (!(fields & (1n << BigInt(f.id)))) continue;
    const code = codeFor(f, version);
    if (code && code.oxmClass === OXM_CLASS_OPENFLOW_BASIC && code.fieldNo < 64) {
      out |= 1n << BigInt(code.fieldNo);
    }
  }
  return out;
}

/** OpenFlow 1.2 OXM bitmap → field bitmap. */
export function oxmBitmapToFields(oxm: bigint, version: number): bigint {
  let out = 0n;
  for (const f of FIELDS) {
    const code = codeFor(f, version);
    if (
      code && version >= code.version && code.oxmClass === OXM_CLASS_OPENFLOW_BASIC &&
      code.fieldNo < 64 && oxm & (1n << BigInt(code.fieldNo))
    ) {
      out |= 1n << BigInt(f.id);
    }
  }
  return out;
}

const ALL_FIELDS = (1n << BigInt(FIELDS.length)) - 1n;

function wildOrNonmatchable(tf: TableFeatures): bigint {
  return ((~tf.match & ALL_FIELDS) | tf.wildcard) & ALL_FIELDS;
}

function readName(r: WireReader): string {
  const raw = r.bytes(32);
  let s = "";
  for (let i = 0; i < 31 && raw[i] !== 0; i++) s += String.fromCharCode(raw[i]!);
  return s;
}

function writeName(w: WireWriter, name: string): void {
  const n = Math.min(name.length, 31);
  for (let i = 0; i < n; i++) w.u8(name.charCodeAt(i));
  w.zeros(32 - n);
}

const MISS_CONFIG: Record<TableMiss, number> = { default: 0, controller: 0, continue: 1, drop: 2 };

function decodeMiss11(config: number): TableMiss {
  switch (config & 3) {
    case 0:
      return "controller";
    case 1:
      return "continue";
    case 2:
      return "drop";
    default:
      log.rateLimited(rl, "warn", `bad table miss config ${config}`);
      return "controller";
  }
}

/**
 * Decodes one table stats element (upstream's ofputil_decode_table_stats_reply): the stats and
 * what the element says about the table's features; undefined at the end.
 */
export function pullTableStats(
  r: WireReader,
  version: number,
): { stats: TableStats; features: TableFeatures } | undefined {
  if (r.remaining === 0) return undefined;
  const tf = emptyTableFeatures();
  const need = version === OFP10 ? 64 : version === OFP11 ? 88 : version === OFP12 ? 128 : 24;
  if (r.remaining < need) throw new OfpError("OFPBRC_BAD_LEN");
  const stats: TableStats = { tableId: 0, activeCount: 0, lookupCount: 0n, matchedCount: 0n };
  stats.tableId = tf.tableId = r.u8();
  if (version === OFP10) {
    r.skip(3);
    tf.name = readName(r);
    tf.match = tf.wildcard = fieldsFromWc(r.u32(), OF10_WC);
    tf.maxEntries = r.u32();
  } else if (version === OFP11) {
    r.skip(7);
    tf.name = readName(r);
    tf.wildcard = fieldsFromWc(r.u32(), OF11_WC);
    tf.match = fieldsFromWc(r.u32(), OF11_WC) | tf.wildcard;
    tf.nonmiss.instructions = ovsinstBitmapFromOpenflow(r.u32(), OFP11);
    const write = r.u32();
    r.u32();
    // Upstream reads the write actions for both (a quirk kept for identical output).
    tf.nonmiss.write.ofpacts = ofpactBitmapFromOpenflow(write, OFP11);
    tf.nonmiss.apply.ofpacts = ofpactBitmapFromOpenflow(write, OFP11);
    tf.missConfig = decodeMiss11(r.u32());
    tf.maxEntries = r.u32();
  } else if (version === OFP12) {
    r.skip(7);
    tf.name = readName(r);
    tf.match = oxmBitmapToFields(r.u64(), OFP12);
    tf.wildcard = oxmBitmapToFields(r.u64(), OFP12);
    tf.match |= tf.wildcard;
    tf.nonmiss.write.ofpacts = ofpactBitmapFromOpenflow(r.u32(), OFP12);
    tf.nonmiss.apply.ofpacts = ofpactBitmapFromOpenflow(r.u32(), OFP12);
    tf.nonmiss.write.setFields = oxmBitmapToFields(r.u64(), OFP12);
    tf.nonmiss.apply.setFields = oxmBitmapToFields(r.u64(), OFP12);
    tf.metadataMatch = r.u64();
    tf.metadataWrite = r.u64();
    tf.nonmiss.instructions = ovsinstBitmapFromOpenflow(r.u32(), OFP12);
    tf.missConfig = decodeMiss11(r.u32());
    tf.maxEntries = r.u32();
  } else {
    r.skip(3);
  }
  if (version === OFP11 || version === OFP12) {
    tf.miss = structuredClone(tf.nonmiss);
  }
  stats.activeCount = r.u32();
  stats.lookupCount = r.u64();
  stats.matchedCount = r.u64();
  return { stats, features: tf };
}

export function decodeTableStatsReply(
  msg: Uint8Array,
): { stats: TableStats; features: TableFeatures }[] {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const out = [];
  for (;;) {
    const e = pullTableStats(r, raw.version);
    if (!e) return out;
    out.push(e);
  }
}

/** Appends one table's stats (and, before 1.3, its features) to a table stats reply. */
export function appendTableStats(
  reply: MultipartReply,
  stats: TableStats,
  features: TableFeatures,
): void {
  const version = reply.version;
  reply.append((w) => {
    w.u8(features.tableId);
    if (version === OFP10) {
      w.zeros(3);
      writeName(w, features.name);
      w.u32(fieldsToWc(wildOrNonmatchable(features), OF10_WC)).u32(features.maxEntries);
    } else if (version === OFP11) {
      w.zeros(7);
      writeName(w, features.name);
      w.u32(fieldsToWc(wildOrNonmatchable(features), OF11_WC));
      w.u32(fieldsToWc(features.match, OF11_WC));
      w.u32(ovsinstBitmapToOpenflow(features.nonmiss.instructions, OFP11));
      w.u32(ofpactBitmapToOpenflow(features.nonmiss.write.ofpacts, OFP11));
      w.u32(ofpactBitmapToOpenflow(features.nonmiss.apply.ofpacts, OFP11));
      w.u32(MISS_CONFIG[features.missConfig]).u32(features.maxEntries);
    } else if (version === OFP12) {
      w.zeros(7);
      writeName(w, features.name);
      w.u64(oxmBitmapFromFields(features.match, OFP12));
      w.u64(oxmBitmapFromFields(features.wildcard, OFP12));
      w.u32(ofpactBitmapToOpenflow(features.nonmiss.write.ofpacts, OFP12));
      w.u32(ofpactBitmapToOpenflow(features.nonmiss.apply.ofpacts, OFP12));
      w.u64(oxmBitmapFromFields(features.nonmiss.write.setFields, OFP12));
      w.u64(oxmBitmapFromFields(features.nonmiss.apply.setFields, OFP12));
      w.u64(features.metadataMatch).u64(features.metadataWrite);
      w.u32(ovsinstBitmapToOpenflow(features.nonmiss.instructions, OFP12));
      w.u32(MISS_CONFIG[features.missConfig]).u32(features.maxEntries);
    } else {
      w.zeros(3);
    }
    w.u32(stats.activeCount).u64(stats.lookupCount).u64(stats.matchedCount);
  });
}

// Table description (1.4+).

export interface TableDesc {
  tableId: number;
  eviction: TableEviction;
  /** OFPTMPEF14_* bits, 0xffffffff when absent. */
  evictionFlags: number;
  vacancy: TableVacancy;
  tableVacancy: TableVacancyConfig;
}

const OFPTC14_EVICTION = 1 << 2;
const OFPTC14_VACANCY_EVENTS = 1 << 3;

/** Decodes one table description at `r`; undefined at the end. */
export function pullTableDesc(r: WireReader, version: number): TableDesc | undefined {
  if (r.remaining === 0) return undefined;
  if (r.remaining < 8) {
    log.rateLimited(rl, "warn", `OFP14_TABLE_DESC reply has ${r.remaining} leftover bytes at end`);
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  const length = r.u16();
  const tableId = r.u8();
  r.skip(1);
  const config = r.u32();
  if (length < 8 || length - 8 > r.remaining) {
    log.rateLimited(rl, "warn", `OFP14_TABLE_DESC reply claims invalid length ${length}`);
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  const td: TableDesc = {
    tableId,
    eviction: version < OFP14 ? "default" : config & OFPTC14_EVICTION ? "on" : "off",
    evictionFlags: 0xffffffff,
    vacancy: version < OFP14 ? "default" : config & OFPTC14_VACANCY_EVENTS ? "on" : "off",
    tableVacancy: { vacancyDown: 0, vacancyUp: 0, vacancy: 0 },
  };
  const props = r.bytes(length - 8);
  let offset = 0;
  while (offset < props.length) {
    const { prop, next } = pullProp(props, offset);
    offset = next;
    if (prop.type === 2n) {
      td.evictionFlags = propU32(prop);
    } else if (prop.type === 3n) {
      if (prop.raw.length !== 8) throw new OfpError("OFPBPC_BAD_LEN");
      td.tableVacancy = {
        vacancyDown: prop.raw[4]!,
        vacancyUp: prop.raw[5]!,
        vacancy: prop.raw[6]!,
      };
    } else {
      unknownProp(log, true, "table_desc", prop.type);
    }
  }
  return td;
}

function configOf(td: TableDesc): number {
  return (td.eviction === "on" ? OFPTC14_EVICTION : 0) |
    (td.vacancy === "on" ? OFPTC14_VACANCY_EVENTS : 0);
}

/** Appends a table description to a reply (upstream's ofputil_append_table_desc_reply). */
export function appendTableDesc(reply: MultipartReply, td: TableDesc): void {
  reply.append((w) => {
    w.u16(0).u8(td.tableId).zeros(1).u32(configOf(td));
    if (td.evictionFlags !== 0xffffffff) putPropU32(w, 2n, td.evictionFlags);
    if (td.vacancy === "on") {
      const p = propStart(w, 3n);
      w.u8(td.tableVacancy.vacancyDown).u8(td.tableVacancy.vacancyUp).u8(td.tableVacancy.vacancy)
        .u8(0);
      propEnd(w, p);
    }
    w.setU16(0, w.length);
  });
}

// Table status (1.4+).

export const OFPTR_VACANCY_DOWN = 3;
export const OFPTR_VACANCY_UP = 4;

export interface TableStatus {
  reason: number;
  desc: TableDesc;
}

export function decodeTableStatus(msg: Uint8Array): TableStatus {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const reason = r.u8();
  r.skip(7);
  if (reason !== OFPTR_VACANCY_DOWN && reason !== OFPTR_VACANCY_UP) {
    throw new OfpError("OFPBPC_BAD_VALUE");
  }
  const desc = pullTableDesc(r, raw.version);
  if (!desc) throw new OfpError("OFPBRC_BAD_LEN");
  return { reason, desc };
}

/** A table status message, or undefined before OpenFlow 1.4. */
export function encodeTableStatus(ts: TableStatus, version: number): Uint8Array | undefined {
  if (version < OFP14) return undefined;
  const w = startMessage("OFPT14_TABLE_STATUS", version, 0);
  w.u8(ts.reason).zeros(7);
  const start = w.length;
  const td = ts.desc;
  w.u16(0).u8(td.tableId).zeros(1).u32(configOf(td));
  putPropU32(w, 2n, td.evictionFlags);
  w.u16(3).u16(8).u8(td.tableVacancy.vacancyDown).u8(td.tableVacancy.vacancyUp)
    .u8(td.tableVacancy.vacancy).u8(0);
  w.setU16(start, w.length - start);
  return finishMessage(w);
}
