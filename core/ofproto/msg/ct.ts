// Conntrack flush messages (upstream's lib/ofp-ct.c): NXT_CT_FLUSH with its nested-TLV match
// (IP protocol, original and reply tuples, optional zone), NXT_CT_FLUSH_ZONE, their text and
// the tuple parser behind `ovs-ofctl flush-conntrack`.
//
// Addresses are kept as 16 bytes, IPv4 as IPv4-mapped IPv6, as upstream. Decode errors are
// thrown as OfpError with upstream's codes; the parser returns upstream's error text.

import { OfpError } from "../errors.ts";
import { WireReader, WireWriter } from "../wire.ts";
import { formatIpv4, formatIpv6, inetPton4, inetPton6 } from "../addr_text.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import {
  propEnd,
  propNested,
  propStartNested,
  propU16,
  propU8,
  pullProp,
  putProp,
  putPropU16,
  putPropU8,
} from "./props.ts";
import { nextKeyValue } from "../key_value.ts";
import { strToInt } from "../actions/text.ts";

export const AF_INET = 2;
export const AF_INET6 = 10;
const IPPROTO_ICMP = 1;
const IPPROTO_ICMPV6 = 58;

const NXT_CT_ORIG_TUPLE = 0n;
const NXT_CT_REPLY_TUPLE = 1n;
const NXT_CT_ZONE_ID = 2n;
const NXT_CT_TUPLE_SRC = 0n;
const NXT_CT_TUPLE_DST = 1n;
const NXT_CT_TUPLE_SRC_PORT = 2n;
const NXT_CT_TUPLE_DST_PORT = 3n;
const NXT_CT_TUPLE_ICMP_ID = 4n;
const NXT_CT_TUPLE_ICMP_TYPE = 5n;
const NXT_CT_TUPLE_ICMP_CODE = 6n;

/** One direction of a connection (upstream's struct ofp_ct_tuple). */
export interface CtTuple {
  src: Uint8Array;
  dst: Uint8Array;
  srcPort: number;
  dstPort: number;
  icmpId: number;
  icmpType: number;
  icmpCode: number;
}

/** What a flush selects (upstream's struct ofp_ct_match). */
export interface CtMatch {
  ipProto: number;
  /** 0 (unset), AF_INET or AF_INET6. */
  l3Type: number;
  orig: CtTuple;
  reply: CtTuple;
}

export function newCtTuple(): CtTuple {
  return {
    src: new Uint8Array(16),
    dst: new Uint8Array(16),
    srcPort: 0,
    dstPort: 0,
    icmpId: 0,
    icmpType: 0,
    icmpCode: 0,
  };
}

export function newCtMatch(): CtMatch {
  return { ipProto: 0, l3Type: 0, orig: newCtTuple(), reply: newCtTuple() };
}

function isZero(a: Uint8Array): boolean {
  return a.every((b) => b === 0);
}

function isV4Mapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i]) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

function isIcmp(proto: number): boolean {
  return proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6;
}

function formatMapped(a: Uint8Array): string {
  if (isV4Mapped(a)) {
    return formatIpv4(((a[12]! << 24) | (a[13]! << 16) | (a[14]! << 8) | a[15]!) >>> 0);
  }
  return formatIpv6(a);
}

function mapIpv4(ip: number): Uint8Array {
  const a = new Uint8Array(16);
  a[10] = 0xff;
  a[11] = 0xff;
  a[12] = ip >>> 24;
  a[13] = (ip >>> 16) & 0xff;
  a[14] = (ip >>> 8) & 0xff;
  a[15] = ip & 0xff;
  return a;
}

/** Whether a tuple selects nothing (upstream's ofp_ct_tuple_is_zero). */
export function ctTupleIsZero(t: CtTuple, ipProto: number): boolean {
  let zero = isZero(t.src) && isZero(t.dst);
  if (!isIcmp(ipProto)) zero = zero && !t.srcPort && !t.dstPort;
  return zero;
}

/** Whether a tuple names a whole connection (upstream's ofp_ct_tuple_is_five_tuple). */
export function ctTupleIsFiveTuple(t: CtTuple, ipProto: number): boolean {
  let five = !isZero(t.src) && !isZero(t.dst);
  if (!isIcmp(ipProto)) five = five && t.srcPort !== 0 && t.dstPort !== 0;
  return five;
}

export function ctMatchIsZero(m: CtMatch): boolean {
  return !m.ipProto && !m.l3Type && ctTupleIsZero(m.orig, m.ipProto) &&
    ctTupleIsZero(m.reply, m.ipProto);
}

