// Meters (upstream's ofp-meter): meter mod, the meter stats/config/features requests and
// replies, their texts, and the meter-mod syntax of `ovs-ofctl add-meter` and friends
// (parse_ofp_meter_mod_str).
//
// Promises: band lists are checked as upstream (every band 16 bytes, known types only:
// OFPBRC_BAD_LEN, OFPMMFC_BAD_BAND), flags and commands too (OFPMMFC_BAD_FLAGS,
// OFPMMFC_BAD_COMMAND); text errors are ParseError with upstream's wording.

import { OfpError, ParseError } from "../errors.ts";
import { P_OF13_UP, type Protocols } from "../protocols.ts";
import { WireReader, type WireWriter } from "../wire.ts";
import { Strtok, strToU32, strToU8 } from "../actions/text.ts";
import type { MultipartReply } from "./multipart.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { bitNames, formatDuration } from "./text_util.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_meter");
const rl = new RateLimit(1, 5);

export const OFPM13_MAX = 0xffff0000;
export const OFPM13_SLOWPATH = 0xfffffffd;
export const OFPM13_CONTROLLER = 0xfffffffe;
export const OFPM13_ALL = 0xffffffff;

export const OFPMC13_ADD = 0;
export const OFPMC13_MODIFY = 1;
export const OFPMC13_DELETE = 2;

export const OFPMF13_KBPS = 1 << 0;
export const OFPMF13_PKTPS = 1 << 1;
export const OFPMF13_BURST = 1 << 2;
export const OFPMF13_STATS = 1 << 3;

export const OFPMBT13_DROP = 1;
export const OFPMBT13_DSCP_REMARK = 2;

export interface MeterBand {
  type: number;
  rate: number;
  burstSize: number;
  precLevel: number;
}

export interface MeterConfig {
  meterId: number;
  flags: number;
  bands: MeterBand[];
}

export interface MeterMod {
  command: number;
  meter: MeterConfig;
}

export interface MeterBandStats {
  packetCount: bigint;
  byteCount: bigint;
}

export interface MeterStats {
  meterId: number;
  flowCount: number;
  packetInCount: bigint;
  byteInCount: bigint;
  durationSec: number;
  durationNsec: number;
  bands: MeterBandStats[];
}

export interface MeterFeatures {
  maxMeters: number;
  bandTypes: number;
  capabilities: number;
  maxBands: number;
  maxColor: number;
}

/** "meter=5", "meter:all" ... (upstream's ofputil_format_meter_id). */
export function formatMeterId(id: number, separator: string): string {
  if (id <= OFPM13_MAX) return `meter${separator}${id}`;
  const name = id === OFPM13_SLOWPATH
    ? "slowpath"
    : id === OFPM13_CONTROLLER
    ? "controller"
    : id === OFPM13_ALL
    ? "all"
    : "unknown";
  return `meter${separator}${name}`;
}

function pullBands(r: WireReader, len: number): MeterBand[] {
  if (len < 0 || r.remaining < len) throw new OfpError("OFPBRC_BAD_LEN");
  const b = r.sub(len);
  const bands: MeterBand[] = [];
  let left = len;
  while (left >= 16) {
    const type = b.u16();
    const blen = b.u16();
    if (blen !== 16) throw new OfpError("OFPBRC_BAD_LEN");
    if (type !== OFPMBT13_DROP && type !== OFPMBT13_DSCP_REMARK) {
      throw new OfpError("OFPMMFC_BAD_BAND");
    }
    const rate = b.u32();
    const burstSize = b.u32();
    const prec = b.u8();
    b.skip(3);
    bands.push({ type, rate, burstSize, precLevel: type === OFPMBT13_DSCP_REMARK ? prec : 0 });
    left -= 16;
  }
  if (left) throw new OfpError("OFPBRC_BAD_LEN");
  return bands;
}

function putBands(w: WireWriter, bands: readonly MeterBand[]): void {
  for (const b of bands) {
    w.u16(b.type).u16(16).u32(b.rate).u32(b.burstSize).u8(b.precLevel).zeros(3);
  }
}

