// The small Nicira extension actions, all four forms: note, exit, sample (NXAST_SAMPLE, _SAMPLE2,
// _SAMPLE3), fin_timeout, set_queue / pop_queue, conjunction, dec_ttl (with controller ids),
// set_tunnel / set_tunnel64, check_pkt_larger, delete_field, push / pop (the field stack),
// dec_nsh_ttl, debug_recirc / debug_slow, and the internal unroll_xlate.
//
// Promises: upstream's text, bytes, decode checks and consistency checks.

import { IPPROTO_TCP, W_DL_TYPE_VLAN } from "../../datapath/flow.ts";
import { OfpError, ParseError } from "../errors.ts";
import { field, OFP12 } from "../fields.ts";
import { ovsScan } from "../text_scan.ts";
import { WireReader, type WireWriter } from "../wire.ts";
import {
  checkDst,
  checkSrc,
  inconsistentMatch,
  isIpAny,
  matchView,
  nwProto,
  packetType,
} from "./check_util.ts";
import { pullFieldHeader, putFieldHeader } from "../nxm_header.ts";
import { formatPort, OFPP_NONE, parsePort } from "../port_text.ts";
import { formatSubfield, parseFieldName, parseSubfield, parseSubfieldPrefix } from "../subfield.ts";
import { formatTable } from "../table_names.ts";
import { bytesOf, putSetField } from "./field_wire.ts";
import type { ActionKind, Family, Parser } from "./kind.ts";
import { actionsWarn } from "./log.ts";
import { finishRaw, isAllZeros, nx, of, putRaw, type RawDef, startRaw } from "./raw.ts";
import {
  atoi,
  hexAlt,
  hexDotted,
  KeyValueScanner,
  parseHexBytes,
  strtok,
  strToU16,
  strToU32,
  strToU64,
} from "./text.ts";
import {
  NX_ACTION_SAMPLE_DEFAULT,
  NX_ACTION_SAMPLE_EGRESS,
  NX_ACTION_SAMPLE_INGRESS,
  type OfpactOf,
  PT_NSH,
  type Subfield,
} from "./types.ts";

const ETH_TYPE_NSH = 0x894f;

// ---- note ----

const note: ActionKind<"note"> = {
  name: "note",
  format: (a) => `note:${hexDotted(a.data)}`,
  encode(a, version, w) {
    const start = startRaw(w, version, "NXAST_RAW_NOTE");
    w.bytes(a.data);
    finishRaw(w, start, 16);
  },
  check() {},
};

const parseNote: Parser = (arg) => {
  const hex = parseHexBytes(arg);
  if (hex.rest !== "") throw new ParseError("bad hex digit in `note' argument");
  if (16 + hex.bytes.length > 0xffff) throw new ParseError("input too big");
  return { type: "note", data: hex.bytes };
};

// ---- sample ----

const parseSample: Parser = (arg, ps) => {
  const a: OfpactOf<"sample"> = {
    type: "sample",
    probability: 0,
    collectorSetId: 0,
    obsDomainId: 0,
    obsPointId: 0,
    samplingPort: OFPP_NONE,
    direction: NX_ACTION_SAMPLE_DEFAULT,
    raw: undefined,
  };
  const kv = new KeyValueScanner(arg);
  for (let e = kv.next(); e; e = kv.next()) {
    const { key, value } = e;
    if (key === "probability") {
      a.probability = strToU16(value, "probability");
      if (a.probability === 0) throw new ParseError(`invalid probability value "${value}"`);
    } else if (key === "collector_set_id") {
      a.collectorSetId = strToU32(value);
    } else if (key === "obs_domain_id") {
      a.obsDomainId = strToU32(value);
    } else if (key === "obs_point_id") {
      a.obsPointId = strToU32(value);
    } else if (key === "sampling_port") {
      const port = parsePort(value, ps.portMap);
      if (port === undefined) throw new ParseError(`${value}: unknown port`);
      a.samplingPort = port;
    } else if (key === "ingress") {
      a.direction = NX_ACTION_SAMPLE_INGRESS;
    } else if (key === "egress") {
      a.direction = NX_ACTION_SAMPLE_EGRESS;
    } else {
      throw new ParseError(`invalid key "${key}" in "sample" argument`);
    }
  }
  if (a.probability === 0) {
    throw new ParseError(`non-zero "probability" must be specified on sample`);
  }
  return a;
};

