// Field-writing actions, all four forms: set_field (`set_field:VALUE[/MASK]->FIELD`), load
// (`load:VALUE->DST[bits]`, Nicira reg_load, and reg_load2 for fields without a 32-bit header)
// and move (`move:SRC[bits]->DST[bits]`: NXAST_REG_MOVE, ONF copy_field in OpenFlow 1.3, standard
// copy_field in 1.5). One model action (set_field with a value and mask) stands for set_field
// and load, remembering which one it was written as; OpenFlow 1.0/1.1 get the classic actions
// where one expresses the change (set_vlan_vid for vlan_vid, mod_dl_src for eth_src ...), else
// reg_loads.
//
// Promises: upstream's text (a load prints as one `load:` per run of mask bits), bytes, decode
// checks (writable field, valid value, no in_port via Set-Field, VLAN present bit) and match
// checks (the field's prerequisites).

import {
  ETH_TYPE_VLAN_8021Q,
  VLAN_CFI,
  VLAN_PCP_MASK,
  VLAN_PCP_SHIFT,
  VLAN_VID_MASK,
} from "../../datapath/flow.ts";
import { OfpError, ParseError } from "../errors.ts";
import { type Field, OFP10, OFP11, OFP12, OFP13, OFP15 } from "../fields.ts";
import { isFieldValueValid, usableProtocolsExact } from "../field_set.ts";
import { formatFieldValue, parseFieldValue } from "../field_text.ts";
import { WireReader, type WireWriter } from "../wire.ts";
import { checkDst, checkSrc, matchView, prereqsOk, setVlanTci, vlanTci } from "./check_util.ts";
import {
  fieldFromHeader32,
  nxmHeader32,
  pullActionEntry,
  pullFieldHeader,
  putEntry,
  putFieldHeader,
} from "../nxm_header.ts";
import { fieldByOwnName, formatSubfield, parseSubfield, parseSubfieldPrefix } from "../subfield.ts";
import {
  bigOf,
  bitsAreZero,
  getBits,
  putBits,
  putRegLoad,
  putSetFieldMasked,
  scanBits,
} from "./field_wire.ts";
import type { ActionKind, Family, Parser } from "./kind.ts";
import { actionsWarn } from "./log.ts";
import { encodeEcn } from "./l2l4.ts";
import { decodeOfsNbits } from "./output.ts";
import { splitArrow } from "./meta.ts";
import { finishRaw, isAllZeros, nx, of, onf, putRaw, type RawDef, startRaw } from "./raw.ts";
import { hexAlt, parseIntString } from "./text.ts";
import type { OfpactOf, Subfield } from "./types.ts";

const OFPVID12_PRESENT = 0x1000;

function allOnes(n: number): Uint8Array {
  return new Uint8Array(n).fill(0xff);
}

function isAllOnes(b: Uint8Array): boolean {
  return b.every((x) => x === 0xff);
}

/** A set_field action of `f` (value and mask of the field's width). */
export function makeSetField(
  f: Field,
  value: Uint8Array,
  mask: Uint8Array,
  raw: OfpactOf<"set_field">["raw"],
): OfpactOf<"set_field"> {
  return { type: "set_field", field: f, value, mask, raw, flowHasVlan: false };
}

/** A load of `value` into `dst` as a set_field of its field (upstream's reg_load ofpact). */
export function makeRegLoad(dst: Subfield, value: bigint): OfpactOf<"set_field"> {
  const n = dst.field.nBytes;
  const v = new Uint8Array(n);
  const m = new Uint8Array(n);
  putBits(v, dst.ofs, dst.nBits, value);
  putBits(m, dst.ofs, dst.nBits, (1n << BigInt(dst.nBits)) - 1n);
  return makeSetField(dst.field, v, m, "reg_load");
}

/**
 * upstream's next_load_segment: the runs of one bits in the mask (at most 64 bits each), each
 * with its value, in order from the least significant.
 */
export function loadSegments(a: OfpactOf<"set_field">): { dst: Subfield; value: bigint }[] {
  const f = a.field;
  const out: { dst: Subfield; value: bigint }[] = [];
  let start = 0;
  while (start < f.nBits) {
    const ofs = scanBits(a.mask, 1, start, f.nBits);
    if (ofs >= f.nBits) break;
    const end = scanBits(a.mask, 0, ofs + 1, Math.min(ofs + 64, f.nBits));
    const nBits = end - ofs;
    out.push({ dst: { field: f, ofs, nBits }, value: getBits(a.value, ofs, nBits) });
    start = ofs + nBits;
  }
  return out;
}

// ---- parse ----

