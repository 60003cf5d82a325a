// Group statistics and group features (upstream's ofp-group, the parts without buckets):
// group stats request and reply (OpenFlow 1.1, 1.3+ and the Nicira 1.0 extension), the group
// description request, and the group features request and reply, with their texts.
//
// Promises: every element's length is checked as upstream (OFPBRC_BAD_LEN).

import { OfpError } from "../errors.ts";
import { OFP10, OFP11, OFP12, OFP15 } from "../fields.ts";
import { WireReader } from "../wire.ts";
import type { MultipartReply } from "./multipart.ts";
import {
  formatOfpactBitmap,
  ofpactBitmapFromOpenflow,
  ofpactBitmapToOpenflow,
} from "./ofpact_bitmap.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { formatDuration, hexAlt } from "./text_util.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_group");
const rl = new RateLimit(1, 5);

export const OFPG_MAX = 0xffffff00;
export const OFPG_ALL = 0xfffffffc;
export const OFPG_ANY = 0xffffffff;

export const OFPGT11_ALL = 0;
export const OFPGT11_SELECT = 1;
export const OFPGT11_INDIRECT = 2;
export const OFPGT11_FF = 3;

/** "ALL", "ANY" or the number (upstream's ofputil_format_group). */
export function formatGroupId(id: number): string {
  return id === OFPG_ALL ? "ALL" : id === OFPG_ANY ? "ANY" : String(id >>> 0);
}

export function encodeGroupStatsRequest(version: number, groupId: number, xid: number) {
  const w = startMessage(
    version === OFP10 ? "NXST_GROUP_REQUEST" : "OFPST11_GROUP_REQUEST",
    version,
    xid,
  );
  w.u32(groupId).zeros(4);
  return finishMessage(w);
}

export function decodeGroupStatsRequest(msg: Uint8Array): number {
  const raw = pullRaw(msg);
  return new WireReader(msg, raw.bodyOffset).u32();
}

export function encodeGroupDescRequest(version: number, groupId: number, xid: number) {
  if (version === OFP10 || version === OFP15) {
    const w = startMessage(
      version === OFP10 ? "NXST_GROUP_DESC_REQUEST" : "OFPST15_GROUP_DESC_REQUEST",
      version,
      xid,
    );
    w.u32(groupId).zeros(4);
    return finishMessage(w);
  }
  return finishMessage(startMessage("OFPST11_GROUP_DESC_REQUEST", version, xid));
}

export function decodeGroupDescRequest(msg: Uint8Array): number {
  const raw = pullRaw(msg);
  if (raw.info.raw === "OFPST11_GROUP_DESC_REQUEST") return OFPG_ALL;
  return new WireReader(msg, raw.bodyOffset).u32();
}

export interface BucketCounter {
  packetCount: bigint;
  byteCount: bigint;
}

export interface GroupStats {
  groupId: number;
  refCount: number;
  packetCount: bigint;
  byteCount: bigint;
  /** 0xffffffff when unknown. */
  durationSec: number;
  durationNsec: number;
  buckets: BucketCounter[];
}