const sample: ActionKind<"sample"> = {
  name: "sample",
  format(a, fc) {
    let s = `sample(probability=${a.probability},collector_set_id=${a.collectorSetId}` +
      `,obs_domain_id=${a.obsDomainId},obs_point_id=${a.obsPointId}`;
    if (a.samplingPort !== OFPP_NONE) {
      s += `,sampling_port=${formatPort(a.samplingPort, fc.portMap)}`;
    }
    if (a.direction === NX_ACTION_SAMPLE_INGRESS) s += ",ingress";
    else if (a.direction === NX_ACTION_SAMPLE_EGRESS) s += ",egress";
    return s + ")";
  },
  encode(a, version, w) {
    let id = "NXAST_RAW_SAMPLE";
    if (a.raw === "sample3" || a.direction !== NX_ACTION_SAMPLE_DEFAULT) id = "NXAST_RAW_SAMPLE3";
    else if (a.raw === "sample2" || a.samplingPort !== OFPP_NONE) id = "NXAST_RAW_SAMPLE2";
    const start = startRaw(w, version, id);
    w.u16(a.probability).u32(a.collectorSetId).u32(a.obsDomainId).u32(a.obsPointId);
    if (id !== "NXAST_RAW_SAMPLE") w.u16(a.samplingPort).u8(a.direction);
    finishRaw(w, start, id === "NXAST_RAW_SAMPLE" ? 24 : 32);
  },
  check() {},
};

function decodeSample(
  body: WireReader,
  raw: "sample" | "sample2" | "sample3",
): OfpactOf<"sample"> {
  const probability = body.u16();
  const collectorSetId = body.u32();
  const obsDomainId = body.u32();
  const obsPointId = body.u32();
  let samplingPort = OFPP_NONE;
  let direction = NX_ACTION_SAMPLE_DEFAULT;
  if (raw !== "sample") {
    samplingPort = body.u16();
    const d = body.u8();
    if (raw === "sample3") direction = d;
  }
  if (probability === 0) throw new OfpError("OFPBAC_BAD_ARGUMENT");
  return {
    type: "sample",
    probability,
    collectorSetId,
    obsDomainId,
    obsPointId,
    samplingPort,
    direction,
    raw,
  };
}

// ---- fin_timeout ----

const parseFinTimeout: Parser = (arg) => {
  const a: OfpactOf<"fin_timeout"> = { type: "fin_timeout", idleTimeout: 0, hardTimeout: 0 };
  const kv = new KeyValueScanner(arg);
  for (let e = kv.next(); e; e = kv.next()) {
    if (e.key === "idle_timeout") a.idleTimeout = strToU16(e.value, e.key);
    else if (e.key === "hard_timeout") a.hardTimeout = strToU16(e.value, e.key);
    else throw new ParseError(`invalid key '${e.key}' in 'fin_timeout' argument`);
  }
  return a;
};

const finTimeout: ActionKind<"fin_timeout"> = {
  name: "fin_timeout",
  format(a) {
    const parts: string[] = [];
    if (a.idleTimeout) parts.push(`idle_timeout=${a.idleTimeout}`);
    if (a.hardTimeout) parts.push(`hard_timeout=${a.hardTimeout}`);
    return `fin_timeout(${parts.join(",")})`;
  },
  encode(a, version, w) {
    const start = startRaw(w, version, "NXAST_RAW_FIN_TIMEOUT");
    w.u16(a.idleTimeout).u16(a.hardTimeout);
    finishRaw(w, start, 16);
  },
  check(_a, cc) {
    if (nwProto(cc.flow) !== IPPROTO_TCP) inconsistentMatch(cc);
  },
};

// ---- queues ----

const setQueue: ActionKind<"set_queue"> = {
  name: "set_queue",
  format: (a) => `set_queue:${a.queueId}`,
  encode(a, version, w) {
    putRaw(w, version, "OFPAT_RAW_SET_QUEUE", a.queueId);
  },
  check() {},
};

const popQueue: ActionKind<"pop_queue"> = {
  name: "pop_queue",
  format: () => "pop_queue",
  encode(_a, version, w) {
    putRaw(w, version, "NXAST_RAW_POP_QUEUE");
  },
  check() {},
};

// ---- conjunction ----

