// Output actions, all four forms: output (to a port, including the reserved ports), controller
// (NXAST_CONTROLLER and the property-based NXAST_CONTROLLER2), enqueue (OpenFlow 1.0's, and its
// set_queue/output/pop_queue translation for 1.1+), output_reg (output to the port in a
// subfield, NXAST_OUTPUT_REG and _REG2), output_trunc (`output(port=P,max_len=N)`), and group.
//
// Promises: text and bytes exactly as upstream's ofp-actions; decoders check what upstream
// checks (port ranges, reserved bytes) and throw OfpError with upstream's names.

import { OfpError, ParseError } from "../errors.ts";
import { OFP10 } from "../fields.ts";
import { WireReader } from "../wire.ts";
import {
  propU16,
  propU32,
  propU8,
  pullProp,
  putProp,
  putPropFlag,
  putPropU16,
  putPropU32,
  putPropU8,
} from "../msg/props.ts";
import { checkOutputPort, checkSrc, matchView } from "./check_util.ts";
import { fieldFromHeader32, nxmHeader32, pullFieldHeader, putFieldHeader } from "../nxm_header.ts";
import {
  formatPort,
  OFPP_CONTROLLER,
  OFPP_IN_PORT,
  OFPP_LOCAL,
  OFPP_MAX,
  parsePort,
  portFromOfp11,
  portToOfp11,
} from "../port_text.ts";
import { formatSubfield, parseSubfield } from "../subfield.ts";
import type { ActionKind, Family, Parser } from "./kind.ts";
import { finishRaw, isAllZeros, nx, of, putRaw, type RawDef, startRaw } from "./raw.ts";
import { hexDotted, KeyValueScanner, parseHexBytes, Strtok, strToU16, strToU32 } from "./text.ts";
import {
  NX_CTLR_NO_METER,
  type Ofpact,
  type OfpactOf,
  OFPR_ACTION,
  OFPR_ACTION_SET,
  OFPR_GROUP,
  OFPR_INVALID_TTL,
  OFPR_NO_MATCH,
  OFPR_PACKET_OUT,
} from "./types.ts";

const ETH_HEADER_LEN = 14;

/** upstream's ofputil_packet_in_reason_to_string. */
export function packetInReasonToString(reason: number): string {
  switch (reason) {
    case OFPR_NO_MATCH:
      return "no_match";
    case OFPR_ACTION:
      return "action";
    case OFPR_INVALID_TTL:
      return "invalid_ttl";
    case OFPR_ACTION_SET:
      return "action_set";
    case OFPR_GROUP:
      return "group";
    case OFPR_PACKET_OUT:
      return "packet_out";
    case 6:
    case 7:
      return "";
    default:
      return String(reason);
  }
}

function packetInReasonFromString(s: string): number | undefined {
  for (let i = 0; i < 8; i++) {
    if (packetInReasonToString(i).toLowerCase() === s.toLowerCase()) return i;
  }
  return undefined;
}

// ---- output, output_reg, output_trunc ----

const parseOutput: Parser = (arg, ps) => {
  if (arg.includes("port") && arg.includes("max_len")) {
    const trunc: OfpactOf<"output_trunc"> = { type: "output_trunc", port: 0, maxLen: 0 };
    const kv = new KeyValueScanner(arg);
    for (let e = kv.next(); e; e = kv.next()) {
      if (e.key === "port") {
        const port = parsePort(e.value, ps.portMap);
        if (port === undefined) {
          throw new ParseError(`output to unknown truncate port: ${e.value}`);
        }
        if (port > OFPP_MAX && port !== OFPP_LOCAL && port !== OFPP_IN_PORT) {
          throw new ParseError(`output to unsupported truncate port: ${e.value}`);
        }
        trunc.port = port;
      } else if (e.key === "max_len") {
        trunc.maxLen = strToU32(e.value);
        if (trunc.maxLen < ETH_HEADER_LEN) {
          throw new ParseError(
            `max_len ${trunc.maxLen} is less than the minimum value ${ETH_HEADER_LEN}`,
          );
        }
      } else {
        throw new ParseError(`invalid key '${e.key}' in output_trunc argument`);
      }
    }
    return trunc;
  }
  const port = parsePort(arg, ps.portMap);
  if (port !== undefined) {
    return { type: "output", port, maxLen: port === OFPP_CONTROLLER ? 0xffff : 0 };
  }
  try {
    return { type: "output_reg", src: parseSubfield(arg), maxLen: 0xffff, reg2: false };
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
  }
  throw new ParseError(`${arg}: output to unknown port`);
};