const parseSetField: Parser = (arg, ps) => {
  const { value, key } = splitArrow(arg);
  const f = fieldByOwnName(key);
  if (!f) throw new ParseError(`${key} is not a valid OXM field name`);
  if (!f.writable) throw new ParseError(`${key} is read-only`);
  const parsed = parseFieldValue(f, value, ps.portMap);
  if (!isFieldValueValid(f, parsed.value)) {
    throw new ParseError(`${value} is not a valid value for field ${key}`);
  }
  ps.usable &= usableProtocolsExact(f);
  return makeSetField(f, parsed.value, parsed.mask, undefined);
};

const parseLoad: Parser = (arg) => {
  const { key } = splitArrow(arg);
  const dst = parseSubfield(key);
  const n = dst.field.nBytes;
  // The value is read from the start of the argument; whatever follows the number is ignored.
  const r = parseIntString(arg, n);
  if ("error" in r) throw new ParseError(`${arg}: cannot parse integer value`);
  if (!bitsAreZero(r.value, dst.nBits, n * 8 - dst.nBits)) {
    throw new ParseError(
      `${arg}: value ${formatFieldValue(dst.field, r.value)} does not fit into ${dst.nBits} bits`,
    );
  }
  return makeRegLoad(dst, getBits(r.value, 0, dst.nBits));
};

// ---- encode ----

function setFieldToNxast(a: OfpactOf<"set_field">, version: number, w: WireWriter): void {
  if (a.raw === "reg_load2" || !nxmHeader32(a.field) || a.field.variable) {
    const start = startRaw(w, version, "NXAST_RAW_REG_LOAD2");
    putEntry(w, a.field, 0, a.value, a.mask);
    finishRaw(w, start, 16);
  } else {
    for (const seg of loadSegments(a)) putRegLoad(w, seg.dst, seg.value);
  }
}

function setFieldToLegacy(a: OfpactOf<"set_field">, version: number, w: WireWriter): void {
  const v = Number(bigOf(a.value.subarray(0, Math.min(4, a.value.length))));
  switch (a.field.name) {
    case "vlan_tci": {
      const cfi = (v & VLAN_CFI) !== 0;
      const vid = v & VLAN_VID_MASK;
      const pcp = (v & VLAN_PCP_MASK) >> VLAN_PCP_SHIFT;
      if (version < OFP11) {
        if (cfi) {
          putRaw(w, version, "OFPAT_RAW10_SET_VLAN_VID", vid);
          putRaw(w, version, "OFPAT_RAW10_SET_VLAN_PCP", pcp);
        } else {
          putRaw(w, version, "OFPAT_RAW10_STRIP_VLAN");
        }
      } else if (cfi) {
        // OpenFlow 1.1 sets only an existing tag: push one unless the match has one.
        if (!a.flowHasVlan) putRaw(w, version, "OFPAT_RAW11_PUSH_VLAN", ETH_TYPE_VLAN_8021Q);
        putRaw(w, version, "OFPAT_RAW11_SET_VLAN_VID", vid);
        putRaw(w, version, "OFPAT_RAW11_SET_VLAN_PCP", pcp);
      } else {
        putRaw(w, version, "OFPAT_RAW11_POP_VLAN");
      }
      return;
    }
    case "vlan_vid":
      putRaw(
        w,
        version,
        version === OFP10 ? "OFPAT_RAW10_SET_VLAN_VID" : "OFPAT_RAW11_SET_VLAN_VID",
        v & VLAN_VID_MASK,
      );
      return;
    case "vlan_pcp":
      putRaw(
        w,
        version,
        version === OFP10 ? "OFPAT_RAW10_SET_VLAN_PCP" : "OFPAT_RAW11_SET_VLAN_PCP",
        v,
      );
      return;
    case "eth_src":
    case "eth_dst": {
      const start = startRaw(
        w,
        version,
        a.field.name === "eth_src" ? "OFPAT_RAW_SET_DL_SRC" : "OFPAT_RAW_SET_DL_DST",
      );
      w.bytes(a.value);
      finishRaw(w, start, 16);
      return;
    }
    case "ip_src":
      putRaw(w, version, "OFPAT_RAW_SET_NW_SRC", v);
      return;
    case "ip_dst":
      putRaw(w, version, "OFPAT_RAW_SET_NW_DST", v);
      return;
    case "nw_tos":
      putRaw(w, version, "OFPAT_RAW_SET_NW_TOS", v);
      return;
    case "ip_dscp":
      putRaw(w, version, "OFPAT_RAW_SET_NW_TOS", (v << 2) & 0xff);
      return;
    case "nw_ecn":
      encodeEcn(v, version, w);
      return;
    case "tcp_src":
    case "udp_src":
      putRaw(w, version, "OFPAT_RAW_SET_TP_SRC", v);
      return;
    case "tcp_dst":
    case "udp_dst":
      putRaw(w, version, "OFPAT_RAW_SET_TP_DST", v);
      return;
    default:
      setFieldToNxast(a, version, w);
  }
}

