// The two generic ways an action writes a field on the wire, shared by every family that falls
// back to them: OpenFlow 1.2+'s Set-Field (a header-value entry padded to 8 bytes, upstream's
// put_set_field) and Nicira's reg_load (up to 64 bits at an offset, upstream's put_reg_load).
// Writers only; the set_field family decodes both.

import type { Field } from "../fields.ts";
import { OFP12 } from "../fields.ts";
import type { WireWriter } from "../wire.ts";
import { nxmHeader32, putEntry } from "../nxm_header.ts";
import { finishRaw, startRaw } from "./raw.ts";
import type { Subfield } from "./types.ts";

/** `value` as `nBytes` big-endian bytes. */
export function bytesOf(value: bigint | number, nBytes: number): Uint8Array {
  const out = new Uint8Array(nBytes);
  let v = BigInt(value);
  for (let i = nBytes - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** Big-endian bytes as a bigint. */
export function bigOf(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** OFPAT_SET_FIELD of a whole field to `value` (the field's width, big-endian). */
export function putSetField(w: WireWriter, version: number, f: Field, value: Uint8Array): void {
  // The action's header is the same in every version that has it (upstream writes it as 1.2's).
  const start = startRaw(w, OFP12, "OFPAT_RAW12_SET_FIELD");
  putEntry(w, f, version, value);
  finishRaw(w, start);
}

/** OFPAT_SET_FIELD with an optional mask (OpenFlow 1.5 masked Set-Field). */
export function putSetFieldMasked(
  w: WireWriter,
  version: number,
  f: Field,
  value: Uint8Array,
  mask: Uint8Array,
): void {
  const start = startRaw(w, OFP12, "OFPAT_RAW12_SET_FIELD");
  putEntry(w, f, version, value, mask);
  finishRaw(w, start);
}

/** NXAST_REG_LOAD of `value` into `dst` (at most 64 bits). */
export function putRegLoad(w: WireWriter, dst: Subfield, value: bigint): void {
  const start = startRaw(w, 1, "NXAST_RAW_REG_LOAD");
  w.u16(((dst.ofs << 6) | (dst.nBits - 1)) & 0xffff);
  w.u32(nxmHeader32(dst.field));
  w.u64(value);
  finishRaw(w, start);
}

// ---- bit runs of big-endian byte arrays (bit 0 is the least significant bit of the last byte) ----

export function getBit(bytes: Uint8Array, i: number): number {
  const byte = bytes[bytes.length - 1 - (i >> 3)] ?? 0;
  return (byte >> (i & 7)) & 1;
}

export function setBit(bytes: Uint8Array, i: number, v: number): void {
  const at = bytes.length - 1 - (i >> 3);
  if (at < 0) return;
  if (v) bytes[at]! |= 1 << (i & 7);
  else bytes[at]! &= ~(1 << (i & 7));
}

/** Bits `ofs .. ofs+n-1` as a bigint (upstream's bitwise_get). */
export function getBits(bytes: Uint8Array, ofs: number, n: number): bigint {
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 1n) | BigInt(getBit(bytes, ofs + i));
  return v;
}

/** Writes the low `n` bits of `value` at `ofs` (upstream's bitwise_put). */
export function putBits(bytes: Uint8Array, ofs: number, n: number, value: bigint): void {
  for (let i = 0; i < n; i++) setBit(bytes, ofs + i, Number((value >> BigInt(i)) & 1n));
}

/** The first bit in [start, end) equal to `target`, or `end` (upstream's bitwise_scan). */
export function scanBits(bytes: Uint8Array, target: number, start: number, end: number): number {
  for (let i = start; i < end; i++) if (getBit(bytes, i) === target) return i;
  return end;
}

/** Whether bits [ofs, ofs+n) are all zero (upstream's bitwise_is_all_zeros). */
export function bitsAreZero(bytes: Uint8Array, ofs: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (getBit(bytes, ofs + i)) return false;
  return true;
}
