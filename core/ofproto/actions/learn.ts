// The learn action, all four forms: `learn(table=..., idle_timeout=..., ..., SPEC, ...)` whose
// flow_mod_specs add match criteria (`FIELD[bits]=SRC`, `FIELD[bits]=VALUE`, `FIELD[bits]`),
// loads (`load:SRC->DST`, `load:VALUE->DST`) and outputs (`output:SRC`) to the learned flow; on
// the wire NXAST_LEARN, or NXAST_LEARN2 when it has a limit or a result bit.
//
// Promises: upstream's text (including its quirky error texts), bytes (spec headers, immediates
// padded to 16-bit units, trailing zero padding), decode checks and learn_check's checks (sources
// against the flow, match destinations against the learned match built so far).

import { OfpError, ParseError } from "../errors.ts";
import { getField, setFieldInMatch } from "../field_set.ts";
import { formatFieldValue, parseFieldExactValue } from "../field_text.ts";
import { Match } from "../match.ts";
import { WireReader } from "../wire.ts";
import { checkDst, checkSrc, matchView } from "./check_util.ts";
import { fieldFromHeader32, nxmHeader32, pullFieldHeader, putFieldHeader } from "../nxm_header.ts";
import type { PortMap } from "../port_text.ts";
import { formatSubfield, parseSubfield } from "../subfield.ts";
import { formatTable, tableFromString } from "../table_names.ts";
import { bitsAreZero, getBits, putBits } from "./field_wire.ts";
import type { ActionKind, Family, Parser, ParseState } from "./kind.ts";
import { finishRaw, isAllZeros, nx, type RawDef, startRaw } from "./raw.ts";
import { parseRegMove } from "./set_field.ts";
import {
  atoi,
  hexAlt,
  hexTrimmed,
  KeyValueScanner,
  parseIntString,
  strtoullLoose,
} from "./text.ts";
import {
  type LearnSpec,
  NX_LEARN_DST_LOAD,
  NX_LEARN_DST_MASK,
  NX_LEARN_DST_MATCH,
  NX_LEARN_DST_OUTPUT,
  NX_LEARN_F_DELETE_LEARNED,
  NX_LEARN_F_SEND_FLOW_REM,
  NX_LEARN_F_WRITE_RESULT,
  NX_LEARN_N_BITS_MASK,
  NX_LEARN_SRC_FIELD,
  NX_LEARN_SRC_IMMEDIATE,
  NX_LEARN_SRC_MASK,
  type OfpactOf,
  type Subfield,
} from "./types.ts";

const OFP_DEFAULT_PRIORITY = 0x8000;
/** sizeof(union mf_subvalue): how wide a learn load's immediate may be. */
const SUBVALUE_BYTES = 128;

function immBytes(nBits: number): number {
  return Math.ceil(nBits / 8);
}

/** The last `n` bytes of `value` (the low-order ones). */
function lowBytes(value: Uint8Array, n: number): Uint8Array {
  return value.slice(value.length - n);
}

// ---- parse ----

