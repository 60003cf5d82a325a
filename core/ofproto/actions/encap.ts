// Generic encap and decap, all four forms: `encap(ethernet|nsh(md_type=N,tlv(0xCLASS,TYPE,0xHEX))
// |mpls|mpls_mc)` and `decap([packet_type(ns=N,type=T)])`, as NXAST_ENCAP (with its NSH
// properties) and NXAST_DECAP, which exist from OpenFlow 1.3 on. Checking follows the packet type
// they change.
//
// Promises: upstream's text, bytes, decode checks and packet-type tracking.

import { OfpError, ParseError } from "../errors.ts";
import { W_PACKET_TYPE } from "../../datapath/flow.ts";
import { P_OF13_UP } from "../protocols.ts";
import { ovsScan } from "../text_scan.ts";
import { getDlType, isIpAny, packetType, setDlType, setNwProto } from "./check_util.ts";
import type { ActionKind, Family, Parser } from "./kind.ts";
import { finishRaw, nx, type RawDef, startRaw } from "./raw.ts";
import { hexAlt, hexTrimmed, KeyValueScanner, parseHexBytes, strToU16, strToU8 } from "./text.ts";
import {
  type EncapProp,
  OFPHTN_ETHERTYPE,
  OFPHTN_N_TYPES,
  OFPPPC_NSH,
  OFPPPT_PROP_NSH_MDTYPE,
  OFPPPT_PROP_NSH_TLV,
  PT_ETH,
  PT_MPLS,
  PT_MPLS_MC,
  PT_NSH,
  PT_UNKNOWN,
  PT_USE_NEXT_PROTO,
} from "./types.ts";

const HEADERS: [string, number][] = [
  ["ethernet", PT_ETH],
  ["nsh", PT_NSH],
  ["mpls", PT_MPLS],
  ["mpls_mc", PT_MPLS_MC],
];

const PROP_CLASSES = ["basic", "ethernet", "mpls", "mpls_mc", "gre", "gtp", "nsh"];

function parseProp(isNsh: boolean, key: string, value: string): EncapProp {
  if (!isNsh || (key !== "md_type" && key !== "tlv")) {
    throw new ParseError(`Invalid property: ${key}`);
  }
  if (value === "") throw new ParseError("Value missing for encap property");
  if (key === "md_type") {
    const mdType = strToU8(value, "md_type");
    if (mdType < 1 || mdType > 2) throw new ParseError("invalid md_type");
    return { kind: "nsh_md_type", mdType };
  }
  const r = ovsScan(value, "0x%hx,%hhu,0x%251[0-9a-fA-F]");
  if (!r) throw new ParseError(`Invalid NSH TLV header: ${value}`);
  return {
    kind: "nsh_tlv",
    tlvClass: Number(r.values[0]),
    tlvType: Number(r.values[1]),
    data: parseHexBytes(r.values[2] as string).bytes,
  };
}

const parseEncap: Parser = (arg, ps) => {
  ps.usable &= P_OF13_UP;
  const kv = new KeyValueScanner(arg).next();
  if (!kv) throw new ParseError(`Missing encap hdr: ${arg}`);
  const header = HEADERS.find(([name]) => name === kv.key);
  if (!header) throw new ParseError(`Encap hdr not supported: ${kv.value}`);
  if (!PROP_CLASSES.includes(kv.key)) throw new ParseError(`Invalid encap prop class: ${kv.key}`);
  const props: EncapProp[] = [];
  const inner = new KeyValueScanner(kv.value);
  for (let e = inner.next(); e; e = inner.next()) {
    props.push(parseProp(kv.key === "nsh", e.key, e.value));
  }
  return { type: "encap", newPktType: header[1], hdrSize: 0, props };
};

function formatProp(p: EncapProp): string {
  if (p.kind === "nsh_md_type") return `md_type=${p.mdType}`;
  return `tlv(0x${p.tlvClass.toString(16).padStart(4, "0")},${p.tlvType},${hexTrimmed(p.data)})`;
}

const encap: ActionKind<"encap"> = {
  name: "encap",
  format(a) {
    const name = HEADERS.find(([, t]) => t === a.newPktType)?.[0] ?? "UNKNOWN";
    const props = a.props.length ? `(${a.props.map(formatProp).join(",")})` : "";
    return `encap(${name}${props})`;
  },
  encode(a, version, w) {
    const start = startRaw(w, version, "NXAST_RAW_ENCAP");
    w.u16(a.hdrSize).u32(a.newPktType);
    for (const p of a.props) {
      if (p.kind === "nsh_md_type") {
        w.u16(OFPPPC_NSH).u8(OFPPPT_PROP_NSH_MDTYPE).u8(5).u8(p.mdType).zeros(3);
      } else {
        const padded = Math.ceil(p.data.length / 8) * 8;
        w.u16(OFPPPC_NSH).u8(OFPPPT_PROP_NSH_TLV).u8(8 + padded);
        w.u16(p.tlvClass).u8(p.tlvType).u8(p.data.length).bytes(p.data);
        w.zeros(padded - p.data.length);
      }
    }
    finishRaw(w, start, 16);
  },
  check(a, cc) {
    cc.flow[W_PACKET_TYPE] = a.newPktType >>> 0;
    if (a.newPktType >>> 16 === OFPHTN_ETHERTYPE) setDlType(cc.flow, a.newPktType & 0xffff);
    if (!isIpAny(cc.flow)) setNwProto(cc.flow, 0);
  },
};

