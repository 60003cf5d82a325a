// tun_metadata<n>: the 64 variable-length tunnel-option fields (upstream's lib/tun-metadata.c),
// each up to 124 bytes, together at most 256 bytes, sharing the option area of a match's words
// (flow.ts: W_TUN_METADATA_PRESENT, W_TUN_METADATA_OPTS). Where field n's bytes sit is decided
// either by a switch's TLV map (TunTable: NXT_TLV_TABLE_MOD maps an option class/type/length to
// tun_metadata<n> and allocates its bytes in 4-byte blocks, possibly fragmented), or, in a match
// that has no map (ovs-ofctl's), by the match's own allocation (TunMetadataAllocation: fields
// placed one after another in the order they are set, each as long as its value).
//
// Promises: upstream's rules — a value's length is its significant bytes (leading zeros
// dropped), a field is set once per match, the area overflows with upstream's message; the
// present bit of field n is set in flow and mask whenever it is matched (an all-zero mask still
// matches "present"); text and NXM entries come out in field order. Pure functions over Match
// words; no I/O.

import {
  TUN_METADATA_OPTS_BYTES,
  W_TUN_METADATA_OPTS,
  W_TUN_METADATA_PRESENT,
} from "../datapath/flow.ts";
import { OfpError } from "./errors.ts";
import { type Field, TUN_METADATA_FIELDS } from "./fields.ts";
import type { Match } from "./match.ts";

/** The width of every tun_metadata<n> value as it crosses this module (upstream's n_bytes). */
export const TUN_METADATA_FIELD_BYTES = 124;

/** A run of option bytes. */
export interface TunMetadataChunk {
  offset: number;
  len: number;
}

/** Where one field's bytes sit: `len` bytes in total, in the chunks' order. */
export interface TunMetadataLoc {
  len: number;
  chain: readonly TunMetadataChunk[];
}

interface AllocEntry {
  loc: TunMetadataLoc;
  /** Whether the value was given with a mask (otherwise a short mask would look exact). */
  masked: boolean;
}

/** A match's own placement of its fields (upstream's tun_metadata_allocation). */
export class TunMetadataAllocation {
  readonly entries: (AllocEntry | undefined)[] = new Array(TUN_METADATA_FIELDS).fill(undefined);
  allocOffset = 0;

  clone(): TunMetadataAllocation {
    const copy = new TunMetadataAllocation();
    for (let i = 0; i < TUN_METADATA_FIELDS; i++) copy.entries[i] = this.entries[i];
    copy.allocOffset = this.allocOffset;
    return copy;
  }
}

/** One mapping of a TLV table mod (the shape of msg/tlv_table.ts's TlvMap). */
export interface TunMapping {
  optionClass: number;
  optionType: number;
  optionLen: number;
  index: number;
}

interface TableEntry {
  optionClass: number;
  optionType: number;
  loc: TunMetadataLoc;
}

const BLOCKS = TUN_METADATA_OPTS_BYTES / 4;

/** What matches and decoders need of a switch's TLV map: where each mapped field's bytes sit. */
export interface TunMetadataMap {
  /** The place of tun_metadata<index>, or undefined when it is not mapped. */
  loc(index: number): TunMetadataLoc | undefined;
}

/**
 * A switch's TLV map (upstream's tun_table), allocating each mapping's bytes as upstream does:
 * immutable once built; `apply` returns the table a NXT_TLV_TABLE_MOD makes of it, or throws its
 * OfpError (the old table stays as it was).
 */
export class TunTable implements TunMetadataMap {
  readonly #entries: (TableEntry | undefined)[] = new Array(TUN_METADATA_FIELDS).fill(undefined);
  /** One flag per 4-byte block of the option area: in use. */
  readonly #blocks = new Uint8Array(BLOCKS);

  /** The place of tun_metadata<index>, if mapped. */
  loc(index: number): TunMetadataLoc | undefined {
    return this.#entries[index]?.loc;
  }