const output: ActionKind<"output"> = {
  name: "output",
  format(a, fc) {
    const prefix = a.port < OFPP_MAX ? "output:" : "";
    const suffix = a.port === OFPP_CONTROLLER ? `:${a.maxLen}` : "";
    return prefix + formatPort(a.port, fc.portMap) + suffix;
  },
  encode(a, version, w) {
    const start = startRaw(
      w,
      version,
      version === OFP10 ? "OFPAT_RAW10_OUTPUT" : "OFPAT_RAW11_OUTPUT",
    );
    if (version === OFP10) {
      w.u16(a.port).u16(a.maxLen);
    } else {
      w.u32(portToOfp11(a.port)).u16(a.maxLen);
    }
    finishRaw(w, start);
  },
  check(a, cc) {
    checkOutputPort(a.port, cc.maxPorts);
  },
};

const outputReg: ActionKind<"output_reg"> = {
  name: "output_reg",
  format(a) {
    return `output:${formatSubfield(a.src)}`;
  },
  encode(a, version, w) {
    if (a.reg2 || !nxmHeader32(a.src.field)) {
      const start = startRaw(w, version, "NXAST_RAW_OUTPUT_REG2");
      w.u16(encodeOfsNbits(a.src.ofs, a.src.nBits)).u16(a.maxLen);
      putFieldHeader(w, a.src.field, 0);
      finishRaw(w, start, 24);
    } else {
      const start = startRaw(w, version, "NXAST_RAW_OUTPUT_REG");
      w.u16(encodeOfsNbits(a.src.ofs, a.src.nBits)).u32(nxmHeader32(a.src.field)).u16(a.maxLen);
      finishRaw(w, start, 24);
    }
  },
  check(a, cc) {
    checkSrc(a.src, matchView(cc));
  },
};

const outputTrunc: ActionKind<"output_trunc"> = {
  name: "output_trunc",
  format(a, fc) {
    return `output(port=${formatPort(a.port, fc.portMap)},max_len=${a.maxLen})`;
  },
  encode(a, version, w) {
    const start = startRaw(w, version, "NXAST_RAW_OUTPUT_TRUNC");
    w.u16(a.port).u32(a.maxLen);
    finishRaw(w, start);
  },
  check(a, cc) {
    checkOutputPort(a.port, cc.maxPorts);
  },
};

/** upstream's nxm_encode_ofs_nbits. */
export function encodeOfsNbits(ofs: number, nBits: number): number {
  return ((ofs << 6) | (nBits - 1)) & 0xffff;
}

/** upstream's nxm_decode_ofs and nxm_decode_n_bits. */
export function decodeOfsNbits(v: number): { ofs: number; nBits: number } {
  return { ofs: v >>> 6, nBits: (v & 0x3f) + 1 };
}

// ---- controller ----

const NXAC2PT_MAX_LEN = 0n;
const NXAC2PT_CONTROLLER_ID = 1n;
const NXAC2PT_REASON = 2n;
const NXAC2PT_USERDATA = 3n;
const NXAC2PT_PAUSE = 4n;
const NXAC2PT_METER_ID = 5n;

