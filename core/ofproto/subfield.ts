// Subfields: a run of bits of one field, written `field[start..end]`, `field[bit]` or `field[]`
// with our names or NXM/OXM names (NXM_NX_REG0[0..15], reg0[], eth_dst[40..47],
// OXM_OF_VLAN_VID[]), parsed and formatted as upstream's mf_parse_subfield / mf_format_subfield;
// and the bit operations load, move, learn and xlate need on flow words: read, write, copy between
// subfields, and unwildcard a subfield in a mask. Bit i of a subfield is bit ofs+i of the field's
// value, located as fieldBitPosition (fields.ts) locates it. Allocation-free except for values
// wider than 32 bits (bigint).

import { ParseError } from "./errors.ts";
import { type Field, FIELDS } from "./fields.ts";
import { codeByName, codeFor } from "./nxm_header.ts";
import { ovsScan } from "./text_scan.ts";

export interface Subfield {
  field: Field;
  /** The first bit (0 is the field's least significant). */
  ofs: number;
  nBits: number;
}

const BY_OWN_NAME = new Map<string, Field>();
for (const f of FIELDS) {
  BY_OWN_NAME.set(f.name, f);
  if (f.extraName) BY_OWN_NAME.set(f.extraName, f);
}

/** mf_from_name: a field by its name or extra name (not NXM/OXM names). */
export function fieldByOwnName(name: string): Field | undefined {
  return BY_OWN_NAME.get(name);
}

/** A field by NXM/OXM name (with an optional "_W", ignored) or by its own names. */
function fieldBySubfieldName(name: string): Field | undefined {
  const bare = name.length > 2 && name.endsWith("_W") ? name.slice(0, -2) : name;
  return codeByName(bare)?.field ?? BY_OWN_NAME.get(name);
}

/** mf_parse_field: a whole field by NXM/OXM name or own name. */
export function parseFieldName(s: string): Field {
  const f = codeByName(s)?.field ?? BY_OWN_NAME.get(s);
  if (!f) throw new ParseError(`unknown field \`${s}'`);
  return f;
}

/**
 * mf_parse_subfield__: a subfield at the start of `s` (from `start`); returns it and where its
 * text ends, so that callers can go on ("reg0[0..3]->reg1[]").
 */
export function parseSubfieldPrefix(s: string, start = 0): { sf: Subfield; end: number } {
  const rest = s.slice(start);
  let nameLen = 0;
  while (nameLen < rest.length && rest[nameLen] !== "[" && rest[nameLen] !== "-") nameLen++;
  const name = rest.slice(0, nameLen);
  const f = fieldBySubfieldName(name);
  if (!f) throw new ParseError(`${rest}: unknown field \`${name}'`);
  let pos = nameLen;
  let first = 0;
  let last = f.nBits - 1;
  if (rest[pos] === "[") {
    const tail = rest.slice(pos);
    if (tail.startsWith("[]")) {
      // The whole field.
    } else {
      const range = ovsScan(tail, "[%d..%d]");
      const single = range ? undefined : ovsScan(tail, "[%d]");
      if (range) {
        first = Number(range.values[0] as bigint);
        last = Number(range.values[1] as bigint);
      } else if (single) {
        first = last = Number(single.values[0] as bigint);
      } else {
        throw new ParseError(
          `${rest}: syntax error expecting [] or [<bit>] or [<start>..<end>]`,
        );
      }
    }
    pos += tail.indexOf("]") + 1;
  }
  if (first > last) {
    throw new ParseError(`${rest}: starting bit ${first} is after ending bit ${last}`);
  }
  if (first >= f.nBits) {
    throw new ParseError(
      `${rest}: starting bit ${first} is not valid because field is only ${f.nBits} bits wide`,
    );
  }
  if (last >= f.nBits) {
    throw new ParseError(
      `${rest}: ending bit ${last} is not valid because field is only ${f.nBits} bits wide`,
    );
  }
  return { sf: { field: f, ofs: first, nBits: last - first + 1 }, end: start + pos };
}

/** mf_parse_subfield: the whole of `s` must be one subfield. */
export function parseSubfield(s: string): Subfield {
  const { sf, end } = parseSubfieldPrefix(s);
  if (end < s.length) throw new ParseError("unexpected input following field syntax");
  return sf;
}

