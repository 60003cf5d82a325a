// The classic header-rewrite actions of OpenFlow 1.0/1.1, all four forms: mod_dl_src/dst,
// mod_nw_src/dst, mod_nw_tos (DSCP), mod_nw_ecn, mod_nw_ttl (alias set_nw_ttl) and
// mod_tp_src/dst. From OpenFlow 1.2 on they are written as Set-Field of the corresponding field
// (mod_tp_* only when checking learned whether the flow is TCP, UDP or SCTP); OpenFlow 1.0 has no
// ECN or TTL action, so those become Nicira reg_loads.
//
// Promises: upstream's text, bytes and consistency checks.

import {
  ETH_TYPE_IP,
  FLOW_NW_FRAG_LATER,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
} from "../../datapath/flow.ts";
import { OfpError, ParseError } from "../errors.ts";
import { type Field, field, OFP10, OFP11, OFP12 } from "../fields.ts";
import { ovsScan } from "../text_scan.ts";
import { getDlType, inconsistentMatch, isIpAny, nwFrag, nwProto } from "./check_util.ts";
import { bytesOf, putRegLoad, putSetField } from "./field_wire.ts";
import type { ActionKind, CheckContext, Family } from "./kind.ts";
import { finishRaw, of, putRaw, type RawDef, startRaw } from "./raw.ts";
import type { WireWriter } from "../wire.ts";
import { formatIpv4, formatMac, inetPton4, strToU16, strToU8 } from "./text.ts";

const IP_DSCP_MASK = 0xfc;
const IP_ECN_MASK = 0x03;