function parseSpec(orig: string, name: string, value: string, ps: ParseState): LearnSpec {
  let dst: Subfield | undefined;
  try {
    dst = parseSubfield(name);
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
  }
  if (dst) {
    if (!nxmHeader32(dst.field)) {
      throw new ParseError(`${orig}: experimenter OXM field '${name}' not supported`);
    }
    if (value === "") {
      return {
        srcType: NX_LEARN_SRC_FIELD,
        dstType: NX_LEARN_DST_MATCH,
        nBits: dst.nBits,
        src: dst,
        dst,
      };
    }
    let srcError: string | undefined;
    let src: Subfield | undefined;
    try {
      src = parseSubfield(value);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      srcError = e.message;
    }
    if (src) {
      if (src.nBits !== dst.nBits) {
        throw new ParseError(
          `${orig}: bit widths of ${name} (${src.nBits}) and ${value} (${dst.nBits}) differ`,
        );
      }
      return {
        srcType: NX_LEARN_SRC_FIELD,
        dstType: NX_LEARN_DST_MATCH,
        nBits: dst.nBits,
        src,
        dst,
      };
    }
    // Not a subfield: an immediate value.
    const f = dst.field;
    let imm: Uint8Array | undefined;
    let immError: string | undefined;
    if (dst.ofs === 0 && dst.nBits === f.nBits) {
      try {
        imm = parseFieldExactValue(f, value, ps.portMap);
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        immError = e.message;
      }
    } else {
      const r = parseIntString(value, f.nBytes);
      if ("error" in r || r.tail !== value.length) {
        immError = `${orig}: cannot parse integer value`;
      } else if (!bitsAreZero(r.value, dst.nBits, f.nBytes * 8 - dst.nBits)) {
        immError = `${orig}: value ${
          formatFieldValue(f, r.value)
        } does not fit into ${dst.nBits} bits`;
      } else {
        imm = r.value;
      }
    }
    if (!imm) {
      throw new ParseError(
        `${orig}: ${name} value ${value} cannot be parsed as a subfield (${srcError}) or an ` +
          `immediate value (${immError})`,
      );
    }
    return {
      srcType: NX_LEARN_SRC_IMMEDIATE,
      dstType: NX_LEARN_DST_MATCH,
      nBits: dst.nBits,
      dst,
      imm: lowBytes(imm, immBytes(dst.nBits)),
    };
  }
  if (name === "load") {
    const arrow = value.indexOf("->");
    if (arrow === 0) throw new ParseError(`${name}: missing source before \`->' in \`${value}'`);
    if (arrow < 0) throw new ParseError(`${name}: missing \`->' in \`${value}'`);
    const r = parseIntString(value, SUBVALUE_BYTES);
    if (!("error" in r) && r.tail !== 0) {
      if (r.tail !== arrow) throw new ParseError(`${name}: garbage before \`->' in \`${value}'`);
      const s = value.slice(arrow + 2);
      const loadDst = parseSubfield(s);
      if (!nxmHeader32(loadDst.field)) {
        throw new ParseError(`${value}: experimenter OXM field '${s}' not supported`);
      }
      if (!bitsAreZero(r.value, loadDst.nBits, SUBVALUE_BYTES * 8 - loadDst.nBits)) {
        throw new ParseError(`${value}: value does not fit into ${loadDst.nBits} bits`);
      }
      return {
        srcType: NX_LEARN_SRC_IMMEDIATE,
        dstType: NX_LEARN_DST_LOAD,
        nBits: loadDst.nBits,
        dst: loadDst,
        imm: lowBytes(r.value, immBytes(loadDst.nBits)),
      };
    }
    const move = parseRegMove(value);
    return {
      srcType: NX_LEARN_SRC_FIELD,
      dstType: NX_LEARN_DST_LOAD,
      nBits: move.src.nBits,
      src: move.src,
      dst: move.dst,
    };
  }
  if (name === "output") {
    const src = parseSubfield(value);
    return { srcType: NX_LEARN_SRC_FIELD, dstType: NX_LEARN_DST_OUTPUT, nBits: src.nBits, src };
  }
  throw new ParseError(`${orig}: unknown keyword ${name}`);
}

/** Upstream's in-memory size of a learn action (for the "input too big" limit). */
function learnSize(a: OfpactOf<"learn">): number {
  let size = 48;
  for (const s of a.specs) size += 40 + (s.imm ? Math.ceil(s.imm.length / 8) * 8 : 0);
  return size;
}