const setField: ActionKind<"set_field"> = {
  name: "set_field",
  format(a, fc) {
    if (a.raw === "reg_load") {
      return loadSegments(a)
        .map((s) => `load:${hexAlt(s.value)}->${formatSubfield(s.dst)}`)
        .join(",");
    }
    return `set_field:${formatFieldValue(a.field, a.value, a.mask, fc.portMap)}->${a.field.name}`;
  },
  encode(a, version, w) {
    if (version >= OFP15) {
      putSetFieldMasked(w, version, a.field, a.value, a.mask);
    } else if (a.raw === "reg_load" || a.raw === "reg_load2") {
      setFieldToNxast(a, version, w);
    } else if (version < OFP12) {
      setFieldToLegacy(a, version, w);
    } else if (isAllOnes(a.mask)) {
      putSetFieldMasked(w, version, a.field, a.value, a.mask);
    } else {
      setFieldToNxast(a, version, w);
    }
  },
  check(a, cc) {
    const tci = vlanTci(cc.flow);
    if (
      !prereqsOk(a.field, { flow: cc.flow }) ||
      (a.field.name === "vlan_vid" && !(tci & VLAN_CFI))
    ) {
      actionsWarn(`set_field ${a.field.name} lacks correct prerequisites`);
      throw new OfpError("OFPBAC_MATCH_INCONSISTENT");
    }
    a.flowHasVlan = (tci & VLAN_CFI) !== 0;
    // Setting vlan_tci may add or remove the tag: later actions see the result.
    if (a.field.name === "vlan_tci") setVlanTci(cc.flow, Number(bigOf(a.value)));
  },
};

// ---- move ----

/** upstream's nxm_parse_reg_move: "SRC[bits]->DST[bits]" of equal widths. */
export function parseRegMove(arg: string): { src: Subfield; dst: Subfield } {
  const { sf: src, end } = parseSubfieldPrefix(arg);
  if (!arg.startsWith("->", end)) throw new ParseError(`${arg}: missing \`->' following source`);
  const dst = parseSubfield(arg.slice(end + 2));
  if (src.nBits !== dst.nBits) {
    throw new ParseError(
      `${arg}: source field is ${src.nBits} bits wide but destination is ${dst.nBits} bits wide`,
    );
  }
  return { src, dst };
}

const parseMove: Parser = (arg) => ({ type: "reg_move", ...parseRegMove(arg), raw: undefined });

const regMove: ActionKind<"reg_move"> = {
  name: "move",
  format: (a) => `move:${formatSubfield(a.src)}->${formatSubfield(a.dst)}`,
  encode(a, version, w) {
    let start: number;
    if (version >= OFP15) {
      start = startRaw(w, version, "OFPAT_RAW15_COPY_FIELD");
      w.u16(a.dst.nBits).u16(a.src.ofs).u16(a.dst.ofs).zeros(2);
      putFieldHeader(w, a.src.field, version);
      putFieldHeader(w, a.dst.field, version);
    } else if (version === OFP13 && a.raw === "copy_field") {
      start = startRaw(w, version, "ONFACT_RAW13_COPY_FIELD");
      w.zeros(2).u16(a.dst.nBits).u16(a.src.ofs).u16(a.dst.ofs).zeros(2);
      putFieldHeader(w, a.src.field, version);
      putFieldHeader(w, a.dst.field, version);
    } else {
      start = startRaw(w, version, "NXAST_RAW_REG_MOVE");
      w.u16(a.dst.nBits).u16(a.src.ofs).u16(a.dst.ofs);
      putFieldHeader(w, a.src.field, 0);
      putFieldHeader(w, a.dst.field, 0);
    }
    finishRaw(w, start, 16);
  },
  check(a, cc) {
    checkSrc(a.src, matchView(cc));
    checkDst(a.dst, matchView(cc));
  },
};

function decodeMove(
  bytes: Uint8Array,
  at: { nBits: number; srcOfs: number; dstOfs: number; headers: number },
  raw: "reg_move" | "copy_field",
): OfpactOf<"reg_move"> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const nBits = view.getUint16(at.nBits);
  const r = new WireReader(bytes, at.headers, bytes.length, "OFPBMC_BAD_LEN");
  const src = { field: pullFieldHeader(r).field, ofs: view.getUint16(at.srcOfs), nBits };
  const dst = { field: pullFieldHeader(r).field, ofs: view.getUint16(at.dstOfs), nBits };
  if (!isAllZeros(bytes, r.offset)) throw new OfpError("NXBRC_MUST_BE_ZERO");
  checkSrc(src, undefined);
  checkDst(dst, undefined);
  return { type: "reg_move", src, dst, raw };
}

// ---- decoders ----

