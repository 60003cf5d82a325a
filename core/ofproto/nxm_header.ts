// NXM and OXM headers, one field at a time, as upstream's nx-match.c: the table of every header
// name a field answers to (NXM_OF_*, NXM_NX_*, OXM_OF_*, experimenter OXMs with their 4-byte id)
// with the OpenFlow version each was introduced in, which header to use for a field in a given
// version, and encoding/decoding of single headers and entries (header, value, optional mask)
// with upstream's length and error rules. Whole matches are in nx_match.ts; actions (set_field,
// load, move, learn) use this file directly. Throws OfpError on bad input, never reads past the
// end of its input.

import { type Field, FIELDS, NSH_VENDOR_ID, NX_VENDOR_ID, OFP15, type OxmCode } from "./fields.ts";
import { OfpError, ParseError } from "./errors.ts";
import { type WireReader, WireWriter } from "./wire.ts";
import { hexitValue } from "./text_scan.ts";

export const OXM_CLASS_NXM0 = 0x0000;
export const OXM_CLASS_NXM1 = 0x0001;
export const OXM_CLASS_OPENFLOW_BASIC = 0x8000;
export const OXM_CLASS_PACKET_REGS = 0x8001;
export const OXM_CLASS_EXPERIMENTER = 0xffff;

/** A raw header: class, field number, hasmask, length (payload plus 4 for experimenters). */
export interface NxmHeader {
  oxmClass: number;
  field: number;
  hasMask: boolean;
  length: number;
  /** The experimenter id (class 0xffff only), else 0. */
  experimenter: number;
}

/** One name a field is known by on the wire. */
export interface NxmCode {
  name: string;
  field: Field;
  oxmClass: number;
  fieldNo: number;
  experimenter: number;
  /** The exact (unmasked) length of the header. */
  length: number;
  /** First OpenFlow version using it; 0 for NXM and extension classes. */
  version: number;
}

export function isExperimenter(h: { oxmClass: number }): boolean {
  return h.oxmClass === OXM_CLASS_EXPERIMENTER;
}

export function experimenterLength(h: { oxmClass: number }): number {
  return isExperimenter(h) ? 4 : 0;
}

/** The bytes of value (and mask) that follow the header. */
export function payloadLength(h: NxmHeader): number {
  return h.length - experimenterLength(h);
}

/** The width of the field's value according to the header. */
export function fieldBytes(h: NxmHeader): number {
  const n = payloadLength(h);
  return h.hasMask ? Math.floor(n / 2) : n;
}

export function headerLength(h: { oxmClass: number }): number {
  return 4 + experimenterLength(h);
}

/** nxm_make_exact_header. */
export function exactHeader(h: NxmHeader): NxmHeader {
  return { ...h, hasMask: false, length: Math.floor(payloadLength(h) / 2) + experimenterLength(h) };
}

/** nxm_make_wild_header. */
export function wildHeader(h: NxmHeader): NxmHeader {
  return { ...h, hasMask: true, length: payloadLength(h) * 2 + experimenterLength(h) };
}

/** The 32-bit word of a header (without any experimenter id). */
export function headerWord(h: NxmHeader): number {
  return ((h.oxmClass << 16) | (h.field << 9) | (h.hasMask ? 0x100 : 0) | (h.length & 0xff)) >>>
    0;
}

function isStandardClass(code: OxmCode): boolean {
  return code.oxmClass === OXM_CLASS_OPENFLOW_BASIC || code.oxmClass === OXM_CLASS_PACKET_REGS ||
    (code.oxmClass === OXM_CLASS_EXPERIMENTER && code.experimenter !== NX_VENDOR_ID &&
      code.experimenter !== NSH_VENDOR_ID);
}

/** Codes upstream has that fields.ts's one-OXM-per-field rows do not carry. */
const EXTRA_OXM: ReadonlyArray<readonly [string, OxmCode]> = [
  ["tcp_flags", {
    name: "OXM_OF_TCP_FLAGS",
    oxmClass: OXM_CLASS_OPENFLOW_BASIC,
    field: 42,
    experimenter: 0,
    version: OFP15,
  }],
  ["actset_output", {
    name: "OXM_OF_ACTSET_OUTPUT",
    oxmClass: OXM_CLASS_OPENFLOW_BASIC,
    field: 43,
    experimenter: 0,
    version: OFP15,
  }],
];