  /** The mappings in field order, as NXT_TLV_TABLE_REPLY lists them. */
  mappings(): TunMapping[] {
    const out: TunMapping[] = [];
    this.#entries.forEach((e, index) => {
      if (e) {
        out.push({
          optionClass: e.optionClass,
          optionType: e.optionType,
          optionLen: e.loc.len,
          index,
        });
      }
    });
    return out;
  }

  #copy(): TunTable {
    const t = new TunTable();
    for (let i = 0; i < TUN_METADATA_FIELDS; i++) t.#entries[i] = this.#entries[i];
    t.#blocks.set(this.#blocks);
    return t;
  }

  /** tun_metadata_table_mod: NXTTMC_ADD (0), NXTTMC_DELETE (1) or NXTTMC_CLEAR (2). */
  apply(command: number, mappings: readonly TunMapping[]): TunTable {
    if (command === 2) return new TunTable();
    const t = this.#copy();
    for (const m of mappings) {
      if (command === 0) t.#add(m);
      else t.#delete(m.index);
    }
    return t;
  }

  #add(m: TunMapping): void {
    if (this.#entries[m.index]) throw new OfpError("NXTTMFC_ALREADY_MAPPED");
    if (
      this.#entries.some((e) => e?.optionClass === m.optionClass && e.optionType === m.optionType)
    ) {
      throw new OfpError("NXTTMFC_DUP_ENTRY");
    }
    const chain: TunMetadataChunk[] = [];
    let len = m.optionLen;
    while (len) {
      const chunk = this.#allocChunk(len);
      if (!chunk) {
        for (const c of chain) this.#blocks.fill(0, c.offset / 4, (c.offset + c.len) / 4);
        throw new OfpError("NXTTMFC_TABLE_FULL");
      }
      chain.push(chunk);
      len -= chunk.len;
    }
    this.#entries[m.index] = {
      optionClass: m.optionClass,
      optionType: m.optionType,
      loc: { len: m.optionLen, chain },
    };
  }

  /** tun_metadata_alloc_chain: the first free run long enough, else the longest free run. */
  #allocChunk(len: number): TunMetadataChunk | undefined {
    const want = len / 4;
    let bestStart = 0;
    let bestLen = 0;
    let scan = 0;
    for (;;) {
      let start = scan;
      while (start < BLOCKS && this.#blocks[start]) start++;
      if (start >= BLOCKS) break;
      let end = start;
      while (end < Math.min(start + want, BLOCKS) && !this.#blocks[end]) end++;
      const run = end - start;
      if (run === want) {
        bestStart = start;
        bestLen = run;
        break;
      }
      if (run > bestLen) {
        bestStart = start;
        bestLen = run;
      }
      scan = end + 1;
    }
    if (!bestLen) return undefined;
    this.#blocks.fill(1, bestStart, bestStart + bestLen);
    return { offset: bestStart * 4, len: bestLen * 4 };
  }

  #delete(index: number): void {
    const e = this.#entries[index];
    if (!e) return;
    for (const c of e.loc.chain) this.#blocks.fill(0, c.offset / 4, (c.offset + c.len) / 4);
    this.#entries[index] = undefined;
  }
}

// ---- words ----

/** The index n of tun_metadata<n>, or -1 for any other field. */
export function tunMetadataIndex(f: Field): number {
  if (!f.variable) return -1;
  return Number(f.name.slice("tun_metadata".length));
}

function presentWord(index: number): number {
  return W_TUN_METADATA_PRESENT + (index < 32 ? 1 : 0);
}

/** Whether bit `index` of the present map is set in `words` (a flow or a mask). */
export function isTunMetadataPresent(words: Uint32Array, index: number): boolean {
  return ((words[presentWord(index)]! >>> (index & 31)) & 1) !== 0;
}

function setPresent(words: Uint32Array, index: number): void {
  const w = presentWord(index);
  words[w] = (words[w]! | (1 << (index & 31))) >>> 0;
}

function optByte(words: Uint32Array, i: number): number {
  return (words[W_TUN_METADATA_OPTS + (i >> 2)]! >>> (24 - 8 * (i & 3))) & 0xff;
}