function parseMac(arg: string): Uint8Array {
  const r = ovsScan(arg, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx");
  if (!r) throw new ParseError(`invalid mac address ${arg}`);
  return Uint8Array.from(r.values, (v) => Number(v));
}

function parseIp(arg: string): number {
  const ip = inetPton4(arg);
  if (ip === undefined) throw new ParseError(`${arg}: could not convert to IP address`);
  return ip;
}

function encodeMac(raw: string, f: Field) {
  return (a: { mac: Uint8Array }, version: number, w: WireWriter) => {
    if (version < OFP12) {
      const start = startRaw(w, version, raw);
      w.bytes(a.mac);
      finishRaw(w, start, 16);
    } else {
      putSetField(w, version, f, a.mac);
    }
  };
}

function encodeIpv4(raw: string, f: Field) {
  return (a: { ipv4: number }, version: number, w: WireWriter) => {
    if (version < OFP12) putRaw(w, version, raw, a.ipv4);
    else putSetField(w, version, f, bytesOf(a.ipv4, 4));
  };
}

function checkSetIpv4(_a: unknown, cc: CheckContext): void {
  if (getDlType(cc.flow) !== ETH_TYPE_IP) inconsistentMatch(cc);
}

function checkSetIp(_a: unknown, cc: CheckContext): void {
  if (!isIpAny(cc.flow)) inconsistentMatch(cc);
}

function checkSetL4Port(a: { flowIpProto: number }, cc: CheckContext): void {
  const proto = nwProto(cc.flow);
  if (
    !isIpAny(cc.flow) || (nwFrag(cc.flow) & FLOW_NW_FRAG_LATER) ||
    (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP && proto !== IPPROTO_SCTP)
  ) {
    inconsistentMatch(cc);
  }
  a.flowIpProto = proto;
}

function l4Field(proto: number, which: "src" | "dst"): Field | undefined {
  if (proto === IPPROTO_TCP) return field(`tcp_${which}`);
  if (proto === IPPROTO_UDP) return field(`udp_${which}`);
  if (proto === IPPROTO_SCTP) return field(`sctp_${which}`);
  return undefined;
}

function encodeL4(raw: string, which: "src" | "dst") {
  return (
    a: { port: number; flowIpProto: number },
    version: number,
    w: WireWriter,
  ) => {
    const f = l4Field(a.flowIpProto, which);
    if (version >= OFP12 && f) putSetField(w, version, f, bytesOf(a.port, 2));
    else putRaw(w, version, raw, a.port);
  };
}

const setEthSrc: ActionKind<"set_eth_src"> = {
  name: "mod_dl_src",
  format: (a) => `mod_dl_src:${formatMac(a.mac)}`,
  encode: encodeMac("OFPAT_RAW_SET_DL_SRC", field("eth_src")),
  check() {},
};

const setEthDst: ActionKind<"set_eth_dst"> = {
  name: "mod_dl_dst",
  format: (a) => `mod_dl_dst:${formatMac(a.mac)}`,
  encode: encodeMac("OFPAT_RAW_SET_DL_DST", field("eth_dst")),
  check() {},
};

const setIpv4Src: ActionKind<"set_ipv4_src"> = {
  name: "mod_nw_src",
  format: (a) => `mod_nw_src:${formatIpv4(a.ipv4)}`,
  encode: encodeIpv4("OFPAT_RAW_SET_NW_SRC", field("ip_src")),
  check: checkSetIpv4,
};

const setIpv4Dst: ActionKind<"set_ipv4_dst"> = {
  name: "mod_nw_dst",
  format: (a) => `mod_nw_dst:${formatIpv4(a.ipv4)}`,
  encode: encodeIpv4("OFPAT_RAW_SET_NW_DST", field("ip_dst")),
  check: checkSetIpv4,
};

const setIpDscp: ActionKind<"set_ip_dscp"> = {
  name: "mod_nw_tos",
  format: (a) => `mod_nw_tos:${a.dscp}`,
  encode(a, version, w) {
    if (version < OFP12) putRaw(w, version, "OFPAT_RAW_SET_NW_TOS", a.dscp);
    else putSetField(w, version, field("ip_dscp"), bytesOf(a.dscp >> 2, 1));
  },
  check: checkSetIp,
};

const setIpEcn: ActionKind<"set_ip_ecn"> = {
  name: "mod_nw_ecn",
  format: (a) => `mod_nw_ecn:${a.ecn}`,
  encode(a, version, w) {
    encodeEcn(a.ecn, version, w);
  },
  check: checkSetIp,
};

/** mod_nw_ecn for `version` (also used by Set-Field of nw_ecn in OpenFlow 1.0/1.1). */
export function encodeEcn(ecn: number, version: number, w: WireWriter): void {
  const f = field("nw_ecn");
  if (version === OFP10) putRegLoad(w, { field: f, ofs: 0, nBits: 2 }, BigInt(ecn));
  else if (version === OFP11) putRaw(w, version, "OFPAT_RAW11_SET_NW_ECN", ecn);
  else putSetField(w, version, f, bytesOf(ecn, 1));
}

const setIpTtl: ActionKind<"set_ip_ttl"> = {
  name: "mod_nw_ttl",
  format: (a) => `mod_nw_ttl:${a.ttl}`,
  encode(a, version, w) {
    if (version >= OFP11) putRaw(w, version, "OFPAT_RAW11_SET_NW_TTL", a.ttl);
    else putRegLoad(w, { field: field("nw_ttl"), ofs: 0, nBits: 8 }, BigInt(a.ttl));
  },
  check: checkSetIp,
};

const setL4Src: ActionKind<"set_l4_src_port"> = {
  name: "mod_tp_src",
  format: (a) => `mod_tp_src:${a.port}`,
  encode: encodeL4("OFPAT_RAW_SET_TP_SRC", "src"),
  check: checkSetL4Port,
};

const setL4Dst: ActionKind<"set_l4_dst_port"> = {
  name: "mod_tp_dst",
  format: (a) => `mod_tp_dst:${a.port}`,
  encode: encodeL4("OFPAT_RAW_SET_TP_DST", "dst"),
  check: checkSetL4Port,
};

const STRUCT16 = { kind: "struct", size: 16, variable: false } as const;

const raws: RawDef[] = [
  {
    id: "OFPAT_RAW_SET_DL_SRC",
    spots: [of(1, 1, 4), of(2, 2, 3), of(3, 6, 3, "use Set-Field")],
    body: STRUCT16,
    decode: ({ body }) => ({ type: "set_eth_src", mac: body.bytes(6).slice() }),
  },
  {
    id: "OFPAT_RAW_SET_DL_DST",
    spots: [of(1, 1, 5), of(2, 2, 4), of(3, 6, 4, "use Set-Field")],
    body: STRUCT16,
    decode: ({ body }) => ({ type: "set_eth_dst", mac: body.bytes(6).slice() }),
  },
  {
    id: "OFPAT_RAW_SET_NW_SRC",
    spots: [of(1, 1, 6), of(2, 2, 5), of(3, 6, 5, "use Set-Field")],
    body: { kind: "int", bytes: 4 },
    decode: ({ arg }) => ({ type: "set_ipv4_src", ipv4: arg }),
  },
  {
    id: "OFPAT_RAW_SET_NW_DST",
    spots: [of(1, 1, 7), of(2, 2, 6), of(3, 6, 6, "use Set-Field")],
    body: { kind: "int", bytes: 4 },
    decode: ({ arg }) => ({ type: "set_ipv4_dst", ipv4: arg }),
  },
  {
    id: "OFPAT_RAW_SET_NW_TOS",
    spots: [of(1, 1, 8), of(2, 2, 7), of(3, 6, 7, "use Set-Field")],
    body: { kind: "int", bytes: 1 },
    decode({ arg }) {
      if (arg & ~IP_DSCP_MASK) throw new OfpError("OFPBAC_BAD_ARGUMENT");
      return { type: "set_ip_dscp", dscp: arg };
    },
  },
  {
    id: "OFPAT_RAW11_SET_NW_ECN",
    spots: [of(2, 2, 8), of(3, 6, 8, "use Set-Field")],
    body: { kind: "int", bytes: 1 },
    decode({ arg }) {
      if (arg & ~IP_ECN_MASK) throw new OfpError("OFPBAC_BAD_ARGUMENT");
      return { type: "set_ip_ecn", ecn: arg };
    },
  },
  {
    id: "OFPAT_RAW_SET_TP_SRC",
    spots: [of(1, 1, 9), of(2, 2, 9), of(3, 6, 9, "use Set-Field")],
    body: { kind: "int", bytes: 2 },
    decode: ({ arg }) => ({ type: "set_l4_src_port", port: arg, flowIpProto: 0 }),
  },
  {
    id: "OFPAT_RAW_SET_TP_DST",
    spots: [of(1, 1, 10), of(2, 2, 10), of(3, 6, 10, "use Set-Field")],
    body: { kind: "int", bytes: 2 },
    decode: ({ arg }) => ({ type: "set_l4_dst_port", port: arg, flowIpProto: 0 }),
  },
  {
    id: "OFPAT_RAW11_SET_NW_TTL",
    spots: [of(2, 6, 23)],
    body: { kind: "int", bytes: 1 },
    decode: ({ arg }) => ({ type: "set_ip_ttl", ttl: arg }),
  },
];

function parseTtl(arg: string) {
  return { type: "set_ip_ttl" as const, ttl: strToU8(arg, "TTL") };
}

export const l2l4Family: Family = {
  kinds: {
    set_eth_src: setEthSrc,
    set_eth_dst: setEthDst,
    set_ipv4_src: setIpv4Src,
    set_ipv4_dst: setIpv4Dst,
    set_ip_dscp: setIpDscp,
    set_ip_ecn: setIpEcn,
    set_ip_ttl: setIpTtl,
    set_l4_src_port: setL4Src,
    set_l4_dst_port: setL4Dst,
  },
  keywords: {
    mod_dl_src: (arg) => ({ type: "set_eth_src", mac: parseMac(arg) }),
    mod_dl_dst: (arg) => ({ type: "set_eth_dst", mac: parseMac(arg) }),
    mod_nw_src: (arg) => ({ type: "set_ipv4_src", ipv4: parseIp(arg) }),
    mod_nw_dst: (arg) => ({ type: "set_ipv4_dst", ipv4: parseIp(arg) }),
    mod_nw_tos(arg) {
      const tos = strToU8(arg, "TOS");
      if (tos & ~IP_DSCP_MASK) throw new ParseError(`${arg}: not a valid TOS`);
      return { type: "set_ip_dscp", dscp: tos };
    },
    mod_nw_ecn(arg) {
      const ecn = strToU8(arg, "ECN");
      if (ecn & ~IP_ECN_MASK) throw new ParseError(`${arg}: not a valid ECN`);
      return { type: "set_ip_ecn", ecn };
    },
    mod_nw_ttl: parseTtl,
    set_nw_ttl: parseTtl,
    mod_tp_src: (arg) => ({
      type: "set_l4_src_port",
      port: strToU16(arg, "source port"),
      flowIpProto: 0,
    }),
    mod_tp_dst: (arg) => ({
      type: "set_l4_dst_port",
      port: strToU16(arg, "destination port"),
      flowIpProto: 0,
    }),
  },
  raws,
};
