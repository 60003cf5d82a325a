// Geneve TLV mapping-table messages (upstream's tlv table functions in lib/ofp-match.c):
// NXT_TLV_TABLE_MOD (add/delete/clear mappings of option class/type/length to
// tun_metadata<n>), NXT_TLV_TABLE_REQUEST and NXT_TLV_TABLE_REPLY, with their ofp-print text
// and the `{class=...,type=...,len=...}->tun_metadataN` syntax of add-tlv-map/del-tlv-map.
//
// Decoders throw OfpError with upstream's codes (NXTTMFC_BAD_COMMAND, NXTTMFC_BAD_OPT_LEN,
// NXTTMFC_BAD_FIELD_IDX, OFPBRC_BAD_LEN from the raw layer).

import { OfpError } from "../errors.ts";
import { WireReader } from "../wire.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { P_NXM_OXM_ANY } from "../protocols.ts";

export const NXTTMC_ADD = 0;
export const NXTTMC_DELETE = 1;
export const NXTTMC_CLEAR = 2;
/** Largest option length (upstream's TLV_MAX_OPT_SIZE). */
export const TLV_MAX_OPT_SIZE = 124;
/** Number of tun_metadata fields (upstream's TUN_METADATA_NUM_OPTS). */
export const TUN_METADATA_NUM_OPTS = 64;

/** One mapping (upstream's struct ofputil_tlv_map). */
export interface TlvMap {
  optionClass: number;
  optionType: number;
  optionLen: number;
  /** The n of tun_metadata<n>. */
  index: number;
}

export interface TlvTableMod {
  command: number;
  mappings: TlvMap[];
}

export interface TlvTableReply {
  maxOptionSpace: number;
  maxFields: number;
  mappings: TlvMap[];
}

function pullMappings(r: WireReader, maxFields: number): TlvMap[] {
  const out: TlvMap[] = [];
  while (r.remaining > 0) {
    const optionClass = r.u16();
    const optionType = r.u8();
    const optionLen = r.u8();
    const index = r.u16();
    r.skip(2);
    if (optionLen % 4 || optionLen > TLV_MAX_OPT_SIZE) throw new OfpError("NXTTMFC_BAD_OPT_LEN");
    if (index >= maxFields) throw new OfpError("NXTTMFC_BAD_FIELD_IDX");
    out.push({ optionClass, optionType, optionLen, index });
  }
  return out;
}

export function decodeTlvTableMod(msg: Uint8Array): TlvTableMod {
  const raw = pullRaw(msg);
  const r = new WireReader(raw.data, raw.bodyOffset);
  const command = r.u16();
  r.skip(6);
  if (command > NXTTMC_CLEAR) throw new OfpError("NXTTMFC_BAD_COMMAND");
  return { command, mappings: pullMappings(r, TUN_METADATA_NUM_OPTS) };
}

export function decodeTlvTableReply(msg: Uint8Array): TlvTableReply {
  const raw = pullRaw(msg);
  const r = new WireReader(raw.data, raw.bodyOffset);
  const maxOptionSpace = r.u32();
  const maxFields = r.u16();
  r.skip(10);
  return { maxOptionSpace, maxFields, mappings: pullMappings(r, maxFields) };
}

function putMappings(w: ReturnType<typeof startMessage>, maps: readonly TlvMap[]): void {
  for (const m of maps) {
    w.u16(m.optionClass).u8(m.optionType).u8(m.optionLen).u16(m.index).zeros(2);
  }
}

export function encodeTlvTableMod(ttm: TlvTableMod, version: number, xid = 0): Uint8Array {
  const w = startMessage("NXT_TLV_TABLE_MOD", version, xid);
  w.u16(ttm.command).zeros(6);
  putMappings(w, ttm.mappings);
  return finishMessage(w);
}

export function encodeTlvTableRequest(version: number, xid = 0): Uint8Array {
  return finishMessage(startMessage("NXT_TLV_TABLE_REQUEST", version, xid));
}

/** The reply to a request of `version` and `xid` (upstream's ofpraw_alloc_reply). */
export function encodeTlvTableReply(ttr: TlvTableReply, version: number, xid: number): Uint8Array {
  const w = startMessage("NXT_TLV_TABLE_REPLY", version, xid);
  w.u32(ttr.maxOptionSpace).u16(ttr.maxFields).zeros(10);
  putMappings(w, ttr.mappings);
  return finishMessage(w);
}