function setOptByte(words: Uint32Array, i: number, v: number): void {
  const w = W_TUN_METADATA_OPTS + (i >> 2);
  const shift = 24 - 8 * (i & 3);
  words[w] = ((words[w]! & ~(0xff << shift)) | ((v & 0xff) << shift)) >>> 0;
}

/** memcpy_from_metadata: the `loc.len` bytes of a field. */
export function readTunMetadataBytes(words: Uint32Array, loc: TunMetadataLoc): Uint8Array {
  const out = new Uint8Array(loc.len);
  let at = 0;
  for (const c of loc.chain) {
    for (let i = 0; i < c.len && at < loc.len; i++) out[at++] = optByte(words, c.offset + i);
  }
  return out;
}

/** memcpy_to_metadata: stores `bytes` (loc.len of them) and marks field `index` present. */
function writeTunMetadataBytes(
  words: Uint32Array,
  bytes: Uint8Array,
  loc: TunMetadataLoc,
  index: number,
): void {
  let at = 0;
  for (const c of loc.chain) {
    for (let i = 0; i < c.len && at < loc.len; i++) setOptByte(words, c.offset + i, bytes[at++]!);
  }
  setPresent(words, index);
}

// ---- matches ----

/** field_len: the significant bytes of a variable-length value (leading zeros dropped). */
export function variableLength(value: Uint8Array): number {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  return value.length - i;
}

function isAllOnes(b: Uint8Array, from = 0, to = b.length): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0xff) return false;
  return true;
}

function isAllZeros(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * mf_field_len for a variable-length field: the bytes an entry needs (the longer of value and
 * mask) and whether a mask is really given.
 */
export function variableFieldLength(
  value: Uint8Array,
  mask: Uint8Array | undefined,
): { len: number; masked: boolean } {
  const masked = mask !== undefined && !isAllOnes(mask);
  let len = variableLength(value);
  if (masked) len = Math.max(len, variableLength(mask));
  return { len, masked };
}

/** metadata_loc_from_match_read: where field `index` of `m` sits and whether it is masked. */
export function tunMetadataPlace(
  m: Match,
  index: number,
): { loc: TunMetadataLoc; masked: boolean } | undefined {
  if (m.tunMd) {
    const e = m.tunMd.entries[index];
    return e ? { loc: e.loc, masked: e.masked } : { loc: { len: 0, chain: [] }, masked: false };
  }
  const loc = m.tunTable?.loc(index);
  if (!loc) return undefined;
  const mask = readTunMetadataBytes(m.mask, loc);
  return { loc, masked: loc.len === 0 || !isAllOnes(mask) };
}

/**
 * tun_metadata_set_match: match tun_metadata<index> against `value` under `mask` (both the
 * field's 124 bytes, right-aligned; value undefined means zeros, mask undefined exact). Returns
 * upstream's complaint when the field cannot be placed (`m` then unchanged), else undefined.
 */
export function setTunMetadataMatch(
  m: Match,
  f: Field,
  value: Uint8Array | undefined,
  mask: Uint8Array | undefined,
): string | undefined {
  const index = tunMetadataIndex(f);
  const { len: fieldLen, masked } = value
    ? variableFieldLength(value, mask)
    : { len: 0, masked: false };
  let loc: TunMetadataLoc | undefined;
  if (m.tunTable) {
    loc = m.tunTable.loc(index);
    if (!loc) return undefined;
  } else {
    const alloc = m.tunMd ?? new TunMetadataAllocation();
    if (alloc.allocOffset + fieldLen > TUN_METADATA_OPTS_BYTES) {
      return `field ${f.name} exceeds maximum size for tunnel metadata (used ${
        alloc.allocOffset + fieldLen
      }, max ${TUN_METADATA_OPTS_BYTES})`;
    }
    if (isTunMetadataPresent(m.mask, index)) return `field ${f.name} set multiple times`;
    loc = { len: fieldLen, chain: [{ offset: alloc.allocOffset, len: fieldLen }] };
    alloc.entries[index] = { loc, masked };
    alloc.allocOffset += fieldLen;
    m.tunMd = alloc;
  }
  const offset = TUN_METADATA_FIELD_BYTES - loc.len;
  const data = new Uint8Array(loc.len);
  if (value) {
    for (let i = 0; i < loc.len; i++) {
      const v = value[offset + i] ?? 0;
      data[i] = mask ? v & (mask[offset + i] ?? 0) : v;
    }
  }
  writeTunMetadataBytes(m.flow, data, loc, index);
  if (!value) data.fill(0);
  else if (!mask) data.fill(0xff);
  else for (let i = 0; i < loc.len; i++) data[i] = mask[offset + i] ?? 0;
  writeTunMetadataBytes(m.mask, data, loc, index);
  return undefined;
}

/**
 * The value and mask of tun_metadata<index> in `m`, right-aligned in the field's 124 bytes
 * (zeros when the field is not matched), as ovs-ofctl reads them for sorting and set_field.
 */
export function getTunMetadataMatch(
  m: Match,
  index: number,
): { value: Uint8Array; mask: Uint8Array } {
  const value = new Uint8Array(TUN_METADATA_FIELD_BYTES);
  const mask = new Uint8Array(TUN_METADATA_FIELD_BYTES);
  const place = isTunMetadataPresent(m.mask, index) ? tunMetadataPlace(m, index) : undefined;
  if (place) {
    const at = TUN_METADATA_FIELD_BYTES - place.loc.len;
    value.set(readTunMetadataBytes(m.flow, place.loc), at);
    mask.set(readTunMetadataBytes(m.mask, place.loc), at);
  }
  return { value, mask };
}

/** The indices of the tun_metadata fields `m` matches, in field order. */
export function matchedTunMetadata(m: Match): number[] {
  const out: number[] = [];
  const lo = m.mask[W_TUN_METADATA_PRESENT + 1]!;
  const hi = m.mask[W_TUN_METADATA_PRESENT]!;
  if (!lo && !hi) return out;
  for (let i = 0; i < TUN_METADATA_FIELDS; i++) {
    if (((i < 32 ? lo : hi) >>> (i & 31)) & 1) out.push(i);
  }
  return out;
}

function putHex(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i++) {
    if (out) out += bytes[i]!.toString(16).padStart(2, "0");
    else if (bytes[i]) out = `0x${bytes[i]!.toString(16)}`;
  }
  return out || "0";
}