const parseController: Parser = (arg) => {
  let reason = OFPR_ACTION;
  let controllerId = 0;
  let maxLen = 0xffff;
  let meterId = NX_CTLR_NO_METER;
  let userdata: string | undefined;
  let pause = false;
  if (arg === "") {
    // Defaults.
  } else if (/^[0-9]+$/.test(arg)) {
    maxLen = strToU16(arg, "max_len");
  } else {
    const kv = new KeyValueScanner(arg);
    for (let e = kv.next(); e; e = kv.next()) {
      if (e.key === "reason") {
        const r = packetInReasonFromString(e.value);
        if (r === undefined) throw new ParseError(`unknown reason "${e.value}"`);
        reason = r;
      } else if (e.key === "max_len") {
        maxLen = strToU16(e.value, "max_len");
      } else if (e.key === "id") {
        controllerId = strToU16(e.value, "id");
      } else if (e.key === "userdata") {
        userdata = e.value;
      } else if (e.key === "pause") {
        pause = true;
      } else if (e.key === "meter_id") {
        meterId = strToU32(e.value);
      } else {
        throw new ParseError(`unknown key "${e.key}" parsing controller action`);
      }
    }
  }
  if (
    reason === OFPR_ACTION && controllerId === 0 && userdata === undefined && !pause &&
    meterId === NX_CTLR_NO_METER
  ) {
    return { type: "output", port: OFPP_CONTROLLER, maxLen };
  }
  let data: Uint8Array = new Uint8Array(0);
  if (userdata !== undefined) {
    const hex = parseHexBytes(userdata);
    if (hex.rest !== "") {
      throw new ParseError("bad hex digit in `controller' action `userdata'");
    }
    data = hex.bytes;
    if (24 + data.length > 0xffff) throw new ParseError("input too big");
  }
  return {
    type: "controller",
    maxLen,
    controllerId,
    reason,
    pause,
    userdata: data,
    meterId,
    controller2: false,
  };
};

const controller: ActionKind<"controller"> = {
  name: "controller",
  format(a) {
    if (
      a.reason === OFPR_ACTION && !a.controllerId && !a.userdata.length && !a.pause &&
      a.meterId === NX_CTLR_NO_METER
    ) {
      return `CONTROLLER:${a.maxLen}`;
    }
    const parts: string[] = [];
    if (a.reason !== OFPR_ACTION) parts.push(`reason=${packetInReasonToString(a.reason)}`);
    if (a.maxLen !== 0xffff) parts.push(`max_len=${a.maxLen}`);
    if (a.controllerId !== 0) parts.push(`id=${a.controllerId}`);
    if (a.userdata.length) parts.push(`userdata=${hexDotted(a.userdata)}`);
    if (a.pause) parts.push("pause");
    if (a.meterId !== NX_CTLR_NO_METER) parts.push(`meter_id=${a.meterId}`);
    return `controller(${parts.join(",")})`;
  },
  encode(a, version, w) {
    if (a.userdata.length || a.pause || a.meterId !== NX_CTLR_NO_METER || a.controller2) {
      const start = startRaw(w, version, "NXAST_RAW_CONTROLLER2");
      w.zeros(6);
      if (a.maxLen !== 0xffff) putPropU16(w, NXAC2PT_MAX_LEN, a.maxLen);
      if (a.controllerId !== 0) putPropU16(w, NXAC2PT_CONTROLLER_ID, a.controllerId);
      if (a.reason !== OFPR_ACTION) putPropU8(w, NXAC2PT_REASON, a.reason);
      if (a.userdata.length) putProp(w, NXAC2PT_USERDATA, a.userdata);
      if (a.pause) putPropFlag(w, NXAC2PT_PAUSE);
      if (a.meterId !== NX_CTLR_NO_METER) putPropU32(w, NXAC2PT_METER_ID, a.meterId);
      finishRaw(w, start);
    } else {
      const start = startRaw(w, version, "NXAST_RAW_CONTROLLER");
      w.u16(a.maxLen).u16(a.controllerId).u8(a.reason).u8(0);
      finishRaw(w, start);
    }
  },
  check() {},
};

