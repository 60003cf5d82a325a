// NXM and OXM headers, one field at a time, as upstream's nx-match.c: the table of every header
// name a field answers to (NXM_OF_*, NXM_NX_*, OXM_OF_*, experimenter OXMs with their 4-byte id)
// with the OpenFlow version each was introduced in, which header to use for a field in a given
// version, and encoding/decoding of single headers and entries (header, value, optional mask)
// with upstream's length and error rules. Whole matches are in nx_match.ts; actions (set_field,
// load, move, learn) use this file directly. Throws OfpError on bad input, never reads past the
// end of its input.

import { type Field, FIELDS, NX_VENDOR_ID, OFP15, type OxmCode } from "./fields.ts";
import { OfpError, ParseError } from "./errors.ts";
import { type WireReader, WireWriter } from "./wire.ts";
import { hexitValue } from "./text_scan.ts";

export const OXM_CLASS_NXM0 = 0x0000;
export const OXM_CLASS_NXM1 = 0x0001;
export const OXM_CLASS_OPENFLOW_BASIC = 0x8000;
export const OXM_CLASS_PACKET_REGS = 0x8001;
export const OXM_CLASS_EXPERIMENTER = 0xffff;
const NSH_VENDOR_ID = 0x005ad650;

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
const CODES_BY_KEY = new Map<string, NxmCode>();

function keyOf(oxmClass: number, fieldNo: number, experimenter: number, length: number): string {
  return `${oxmClass}:${fieldNo}:${experimenter}:${length & 0x80}`;
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
    CODES_BY_KEY.set(keyOf(c.oxmClass, c.fieldNo, c.experimenter, c.length), c);
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

/** nxm_field_by_header: the code a header names (lengths must agree). */
export function lookupHeader(h: NxmHeader, isAction = false): HeaderLookup {
  const exact = h.hasMask ? exactHeader(h) : h;
  const code = CODES_BY_KEY.get(
    keyOf(exact.oxmClass, exact.field, exact.experimenter, exact.length),
  );
  if (!code) return {};
  if ((exact.length & 0x7f) === (code.length & 0x7f) && exact.length === code.length) {
    return { code };
  }
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

/** nx_put_header: the header of `f` for `version`. */
export function putFieldHeader(w: WireWriter, f: Field, version: number, masked: boolean): void {
  const h = fieldHeader(f, version, masked);
  if (!h) throw new RangeError(`field ${f.name} has no NXM or OXM header`);
  putHeader(w, h);
}

/** nx_put_header_len: the header of `f` with a payload of `nBytes` (each of value and mask). */
export function putFieldHeaderLength(
  w: WireWriter,
  f: Field,
  version: number,
  masked: boolean,
  nBytes: number,
): void {
  const code = codeFor(f, version);
  if (!code) throw new RangeError(`field ${f.name} has no NXM or OXM header`);
  const h: NxmHeader = {
    oxmClass: code.oxmClass,
    field: code.fieldNo,
    hasMask: false,
    length: nBytes + experimenterLength(code),
    experimenter: code.experimenter,
  };
  putHeader(w, masked ? wildHeader(h) : h);
}

/** nxm_put_entry_raw / nx_put_entry: header, value and (when given and not all ones) mask. */
export function putEntry(
  w: WireWriter,
  f: Field,
  version: number,
  value: Uint8Array,
  mask?: Uint8Array,
): void {
  const masked = mask !== undefined && !mask.every((b) => b === 0xff);
  putFieldHeaderLength(w, f, version, masked, f.nBytes);
  w.bytes(value.subarray(0, f.nBytes));
  if (masked) w.bytes(mask.subarray(0, f.nBytes));
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
  const value = new Uint8Array(n);
  value.set(bytes.subarray(0, Math.min(width, n)));
  let mask: Uint8Array;
  if (header.hasMask) {
    if (opts.allowMask === false) throw new OfpError("OFPBMC_BAD_MASK", "mask not allowed here");
    mask = new Uint8Array(n);
    mask.set(bytes.subarray(width, width + Math.min(width, n)));
  } else {
    mask = new Uint8Array(n).fill(0xff);
  }
  return { header, field, value, mask, unknownField };
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
    const header = parseHeaderName(name);
    if (!header) throw new ParseError(`${s}: unknown field \`${name}'`);
    putHeader(w, header);
    let r = putHex(w, s, paren + 1);
    if (r.n !== fieldBytes(header)) {
      throw new ParseError(`expected to read ${fieldBytes(header)} bytes but got ${r.n}`);
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