function makeCode(f: Field, code: OxmCode): NxmCode {
  const standard = isStandardClass(code);
  return {
    name: code.name,
    field: f,
    oxmClass: code.oxmClass,
    fieldNo: code.field,
    experimenter: code.oxmClass === OXM_CLASS_EXPERIMENTER ? code.experimenter : 0,
    length: f.nBytes + (code.oxmClass === OXM_CLASS_EXPERIMENTER ? 4 : 0),
    version: standard ? code.version : 0,
  };
}

/** Per field, its codes sorted by version (stable, OXM rows before NXM rows), as nx-match.inc. */
const CODES_BY_FIELD = new Map<Field, NxmCode[]>();
const CODES_BY_NAME = new Map<string, NxmCode>();
/** Codes by class and field number (the header word without mask bit and length). */
const CODES_BY_HEADER = new Map<number, NxmCode>();
/** Experimenter codes: by experimenter id, then as CODES_BY_HEADER. */
const CODES_BY_EXPERIMENTER = new Map<number, Map<number, NxmCode>>();

function headerKey(oxmClass: number, fieldNo: number): number {
  return ((oxmClass << 16) | (fieldNo << 9)) >>> 0;
}

/** The code a header's class, field and experimenter name, whatever its length. */
export function codeByHeaderKey(
  oxmClass: number,
  fieldNo: number,
  experimenter: number,
): NxmCode | undefined {
  const key = headerKey(oxmClass, fieldNo);
  if (oxmClass !== OXM_CLASS_EXPERIMENTER) return CODES_BY_HEADER.get(key);
  return CODES_BY_EXPERIMENTER.get(experimenter)?.get(key);
}

for (const f of FIELDS) {
  const oxms: NxmCode[] = [];
  if (f.oxm) oxms.push(makeCode(f, f.oxm));
  for (const [name, code] of EXTRA_OXM) if (name === f.name) oxms.push(makeCode(f, code));
  const nxms: NxmCode[] = f.nxm ? [makeCode(f, f.nxm)] : [];
  const all = [...oxms, ...nxms].map((c, i) => ({ c, i }))
    .sort((a, b) => a.c.version - b.c.version || a.i - b.i)
    .map((x) => x.c);
  if (!all.length) continue;
  CODES_BY_FIELD.set(f, all);
  for (const c of all) {
    CODES_BY_NAME.set(c.name, c);
    const key = headerKey(c.oxmClass, c.fieldNo);
    if (c.oxmClass !== OXM_CLASS_EXPERIMENTER) {
      CODES_BY_HEADER.set(key, c);
    } else {
      let byKey = CODES_BY_EXPERIMENTER.get(c.experimenter);
      if (!byKey) CODES_BY_EXPERIMENTER.set(c.experimenter, byKey = new Map());
      byKey.set(key, c);
    }
  }
}

/** Every code of `f`, oldest first. */
export function codesOf(f: Field): readonly NxmCode[] {
  return CODES_BY_FIELD.get(f) ?? [];
}

/**
 * nxm_field_by_mf_id: the code to use for `f` in OpenFlow `version` (0 prefers NXM): the newest
 * code not newer than the version, else the oldest.
 */
export function codeFor(f: Field, version: number): NxmCode | undefined {
  let chosen: NxmCode | undefined;
  for (const c of CODES_BY_FIELD.get(f) ?? []) if (!chosen || version >= c.version) chosen = c;
  return chosen;
}

/** nxm_field_by_name: the code with this NXM/OXM name (exact case). */
export function codeByName(name: string): NxmCode | undefined {
  return CODES_BY_NAME.get(name);
}

/** The header of `code`, masked or not. */
export function headerOf(code: NxmCode, masked = false): NxmHeader {
  const h: NxmHeader = {
    oxmClass: code.oxmClass,
    field: code.fieldNo,
    hasMask: false,
    length: code.length,
    experimenter: code.experimenter,
  };
  return masked ? wildHeader(h) : h;
}

/** The header for `f` in `version` (mf_oxm_header), or undefined when it has none. */
export function fieldHeader(f: Field, version: number, masked = false): NxmHeader | undefined {
  const code = codeFor(f, version);
  return code ? headerOf(code, masked) : undefined;
}

/**
 * mf_nxm_header: the 32-bit NXM-preferred header of `f`, or 0 when it has none or needs an
 * experimenter id (the form NXAST_REG_LOAD and friends carry).
 */