export function decodeMeterMod(msg: Uint8Array): MeterMod {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const command = r.u16();
  const flags = r.u16();
  const meterId = r.u32();
  if (command !== OFPMC13_ADD && command !== OFPMC13_MODIFY && command !== OFPMC13_DELETE) {
    throw new OfpError("OFPMMFC_BAD_COMMAND");
  }
  if (command === OFPMC13_DELETE) return { command, meter: { meterId, flags: 0, bands: [] } };
  if (flags & OFPMF13_KBPS && flags & OFPMF13_PKTPS) throw new OfpError("OFPMMFC_BAD_FLAGS");
  return { command, meter: { meterId, flags, bands: pullBands(r, r.remaining) } };
}

export function encodeMeterMod(mm: MeterMod, version: number, xid: number): Uint8Array {
  const w = startMessage("OFPT13_METER_MOD", version, xid);
  w.u16(mm.command).u16(mm.command !== OFPMC13_DELETE ? mm.meter.flags : 0).u32(mm.meter.meterId);
  putBands(w, mm.meter.bands);
  return finishMessage(w);
}

export type MeterRequestType = "config" | "stats" | "features";

export function encodeMeterRequest(
  version: number,
  type: MeterRequestType,
  meterId: number,
  xid: number,
): Uint8Array {
  const raw = type === "config"
    ? "OFPST13_METER_CONFIG_REQUEST"
    : type === "stats"
    ? "OFPST13_METER_REQUEST"
    : "OFPST13_METER_FEATURES_REQUEST";
  const w = startMessage(raw, version, xid);
  if (type !== "features") w.u32(meterId).zeros(4);
  return finishMessage(w);
}

export function decodeMeterRequest(msg: Uint8Array): number {
  const raw = pullRaw(msg);
  return new WireReader(msg, raw.bodyOffset).u32();
}

