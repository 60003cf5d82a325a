// OpenFlow 1.3+ TLV properties (upstream's ofp-prop): a 4-byte type/length header, or for
// experimenter properties (type 0xffff, or at or above a caller-chosen limit) a 12-byte header
// with experimenter id and type; each property padded to 8 bytes (or another alignment).
// Property types are bigints: standard types as themselves, experimenter types as
// (experimenter << 32) | exp_type, as upstream's OFPPROP_EXP.
//
// Promises: `pullProp` never reads past its input and throws OfpError OFPBPC_BAD_LEN or
// OFPBPC_BAD_EXPERIMENTER as upstream; the value parsers check lengths as upstream does;
// writers own every length and pad.

import { OfpError } from "../errors.ts";
import { WireWriter } from "../wire.ts";
import { RateLimit, type VlogModule } from "../../net/vlog.ts";

/** The type of an experimenter property. */
export function propExp(experimenter: number, expType: number): bigint {
  return (BigInt(experimenter >>> 0) << 32n) | BigInt(expType >>> 0);
}

export function isExperimenterProp(type: bigint): boolean {
  return type > 0xffffn;
}

/** One property pulled from a list. */
export interface Prop {
  type: bigint;
  /** The whole property, header included, without padding (its `len` bytes). */
  raw: Uint8Array;
  /** The bytes after the 4- or 12-byte header. */
  payload: Uint8Array;
  /** Length of the property header (4 or 12). */
  headerLen: number;
}

function rd16(d: Uint8Array, o: number): number {
  return (d[o]! << 8) | d[o + 1]!;
}

function rd32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

/**
 * Pulls the property at `offset` of `data` (upstream's ofpprop_pull__): returns it and the
 * offset of the next one.
 */
export function pullProp(
  data: Uint8Array,
  offset = 0,
  alignment = 8,
  minExp = 0xffff,
): { prop: Prop; next: number } {
  const left = data.length - offset;
  if (left < 4) throw new OfpError("OFPBPC_BAD_LEN");
  const type = rd16(data, offset);
  const len = rd16(data, offset + 2);
  const padded = Math.ceil(len / alignment) * alignment;
  if (len < 4 || padded > left) throw new OfpError("OFPBPC_BAD_LEN");
  let ptype: bigint;
  let headerLen = 4;
  if (type < minExp) {
    ptype = BigInt(type);
  } else {
    if (len < 12) throw new OfpError("OFPBPC_BAD_LEN");
    const exp = rd32(data, offset + 4);
    if (!exp) throw new OfpError("OFPBPC_BAD_EXPERIMENTER");
    ptype = propExp(exp, rd32(data, offset + 8));
    headerLen = 12;
  }
  const raw = data.subarray(offset, offset + len);
  return {
    prop: { type: ptype, raw, payload: raw.subarray(headerLen), headerLen },
    next: offset + padded,
  };
}

/** Every property in `data`, in order. */
export function pullProps(data: Uint8Array, alignment = 8, minExp = 0xffff): Prop[] {
  const out: Prop[] = [];
  let offset = 0;
  while (offset < data.length) {
    const { prop, next } = pullProp(data, offset, alignment, minExp);
    out.push(prop);
    offset = next;
  }
  return out;
}

/** A 16-bit value (any payload of at least 2 bytes, as upstream forgives). */
export function propU16(p: Prop): number {
  if (p.payload.length < 2) throw new OfpError("OFPBPC_BAD_LEN");
  return rd16(p.payload, 0);
}

/** An 8-bit value (any payload of at least 1 byte). */
export function propU8(p: Prop): number {
  if (p.payload.length < 1) throw new OfpError("OFPBPC_BAD_LEN");
  return p.payload[0]!;
}

/** A 32-bit value (a payload of exactly 4 bytes). */
export function propU32(p: Prop): number {
  if (p.payload.length !== 4) throw new OfpError("OFPBPC_BAD_LEN");
  return rd32(p.payload, 0);
}