export function nxmHeader32(f: Field): number {
  const h = fieldHeader(f, 0);
  return h && !isExperimenter(h) ? headerWord(h) : 0;
}

export type HeaderLookup =
  | { code: NxmCode; error?: undefined }
  | { code?: undefined; error?: "OFPBAC_BAD_SET_LEN" };

/**
 * nxm_field_by_header: the code a header names (lengths must agree, except for a
 * variable-length field, whose entries may be shorter or longer than its width).
 */
export function lookupHeader(h: NxmHeader, isAction = false): HeaderLookup {
  const exact = h.hasMask ? exactHeader(h) : h;
  const code = codeByHeaderKey(exact.oxmClass, exact.field, exact.experimenter);
  if (!code) return {};
  if (exact.length === code.length || code.field.variable) return { code };
  return isAction && exact.length > 0 ? { error: "OFPBAC_BAD_SET_LEN" } : {};
}

/** NXM_NX_COOKIE, the pseudo-field flow mods and stats requests may carry. */
export const NXM_NX_COOKIE: NxmHeader = {
  oxmClass: OXM_CLASS_NXM1,
  field: 30,
  hasMask: false,
  length: 8,
  experimenter: 0,
};

export function isCookieHeader(h: NxmHeader): boolean {
  return h.oxmClass === OXM_CLASS_NXM1 && h.field === 30 && h.experimenter === 0 &&
    (h.hasMask ? h.length === 16 : h.length === 8);
}

// ---- writing ----

export function putHeader(w: WireWriter, h: NxmHeader): void {
  w.u32(headerWord(h));
  if (isExperimenter(h)) w.u32(h.experimenter);
}

/**
 * nx_put_header: the header of `f` for `version` (0 = NXM). A field with no header at all gets
 * upstream's all-zero header (which reads back as a malformed NXM_OF_IN_PORT), so that such
 * actions fail where upstream's do.
 */
export function putFieldHeader(
  w: WireWriter,
  f: Field,
  version: number,
  masked = false,
): void {
  const h = fieldHeader(f, version, masked);
  if (!h) w.u32(0);
  else putHeader(w, h);
}

/**
 * nx_put_header_len: the header of `f` with a payload of `nBytes` (each of value and mask);
 * class 0, field 0 for a field with no header, as upstream writes it.
 */
export function putFieldHeaderLength(
  w: WireWriter,
  f: Field,
  version: number,
  masked: boolean,
  nBytes: number,
): void {
  const code = codeFor(f, version);
  if (!code) {
    w.u32((masked ? 0x100 : 0) | ((masked ? 2 : 1) * nBytes));
    return;
  }
  const h: NxmHeader = {
    oxmClass: code.oxmClass,
    field: code.fieldNo,
    hasMask: false,
    length: nBytes + experimenterLength(code),
    experimenter: code.experimenter,
  };
  putHeader(w, masked ? wildHeader(h) : h);
}

/**
 * nx_put_entry: header, value and (when given and not all ones) mask. A variable-length field
 * takes only the bytes its value and mask need (mf_field_len), from the right.
 */
export function putEntry(
  w: WireWriter,
  f: Field,
  version: number,
  value: Uint8Array,
  mask?: Uint8Array,
): void {
  const masked = mask !== undefined && !mask.every((b) => b === 0xff);
  let len = f.nBytes;
  if (f.variable) {
    len = significantBytes(value);
    if (masked) len = Math.max(len, significantBytes(mask));
  }
  const at = f.nBytes - len;
  putFieldHeaderLength(w, f, version, masked, len);
  w.bytes(value.subarray(at, f.nBytes));
  if (masked) w.bytes(mask.subarray(at, f.nBytes));
}

function significantBytes(b: Uint8Array): number {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.length - i;
}

// ---- reading ----

export interface PulledHeader {
  header: NxmHeader;
  /** The field, or undefined for the cookie pseudo-header. */
  field: Field | undefined;
  code: NxmCode | undefined;
}