/** tun_metadata_match_format: the items match_format prints for the tun_metadata fields. */
export function formatTunMetadataMatch(m: Match, parts: string[]): void {
  if (!m.tunTable && !m.tunMd) return;
  for (const index of matchedTunMetadata(m)) {
    const place = tunMetadataPlace(m, index);
    if (!place) continue;
    const mask = readTunMetadataBytes(m.mask, place.loc);
    let item = `tun_metadata${index}`;
    if (!isTunMetadataPresent(m.flow, index)) {
      item += "=NP";
    } else if (!(place.masked && isAllZeros(mask))) {
      item += `=${putHex(readTunMetadataBytes(m.flow, place.loc))}`;
      if (!isAllOnes(mask)) item += `/${putHex(mask)}`;
    }
    parts.push(item);
  }
}

/**
 * tun_metadata_to_nx_match's entries: for each matched field in order, its value (and mask when
 * masked) as `loc.len` bytes, for the caller to write under the field's header.
 */
export function tunMetadataEntries(
  m: Match,
): { index: number; value: Uint8Array; mask: Uint8Array | undefined }[] {
  const out: { index: number; value: Uint8Array; mask: Uint8Array | undefined }[] = [];
  for (const index of matchedTunMetadata(m)) {
    const place = tunMetadataPlace(m, index);
    if (!place) continue;
    out.push({
      index,
      value: readTunMetadataBytes(m.flow, place.loc),
      mask: place.masked ? readTunMetadataBytes(m.mask, place.loc) : undefined,
    });
  }
  return out;
}