function decodeSetFieldAction(bytes: Uint8Array, mayMask: boolean): OfpactOf<"set_field"> {
  const r = new WireReader(bytes, 4, bytes.length, "OFPBMC_BAD_LEN");
  let entry;
  try {
    entry = pullActionEntry(r, mayMask);
  } catch (e) {
    if (e instanceof OfpError && e.errorName === "OFPBMC_BAD_MASK") {
      throw new OfpError("OFPBAC_BAD_SET_MASK");
    }
    throw e;
  }
  const { field: f, value, mask } = entry;
  if (!isAllZeros(bytes, r.offset)) throw new OfpError("OFPBAC_BAD_SET_ARGUMENT");
  // OpenFlow forbids setting OXM_OF_IN_PORT with Set-Field.
  if (f.name === "in_port_oxm") throw new OfpError("OFPBAC_BAD_SET_ARGUMENT");
  if (!f.writable) {
    actionsWarn(`destination field ${f.name} is not writable`);
    throw new OfpError("OFPBAC_BAD_SET_ARGUMENT");
  }
  // OpenFlow 1.5: a VLAN VID Set-Field must have OFPVID_PRESENT in value and mask.
  if (
    !isFieldValueValid(f, value) ||
    (f.name === "vlan_vid" &&
      (!(Number(bigOf(mask)) & OFPVID12_PRESENT) || !(Number(bigOf(value)) & OFPVID12_PRESENT)))
  ) {
    actionsWarn(`Invalid value for set field ${f.name}: ${formatFieldValue(f, value)}`);
    throw new OfpError("OFPBAC_BAD_SET_ARGUMENT");
  }
  return makeSetField(f, value, mayMask ? mask : allOnes(f.nBytes), undefined);
}

const VAR = (size: number) => ({ kind: "struct", size, variable: true }) as const;

const raws: RawDef[] = [
  {
    id: "OFPAT_RAW12_SET_FIELD",
    spots: [of(3, 5, 25)],
    body: VAR(8),
    decode: ({ bytes }) => decodeSetFieldAction(bytes, false),
  },
  {
    id: "OFPAT_RAW15_SET_FIELD",
    spots: [of(6, 6, 25)],
    body: VAR(8),
    decode: ({ bytes }) => decodeSetFieldAction(bytes, true),
  },
  {
    id: "NXAST_RAW_REG_LOAD",
    spots: [nx(1, 5, 7)],
    body: { kind: "struct", size: 24, variable: false },
    decode({ body }) {
      const { ofs, nBits } = decodeOfsNbits(body.u16());
      const f = fieldFromHeader32(body.u32());
      const value = body.u64();
      if (!f) throw new OfpError("OFPBAC_BAD_SET_TYPE");
      const dst = { field: f, ofs, nBits };
      checkDst(dst, undefined);
      if (nBits < 64 && value >> BigInt(nBits)) throw new OfpError("OFPBAC_BAD_ARGUMENT");
      return makeRegLoad(dst, value);
    },
  },
  {
    id: "NXAST_RAW_REG_LOAD2",
    spots: [nx(1, 5, 33)],
    body: VAR(16),
    decode({ bytes }) {
      const r = new WireReader(bytes, 10, bytes.length, "OFPBMC_BAD_LEN");
      const { field: f, value, mask } = pullActionEntry(r, true);
      if (!isAllZeros(bytes, r.offset)) throw new OfpError("OFPBAC_BAD_SET_ARGUMENT");
      if (!f.writable) {
        actionsWarn(`destination field ${f.name} is not writable`);
        throw new OfpError("OFPBAC_BAD_SET_ARGUMENT");
      }
      return makeSetField(f, value, mask, "reg_load2");
    },
  },
  {
    id: "OFPAT_RAW15_COPY_FIELD",
    spots: [of(6, 6, 28)],
    body: VAR(16),
    decode: ({ bytes }) =>
      decodeMove(bytes, { nBits: 4, srcOfs: 6, dstOfs: 8, headers: 12 }, "copy_field"),
  },
  {
    id: "ONFACT_RAW13_COPY_FIELD",
    spots: [onf(4, 5, 3200)],
    body: VAR(24),
    decode: ({ bytes }) =>
      decodeMove(bytes, { nBits: 12, srcOfs: 14, dstOfs: 16, headers: 20 }, "copy_field"),
  },
  {
    id: "NXAST_RAW_REG_MOVE",
    spots: [nx(1, 5, 6)],
    body: VAR(16),
    decode: ({ bytes }) =>
      decodeMove(bytes, { nBits: 10, srcOfs: 12, dstOfs: 14, headers: 16 }, "reg_move"),
  },
];

export const setFieldFamily: Family = {
  kinds: { set_field: setField, reg_move: regMove },
  keywords: { set_field: parseSetField, load: parseLoad, move: parseMove },
  raws,
};