function decodeController2(bytes: Uint8Array): Ofpact {
  if (!isAllZeros(bytes, 10, 16)) throw new OfpError("NXBRC_MUST_BE_ZERO");
  const a: OfpactOf<"controller"> = {
    type: "controller",
    maxLen: 0xffff,
    controllerId: 0,
    reason: OFPR_ACTION,
    pause: false,
    userdata: new Uint8Array(0),
    meterId: NX_CTLR_NO_METER,
    controller2: true,
  };
  let offset = 16;
  while (offset < bytes.length) {
    const { prop, next } = pullProp(bytes, offset);
    offset = next;
    switch (prop.type) {
      case NXAC2PT_MAX_LEN:
        a.maxLen = propU16(prop);
        break;
      case NXAC2PT_CONTROLLER_ID:
        a.controllerId = propU16(prop);
        break;
      case NXAC2PT_REASON:
        a.reason = propU8(prop);
        break;
      case NXAC2PT_USERDATA:
        a.userdata = prop.payload.slice();
        break;
      case NXAC2PT_PAUSE:
        a.pause = true;
        break;
      case NXAC2PT_METER_ID:
        a.meterId = propU32(prop);
        break;
      default:
        throw new OfpError(prop.type >= 0xffffn ? "OFPBPC_BAD_EXP_TYPE" : "OFPBPC_BAD_TYPE");
    }
  }
  return a;
}

// ---- enqueue ----

const parseEnqueue: Parser = (arg, ps) => {
  const tok = new Strtok(arg);
  const portText = tok.next(":q,");
  const queueText = tok.rest();
  if (portText === undefined || queueText === undefined) {
    throw new ParseError(
      `"enqueue" syntax is "enqueue:PORT:QUEUE" or "enqueue(PORT,QUEUE)"`,
    );
  }
  const port = parsePort(portText, ps.portMap);
  if (port === undefined) throw new ParseError(`${portText}: enqueue to unknown port`);
  return { type: "enqueue", port, queue: strToU32(queueText) };
};

const enqueue: ActionKind<"enqueue"> = {
  name: "enqueue",
  format(a, fc) {
    return `enqueue:${formatPort(a.port, fc.portMap)}:${a.queue}`;
  },
  encode(a, version, w) {
    if (version === OFP10) {
      const start = startRaw(w, version, "OFPAT_RAW10_ENQUEUE");
      w.u16(a.port).zeros(6).u32(a.queue);
      finishRaw(w, start);
    } else {
      putRaw(w, version, "OFPAT_RAW_SET_QUEUE", a.queue);
      const start = startRaw(w, version, "OFPAT_RAW11_OUTPUT");
      w.u32(portToOfp11(a.port)).u16(0xffff);
      finishRaw(w, start);
      putRaw(w, version, "NXAST_RAW_POP_QUEUE");
    }
  },
  check(a, cc) {
    if (a.port >= cc.maxPorts && a.port !== OFPP_IN_PORT && a.port !== OFPP_LOCAL) {
      throw new OfpError("OFPBAC_BAD_OUT_PORT");
    }
  },
};

// ---- group ----

const group: ActionKind<"group"> = {
  name: "group",
  format(a) {
    return `group:${a.groupId}`;
  },
  encode(a, version, w) {
    putRaw(w, version, "OFPAT_RAW_GROUP", a.groupId);
  },
  check() {},
};

// ---- wire decoders ----