const parseLearn: Parser = (orig, ps) => {
  const a: OfpactOf<"learn"> = {
    type: "learn",
    idleTimeout: 0,
    hardTimeout: 0,
    priority: OFP_DEFAULT_PRIORITY,
    tableId: 1,
    flags: 0,
    cookie: 0n,
    finIdleTimeout: 0,
    finHardTimeout: 0,
    limit: 0,
    resultDst: undefined,
    specs: [],
    learn2: false,
  };
  const kv = new KeyValueScanner(orig);
  for (let e = kv.next(); e; e = kv.next()) {
    const { key, value } = e;
    switch (key) {
      case "table": {
        const table = tableFromString(value, ps.tableMap);
        if (table === undefined) throw new ParseError(`unknown table "${value}"`);
        if (table === 255) {
          throw new ParseError(`${orig}: table id 255 not valid for \`learn' action`);
        }
        a.tableId = table;
        break;
      }
      case "priority":
        a.priority = atoi(value) & 0xffff;
        break;
      case "idle_timeout":
        a.idleTimeout = atoi(value) & 0xffff;
        break;
      case "hard_timeout":
        a.hardTimeout = atoi(value) & 0xffff;
        break;
      case "fin_idle_timeout":
        a.finIdleTimeout = atoi(value) & 0xffff;
        break;
      case "fin_hard_timeout":
        a.finHardTimeout = atoi(value) & 0xffff;
        break;
      case "cookie":
        a.cookie = strtoullLoose(value);
        break;
      case "send_flow_rem":
        a.flags |= NX_LEARN_F_SEND_FLOW_REM;
        break;
      case "delete_learned":
        a.flags |= NX_LEARN_F_DELETE_LEARNED;
        break;
      case "limit":
        a.limit = atoi(value) >>> 0;
        break;
      case "result_dst": {
        a.flags |= NX_LEARN_F_WRITE_RESULT;
        const dst = parseSubfield(value);
        if (!dst.field.writable) throw new ParseError(`${value} is read-only`);
        if (dst.nBits !== 1) {
          throw new ParseError("result_dst in 'learn' action must be a single bit");
        }
        a.resultDst = dst;
        break;
      }
      default:
        a.specs.push(parseSpec(orig, key, value, ps));
    }
  }
  if (learnSize(a) > 0xffff) throw new ParseError("input too big");
  return a;
};

// ---- format ----

function formatSpec(s: LearnSpec, portMap: PortMap | undefined): string {
  const dst = s.dst;
  const src = s.src;
  switch (s.srcType | s.dstType) {
    case NX_LEARN_SRC_IMMEDIATE | NX_LEARN_DST_MATCH: {
      if (!dst || !s.imm) return "";
      if (dst.ofs === 0 && dst.nBits === dst.field.nBits) {
        const value = new Uint8Array(dst.field.nBytes);
        value.set(
          s.imm.subarray(Math.max(0, s.imm.length - value.length)),
          value.length - Math.min(value.length, s.imm.length),
        );
        return `${dst.field.name}=${formatFieldValue(dst.field, value, undefined, portMap)}`;
      }
      return `${formatSubfield(dst)}=${hexTrimmed(s.imm)}`;
    }
    case NX_LEARN_SRC_FIELD | NX_LEARN_DST_MATCH:
      if (!dst || !src) return "";
      if (src.field !== dst.field || src.ofs !== dst.ofs) {
        return `${formatSubfield(dst)}=${formatSubfield(src)}`;
      }
      return formatSubfield(dst);
    case NX_LEARN_SRC_IMMEDIATE | NX_LEARN_DST_LOAD:
      if (!dst || !s.imm) return "";
      return `load:${hexTrimmed(s.imm)}->${formatSubfield(dst)}`;
    case NX_LEARN_SRC_FIELD | NX_LEARN_DST_LOAD:
      if (!dst || !src) return "";
      return `load:${formatSubfield(src)}->${formatSubfield(dst)}`;
    case NX_LEARN_SRC_FIELD | NX_LEARN_DST_OUTPUT:
      if (!src) return "";
      return `output:${formatSubfield(src)}`;
    default:
      return "";
  }
}

// ---- encode ----