/** Reads a raw header (4 or 8 bytes); OFPBMC_BAD_LEN when short or its length is impossible. */
export function pullRawHeader(r: WireReader): NxmHeader {
  if (r.remaining < 4) throw new OfpError("OFPBMC_BAD_LEN", "partial OXM header");
  const word = r.peekU32();
  const oxmClass = word >>> 16;
  if (oxmClass === OXM_CLASS_EXPERIMENTER && r.remaining < 8) {
    throw new OfpError("OFPBMC_BAD_LEN", "partial experimenter OXM header");
  }
  const h: NxmHeader = {
    oxmClass,
    field: (word >>> 9) & 0x7f,
    hasMask: (word & 0x100) !== 0,
    length: word & 0xff,
    experimenter: oxmClass === OXM_CLASS_EXPERIMENTER ? r.peekU32(4) : 0,
  };
  if (h.length < experimenterLength(h)) {
    throw new OfpError("OFPBMC_BAD_LEN", `OXM header has invalid length ${h.length}`);
  }
  r.skip(headerLength(h));
  return h;
}

/**
 * nx_pull_header__: a header and the field it names. Unknown fields are OFPBMC_BAD_FIELD in
 * matches; in actions OFPBAC_BAD_SET_TYPE (or OFPBAC_BAD_SET_LEN for a known field with the
 * wrong length). `allowCookie` admits NXM_NX_COOKIE with no field.
 */
export function pullHeader(
  r: WireReader,
  opts: { allowCookie?: boolean; isAction?: boolean } = {},
): PulledHeader {
  const header = pullRawHeader(r);
  const found = lookupHeader(header, opts.isAction);
  if (found.code) return { header, field: found.code.field, code: found.code };
  if (opts.allowCookie && isCookieHeader(header)) {
    return { header, field: undefined, code: undefined };
  }
  if (opts.isAction) throw new OfpError(found.error ?? "OFPBAC_BAD_SET_TYPE", "unknown OXM field");
  throw new OfpError("OFPBMC_BAD_FIELD", "unknown OXM field");
}

/** mf_from_nxm_header for a 32-bit NXM header (as NXAST_REG_LOAD carries): the field, if any. */
export function fieldFromHeader32(header: number): Field | undefined {
  const h = header >>> 0;
  return lookupHeader({
    oxmClass: h >>> 16,
    field: (h >>> 9) & 0x7f,
    hasMask: (h & 0x100) !== 0,
    length: h & 0xff,
    experimenter: 0,
  }).code?.field;
}

/** nx_pull_header: a header that may not carry a mask unless `allowMask`. */
export function pullFieldHeader(
  r: WireReader,
  allowMask = false,
): { field: Field; masked: boolean } {
  const p = pullHeader(r);
  if (!p.field) throw new OfpError("OFPBMC_BAD_FIELD", "unknown OXM field");
  if (p.header.hasMask && !allowMask) throw new OfpError("OFPBMC_BAD_MASK", "masked header");
  return { field: p.field, masked: p.header.hasMask };
}

export interface PulledEntry {
  header: NxmHeader;
  field: Field | undefined;
  /** The value, `field.nBytes` long (header width for unknown fields). */
  value: Uint8Array;
  /** The mask (all ones when the header has none). */
  mask: Uint8Array;
}

/**
 * nx_pull_entry__: header, value and mask. Unknown fields are still consumed, so that a loose
 * decoder may skip them: their OFPBMC_BAD_FIELD is reported through `unknownField` instead of
 * thrown when `skipUnknown` is set.
 */
export function pullEntry(
  r: WireReader,
  opts: { allowCookie?: boolean; isAction?: boolean; allowMask?: boolean } = {},
): PulledEntry & { unknownField: boolean } {
  const header = pullRawHeader(r);
  const found = lookupHeader(header, opts.isAction);
  let field: Field | undefined = found.code?.field;
  let unknownField = false;
  if (!field && !(opts.allowCookie && isCookieHeader(header))) {
    if (opts.isAction) throw new OfpError(found.error ?? "OFPBAC_BAD_SET_TYPE", "unknown field");
    unknownField = true;
    field = undefined;
  }
  const payload = payloadLength(header);
  if (r.remaining < payload) {
    throw new OfpError("OFPBMC_BAD_LEN", `OXM entry needs ${payload} bytes`);
  }
  const bytes = r.bytes(payload);
  const width = fieldBytes(header);
  if (header.hasMask) {
    for (let i = 0; i < width; i++) {
      if (bytes[i]! & ~bytes[width + i]!) {
        throw new OfpError("OFPBMC_BAD_WILDCARDS", "value has bits the mask wildcards");
      }
    }
  }
  const n = field ? field.nBytes : Math.min(width, 128);
  // copy_entry_value: a variable-length value is right-aligned in the field's width.
  const copy = Math.min(width, n);
  const at = field?.variable ? n - copy : 0;
  const value = new Uint8Array(n);
  value.set(bytes.subarray(0, copy), at);
  let mask: Uint8Array;
  if (header.hasMask) {
    if (opts.allowMask === false) throw new OfpError("OFPBMC_BAD_MASK", "mask not allowed here");
    mask = new Uint8Array(n);
    mask.set(bytes.subarray(width, width + copy), at);
  } else {
    mask = new Uint8Array(n).fill(0xff);
  }
  return { header, field, value, mask, unknownField };
}