function formatTuple(t: CtTuple, ipProto: number, l3Type: number): string {
  const v4 = l3Type === AF_INET;
  let s = (v4 ? "ct_nw_src=" : "ct_ipv6_src=") + formatMapped(t.src);
  s += (v4 ? ",ct_nw_dst=" : ",ct_ipv6_dst=") + formatMapped(t.dst);
  if (isIcmp(ipProto)) {
    s += `,icmp_id=${t.icmpId},icmp_type=${t.icmpType},icmp_code=${t.icmpCode}`;
  } else {
    s += `,ct_tp_src=${t.srcPort},ct_tp_dst=${t.dstPort}`;
  }
  return s;
}

/** upstream's ofp_ct_match_format: `'orig,ct_nw_proto=N' 'reply'`. */
export function formatCtMatch(m: CtMatch): string {
  return `'${formatTuple(m.orig, m.ipProto, m.l3Type)},ct_nw_proto=${m.ipProto}' '${
    formatTuple(m.reply, m.ipProto, m.l3Type)
  }'`;
}

/** upstream's str_to_u8/str_to_u16: a whole C integer within 0..max. */
function parseU(value: string, max: number): number | undefined {
  const v = strToInt(value);
  return v !== undefined && v >= 0 && v <= max ? v : undefined;
}

/** Parse state shared between the two tuples of one match. */
export interface CtParseState {
  ipProto: number;
  l3Type: number;
  /**
   * Messages noted without failing (upstream notes a repeated ct_nw_proto in its error buffer and
   * carries on); they prefix a later error's text, as they do upstream's.
   */
  notes?: string;
}

/**
 * Parses one tuple's `key=value` list into `tuple` (upstream's ofp_ct_tuple_parse); returns
 * undefined on success or upstream's error text.
 */
export function parseCtTuple(tuple: CtTuple, s: string, st: CtParseState): string | undefined {
  const fail = (text: string) => (st.notes ?? "") + text;
  let pos = 0;
  for (;;) {
    const kv = nextKeyValue(s, pos);
    if (!kv) break;
    pos = kv.next;
    const { key, value } = kv.item;
    const failed = () => fail(`failed to parse field ${key}`);
    if (!value) return fail(`field ${key} missing value`);
    if (key === "ct_nw_src" || key === "ct_nw_dst") {
      const isSrc = key[6] === "s";
      if (st.l3Type && st.l3Type !== AF_INET) {
        return fail(`the L3 protocol does not match ${value}`);
      }
      if (!isZero(isSrc ? tuple.src : tuple.dst)) return fail(`${key} is set multiple times`);
      const ip = inetPton4(value);
      if (ip === undefined) return failed();
      st.l3Type = AF_INET;
      if (isSrc) tuple.src = mapIpv4(ip);
      else tuple.dst = mapIpv4(ip);
    } else if (key === "ct_ipv6_src" || key === "ct_ipv6_dst") {
      const isSrc = key[8] === "s";
      if (st.l3Type && st.l3Type !== AF_INET6) {
        return fail(`the L3 protocol does not match ${value}`);
      }
      if (!isZero(isSrc ? tuple.src : tuple.dst)) return fail(`${key} is set multiple times`);
      const a = inetPton6(value);
      if (!a) return failed();
      st.l3Type = AF_INET6;
      if (isSrc) tuple.src = a;
      else tuple.dst = a;
    } else if (key === "ct_nw_proto") {
      if (st.ipProto) st.notes = (st.notes ?? "") + `${key} is set multiple times`;
      const v = parseU(value, 0xff);
      if (v === undefined) return failed();
      st.ipProto = v;
    } else if (key === "ct_tp_src" || key === "ct_tp_dst") {
      const v = parseU(value, 0xffff);
      if (v === undefined) return failed();
      if (key[6] === "s") tuple.srcPort = v;
      else tuple.dstPort = v;
    } else if (key === "icmp_type" || key === "icmp_code" || key === "icmp_id") {
      if (!isIcmp(st.ipProto)) return fail("invalid L4 fields");
      const v = parseU(value, key === "icmp_id" ? 0xffff : 0xff);
      if (v === undefined) return failed();
      if (key === "icmp_type") tuple.icmpType = v;
      else if (key === "icmp_code") tuple.icmpCode = v;
      else tuple.icmpId = v;
    } else {
      return fail(`invalid conntrack tuple field: ${key}`);
    }
  }
  if (!st.ipProto && (tuple.srcPort || tuple.dstPort)) return fail("port is set without protocol");
  return undefined;
}

function pullAddr(payload: Uint8Array, st: { l3Type: number }): Uint8Array {
  if (payload.length < 16) throw new OfpError("OFPBPC_BAD_LEN");
  const a = payload.slice(0, 16);
  let l3 = 0;
  if (!isZero(a)) l3 = isV4Mapped(a) ? AF_INET : AF_INET6;
  if (st.l3Type && l3 && st.l3Type !== l3) throw new OfpError("OFPBPC_BAD_VALUE");
  st.l3Type = l3;
  return a;
}