/** One meter config of a reply at `r`; undefined at the end. */
export function pullMeterConfig(r: WireReader): MeterConfig | undefined {
  if (r.remaining === 0) return undefined;
  if (r.remaining < 8) {
    log.rateLimited(
      rl,
      "warn",
      `OFPMP_METER_CONFIG reply has ${r.remaining} leftover bytes at end`,
    );
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  const length = r.u16();
  const flags = r.u16();
  const meterId = r.u32();
  return { meterId, flags, bands: pullBands(r, length - 8) };
}

export function appendMeterConfig(reply: MultipartReply, mc: MeterConfig): void {
  reply.append((w) => {
    w.u16(8 + 16 * mc.bands.length).u16(mc.flags).u32(mc.meterId);
    putBands(w, mc.bands);
  });
}

/** One meter's stats of a reply at `r`; undefined at the end. */
export function pullMeterStats(r: WireReader): MeterStats | undefined {
  if (r.remaining === 0) return undefined;
  if (r.remaining < 40) {
    log.rateLimited(rl, "warn", `OFPMP_METER reply has ${r.remaining} leftover bytes at end`);
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  const meterId = r.u32();
  const len = r.u16();
  r.skip(6);
  const flowCount = r.u32();
  const packetInCount = r.u64();
  const byteInCount = r.u64();
  const durationSec = r.u32();
  const durationNsec = r.u32();
  const blen = len - 40;
  if (blen < 0 || r.remaining < blen || blen % 16) throw new OfpError("OFPBRC_BAD_LEN");
  const bands: MeterBandStats[] = [];
  for (let i = 0; i < blen / 16; i++) bands.push({ packetCount: r.u64(), byteCount: r.u64() });
  return { meterId, flowCount, packetInCount, byteInCount, durationSec, durationNsec, bands };
}

export function appendMeterStats(reply: MultipartReply, ms: MeterStats): void {
  reply.append((w) => {
    w.u32(ms.meterId).u16(40 + 16 * ms.bands.length).zeros(6).u32(ms.flowCount);
    w.u64(ms.packetInCount).u64(ms.byteInCount).u32(ms.durationSec).u32(ms.durationNsec);
    for (const b of ms.bands) w.u64(b.packetCount).u64(b.byteCount);
  });
}

export function decodeMeterFeatures(msg: Uint8Array): MeterFeatures {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  return {
    maxMeters: r.u32(),
    bandTypes: r.u32(),
    capabilities: r.u32(),
    maxBands: r.u8(),
    maxColor: r.u8(),
  };
}

export function encodeMeterFeaturesReply(mf: MeterFeatures, request: Uint8Array): Uint8Array {
  const raw = pullRaw(request);
  const w = startMessage("OFPST13_METER_FEATURES_REPLY", raw.version, raw.xid);
  w.u32(mf.maxMeters).u32(mf.bandTypes).u32(mf.capabilities).u8(mf.maxBands).u8(mf.maxColor);
  w.zeros(2);
  return finishMessage(w);
}

function bandText(flags: number, b: MeterBand): string {
  let s = "\ntype=" +
    (b.type === OFPMBT13_DROP
      ? "drop"
      : b.type === OFPMBT13_DSCP_REMARK
      ? "dscp_remark"
      : String(b.type));
  s += ` rate=${b.rate}`;
  if (flags & OFPMF13_BURST) s += ` burst_size=${b.burstSize}`;
  if (b.type === OFPMBT13_DSCP_REMARK) s += ` prec_level=${b.precLevel}`;
  return s;
}

function flagsText(flags: number): string {
  let s = "";
  if (flags & OFPMF13_KBPS) s += "kbps ";
  if (flags & OFPMF13_PKTPS) s += "pktps ";
  if (flags & OFPMF13_BURST) s += "burst ";
  if (flags & OFPMF13_STATS) s += "stats ";
  const rest = flags & ~0xf;
  if (rest) s += `flags:0x${rest.toString(16)} `;
  return s;
}

/** "meter=1 kbps burst bands=\ntype=drop rate=..." (upstream's ofputil_format_meter_config). */
export function formatMeterConfig(mc: MeterConfig): string {
  return formatMeterId(mc.meterId, "=") + " " + flagsText(mc.flags) + "bands=" +
    mc.bands.map((b) => bandText(mc.flags, b)).join("") + "\n";
}

export function formatMeterMod(mm: MeterMod): string {
  const cmd = mm.command === OFPMC13_ADD
    ? " ADD "
    : mm.command === OFPMC13_MODIFY
    ? " MOD "
    : mm.command === OFPMC13_DELETE
    ? " DEL "
    : ` cmd:${mm.command} `;
  return cmd + formatMeterConfig(mm.meter);
}

export function formatMeterStats(ms: MeterStats): string {
  let s = formatMeterId(ms.meterId, ":") + " ";
  s += `flow_count:${ms.flowCount} packet_in_count:${ms.packetInCount} ` +
    `byte_in_count:${ms.byteInCount} duration:` + formatDuration(ms.durationSec, ms.durationNsec) +
    " bands:\n";
  ms.bands.forEach((b, i) => {
    s += `${i}: packet_count:${b.packetCount} byte_count:${b.byteCount}\n`;
  });
  return s;
}

const BAND_TYPE_NAMES: Record<number, string> = { 2: "drop", 4: "dscp_remark" };
const CAPABILITY_NAMES: Record<number, string> = { 1: "kbps", 2: "pktps", 4: "burst", 8: "stats" };

export function formatMeterFeatures(mf: MeterFeatures): string {
  return `\nmax_meter:${mf.maxMeters} max_bands:${mf.maxBands} max_color:${mf.maxColor}\n` +
    "band_types: " + bitNames(mf.bandTypes, (b) => BAND_TYPE_NAMES[b], " ") + "\n" +
    "capabilities: " + bitNames(mf.capabilities, (b) => CAPABILITY_NAMES[b], " ") + "\n";
}

/**
 * Parses a meter-mod string (upstream's parse_ofp_meter_mod_str): `command` is OFPMC13_* or -1
 * for a meter stats/config request, which takes only `meter=`.
 */
export function parseMeterMod(
  text: string,
  command: number,
): { mm: MeterMod; usable: Protocols } {
  const usable = P_OF13_UP;
  const wantFlags = command === OFPMC13_ADD || command === OFPMC13_MODIFY;
  const wantBands = wantFlags;
  const mm: MeterMod = { command, meter: { meterId: 0, flags: 0, bands: [] } };
  let main = text;
  let bandText: string | undefined;
  if (wantBands) {
    const at = text.indexOf("band");
    if (at < 0) throw new ParseError("must specify bands");
    main = text.slice(0, at);
    const eq = text.indexOf("=", at + 1);
    if (eq < 0) throw new ParseError("must specify bands");
    bandText = text.slice(eq + 1);
  }
  const tok = new Strtok(main);
  for (let name = tok.next("=, \t\r\n"); name !== undefined; name = tok.next("=, \t\r\n")) {
    if (wantFlags && name === "kbps") mm.meter.flags |= OFPMF13_KBPS;
    else if (wantFlags && name === "pktps") mm.meter.flags |= OFPMF13_PKTPS;
    else if (wantFlags && name === "burst") mm.meter.flags |= OFPMF13_BURST;
    else if (wantFlags && name === "stats") mm.meter.flags |= OFPMF13_STATS;
    else {
      const value = tok.next(", \t\r\n");
      if (value === undefined) throw new ParseError(`field ${name} missing value`);
      if (name !== "meter") throw new ParseError(`unknown keyword ${name}`);
      if (value === "all") mm.meter.meterId = OFPM13_ALL;
      else if (value === "controller") mm.meter.meterId = OFPM13_CONTROLLER;
      else if (value === "slowpath") mm.meter.meterId = OFPM13_SLOWPATH;
      else {
        mm.meter.meterId = strToU32(value);
        if (mm.meter.meterId > OFPM13_MAX || !mm.meter.meterId) {
          throw new ParseError(`invalid value for ${name}`);
        }
      }
    }
  }
  if (!mm.meter.meterId) throw new ParseError("must specify 'meter'");
  if (wantFlags && !mm.meter.flags) {
    throw new ParseError("meter must specify either 'kbps' or 'pktps'");
  }
  if (bandText !== undefined) {
    const bands: MeterBand[] = [];
    let band: MeterBand | undefined;
    const bt = new Strtok(bandText);
    for (let name = bt.next("=, \t\r\n"); name !== undefined; name = bt.next("=, \t\r\n")) {
      const value = bt.next(", \t\r\n");
      if (value === undefined) throw new ParseError(`field ${name} missing value`);
      if (name === "type") {
        band = { type: 0, rate: 0, burstSize: 0, precLevel: 0 };
        bands.push(band);
        if (value === "drop") band.type = OFPMBT13_DROP;
        else if (value === "dscp_remark") band.type = OFPMBT13_DSCP_REMARK;
        else throw new ParseError(`field ${name} unknown value ${value}`);
      } else if (!band || !band.type) {
        throw new ParseError("band must start with the 'type' keyword");
      } else if (name === "rate") {
        band.rate = strToU32(value);
      } else if (name === "burst_size") {
        band.burstSize = strToU32(value);
      } else if (name === "prec_level") {
        band.precLevel = strToU8(value, name);
      } else {
        throw new ParseError(`unknown keyword ${name}`);
      }
    }
    if (!bands.length) throw new ParseError("meter must have bands");
    for (const b of bands) {
      if (!b.type) throw new ParseError("band must have 'type'");
      if (b.type === OFPMBT13_DSCP_REMARK) {
        if (!b.precLevel) throw new ParseError("'dscp_remark' band must have 'prec_level'");
      } else if (b.precLevel) {
        throw new ParseError("Only 'dscp_remark' band may have 'prec_level'");
      }
      if (!b.rate) throw new ParseError("band must have 'rate'");
      if (mm.meter.flags & OFPMF13_BURST) {
        if (!b.burstSize) {
          throw new ParseError("band must have 'burst_size' when 'burst' flag is set");
        }
      } else if (b.burstSize) {
        throw new ParseError("band may have 'burst_size' only when 'burst' flag is set");
      }
    }
    mm.meter.bands = bands;
  }
  return { mm, usable };
}