const parseConjunction: Parser = (arg) => {
  const r = ovsScan(arg, "%i , %hhu / %hhu %n");
  if (!r || r.values[3] !== arg.length) {
    throw new ParseError(`"conjunction" syntax is "conjunction(id,i/n)"`);
  }
  const id = Number(BigInt.asUintN(32, r.values[0] as bigint));
  const clause = Number(r.values[1]);
  const nClauses = Number(r.values[2]);
  if (nClauses < 2) throw new ParseError("conjunction must have at least 2 clauses");
  if (nClauses > 64) throw new ParseError("conjunction must have at most 64 clauses");
  if (clause < 1) throw new ParseError("clause index must be positive");
  if (clause > nClauses) {
    throw new ParseError("clause index must be less than or equal to number of clauses");
  }
  return { type: "conjunction", id, clause: clause - 1, nClauses };
};

const conjunction: ActionKind<"conjunction"> = {
  name: "conjunction",
  format: (a) => `conjunction(${a.id},${a.clause + 1}/${a.nClauses})`,
  encode(a, version, w) {
    const start = startRaw(w, version, "NXAST_RAW_CONJUNCTION");
    w.u8(a.clause).u8(a.nClauses).u32(a.id);
    finishRaw(w, start, 16);
  },
  check() {},
};

// ---- dec_ttl ----

const parseDecTtl: Parser = (arg) => {
  if (arg === "") return { type: "dec_ttl", ids: [0], cntIds: false };
  const ids = strtok(arg, ", ").map((t) => atoi(t.token) & 0xffff);
  if (!ids.length) throw new ParseError("dec_ttl_cnt_ids: expected at least one controller id.");
  if (8 + 2 * ids.length > 0xffff) throw new ParseError("input too big");
  return { type: "dec_ttl", ids, cntIds: true };
};

const decTtl: ActionKind<"dec_ttl"> = {
  name: "dec_ttl",
  format: (a) => a.cntIds ? `dec_ttl(${a.ids.join(",")})` : "dec_ttl",
  encode(a, version, w) {
    if (a.cntIds || a.ids.length !== 1 || a.ids[0] !== 0) {
      const start = startRaw(w, version, "NXAST_RAW_DEC_TTL_CNT_IDS");
      w.u16(a.ids.length).zeros(4);
      for (const id of a.ids) w.u16(id);
      finishRaw(w, start, 16);
    } else {
      putRaw(w, version, "OFPAT_RAW_DEC_NW_TTL");
    }
  },
  check(_a, cc) {
    if (!isIpAny(cc.flow)) inconsistentMatch(cc);
  },
};

// ---- set_tunnel ----

const setTunnel: ActionKind<"set_tunnel"> = {
  name: "set_tunnel",
  format(a) {
    const wide = a.tunId > 0xffffffffn || a.tun64;
    return `set_tunnel${wide ? "64" : ""}:${hexAlt(a.tunId)}`;
  },
  encode(a, version, w) {
    if (version < OFP12) {
      if (a.tunId <= 0xffffffffn && !a.tun64) {
        putRaw(w, version, "NXAST_RAW_SET_TUNNEL", a.tunId);
      } else {
        putRaw(w, version, "NXAST_RAW_SET_TUNNEL64", a.tunId);
      }
    } else {
      putSetField(w, version, field("tun_id"), bytesOf(a.tunId, 8));
    }
  },
  check() {},
};

// ---- check_pkt_larger ----

/** upstream's set_field_split_str: "VALUE->KEY". */
export function splitArrow(arg: string): { value: string; key: string } {
  const at = arg.indexOf("->");
  if (at < 0) throw new ParseError(`${arg}: missing \`->'`);
  if (arg.length - at <= 2) throw new ParseError(`${arg}: missing field name following \`->'`);
  return { value: arg.slice(0, at), key: arg.slice(at + 2) };
}

const parseCheckPktLarger: Parser = (arg) => {
  const split = splitArrow(arg);
  let value = split.value;
  if (value.endsWith(")")) value = value.slice(0, -1);
  const dst = parseSubfield(split.key);
  if (dst.nBits !== 1) throw new ParseError("Only 1-bit destination field is allowed");
  return { type: "check_pkt_larger", pktLen: strToU16(value, "(null)"), dst };
};

const checkPktLarger: ActionKind<"check_pkt_larger"> = {
  name: "check_pkt_larger",
  format: (a) => `check_pkt_larger(${a.pktLen})->${formatSubfield(a.dst)}`,
  encode(a, version, w) {
    const start = startRaw(w, version, "NXAST_RAW_CHECK_PKT_LARGER");
    w.u16(a.pktLen).u16(a.dst.ofs);
    putFieldHeader(w, a.dst.field, 0);
    finishRaw(w, start, 24);
  },
  check() {},
};

// ---- delete_field ----

