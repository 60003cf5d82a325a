// Naming and arithmetic of OpenFlow "protocols" (upstream's ofp-protocol): the names tools
// print ("OpenFlow10+table_id", "OXM-OpenFlow13", the abbreviations "any", "OpenFlow10",
// "NXM", "OXM"), parsing of protocol lists and version names, the mapping between protocols and
// wire versions, and the messages that switch an OpenFlow 1.0 connection's flow format
// (NXT_SET_FLOW_FORMAT) and table-id extension (NXT_FLOW_MOD_TABLE_ID). The bits themselves live
// in ../protocols.ts. Pure functions; a bad name throws ParseError with upstream's text.

import { ParseError } from "../errors.ts";
import { OFP10, OFP11, OFP12, OFP13, OFP14, OFP15 } from "../fields.ts";
import {
  P_ANY,
  P_ANY_OXM,
  P_OF10_NXM,
  P_OF10_NXM_ANY,
  P_OF10_NXM_TID,
  P_OF10_STD,
  P_OF10_STD_ANY,
  P_OF10_STD_TID,
  P_OF11_STD,
  P_OF12_OXM,
  P_OF13_OXM,
  P_OF14_OXM,
  P_OF15_OXM,
  P_TID,
  type Protocols,
} from "../protocols.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_protocol");
const rl = new RateLimit(1, 5);

const ABBREVIATIONS: readonly (readonly [Protocols, string])[] = [
  [P_ANY, "any"],
  [P_OF10_STD_ANY, "OpenFlow10"],
  [P_OF10_NXM_ANY, "NXM"],
  [P_ANY_OXM, "OXM"],
];

const SINGLE_NAMES: ReadonlyMap<Protocols, string> = new Map([
  [P_OF10_STD, "OpenFlow10-table_id"],
  [P_OF10_STD_TID, "OpenFlow10+table_id"],
  [P_OF10_NXM, "NXM-table_id"],
  [P_OF10_NXM_TID, "NXM+table_id"],
  [P_OF11_STD, "OpenFlow11"],
  [P_OF12_OXM, "OXM-OpenFlow12"],
  [P_OF13_OXM, "OXM-OpenFlow13"],
  [P_OF14_OXM, "OXM-OpenFlow14"],
  [P_OF15_OXM, "OXM-OpenFlow15"],
]);

/** Protocols to try, best first, when dumping flows (upstream's ofputil_flow_dump_protocols). */
export const FLOW_DUMP_PROTOCOLS: readonly Protocols[] = [
  P_OF15_OXM,
  P_OF14_OXM,
  P_OF13_OXM,
  P_OF12_OXM,
  P_OF11_STD,
  P_OF10_NXM,
  P_OF10_STD,
];

/** The lowest set bit of `x` (0 for 0). */
export function rightmostBit(x: number): number {
  return x & -x;
}

/** Every protocol that speaks wire `version`. */
export function protocolsFromVersion(version: number): Protocols {
  switch (version) {
    case OFP10:
      return P_OF10_STD_ANY | P_OF10_NXM_ANY;
    case OFP11:
      return P_OF11_STD;
    case OFP12:
      return P_OF12_OXM;
    case OFP13:
      return P_OF13_OXM;
    case OFP14:
      return P_OF14_OXM;
    case OFP15:
      return P_OF15_OXM;
    default:
      return 0;
  }
}

/** The first protocol of wire `version` (OpenFlow 1.0's standard match for 1.0). */
export function protocolFromVersion(version: number): Protocols {
  return rightmostBit(protocolsFromVersion(version));
}

/** The wire version of one protocol. */
export function protocolToVersion(protocol: Protocols): number {
  switch (protocol) {
    case P_OF10_STD:
    case P_OF10_STD_TID:
    case P_OF10_NXM:
    case P_OF10_NXM_TID:
      return OFP10;
    case P_OF11_STD:
      return OFP11;
    case P_OF12_OXM:
      return OFP12;
    case P_OF13_OXM:
      return OFP13;
    case P_OF14_OXM:
      return OFP14;
    case P_OF15_OXM:
      return OFP15;
  }
  throw new TypeError(`not a single protocol: 0x${protocol.toString(16)}`);
}