function decodeProps(bytes: Uint8Array): EncapProp[] {
  const props: EncapProp[] = [];
  let p = 16;
  while (p < bytes.length) {
    const remaining = bytes.length - p;
    if (remaining < 4) throw new OfpError("OFPBAC_BAD_LEN");
    const propClass = (bytes[p]! << 8) | bytes[p + 1]!;
    const type = bytes[p + 2]!;
    const len = bytes[p + 3]!;
    const padLen = Math.ceil(len / 8) * 8;
    if (len < 4 || padLen > remaining) throw new OfpError("OFPBAC_BAD_LEN");
    if (propClass !== OFPPPC_NSH) throw new OfpError("NXBAC_UNKNOWN_ED_PROP");
    if (type === OFPPPT_PROP_NSH_MDTYPE) {
      if (len > 8) throw new OfpError("NXBAC_BAD_ED_PROP");
      props.push({ kind: "nsh_md_type", mdType: bytes[p + 4] ?? 0 });
    } else if (type === OFPPPT_PROP_NSH_TLV) {
      if (len < 8) throw new OfpError("NXBAC_BAD_ED_PROP");
      const tlvLen = bytes[p + 7]!;
      if (len !== 8 + Math.ceil(tlvLen / 8) * 8) throw new OfpError("NXBAC_BAD_ED_PROP");
      props.push({
        kind: "nsh_tlv",
        tlvClass: (bytes[p + 4]! << 8) | bytes[p + 5]!,
        tlvType: bytes[p + 6]!,
        data: bytes.slice(p + 8, p + 8 + tlvLen),
      });
    } else {
      throw new OfpError("NXBAC_UNKNOWN_ED_PROP");
    }
    p += padLen;
  }
  return props;
}

const parseDecap: Parser = (arg) => {
  let newPktType = PT_USE_NEXT_PROTO;
  const kv = new KeyValueScanner(arg).next();
  if (kv) {
    if (kv.key !== "packet_type") throw new ParseError(`Invalid decap argument: ${kv.key}`);
    const attrs = new KeyValueScanner(kv.value);
    const ns = attrs.next();
    if (!ns || ns.key !== "ns") throw new ParseError("Missing packet_type attribute ns");
    const nsValue = strToU16(ns.value, "ns");
    if (nsValue >= OFPHTN_N_TYPES) throw new ParseError(`Unsupported ns value: ${nsValue}`);
    const type = attrs.next();
    if (!type || type.key !== "type") throw new ParseError("Missing packet_type attribute type");
    newPktType = ((nsValue << 16) | strToU16(type.value, "type")) >>> 0;
  }
  return { type: "decap", newPktType };
};

const decap: ActionKind<"decap"> = {
  name: "decap",
  format(a) {
    if (a.newPktType === PT_USE_NEXT_PROTO) return "decap()";
    return `decap(packet_type(ns=${a.newPktType >>> 16},type=${hexAlt(a.newPktType & 0xffff)}))`;
  },
  encode(a, version, w) {
    const start = startRaw(w, version, "NXAST_RAW_DECAP");
    w.zeros(2).u32(a.newPktType);
    finishRaw(w, start, 16);
  },
  check(_a, cc) {
    if (packetType(cc.flow) === PT_ETH) {
      cc.flow[W_PACKET_TYPE] = ((OFPHTN_ETHERTYPE << 16) | getDlType(cc.flow)) >>> 0;
    } else {
      // The packet type is known only after decapsulation.
      cc.flow[W_PACKET_TYPE] = PT_UNKNOWN;
      setDlType(cc.flow, 0xffff);
    }
  },
};

const raws: RawDef[] = [
  {
    id: "NXAST_RAW_ENCAP",
    spots: [nx(4, 6, 46)],
    body: { kind: "struct", size: 16, variable: true },
    decode({ bytes }) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      const newPktType = view.getUint32(12);
      if (!HEADERS.some(([, t]) => t === newPktType)) {
        throw new OfpError("NXBAC_BAD_HEADER_TYPE");
      }
      return {
        type: "encap",
        newPktType,
        hdrSize: view.getUint16(10),
        props: decodeProps(bytes),
      };
    },
  },
  {
    id: "NXAST_RAW_DECAP",
    spots: [nx(4, 6, 47)],
    body: { kind: "struct", size: 16, variable: true },
    decode({ bytes }) {
      if (bytes.length > 16) throw new OfpError("NXBAC_UNKNOWN_ED_PROP");
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      return { type: "decap", newPktType: view.getUint32(12) };
    },
  },
];

export const encapFamily: Family = {
  kinds: { encap, decap },
  keywords: { encap: parseEncap, decap: parseDecap },
  raws,
};