function decodeTuple(nested: Uint8Array, t: CtTuple, st: { l3Type: number }): void {
  let off = 0;
  while (off < nested.length) {
    const { prop, next } = pullProp(nested, off);
    off = next;
    switch (prop.type) {
      case NXT_CT_TUPLE_SRC:
        t.src = pullAddr(prop.payload, st);
        break;
      case NXT_CT_TUPLE_DST:
        t.dst = pullAddr(prop.payload, st);
        break;
      case NXT_CT_TUPLE_SRC_PORT:
        t.srcPort = propU16(prop);
        break;
      case NXT_CT_TUPLE_DST_PORT:
        t.dstPort = propU16(prop);
        break;
      case NXT_CT_TUPLE_ICMP_ID:
        t.icmpId = propU16(prop);
        break;
      case NXT_CT_TUPLE_ICMP_TYPE:
        t.icmpType = propU8(prop);
        break;
      case NXT_CT_TUPLE_ICMP_CODE:
        t.icmpCode = propU8(prop);
        break;
    }
  }
}

/** A decoded NXT_CT_FLUSH. */
export interface CtFlush {
  match: CtMatch;
  /** The zone, when the message names one. */
  zoneId?: number;
}

/** Decodes an NXT_CT_FLUSH message (upstream's ofp_ct_match_decode). */
export function decodeCtFlush(msg: Uint8Array): CtFlush {
  const raw = pullRaw(msg);
  const body = raw.data.subarray(raw.bodyOffset);
  if (body.length < 8) throw new OfpError("OFPBRC_BAD_LEN");
  for (let i = 1; i < 8; i++) if (body[i]) throw new OfpError("NXBRC_MUST_BE_ZERO");
  const match = newCtMatch();
  match.ipProto = body[0]!;
  const out: CtFlush = { match };
  const props = body.subarray(8);
  let off = 0;
  while (off < props.length) {
    const { prop, next } = pullProp(props, off);
    off = next;
    if (prop.type === NXT_CT_ORIG_TUPLE) decodeTuple(propNested(prop), match.orig, match);
    else if (prop.type === NXT_CT_REPLY_TUPLE) {
      decodeTuple(propNested(prop), match.reply, match);
    } else if (prop.type === NXT_CT_ZONE_ID) out.zoneId = propU16(prop);
  }
  return out;
}

function encodeTuple(w: WireWriter, t: CtTuple, type: bigint, ipProto: number): void {
  const inner = new WireWriter();
  if (!isZero(t.src)) putProp(inner, NXT_CT_TUPLE_SRC, t.src);
  if (!isZero(t.dst)) putProp(inner, NXT_CT_TUPLE_DST, t.dst);
  if (isIcmp(ipProto)) {
    putPropU16(inner, NXT_CT_TUPLE_ICMP_ID, t.icmpId);
    putPropU8(inner, NXT_CT_TUPLE_ICMP_TYPE, t.icmpType);
    putPropU8(inner, NXT_CT_TUPLE_ICMP_CODE, t.icmpCode);
  } else {
    if (t.srcPort) putPropU16(inner, NXT_CT_TUPLE_SRC_PORT, t.srcPort);
    if (t.dstPort) putPropU16(inner, NXT_CT_TUPLE_DST_PORT, t.dstPort);
  }
  if (inner.length) {
    const start = propStartNested(w, type);
    w.bytes(inner.finish());
    propEnd(w, start);
  }
}

/** Encodes an NXT_CT_FLUSH (upstream's ofp_ct_match_encode). */
export function encodeCtFlush(
  match: CtMatch,
  zoneId: number | undefined,
  version: number,
  xid = 0,
): Uint8Array {
  const w = startMessage("NXT_CT_FLUSH", version, xid);
  w.u8(match.ipProto).zeros(7);
  encodeTuple(w, match.orig, NXT_CT_ORIG_TUPLE, match.ipProto);
  encodeTuple(w, match.reply, NXT_CT_REPLY_TUPLE, match.ipProto);
  if (zoneId !== undefined) putPropU16(w, NXT_CT_ZONE_ID, zoneId);
  return finishMessage(w);
}

/** Encodes an NXT_CT_FLUSH_ZONE. */
export function encodeCtFlushZone(zoneId: number, version: number, xid = 0): Uint8Array {
  const w = startMessage("NXT_CT_FLUSH_ZONE", version, xid);
  w.zeros(6).u16(zoneId);
  return finishMessage(w);
}

/** The zone of an NXT_CT_FLUSH_ZONE. */
export function decodeCtFlushZone(msg: Uint8Array): number {
  const raw = pullRaw(msg);
  const r = new WireReader(raw.data, raw.bodyOffset);
  r.skip(6);
  return r.u16();
}

/** The text after the header ofp-print shows for an NXT_CT_FLUSH. */
export function formatCtFlush(f: CtFlush): string {
  return ` zone=${f.zoneId ?? 0} ${formatCtMatch(f.match)}`;
}