const deleteField: ActionKind<"delete_field"> = {
  name: "delete_field",
  format: (a) => `delete_field:${a.field.name}`,
  encode(a, version, w) {
    const start = startRaw(w, version, "NXAST_RAW_DELETE_FIELD");
    putFieldHeader(w, a.field, 0);
    finishRaw(w, start, 24);
  },
  check(a) {
    // Only tunnel metadata fields can be deleted.
    if (!a.field.name.startsWith("tun_metadata")) throw new OfpError("OFPBAC_BAD_ARGUMENT");
  },
};

// ---- push / pop ----

function parseStack(type: "stack_push" | "stack_pop"): Parser {
  return (arg) => {
    const { sf, end } = parseSubfieldPrefix(arg);
    if (end < arg.length) {
      throw new ParseError(`${arg.slice(end)}: trailing garbage following push or pop`);
    }
    return { type, subfield: sf };
  };
}

function encodeStack(
  a: { subfield: Subfield },
  id: string,
  version: number,
  w: WireWriter,
): void {
  const start = startRaw(w, version, id);
  w.u16(a.subfield.ofs);
  putFieldHeader(w, a.subfield.field, 0);
  w.u16(a.subfield.nBits);
  finishRaw(w, start, 24);
}

const stackPush: ActionKind<"stack_push"> = {
  name: "push",
  format: (a) => `push:${formatSubfield(a.subfield)}`,
  encode: (a, version, w) => encodeStack(a, "NXAST_RAW_STACK_PUSH", version, w),
  check(a, cc) {
    checkSrc(a.subfield, matchView(cc));
  },
};

const stackPop: ActionKind<"stack_pop"> = {
  name: "pop",
  format: (a) => `pop:${formatSubfield(a.subfield)}`,
  encode: (a, version, w) => encodeStack(a, "NXAST_RAW_STACK_POP", version, w),
  check(a, cc) {
    checkDst(a.subfield, matchView(cc));
  },
};

function decodeStack(bytes: Uint8Array) {
  const r = new WireReader(bytes, 10, 24, "OFPBMC_BAD_LEN");
  const ofs = r.u16();
  const f = pullFieldHeader(r).field;
  const nBits = r.u16();
  if (!isAllZeros(bytes, r.offset, 24)) throw new OfpError("NXBRC_MUST_BE_ZERO");
  return { field: f, ofs, nBits };
}

// ---- nsh, debugging, internal ----

const decNshTtl: ActionKind<"dec_nsh_ttl"> = {
  name: "dec_nsh_ttl",
  format: () => "dec_nsh_ttl",
  encode(_a, version, w) {
    putRaw(w, version, "NXAST_RAW_DEC_NSH_TTL");
  },
  check(_a, cc) {
    const dlType = cc.flow[W_DL_TYPE_VLAN]! >>> 16;
    if (packetType(cc.flow) !== PT_NSH && dlType !== ETH_TYPE_NSH) inconsistentMatch(cc);
  },
};

const exit: ActionKind<"exit"> = {
  name: "exit",
  format: () => "exit",
  encode(_a, version, w) {
    putRaw(w, version, "NXAST_RAW_EXIT");
  },
  check() {},
};

const debugRecirc: ActionKind<"debug_recirc"> = {
  name: "debug_recirc",
  format: () => "debug_recirc",
  encode(_a, version, w) {
    putRaw(w, version, "NXAST_RAW_DEBUG_RECIRC");
  },
  check() {},
};

const debugSlow: ActionKind<"debug_slow"> = {
  name: "debug_slow",
  format: () => "debug_slow",
  encode(_a, version, w) {
    putRaw(w, version, "NXAST_RAW_DEBUG_SLOW");
  },
  check() {},
};

const unrollXlate: ActionKind<"unroll_xlate"> = {
  name: "unroll_xlate",
  format: (a, fc) =>
    `unroll_xlate(table=${formatTable(a.ruleTableId, fc.tableMap)}, cookie=${
      BigInt.asUintN(64, a.ruleCookie)
    })`,
  // Internal to translation: never sent over OpenFlow.
  encode() {},
  check() {
    throw new OfpError("OFPBAC_BAD_TYPE");
  },
};

// ---- wire ----