const raws: RawDef[] = [
  {
    id: "OFPAT_RAW10_OUTPUT",
    spots: [of(1, 1, 0)],
    body: { kind: "struct", size: 8, variable: false },
    decode({ body }) {
      const port = body.u16();
      const maxLen = body.u16();
      checkOutputPort(port, OFPP_MAX);
      return { type: "output", port, maxLen };
    },
  },
  {
    id: "OFPAT_RAW11_OUTPUT",
    spots: [of(2, 6, 0)],
    body: { kind: "struct", size: 16, variable: false },
    decode({ body }) {
      const port32 = body.u32();
      const maxLen = body.u16();
      const port = portFromOfp11(port32);
      checkOutputPort(port, OFPP_MAX);
      return { type: "output", port, maxLen };
    },
  },
  {
    id: "OFPAT_RAW10_ENQUEUE",
    spots: [of(1, 1, 11)],
    body: { kind: "struct", size: 16, variable: false },
    decode({ body }) {
      const port = body.u16();
      body.skip(6);
      const queue = body.u32();
      if (port >= OFPP_MAX && port !== OFPP_IN_PORT && port !== OFPP_LOCAL) {
        throw new OfpError("OFPBAC_BAD_OUT_PORT");
      }
      return { type: "enqueue", port, queue };
    },
  },
  {
    id: "OFPAT_RAW_GROUP",
    spots: [nx(1, 1, 40), of(2, 6, 22)],
    body: { kind: "int", bytes: 4 },
    decode: ({ arg }) => ({ type: "group", groupId: arg }),
  },
  {
    id: "NXAST_RAW_CONTROLLER",
    spots: [nx(1, 6, 20)],
    body: { kind: "struct", size: 16, variable: false },
    decode({ body }) {
      const maxLen = body.u16();
      const controllerId = body.u16();
      const reason = body.u8();
      return {
        type: "controller",
        maxLen,
        controllerId,
        reason,
        pause: false,
        userdata: new Uint8Array(0),
        meterId: NX_CTLR_NO_METER,
        controller2: false,
      };
    },
  },
  {
    id: "NXAST_RAW_CONTROLLER2",
    spots: [nx(1, 6, 37)],
    body: { kind: "struct", size: 16, variable: true },
    decode: ({ bytes }) => decodeController2(bytes),
  },
  {
    id: "NXAST_RAW_OUTPUT_REG",
    spots: [nx(1, 6, 15)],
    body: { kind: "struct", size: 24, variable: false },
    decode({ bytes, body }) {
      if (!isAllZeros(bytes, 18, 24)) throw new OfpError("OFPBAC_BAD_ARGUMENT");
      const { ofs, nBits } = decodeOfsNbits(body.u16());
      const field = fieldFromHeader32(body.u32());
      const maxLen = body.u16();
      if (!field) throw new OfpError("OFPBAC_BAD_SET_TYPE");
      const src = { field, ofs, nBits };
      checkSrc(src, undefined);
      return { type: "output_reg", src, maxLen, reg2: false };
    },
  },
  {
    id: "NXAST_RAW_OUTPUT_REG2",
    spots: [nx(1, 6, 32)],
    body: { kind: "struct", size: 24, variable: false },
    decode({ bytes, body }) {
      const { ofs, nBits } = decodeOfsNbits(body.u16());
      const maxLen = body.u16();
      const r = new WireReader(bytes, 14, bytes.length, "OFPBMC_BAD_LEN");
      const field = pullFieldHeader(r).field;
      if (!isAllZeros(bytes, r.offset)) throw new OfpError("NXBRC_MUST_BE_ZERO");
      const src = { field, ofs, nBits };
      checkSrc(src, undefined);
      return { type: "output_reg", src, maxLen, reg2: true };
    },
  },
  {
    id: "NXAST_RAW_OUTPUT_TRUNC",
    spots: [nx(1, 6, 39)],
    body: { kind: "struct", size: 16, variable: false },
    decode({ body }) {
      const port = body.u16();
      const maxLen = body.u32();
      if (maxLen < ETH_HEADER_LEN) throw new OfpError("OFPBAC_BAD_ARGUMENT");
      return { type: "output_trunc", port, maxLen };
    },
  },
];

export const outputFamily: Family = {
  kinds: { output, output_reg: outputReg, output_trunc: outputTrunc, controller, enqueue, group },
  keywords: {
    output: parseOutput,
    output_reg: parseOutput,
    output_trunc: (arg) => {
      throw new ParseError(`unknown action ${arg}`);
    },
    controller: parseController,
    enqueue: parseEnqueue,
    group: (arg) => ({ type: "group", groupId: strToU32(arg) }),
  },
  raws,
};