/** A 64-bit value, aligned to 8 bytes after the header. */
export function propU64(p: Prop): bigint {
  const at = Math.ceil(p.headerLen / 8) * 8;
  if (p.raw.length !== at + 8) throw new OfpError("OFPBPC_BAD_LEN");
  return (BigInt(rd32(p.raw, at)) << 32n) | BigInt(rd32(p.raw, at + 4));
}

/** The nested bytes of a property whose contents start 8-aligned. */
export function propNested(p: Prop): Uint8Array {
  const at = Math.ceil(p.headerLen / 8) * 8;
  if (p.raw.length < at) throw new OfpError("OFPBPC_BAD_LEN");
  return p.raw.subarray(at);
}

/** Starts a property of `type`; returns its offset for `propEnd`. */
export function propStart(w: WireWriter, type: bigint): number {
  const start = w.length;
  if (!isExperimenterProp(type)) {
    w.u16(Number(type)).u16(4);
  } else {
    w.u16(0xffff).u16(12).u32(Number(type >> 32n)).u32(Number(type & 0xffffffffn));
  }
  return start;
}

/** Sets the length of the property started at `start` and pads to 8. */
export function propEnd(w: WireWriter, start: number): void {
  w.setU16(start + 2, w.length - start);
  w.padTo(8, start);
}

/** Starts a property whose contents begin 8-aligned (upstream's ofpprop_start_nested). */
export function propStartNested(w: WireWriter, type: bigint): number {
  const start = propStart(w, type);
  w.padTo(8, start);
  return start;
}

export function putProp(w: WireWriter, type: bigint, value: Uint8Array): void {
  const start = propStart(w, type);
  w.bytes(value);
  propEnd(w, start);
}

/** A 16-bit value padded to 8 bytes, as the specs lay such properties out. */
export function putPropU16(w: WireWriter, type: bigint, value: number): void {
  const start = propStart(w, type);
  w.u16(value);
  if (!isExperimenterProp(type)) w.u16(0);
  propEnd(w, start);
}

export function putPropU32(w: WireWriter, type: bigint, value: number): void {
  const start = propStart(w, type);
  w.u32(value);
  propEnd(w, start);
}

export function putPropU64(w: WireWriter, type: bigint, value: bigint): void {
  const start = propStart(w, type);
  w.zeros(4);
  w.u64(value);
  propEnd(w, start);
}

export function putPropU8(w: WireWriter, type: bigint, value: number): void {
  const start = propStart(w, type);
  w.u8(value);
  propEnd(w, start);
}

export function putPropFlag(w: WireWriter, type: bigint): void {
  propEnd(w, propStart(w, type));
}

/** A property whose payload is a list of empty properties, one per set bit. */
export function putPropBitmap(w: WireWriter, type: bigint, bitmap: bigint): void {
  const start = propStart(w, type);
  for (let i = 0n; i < 64n; i++) if (bitmap & (1n << i)) propStart(w, i);
  propEnd(w, start);
}

const unknownLimit = new RateLimit(5, 5);

/**
 * An unknown property (upstream's ofpprop_unknown): logged (at debug when `loose`), then
 * ignored when `loose`, else an OfpError OFPBPC_BAD_TYPE or OFPBPC_BAD_EXP_TYPE.
 */
export function unknownProp(log: VlogModule, loose: boolean, what: string, type: bigint): void {
  const exp = isExperimenterProp(type);
  const text = exp
    ? `unknown ${what} property type for exp_id 0x${(type >> 32n).toString(16)}, exp_type ${
      type & 0xffffffffn
    }`
    : `unknown ${what} property type ${type}`;
  log.rateLimited(unknownLimit, loose ? "dbg" : "warn", text);
  if (!loose) throw new OfpError(exp ? "OFPBPC_BAD_EXP_TYPE" : "OFPBPC_BAD_TYPE");
}