/**
 * nx_pull_entry as actions call it (is_action): header, value and, when `allowMask`, an optional
 * mask (all ones when absent). Unknown fields are OFPBAC_BAD_SET_TYPE, so the field is known.
 */
export function pullActionEntry(
  r: WireReader,
  allowMask: boolean,
): { field: Field; value: Uint8Array; mask: Uint8Array } {
  const e = pullEntry(r, { isAction: true, allowMask });
  if (!e.field) throw new OfpError("OFPBAC_BAD_SET_TYPE", "unknown field");
  return { field: e.field, value: e.value, mask: e.mask };
}

// ---- names and text (nx_match_to_string, nx_match_from_string) ----

/** format_nxm_field_name: the header's name with "_W" when masked, or "class:field". */
export function formatHeaderName(h: NxmHeader): string {
  const found = lookupHeader(h);
  if (found.code) return found.code.name + (h.hasMask ? "_W" : "");
  if (isCookieHeader(h)) return h.hasMask ? "NXM_NX_COOKIE_W" : "NXM_NX_COOKIE";
  return `${h.oxmClass}:${h.field}`;
}

/** parse_nxm_field_name: a name ("_W" for masked), the cookie, or 8/16 hex digits of header. */
export function parseHeaderName(name: string): NxmHeader | undefined {
  const wild = name.length > 2 && name.endsWith("_W");
  const code = codeByName(wild ? name.slice(0, -2) : name);
  if (code) {
    if (!wild) return headerOf(code);
    if (code.field.maskable) return headerOf(code, true);
  }
  if (name === "NXM_NX_COOKIE") return NXM_NX_COOKIE;
  if (name === "NXM_NX_COOKIE_W") return wildHeader(NXM_NX_COOKIE);
  if (name.length === 8 || name.length === 16) {
    if (![...name].every((c) => hexitValue(c) >= 0)) return undefined;
    const word = parseInt(name.slice(0, 8), 16) >>> 0;
    const h: NxmHeader = {
      oxmClass: word >>> 16,
      field: (word >>> 9) & 0x7f,
      hasMask: (word & 0x100) !== 0,
      length: word & 0xff,
      experimenter: 0,
    };
    if (name.length === 8) return h;
    if (isExperimenter(h)) return { ...h, experimenter: parseInt(name.slice(8), 16) >>> 0 };
  }
  return undefined;
}

function hex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** nx_match_to_string: "NXM_OF_ETH_TYPE(0800), NXM_OF_IP_SRC_W(c0a80000/ffff0000)" or "<any>". */
export function nxMatchToString(bytes: Uint8Array): string {
  if (!bytes.length) return "<any>";
  const parts: string[] = [];
  let offset = 0;
  for (;;) {
    if (offset >= bytes.length) break;
    const entry = tryRawEntry(bytes, offset);
    if (!entry) break;
    const { header, value, mask, end } = entry;
    offset = end;
    parts.push(
      `${formatHeaderName(header)}(${hex(value)}${header.hasMask ? `/${hex(mask)}` : ""})`,
    );
  }
  let out = parts.join(", ");
  if (offset < bytes.length) out += `${out ? ", " : ""}<${bytes.length - offset} invalid bytes>`;
  return out;
}