const raws: RawDef[] = [
  {
    id: "NXAST_RAW_NOTE",
    spots: [nx(1, 6, 8)],
    body: { kind: "struct", size: 16, variable: true },
    decode: ({ bytes }) => ({ type: "note", data: bytes.slice(10) }),
  },
  {
    id: "NXAST_RAW_EXIT",
    spots: [nx(1, 6, 17)],
    body: { kind: "void" },
    decode: () => ({ type: "exit" }),
  },
  {
    id: "NXAST_RAW_SAMPLE",
    spots: [nx(1, 6, 29)],
    body: { kind: "struct", size: 24, variable: false },
    decode: ({ body }) => decodeSample(body, "sample"),
  },
  {
    id: "NXAST_RAW_SAMPLE2",
    spots: [nx(1, 6, 38)],
    body: { kind: "struct", size: 32, variable: false },
    decode: ({ body }) => decodeSample(body, "sample2"),
  },
  {
    id: "NXAST_RAW_SAMPLE3",
    spots: [nx(1, 6, 41)],
    body: { kind: "struct", size: 32, variable: false },
    decode({ bytes, body }) {
      if (!isAllZeros(bytes, 27, 32)) throw new OfpError("NXBRC_MUST_BE_ZERO");
      const direction = bytes[26]!;
      if (
        direction !== NX_ACTION_SAMPLE_DEFAULT && direction !== NX_ACTION_SAMPLE_INGRESS &&
        direction !== NX_ACTION_SAMPLE_EGRESS
      ) {
        actionsWarn(`invalid sample direction ${direction}`);
        throw new OfpError("OFPBAC_BAD_ARGUMENT");
      }
      return decodeSample(body, "sample3");
    },
  },
  {
    id: "NXAST_RAW_FIN_TIMEOUT",
    spots: [nx(1, 6, 19)],
    body: { kind: "struct", size: 16, variable: false },
    decode({ body }) {
      const idleTimeout = body.u16();
      return { type: "fin_timeout", idleTimeout, hardTimeout: body.u16() };
    },
  },
  {
    id: "OFPAT_RAW_SET_QUEUE",
    spots: [nx(1, 1, 4), of(2, 6, 21)],
    body: { kind: "int", bytes: 4 },
    decode: ({ arg }) => ({ type: "set_queue", queueId: arg }),
  },
  {
    id: "NXAST_RAW_POP_QUEUE",
    spots: [nx(1, 6, 5)],
    body: { kind: "void" },
    decode: () => ({ type: "pop_queue" }),
  },
  {
    id: "NXAST_RAW_CONJUNCTION",
    spots: [nx(1, 6, 34)],
    body: { kind: "struct", size: 16, variable: false },
    decode({ body }) {
      const clause = body.u8();
      const nClauses = body.u8();
      const id = body.u32();
      if (nClauses < 2 || nClauses > 64 || clause >= nClauses) {
        throw new OfpError("NXBAC_BAD_CONJUNCTION");
      }
      return { type: "conjunction", id, clause, nClauses };
    },
  },
  {
    id: "OFPAT_RAW_DEC_NW_TTL",
    spots: [nx(1, 1, 18), of(2, 6, 24)],
    body: { kind: "void" },
    decode: () => ({ type: "dec_ttl", ids: [0], cntIds: false }),
  },
  {
    id: "NXAST_RAW_DEC_TTL_CNT_IDS",
    spots: [nx(1, 6, 21)],
    body: { kind: "struct", size: 16, variable: true },
    decode({ bytes, body }) {
      const n = body.u16();
      if (!isAllZeros(bytes, 12, 16)) throw new OfpError("NXBRC_MUST_BE_ZERO");
      if (bytes.length - 16 < 2 * n) {
        actionsWarn(
          `Nicira action dec_ttl_cnt_ids only has ${bytes.length - 16} bytes allocated for ` +
            `controller ids.  ${2 * n} bytes are required for ${n} controllers.`,
        );
        throw new OfpError("OFPBAC_BAD_LEN");
      }
      const r = new WireReader(bytes, 16);
      const ids: number[] = [];
      for (let i = 0; i < n; i++) ids.push(r.u16());
      return { type: "dec_ttl", ids, cntIds: true };
    },
  },
  {
    id: "NXAST_RAW_SET_TUNNEL",
    spots: [nx(1, 6, 2)],
    body: { kind: "int", bytes: 4 },
    decode: ({ arg }) => ({ type: "set_tunnel", tunId: BigInt(arg), tun64: false }),
  },
  {
    id: "NXAST_RAW_SET_TUNNEL64",
    spots: [nx(1, 6, 9)],
    body: { kind: "int", bytes: 8 },
    decode: ({ arg64 }) => ({ type: "set_tunnel", tunId: arg64, tun64: true }),
  },
  {
    id: "NXAST_RAW_CHECK_PKT_LARGER",
    spots: [nx(1, 6, 49)],
    body: { kind: "struct", size: 24, variable: true },
    decode({ bytes, body }) {
      const pktLen = body.u16();
      const ofs = body.u16();
      const r = new WireReader(bytes, 14, bytes.length, "OFPBMC_BAD_LEN");
      const f = pullFieldHeader(r).field;
      if (!isAllZeros(bytes, r.offset)) throw new OfpError("NXBRC_MUST_BE_ZERO");
      const dst = { field: f, ofs, nBits: 1 };
      checkDst(dst, undefined);
      return { type: "check_pkt_larger", pktLen, dst };
    },
  },
  {
    id: "NXAST_RAW_DELETE_FIELD",
    spots: [nx(1, 6, 50)],
    body: { kind: "struct", size: 24, variable: false },
    decode({ bytes }) {
      const r = new WireReader(bytes, 10, bytes.length, "OFPBMC_BAD_LEN");
      return { type: "delete_field", field: pullFieldHeader(r).field };
    },
  },
  {
    id: "NXAST_RAW_STACK_PUSH",
    spots: [nx(1, 6, 27)],
    body: { kind: "struct", size: 24, variable: false },
    decode({ bytes }) {
      const subfield = decodeStack(bytes);
      checkSrc(subfield, undefined);
      return { type: "stack_push", subfield };
    },
  },
  {
    id: "NXAST_RAW_STACK_POP",
    spots: [nx(1, 6, 28)],
    body: { kind: "struct", size: 24, variable: false },
    decode({ bytes }) {
      const subfield = decodeStack(bytes);
      checkDst(subfield, undefined);
      return { type: "stack_pop", subfield };
    },
  },
  {
    id: "NXAST_RAW_DEC_NSH_TTL",
    spots: [nx(4, 6, 48)],
    body: { kind: "void" },
    decode: () => ({ type: "dec_nsh_ttl" }),
  },
  {
    id: "NXAST_RAW_DEBUG_SLOW",
    spots: [nx(1, 6, 254)],
    body: { kind: "void" },
    decode({ options }) {
      if (!options.enableDebug) throw new OfpError("OFPBAC_BAD_VENDOR_TYPE");
      return { type: "debug_slow" };
    },
  },
  {
    id: "NXAST_RAW_DEBUG_RECIRC",
    spots: [nx(1, 6, 255)],
    body: { kind: "void" },
    decode({ options }) {
      if (!options.enableDebug) throw new OfpError("OFPBAC_BAD_VENDOR_TYPE");
      return { type: "debug_recirc" };
    },
  },
];