/** Bitmap (bit v for version v) of the versions a set of protocols speaks. */
export function protocolsToVersionBitmap(protocols: Protocols): number {
  let bitmap = 0;
  for (let p = protocols; p; p &= p - 1) bitmap |= 1 << protocolToVersion(rightmostBit(p));
  return bitmap >>> 0;
}

/** Every protocol of the versions in `bitmap`. */
export function protocolsFromVersionBitmap(bitmap: number): Protocols {
  let protocols = 0;
  for (let v = 0; v < 32; v++) if (bitmap & (1 << v)) protocols |= protocolsFromVersion(v);
  return protocols;
}

/** Whether `protocol` is exactly one protocol. */
export function isValidProtocol(protocol: Protocols): boolean {
  return (protocol & P_ANY) !== 0 && (protocol & (protocol - 1)) === 0;
}

/** `protocol` with the table-id extension on or off (a no-op for 1.1+). */
export function protocolSetTid(protocol: Protocols, enable: boolean): Protocols {
  switch (protocol) {
    case P_OF10_STD:
    case P_OF10_STD_TID:
      return enable ? P_OF10_STD_TID : P_OF10_STD;
    case P_OF10_NXM:
    case P_OF10_NXM_TID:
      return enable ? P_OF10_NXM_TID : P_OF10_NXM;
    default:
      return protocol;
  }
}

/** `protocol` without the table-id extension. */
export function protocolToBase(protocol: Protocols): Protocols {
  return protocolSetTid(protocol, false);
}

/** `newBase`, with the table-id extension as `current` has it. */
export function protocolSetBase(current: Protocols, newBase: Protocols): Protocols {
  return protocolSetTid(protocolToBase(newBase), (current & P_TID) !== 0);
}

/** The name of one protocol or abbreviation, or undefined. */
export function protocolToString(protocol: Protocols): string | undefined {
  const single = SINGLE_NAMES.get(protocol);
  if (single) return single;
  for (const [p, name] of ABBREVIATIONS) if (p === protocol) return name;
  return undefined;
}

/** A set of protocols as upstream prints it ("none", "any", "OpenFlow10,NXM", ...). */
export function protocolsToString(protocols: Protocols): string {
  if (protocols === 0) return "none";
  const parts: string[] = [];
  let rest = protocols & P_ANY;
  while (rest) {
    const abbreviation = ABBREVIATIONS.find(([p]) => (rest & p) === p);
    if (abbreviation) {
      parts.push(abbreviation[1]);
      rest &= ~abbreviation[0];
      continue;
    }
    const bit = rightmostBit(rest);
    parts.push(SINGLE_NAMES.get(bit)!);
    rest &= ~bit;
  }
  return parts.join(",");
}

function protocolFromName(name: string): Protocols {
  const lower = name.toLowerCase();
  for (const [p, n] of SINGLE_NAMES) if (n.toLowerCase() === lower) return p;
  for (const [p, n] of ABBREVIATIONS) if (n.toLowerCase() === lower) return p;
  return 0;
}

/** Parses a comma-separated protocol list (upstream's ofputil_protocols_from_string). */
export function protocolsFromString(text: string): Protocols {
  let protocols = 0;
  for (const part of text.split(",")) {
    if (!part) continue;
    const p = protocolFromName(part);
    if (!p) throw new ParseError(`${part}: unknown flow protocol`);
    protocols |= p;
  }
  if (!protocols) throw new ParseError(`${text}: no flow protocol specified`);
  return protocols;
}

const VERSION_NAMES = [
  "",
  "OpenFlow10",
  "OpenFlow11",
  "OpenFlow12",
  "OpenFlow13",
  "OpenFlow14",
  "OpenFlow15",
];

/** "OpenFlow13" → 4 (case-insensitive), 0 when not a version name. */
export function versionFromString(text: string): number {
  const lower = text.toLowerCase();
  const i = VERSION_NAMES.findIndex((n) => n !== "" && n.toLowerCase() === lower);
  return i < 0 ? 0 : i;
}

/** 4 → "OpenFlow13". */
export function versionToString(version: number): string {
  const name = VERSION_NAMES[version];
  if (!name) throw new TypeError(`unknown OpenFlow version ${version}`);
  return name;
}