/** One entry read without field lookup, as nx_match_to_string does (undefined on error). */
function tryRawEntry(
  bytes: Uint8Array,
  offset: number,
): { header: NxmHeader; value: Uint8Array; mask: Uint8Array; end: number } | undefined {
  const remaining = bytes.length - offset;
  if (remaining < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const word = view.getUint32(offset);
  const oxmClass = word >>> 16;
  if (oxmClass === OXM_CLASS_EXPERIMENTER && remaining < 8) return undefined;
  const header: NxmHeader = {
    oxmClass,
    field: (word >>> 9) & 0x7f,
    hasMask: (word & 0x100) !== 0,
    length: word & 0xff,
    experimenter: oxmClass === OXM_CLASS_EXPERIMENTER ? view.getUint32(offset + 4) : 0,
  };
  if (header.length < experimenterLength(header)) return undefined;
  const start = offset + headerLength(header);
  const payload = payloadLength(header);
  if (bytes.length - start < payload) return undefined;
  const width = fieldBytes(header);
  const body = bytes.subarray(start, start + payload);
  for (let i = 0; header.hasMask && i < width; i++) {
    if (body[i]! & ~body[width + i]!) return undefined;
  }
  const n = Math.min(width, 128);
  // As upstream pulls the entry: a variable-length field's bytes land right-aligned in its
  // width, and the first `width` bytes of that are what gets printed.
  const variable = lookupHeader(header).code?.field;
  if (variable?.variable) {
    const copy = Math.min(width, variable.nBytes);
    const at = variable.nBytes - copy;
    const value = new Uint8Array(Math.max(n, variable.nBytes));
    value.set(body.subarray(0, copy), at);
    const mask = new Uint8Array(value.length);
    if (header.hasMask) mask.set(body.subarray(width, width + copy), at);
    return {
      header,
      value: value.subarray(0, n),
      mask: header.hasMask ? mask.subarray(0, n) : new Uint8Array(0),
      end: start + payload,
    };
  }
  return {
    header,
    value: body.slice(0, n),
    mask: header.hasMask ? body.slice(width, width + n) : new Uint8Array(0),
    end: start + payload,
  };
}

function putHex(w: WireWriter, s: string, pos: number): { pos: number; n: number } {
  let i = pos;
  let n = 0;
  for (;;) {
    while (s[i] === " " || s[i] === "\t" || s[i] === "\r" || s[i] === "\n") i++;
    const hi = hexitValue(s[i]);
    const lo = hexitValue(s[i + 1]);
    if (hi < 0 || lo < 0) return { pos: i, n };
    w.u8((hi << 4) | lo);
    n++;
    i += 2;
  }
}

/**
 * nx_match_from_string_raw: the text form back to bytes (no padding). Errors are ParseError with
 * the messages ovs-ofctl prints.
 */
export function nxMatchFromString(s: string): Uint8Array {
  const w = new WireWriter();
  if (s === "<any>") return w.finish();
  const skip = (i: number) => {
    while (s[i] === "," || s[i] === " ") i++;
    return i;
  };
  for (let i = skip(0); i < s.length; i = skip(i)) {
    const paren = s.indexOf("(", i);
    if (paren < 0) throw new ParseError(`${s}: missing ( at end of nx_match`);
    const name = s.slice(i, paren);
    let header = parseHeaderName(name);
    if (!header) throw new ParseError(`${s}: unknown field \`${name}'`);
    const headerAt = w.length;
    putHeader(w, header);
    let r = putHex(w, s, paren + 1);
    if (r.n !== fieldBytes(header)) {
      const f = lookupHeader(header).code?.field;
      if (!f?.variable) {
        throw new ParseError(`expected to read ${fieldBytes(header)} bytes but got ${r.n}`);
      }
      if (r.n > f.nBytes) {
        throw new ParseError(`expected to read at most ${f.nBytes} bytes but got ${r.n}`);
      }
      // A variable-length field's header says how much was given.
      header = {
        ...header,
        length: (header.hasMask ? r.n * 2 : r.n) + experimenterLength(header),
      };
      w.setU32(headerAt, headerWord(header));
    }
    let pos = r.pos;
    if (header.hasMask) {
      while (s[pos] === " ") pos++;
      if (s[pos] !== "/") throw new ParseError(`${s}: missing / in masked field ${name}`);
      r = putHex(w, s, pos + 1);
      if (r.n !== fieldBytes(header)) {
        throw new ParseError(`${s.slice(r.pos, r.pos + 2)}: hex digits expected`);
      }
      pos = r.pos;
    }
    while (s[pos] === " ") pos++;
    if (s[pos] !== ")") throw new ParseError(`${s}: missing ) following field ${name}`);
    i = pos + 1;
  }
  return w.finish();
}