function parseTunnel(tun64: boolean): Parser {
  return (arg) => ({ type: "set_tunnel", tunId: strToU64(arg), tun64 });
}

export const metaFamily: Family = {
  kinds: {
    note,
    sample,
    fin_timeout: finTimeout,
    set_queue: setQueue,
    pop_queue: popQueue,
    conjunction,
    dec_ttl: decTtl,
    set_tunnel: setTunnel,
    check_pkt_larger: checkPktLarger,
    delete_field: deleteField,
    stack_push: stackPush,
    stack_pop: stackPop,
    dec_nsh_ttl: decNshTtl,
    exit,
    debug_recirc: debugRecirc,
    debug_slow: debugSlow,
    unroll_xlate: unrollXlate,
  },
  keywords: {
    note: parseNote,
    sample: parseSample,
    fin_timeout: parseFinTimeout,
    set_queue: (arg) => ({ type: "set_queue", queueId: strToU32(arg) }),
    pop_queue: () => ({ type: "pop_queue" }),
    conjunction: parseConjunction,
    dec_ttl: parseDecTtl,
    set_tunnel: parseTunnel(false),
    set_tunnel64: parseTunnel(true),
    check_pkt_larger: parseCheckPktLarger,
    delete_field: (arg) => ({ type: "delete_field", field: parseFieldName(arg) }),
    push: parseStack("stack_push"),
    pop: parseStack("stack_pop"),
    dec_nsh_ttl: () => ({ type: "dec_nsh_ttl" }),
    exit: () => ({ type: "exit" }),
    debug_recirc: () => ({ type: "debug_recirc" }),
    debug_slow: () => ({ type: "debug_slow" }),
    unroll_xlate: () => {
      throw new ParseError("UNROLL is an internal action that shouldn't be used via OpenFlow");
    },
  },
  raws,
};