/** printf's `%#<width>x`: "0x" prefix except for zero, right-aligned. */
function altHex(v: number, width: number): string {
  return (v ? "0x" + v.toString(16) : "0").padStart(width);
}

function formatTable(maps: readonly TlvMap[]): string {
  let s =
    " mapping table:\n  class  type  length  match field\n ------  ----  ------  --------------";
  for (const m of maps) {
    s += `\n ${altHex(m.optionClass, 6)}  ${altHex(m.optionType, 4)}  ${
      String(m.optionLen).padStart(6)
    }  tun_metadata${m.index}`;
  }
  return s;
}

/** The ofp-print text of an NXT_TLV_TABLE_MOD body (upstream's ofputil_format_tlv_table_mod). */
export function formatTlvTableMod(ttm: TlvTableMod): string {
  let s = "\n ";
  s += ["ADD", "DEL", "CLEAR"][ttm.command] ?? "";
  if (ttm.command !== NXTTMC_CLEAR) s += formatTable(ttm.mappings);
  return s;
}

/** The ofp-print text of an NXT_TLV_TABLE_REPLY body. */
export function formatTlvTableReply(ttr: TlvTableReply): string {
  const allocated = ttr.mappings.reduce((n, m) => n + m.optionLen, 0);
  return `\n max option space=${ttr.maxOptionSpace} max fields=${ttr.maxFields}\n` +
    ` allocated option space=${allocated}\n\n` + formatTable(ttr.mappings);
}

/** scanf's %i into an integer of `bits` bits at s[pos]: [value, next] or undefined. */
function scanInt(s: string, pos: number, bits: number): [number, number] | undefined {
  let i = pos;
  while (i < s.length && " \t\n\r\f\v".includes(s[i]!)) i++;
  let neg = false;
  if (s[i] === "+" || s[i] === "-") {
    neg = s[i] === "-";
    i++;
  }
  let base = 10;
  if (
    s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X") && /[0-9a-fA-F]/.test(s[i + 2] ?? "")
  ) {
    base = 16;
    i += 2;
  } else if (s[i] === "0") {
    base = 8;
  }
  const digits = base === 16 ? /[0-9a-fA-F]/ : base === 8 ? /[0-7]/ : /[0-9]/;
  const start = i;
  while (i < s.length && digits.test(s[i]!)) i++;
  if (i === start) return undefined;
  let v = BigInt(parseInt(s.slice(start, i), base));
  if (neg) v = -v;
  const mod = 1n << BigInt(bits);
  return [Number(((v % mod) + mod) % mod), i];
}

/**
 * Parses add-tlv-map/del-tlv-map text (upstream's parse_ofp_tlv_table_mod_str): a list of
 * `{class=C,type=T,len=L}->tun_metadataN`. Returns the mod and its usable protocols, or the
 * error text.
 */
export function parseTlvTableMod(
  command: number,
  s: string,
): { ttm: TlvTableMod; usable: number } | { error: string } {
  const mappings: TlvMap[] = [];
  let pos = 0;
  const lit = (text: string): boolean => {
    if (!s.startsWith(text, pos)) return false;
    pos += text.length;
    return true;
  };
  const num = (bits: number): number | undefined => {
    const r = scanInt(s, pos, bits);
    if (!r) return undefined;
    pos = r[1];
    return r[0];
  };
  while (pos < s.length) {
    if (s[pos] === ",") pos++;
    let optionClass: number | undefined;
    let optionType: number | undefined;
    let optionLen: number | undefined;
    let index: number | undefined;
    const ok = lit("{class=") && (optionClass = num(16)) !== undefined && lit(",type=") &&
      (optionType = num(8)) !== undefined && lit(",len=") &&
      (optionLen = num(8)) !== undefined && lit("}->tun_metadata") &&
      (index = num(16)) !== undefined;
    if (!ok) return { error: "invalid tlv mapping" };
    mappings.push({
      optionClass: optionClass!,
      optionType: optionType!,
      optionLen: optionLen!,
      index: index!,
    });
  }
  return { ttm: { command, mappings }, usable: P_NXM_OXM_ANY };
}