const learn: ActionKind<"learn"> = {
  name: "learn",
  format(a, fc) {
    let s = `learn(table=${formatTable(a.tableId, fc.tableMap)}`;
    if (a.idleTimeout) s += `,idle_timeout=${a.idleTimeout}`;
    if (a.hardTimeout) s += `,hard_timeout=${a.hardTimeout}`;
    if (a.finIdleTimeout) s += `,fin_idle_timeout=${a.finIdleTimeout}`;
    if (a.finHardTimeout) s += `,fin_hard_timeout=${a.finHardTimeout}`;
    if (a.priority !== OFP_DEFAULT_PRIORITY) s += `,priority=${a.priority}`;
    if (a.flags & NX_LEARN_F_SEND_FLOW_REM) s += ",send_flow_rem";
    if (a.flags & NX_LEARN_F_DELETE_LEARNED) s += ",delete_learned";
    if (a.cookie !== 0n) s += `,cookie=${hexAlt(a.cookie)}`;
    if (a.limit) s += `,limit=${a.limit}`;
    if (a.flags & NX_LEARN_F_WRITE_RESULT && a.resultDst) {
      s += `,result_dst=${formatSubfield(a.resultDst)}`;
    }
    for (const spec of a.specs) s += "," + formatSpec(spec, fc.portMap);
    return s + ")";
  },
  encode(a, version, w) {
    const two = a.learn2 || a.limit !== 0 || (a.flags & NX_LEARN_F_WRITE_RESULT) !== 0;
    const start = startRaw(w, version, two ? "NXAST_RAW_LEARN2" : "NXAST_RAW_LEARN");
    w.u16(a.idleTimeout).u16(a.hardTimeout).u16(a.priority).u64(a.cookie).u16(a.flags);
    w.u8(a.tableId).u8(0).u16(a.finIdleTimeout).u16(a.finHardTimeout);
    if (two) {
      w.u32(a.limit).u16(a.resultDst?.ofs ?? 0).u16(0);
      if (a.flags & NX_LEARN_F_WRITE_RESULT && a.resultDst) {
        putFieldHeader(w, a.resultDst.field, 0);
      }
    }
    for (const spec of a.specs) {
      w.u16(spec.nBits | spec.dstType | spec.srcType);
      if (spec.srcType === NX_LEARN_SRC_FIELD) {
        w.u32(spec.src ? nxmHeader32(spec.src.field) : 0).u16(spec.src?.ofs ?? 0);
      } else {
        const width = 2 * Math.ceil(spec.nBits / 16);
        const bits = new Uint8Array(width);
        const imm = spec.imm ?? new Uint8Array(0);
        bits.set(imm.subarray(Math.max(0, imm.length - width)), Math.max(0, width - imm.length));
        w.bytes(bits);
      }
      if (spec.dstType === NX_LEARN_DST_MATCH || spec.dstType === NX_LEARN_DST_LOAD) {
        w.u32(spec.dst ? nxmHeader32(spec.dst.field) : 0).u16(spec.dst?.ofs ?? 0);
      }
    }
    finishRaw(w, start, two ? 40 : 32);
  },
  check(a, cc) {
    const dstMatch = new Match();
    for (const spec of a.specs) {
      if (spec.srcType === NX_LEARN_SRC_FIELD && spec.src) checkSrc(spec.src, matchView(cc));
      const dst = spec.dst;
      if (spec.dstType === NX_LEARN_DST_MATCH && dst) {
        checkSrc(dst, { flow: dstMatch.flow, mask: dstMatch.mask });
        if (spec.srcType === NX_LEARN_SRC_IMMEDIATE && spec.imm) {
          const { value, mask } = getField(dstMatch, dst.field);
          const bits = getBits(spec.imm, 0, dst.nBits);
          putBits(value, dst.ofs, dst.nBits, bits);
          putBits(mask, dst.ofs, dst.nBits, (1n << BigInt(dst.nBits)) - 1n);
          setFieldInMatch(dstMatch, dst.field, value, mask);
        }
      } else if (spec.dstType === NX_LEARN_DST_LOAD && dst) {
        checkDst(dst, { flow: dstMatch.flow, mask: dstMatch.mask });
      }
    }
  },
};

// ---- decode ----

function learnMinLen(header: number): number {
  const nBits = header & NX_LEARN_N_BITS_MASK;
  const src = header & NX_LEARN_SRC_MASK;
  const dst = header & NX_LEARN_DST_MASK;
  let len = src === NX_LEARN_SRC_FIELD ? 6 : 2 * Math.ceil(nBits / 16);
  if (dst === NX_LEARN_DST_MATCH || dst === NX_LEARN_DST_LOAD) len += 6;
  return len;
}

function readSubfield(view: DataView, at: number, nBits: number): Subfield {
  const field = fieldFromHeader32(view.getUint32(at));
  if (!field) throw new OfpError("OFPBAC_BAD_SET_TYPE");
  return { field, ofs: view.getUint16(at + 4), nBits };
}