/**
 * Parses a list of version names separated by commas or spaces into a bitmap (upstream's
 * ofputil_versions_from_string); an unknown name throws ParseError with upstream's text.
 */
export function versionsFromString(text: string): number {
  let bitmap = 0;
  for (const key of text.split(/[\s,]+/)) {
    if (!key) continue;
    const v = versionFromString(key);
    if (!v) throw new ParseError(`Unknown OpenFlow version: "${key}"`);
    bitmap |= 1 << v;
  }
  return bitmap;
}

/** "0x01, 0x04" for a version bitmap. */
export function formatVersionBitmap(bitmap: number): string {
  const parts: string[] = [];
  for (let v = 0; v < 32; v++) {
    if (bitmap & (1 << v)) parts.push(`0x${v.toString(16).padStart(2, "0")}`);
  }
  return parts.join(", ");
}

/** "OpenFlow10, OpenFlow13" for a version bitmap. */
export function formatVersionBitmapNames(bitmap: number): string {
  const parts: string[] = [];
  for (let v = 0; v < 32; v++) if (bitmap & (1 << v)) parts.push(versionToString(v));
  return parts.join(", ");
}

const NXFF_OPENFLOW10 = 0;
const NXFF_NXM = 2;

/** NXT_SET_FLOW_FORMAT asking for `protocol` (P_OF10_STD or P_OF10_NXM). */
export function encodeSetFlowFormat(protocol: Protocols, xid: number): Uint8Array {
  const base = protocolToBase(protocol);
  if (base !== P_OF10_STD && base !== P_OF10_NXM) {
    throw new TypeError("NXT_SET_FLOW_FORMAT carries only OpenFlow10 or NXM");
  }
  const w = startMessage("NXT_SET_FLOW_FORMAT", OFP10, xid);
  w.u32(base === P_OF10_STD ? NXFF_OPENFLOW10 : NXFF_NXM);
  return finishMessage(w);
}

/** The protocol an NXT_SET_FLOW_FORMAT asks for, 0 for an unknown format. */
export function decodeSetFlowFormat(msg: Uint8Array): Protocols {
  const raw = pullRaw(msg);
  const o = raw.bodyOffset;
  const format = ((msg[o]! << 24) | (msg[o + 1]! << 16) | (msg[o + 2]! << 8) | msg[o + 3]!) >>>
    0;
  if (format === NXFF_OPENFLOW10) return P_OF10_STD;
  if (format === NXFF_NXM) return P_OF10_NXM;
  log.rateLimited(
    rl,
    "warn",
    `NXT_SET_FLOW_FORMAT message specified invalid flow format ${format}`,
  );
  return 0;
}

/** NXT_FLOW_MOD_TABLE_ID turning the table-id extension on or off. */
export function encodeFlowModTableId(enable: boolean, xid: number): Uint8Array {
  const w = startMessage("NXT_FLOW_MOD_TABLE_ID", OFP10, xid);
  w.u8(enable ? 1 : 0).zeros(7);
  return finishMessage(w);
}

export function decodeFlowModTableId(msg: Uint8Array): boolean {
  const raw = pullRaw(msg);
  return msg[raw.bodyOffset] !== 0;
}

/**
 * What to send to move a connection from `current` to `want` (upstream's
 * ofputil_encode_set_protocol): the message (or undefined when none is needed or possible, the
 * versions differing) and the protocol in effect once it is processed.
 */
export function encodeSetProtocol(
  current: Protocols,
  want: Protocols,
  xid: number,
): { message: Uint8Array | undefined; next: Protocols } {
  if (protocolToVersion(current) !== protocolToVersion(want)) {
    return { message: undefined, next: current };
  }
  const curBase = protocolToBase(current);
  const wantBase = protocolToBase(want);
  if (curBase !== wantBase) {
    return {
      message: encodeSetFlowFormat(wantBase, xid),
      next: protocolSetBase(current, wantBase),
    };
  }
  const curTid = (current & P_TID) !== 0;
  const wantTid = (want & P_TID) !== 0;
  if (curTid !== wantTid) {
    return {
      message: encodeFlowModTableId(wantTid, xid),
      next: protocolSetTid(current, wantTid),
    };
  }
  return { message: undefined, next: current };
}