/** mf_format_subfield: the NXM-preferred name, then [], [bit] or [start..end]. */
export function formatSubfield(sf: Subfield): string {
  const name = codeFor(sf.field, 0)?.name ?? sf.field.name;
  if (sf.ofs === 0 && sf.nBits === sf.field.nBits) return `${name}[]`;
  if (sf.nBits === 1) return `${name}[${sf.ofs}]`;
  return `${name}[${sf.ofs}..${sf.ofs + sf.nBits - 1}]`;
}

/** A subfield covering all of `f`. */
export function wholeField(f: Field): Subfield {
  return { field: f, ofs: 0, nBits: f.nBits };
}

// ---- bit operations on flow words ----

// fieldBitPosition's arithmetic, inlined so that bit loops allocate nothing.
function wordOf(f: Field, i: number): number {
  return f.nWords === 1 ? f.word : f.word + f.nWords - 1 - (i >>> 5);
}

function bitOf(f: Field, i: number): number {
  return f.nWords === 1 ? f.shift + i : i & 31;
}

// A variable-length field (tun_metadata<n>) has no fixed bits: it reads as zeros and takes no
// writes here, as upstream's flow accessors treat it without a TLV map.
function getBit(words: Uint32Array, f: Field, i: number): number {
  if (f.variable) return 0;
  return (words[wordOf(f, i)]! >>> bitOf(f, i)) & 1;
}

function setBit(words: Uint32Array, f: Field, i: number, v: number): void {
  if (f.variable) return;
  const w = wordOf(f, i);
  const m = (1 << bitOf(f, i)) >>> 0;
  words[w] = (v ? words[w]! | m : words[w]! & ~m) >>> 0;
}

/** The subfield's bits in `words` as an unsigned bigint (bit 0 is the subfield's first bit). */
export function readSubfield(words: Uint32Array, sf: Subfield): bigint {
  let v = 0n;
  for (let i = sf.nBits - 1; i >= 0; i--) {
    v = (v << 1n) | BigInt(getBit(words, sf.field, sf.ofs + i));
  }
  return v;
}

/** The subfield's bits as a number; for subfields of up to 32 bits, allocation-free. */
export function readSubfieldNumber(words: Uint32Array, sf: Subfield): number {
  let v = 0;
  for (let i = Math.min(sf.nBits, 32) - 1; i >= 0; i--) {
    v = ((v << 1) | getBit(words, sf.field, sf.ofs + i)) >>> 0;
  }
  return v;
}

/** Writes the low `sf.nBits` bits of `value` into the subfield's bits of `words`. */
export function writeSubfield(words: Uint32Array, sf: Subfield, value: bigint | number): void {
  if (typeof value === "number" && sf.nBits <= 32) {
    for (let i = 0; i < sf.nBits; i++) setBit(words, sf.field, sf.ofs + i, (value >>> i) & 1);
    return;
  }
  const v = BigInt(value);
  for (let i = 0; i < sf.nBits; i++) {
    setBit(words, sf.field, sf.ofs + i, Number((v >> BigInt(i)) & 1n));
  }
}

/**
 * mf_subfield_copy: copies `src`'s bits (from `srcWords`) into `dst`'s (in `dstWords`); the two
 * must have the same width. The arrays may be the same (overlapping subfields copy as if
 * through a temporary).
 */
export function copySubfield(
  src: Subfield,
  srcWords: Uint32Array,
  dst: Subfield,
  dstWords: Uint32Array,
): void {
  if (src.nBits !== dst.nBits) throw new RangeError("subfields differ in width");
  if (src.nBits <= 32) {
    writeSubfield(dstWords, dst, readSubfieldNumber(srcWords, src));
  } else {
    writeSubfield(dstWords, dst, readSubfield(srcWords, src));
  }
}

/** Sets every bit of the subfield in a mask (the subfield was looked at). */
export function unwildcardSubfield(mask: Uint32Array, sf: Subfield): void {
  for (let i = 0; i < sf.nBits; i++) setBit(mask, sf.field, sf.ofs + i, 1);
}

/** Whether every bit of the subfield is set in a mask. */
export function isSubfieldExact(mask: Uint32Array, sf: Subfield): boolean {
  for (let i = 0; i < sf.nBits; i++) if (!getBit(mask, sf.field, sf.ofs + i)) return false;
  return true;
}

/** Whether no bit of the subfield is set in a mask. */
export function isSubfieldWildcarded(mask: Uint32Array, sf: Subfield): boolean {
  for (let i = 0; i < sf.nBits; i++) if (getBit(mask, sf.field, sf.ofs + i)) return false;
  return true;
}