/** One element of a group stats reply at `r` (raw row name given); undefined at the end. */
export function pullGroupStats(raw: string, name: string, r: WireReader): GroupStats | undefined {
  if (r.remaining === 0) return undefined;
  const v11 = raw === "OFPST11_GROUP_REPLY";
  const baseLen = v11 ? 32 : 40;
  if (r.remaining < baseLen) {
    log.rateLimited(rl, "warn", `${name} reply has ${r.remaining} leftover bytes at end`);
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  const length = r.u16();
  r.skip(2);
  const gs: GroupStats = {
    groupId: r.u32(),
    refCount: r.u32(),
    packetCount: (r.skip(4), r.u64()),
    byteCount: r.u64(),
    durationSec: 0xffffffff,
    durationNsec: 0xffffffff,
    buckets: [],
  };
  if (!v11) {
    gs.durationSec = r.u32();
    gs.durationNsec = r.u32();
  }
  // Upstream compares the length with the size of a size_t here, not with the base length.
  if (length < 8) {
    log.rateLimited(rl, "warn", `${name} reply claims invalid length ${length}`);
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  const n = Math.floor((length - baseLen) / 16);
  if (length < baseLen || r.remaining < n * 16) {
    log.rateLimited(rl, "warn", `${name} reply has ${r.remaining} leftover bytes at end`);
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  for (let i = 0; i < n; i++) gs.buckets.push({ packetCount: r.u64(), byteCount: r.u64() });
  return gs;
}

export function appendGroupStats(reply: MultipartReply, gs: GroupStats): void {
  const v11 = reply.version === OFP11 || reply.version === OFP12;
  reply.append((w) => {
    const length = (v11 ? 32 : 40) + 16 * gs.buckets.length;
    w.u16(length).zeros(2).u32(gs.groupId).u32(gs.refCount).zeros(4);
    w.u64(gs.packetCount).u64(gs.byteCount);
    if (!v11) w.u32(gs.durationSec).u32(gs.durationNsec);
    for (const b of gs.buckets) w.u64(b.packetCount).u64(b.byteCount);
  });
}

const UINT64_MAX = 0xffffffffffffffffn;

/** One group's stats as `dump-group-stats` prints them (after a newline and a space). */
export function formatGroupStats(gs: GroupStats): string {
  let s = `group_id=${gs.groupId},`;
  if (gs.durationSec !== 0xffffffff) {
    s += "duration=" + formatDuration(gs.durationSec, gs.durationNsec) + ",";
  }
  s += `ref_count=${gs.refCount},packet_count=${gs.packetCount},byte_count=${gs.byteCount}`;
  gs.buckets.forEach((b, i) => {
    if (b.packetCount !== UINT64_MAX) {
      s += `,bucket${i}:packet_count=${b.packetCount},byte_count=${b.byteCount}`;
    }
  });
  return s;
}

export interface GroupFeatures {
  types: number;
  capabilities: number;
  maxGroups: [number, number, number, number];
  /** ofpact bitmaps per group type. */
  ofpacts: [bigint, bigint, bigint, bigint];
}

export function encodeGroupFeaturesRequest(version: number, xid: number): Uint8Array {
  return finishMessage(
    startMessage(
      version < OFP12 ? "NXST_GROUP_FEATURES_REQUEST" : "OFPST12_GROUP_FEATURES_REQUEST",
      version,
      xid,
    ),
  );
}

export function encodeGroupFeaturesReply(gf: GroupFeatures, request: Uint8Array): Uint8Array {
  const raw = pullRaw(request);
  const w = startMessage(
    raw.version < OFP12 ? "NXST_GROUP_FEATURES_REPLY" : "OFPST12_GROUP_FEATURES_REPLY",
    raw.version,
    raw.xid,
  );
  w.u32(gf.types).u32(gf.capabilities);
  for (const m of gf.maxGroups) w.u32(m);
  for (const a of gf.ofpacts) w.u32(ofpactBitmapToOpenflow(a, raw.version));
  return finishMessage(w);
}

export function decodeGroupFeaturesReply(msg: Uint8Array): GroupFeatures {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const types = r.u32();
  const capabilities = r.u32();
  const maxGroups: [number, number, number, number] = [r.u32(), r.u32(), r.u32(), r.u32()];
  const ofpacts: [bigint, bigint, bigint, bigint] = [0n, 0n, 0n, 0n];
  for (let i = 0; i < 4; i++) ofpacts[i] = ofpactBitmapFromOpenflow(r.u32(), raw.version);
  return { types, capabilities, maxGroups, ofpacts };
}

const TYPE_NAMES = ["all", "select", "indirect", "fast failover"];

export function formatGroupFeatures(gf: GroupFeatures): string {
  let s = "\n Group table:\n";
  s += `    Types:  0x${gf.types.toString(16)}\n`;
  s += `    Capabilities:  0x${gf.capabilities.toString(16)}\n`;
  for (let i = 0; i < 4; i++) {
    if (gf.types & (1 << i)) {
      s += `    ${TYPE_NAMES[i]} group:\n`;
      s += `       max_groups=${hexAlt(gf.maxGroups[i]!)}\n`;
      s += "       actions: " + formatOfpactBitmap(gf.ofpacts[i]!) + "\n";
    }
  }
  return s;
}