function decodeSpecs(bytes: Uint8Array, from: number): LearnSpec[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const specs: LearnSpec[] = [];
  let p = from;
  const end = bytes.length;
  while (p + 2 <= end) {
    const header = view.getUint16(p);
    p += 2;
    if (!header) break;
    const srcType = header & NX_LEARN_SRC_MASK;
    const dstType = header & NX_LEARN_DST_MASK;
    const nBits = header & NX_LEARN_N_BITS_MASK;
    if (
      !(dstType === NX_LEARN_DST_MATCH || dstType === NX_LEARN_DST_LOAD ||
        (dstType === NX_LEARN_DST_OUTPUT && srcType === NX_LEARN_SRC_FIELD))
    ) {
      throw new OfpError("OFPBAC_BAD_ARGUMENT");
    }
    if (end - p < learnMinLen(header)) throw new OfpError("OFPBAC_BAD_LEN");
    const spec: LearnSpec = { srcType, dstType, nBits };
    if (srcType === NX_LEARN_SRC_FIELD) {
      spec.src = readSubfield(view, p, nBits);
      p += 6;
    } else {
      p += 2 * Math.ceil(nBits / 16);
      spec.imm = bytes.slice(p - immBytes(nBits), p);
    }
    if (dstType === NX_LEARN_DST_MATCH || dstType === NX_LEARN_DST_LOAD) {
      spec.dst = readSubfield(view, p, nBits);
      p += 6;
    }
    specs.push(spec);
  }
  if (!isAllZeros(bytes, p)) throw new OfpError("OFPBAC_BAD_ARGUMENT");
  return specs;
}

function decodeCommon(bytes: Uint8Array, learn2: boolean): OfpactOf<"learn"> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (bytes[27]) throw new OfpError("OFPBAC_BAD_ARGUMENT");
  const a: OfpactOf<"learn"> = {
    type: "learn",
    idleTimeout: view.getUint16(10),
    hardTimeout: view.getUint16(12),
    priority: view.getUint16(14),
    cookie: view.getBigUint64(16),
    flags: view.getUint16(24),
    tableId: bytes[26]!,
    finIdleTimeout: view.getUint16(28),
    finHardTimeout: view.getUint16(30),
    limit: 0,
    resultDst: undefined,
    specs: [],
    learn2,
  };
  if (a.tableId === 0xff) throw new OfpError("OFPBAC_BAD_ARGUMENT");
  return a;
}

const raws: RawDef[] = [
  {
    id: "NXAST_RAW_LEARN",
    spots: [nx(1, 6, 16)],
    body: { kind: "struct", size: 32, variable: true },
    decode({ bytes }) {
      const a = decodeCommon(bytes, false);
      if (a.flags & ~(NX_LEARN_F_SEND_FLOW_REM | NX_LEARN_F_DELETE_LEARNED)) {
        throw new OfpError("OFPBAC_BAD_ARGUMENT");
      }
      a.specs = decodeSpecs(bytes, 32);
      return a;
    },
  },
  {
    id: "NXAST_RAW_LEARN2",
    spots: [nx(1, 6, 45)],
    body: { kind: "struct", size: 40, variable: true },
    decode({ bytes }) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      if (view.getUint16(38)) throw new OfpError("NXBAC_MUST_BE_ZERO");
      const a = decodeCommon(bytes, true);
      a.limit = view.getUint32(32);
      if (
        a.flags & ~(NX_LEARN_F_SEND_FLOW_REM | NX_LEARN_F_DELETE_LEARNED | NX_LEARN_F_WRITE_RESULT)
      ) {
        throw new OfpError("OFPBAC_BAD_ARGUMENT");
      }
      const resultOfs = view.getUint16(36);
      let from = 40;
      if (a.flags & NX_LEARN_F_WRITE_RESULT) {
        const r = new WireReader(bytes, 40, bytes.length, "OFPBMC_BAD_LEN");
        const h = pullFieldHeader(r, true);
        if (h.masked) throw new OfpError("OFPBMC_BAD_MASK");
        if (!h.field.writable) throw new OfpError("OFPBAC_BAD_SET_ARGUMENT");
        a.resultDst = { field: h.field, ofs: resultOfs, nBits: 1 };
        from = r.offset;
      } else if (resultOfs) {
        throw new OfpError("OFPBAC_BAD_ARGUMENT");
      }
      a.specs = decodeSpecs(bytes, from);
      return a;
    },
  },
];

export const learnFamily: Family = {
  kinds: { learn },
  keywords: { learn: parseLearn },
  raws,
};
