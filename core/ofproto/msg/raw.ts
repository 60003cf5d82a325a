// The OpenFlow message table (upstream's ofpraw/ofptype) and the headers every message starts
// with. One row per wire variant of a message: its name, the OpenFlow versions it exists in,
// its number (ofp_header type, multipart type, or vendor subtype, by kind), its version-free
// meaning (the ofptype), and the shape of its body (a fixed minimum plus, optionally, a repeated
// element). Decoding a header finds the row and checks the message length against that shape;
// encoding writes the standard, multipart and vendor headers for a row and a version.
//
// Promises: a header that does not decode throws OfpError with upstream's name
// (OFPBRC_BAD_LEN, OFPBRC_BAD_TYPE, OFPBRC_BAD_STAT, OFPBRC_BAD_VENDOR, OFPBRC_BAD_SUBTYPE);
// nothing here looks past the headers into a body. No I/O beyond rate-limited warnings.

import { OfpError } from "../errors.ts";
import { NX_VENDOR_ID, OFP10, ONF_VENDOR_ID } from "../fields.ts";
import { WireWriter } from "../wire.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_msgs");
const unknownLimit = new RateLimit(1, 1);
const lengthLimit = new RateLimit(1, 5);

export const OFPT_VENDOR = 4;
export const OFPT10_STATS_REQUEST = 16;
export const OFPT10_STATS_REPLY = 17;
export const OFPT11_STATS_REQUEST = 18;
export const OFPT11_STATS_REPLY = 19;
export const OFPST_VENDOR = 0xffff;
/** The multipart "more parts follow" flag. */
export const OFPSF_REPLY_MORE = 1;
/** The largest OpenFlow message. */
export const OFP_MAX_MSG_LEN = 0xffff;

/** Name, versions, number, ofptype, minimum body, repeated element size (0: none). */
type Row = readonly [string, string, number, string, number, number];

const ROWS: readonly Row[] = [
  ["OFPT_HELLO", "<all>", 0, "HELLO", 0, 1],
  ["OFPT_ERROR", "<all>", 1, "ERROR", 4, 1],
  ["OFPT_ECHO_REQUEST", "<all>", 2, "ECHO_REQUEST", 0, 1],
  ["OFPT_ECHO_REPLY", "<all>", 3, "ECHO_REPLY", 0, 1],
  ["OFPT_FEATURES_REQUEST", "1.0+", 5, "FEATURES_REQUEST", 0, 0],
  ["OFPT10_FEATURES_REPLY", "1.0", 6, "FEATURES_REPLY", 24, 48],
  ["OFPT11_FEATURES_REPLY", "1.1-1.2", 6, "FEATURES_REPLY", 24, 64],
  ["OFPT13_FEATURES_REPLY", "1.3+", 6, "FEATURES_REPLY", 24, 0],
  ["OFPT_GET_CONFIG_REQUEST", "1.0+", 7, "GET_CONFIG_REQUEST", 0, 0],
  ["OFPT_GET_CONFIG_REPLY", "1.0+", 8, "GET_CONFIG_REPLY", 4, 0],
  ["OFPT_SET_CONFIG", "1.0+", 9, "SET_CONFIG", 4, 0],
  ["OFPT10_PACKET_IN", "1.0", 10, "PACKET_IN", 18, 1],
  ["OFPT11_PACKET_IN", "1.1", 10, "PACKET_IN", 16, 1],
  ["OFPT12_PACKET_IN", "1.2", 10, "PACKET_IN", 8, 1],
  ["OFPT13_PACKET_IN", "1.3+", 10, "PACKET_IN", 16, 1],
  ["NXT_PACKET_IN", "1.0+", 17, "PACKET_IN", 24, 1],
  ["NXT_PACKET_IN2", "1.0+", 30, "PACKET_IN", 0, 8],
  ["OFPT10_FLOW_REMOVED", "1.0", 11, "FLOW_REMOVED", 80, 0],
  ["OFPT11_FLOW_REMOVED", "1.1-1.4", 11, "FLOW_REMOVED", 40, 8],
  ["OFPT15_FLOW_REMOVED", "1.5+", 11, "FLOW_REMOVED", 16, 8],
  ["NXT_FLOW_REMOVED", "1.0+", 14, "FLOW_REMOVED", 40, 8],
  ["OFPT10_PORT_STATUS", "1.0", 12, "PORT_STATUS", 56, 0],
  ["OFPT11_PORT_STATUS", "1.1-1.3", 12, "PORT_STATUS", 72, 0],
  ["OFPT14_PORT_STATUS", "1.4+", 12, "PORT_STATUS", 48, 8],
  ["OFPT10_PACKET_OUT", "1.0", 13, "PACKET_OUT", 8, 1],
  ["OFPT11_PACKET_OUT", "1.1-1.4", 13, "PACKET_OUT", 16, 1],
  ["OFPT15_PACKET_OUT", "1.5+", 13, "PACKET_OUT", 8, 1],
  ["OFPT10_FLOW_MOD", "1.0", 14, "FLOW_MOD", 64, 8],
  ["OFPT11_FLOW_MOD", "1.1+", 14, "FLOW_MOD", 40, 8],
  ["NXT_FLOW_MOD", "1.0+", 13, "FLOW_MOD", 32, 8],
  ["NXT_GROUP_MOD", "1.0", 31, "GROUP_MOD", 16, 8],
  ["OFPT11_GROUP_MOD", "1.1-1.4", 15, "GROUP_MOD", 8, 8],
  ["OFPT15_GROUP_MOD", "1.5+", 15, "GROUP_MOD", 16, 8],
  ["OFPT10_PORT_MOD", "1.0", 15, "PORT_MOD", 24, 0],
  ["OFPT11_PORT_MOD", "1.1-1.3", 16, "PORT_MOD", 32, 0],
  ["OFPT14_PORT_MOD", "1.4+", 16, "PORT_MOD", 24, 8],
  ["OFPT11_TABLE_MOD", "1.1-1.3", 17, "TABLE_MOD", 8, 0],
  ["OFPT14_TABLE_MOD", "1.4+", 17, "TABLE_MOD", 8, 8],
  ["OFPT10_BARRIER_REQUEST", "1.0", 18, "BARRIER_REQUEST", 0, 0],
  ["OFPT11_BARRIER_REQUEST", "1.1+", 20, "BARRIER_REQUEST", 0, 0],
  ["OFPT10_BARRIER_REPLY", "1.0", 19, "BARRIER_REPLY", 0, 0],
  ["OFPT11_BARRIER_REPLY", "1.1+", 21, "BARRIER_REPLY", 0, 0],
  ["OFPT10_QUEUE_GET_CONFIG_REQUEST", "1.0", 20, "QUEUE_GET_CONFIG_REQUEST", 4, 0],
  ["OFPT11_QUEUE_GET_CONFIG_REQUEST", "1.1-1.3", 22, "QUEUE_GET_CONFIG_REQUEST", 8, 0],
  ["OFPT10_QUEUE_GET_CONFIG_REPLY", "1.0", 21, "QUEUE_GET_CONFIG_REPLY", 8, 8],
  ["OFPT11_QUEUE_GET_CONFIG_REPLY", "1.1-1.3", 23, "QUEUE_GET_CONFIG_REPLY", 8, 8],
  ["OFPT12_ROLE_REQUEST", "1.2+", 24, "ROLE_REQUEST", 16, 0],
  ["NXT_ROLE_REQUEST", "1.0+", 10, "ROLE_REQUEST", 4, 0],
  ["OFPT12_ROLE_REPLY", "1.2+", 25, "ROLE_REPLY", 16, 0],
  ["NXT_ROLE_REPLY", "1.0+", 11, "ROLE_REPLY", 4, 0],
  ["OFPT13_GET_ASYNC_REQUEST", "1.3", 26, "GET_ASYNC_REQUEST", 0, 0],
  ["OFPT14_GET_ASYNC_REQUEST", "1.4+", 26, "GET_ASYNC_REQUEST", 0, 0],
  ["OFPT13_GET_ASYNC_REPLY", "1.3", 27, "GET_ASYNC_REPLY", 24, 0],
  ["OFPT14_GET_ASYNC_REPLY", "1.4+", 27, "GET_ASYNC_REPLY", 0, 8],
  ["OFPT13_SET_ASYNC", "1.3", 28, "SET_ASYNC_CONFIG", 24, 0],
  ["NXT_SET_ASYNC_CONFIG", "1.0+", 19, "SET_ASYNC_CONFIG", 24, 0],
  ["NXT_SET_ASYNC_CONFIG2", "1.0-1.3", 27, "SET_ASYNC_CONFIG", 0, 8],
  ["OFPT14_SET_ASYNC", "1.4+", 28, "SET_ASYNC_CONFIG", 0, 8],
  ["OFPT13_METER_MOD", "1.3+", 29, "METER_MOD", 8, 8],
  ["ONFT13_ROLE_STATUS", "1.3", 1911, "ROLE_STATUS", 16, 8],
  ["OFPT14_ROLE_STATUS", "1.4+", 30, "ROLE_STATUS", 16, 8],
  ["OFPT14_TABLE_STATUS", "1.4+", 31, "TABLE_STATUS", 8, 8],
  ["NXT_REQUESTFORWARD", "1.0-1.2", 132, "REQUESTFORWARD", 8, 8],
  ["ONFT13_REQUESTFORWARD", "1.3", 2350, "REQUESTFORWARD", 8, 8],
  ["OFPT14_REQUESTFORWARD", "1.4+", 32, "REQUESTFORWARD", 8, 8],
  ["OFPT14_BUNDLE_CONTROL", "1.4+", 33, "BUNDLE_CONTROL", 8, 8],
  ["ONFT13_BUNDLE_CONTROL", "1.3", 2300, "BUNDLE_CONTROL", 8, 8],
  ["OFPT14_BUNDLE_ADD_MESSAGE", "1.4+", 34, "BUNDLE_ADD_MESSAGE", 8, 1],
  ["ONFT13_BUNDLE_ADD_MESSAGE", "1.3", 2301, "BUNDLE_ADD_MESSAGE", 8, 1],
  ["OFPST_DESC_REQUEST", "1.0+", 0, "DESC_STATS_REQUEST", 0, 0],
  ["OFPST_DESC_REPLY", "1.0+", 0, "DESC_STATS_REPLY", 1056, 0],
  ["OFPST10_FLOW_REQUEST", "1.0", 1, "FLOW_STATS_REQUEST", 44, 0],
  ["OFPST11_FLOW_REQUEST", "1.1+", 1, "FLOW_STATS_REQUEST", 32, 8],
  ["NXST_FLOW_REQUEST", "1.0", 0, "FLOW_STATS_REQUEST", 8, 8],
  ["OFPST10_FLOW_REPLY", "1.0", 1, "FLOW_STATS_REPLY", 0, 1],
  ["OFPST11_FLOW_REPLY", "1.1-1.2", 1, "FLOW_STATS_REPLY", 0, 1],
  ["OFPST13_FLOW_REPLY", "1.3-1.4", 1, "FLOW_STATS_REPLY", 0, 1],
  ["OFPST15_FLOW_REPLY", "1.5+", 1, "FLOW_STATS_REPLY", 0, 1],
  ["NXST_FLOW_REPLY", "1.0", 0, "FLOW_STATS_REPLY", 0, 1],
  ["OFPST10_AGGREGATE_REQUEST", "1.0", 2, "AGGREGATE_STATS_REQUEST", 44, 0],
  ["OFPST11_AGGREGATE_REQUEST", "1.1-1.4", 2, "AGGREGATE_STATS_REQUEST", 32, 8],
  ["OFPST15_AGGREGATE_REQUEST", "1.5+", 2, "AGGREGATE_STATS_REQUEST", 32, 8],
  ["NXST_AGGREGATE_REQUEST", "1.0", 1, "AGGREGATE_STATS_REQUEST", 8, 8],
  ["OFPST_AGGREGATE_REPLY", "1.0-1.4", 2, "AGGREGATE_STATS_REPLY", 24, 0],
  ["OFPST15_AGGREGATE_REPLY", "1.5+", 2, "AGGREGATE_STATS_REPLY", 0, 1],
  ["NXST_AGGREGATE_REPLY", "1.0", 1, "AGGREGATE_STATS_REPLY", 24, 0],
  ["OFPST_TABLE_REQUEST", "1.0+", 3, "TABLE_STATS_REQUEST", 0, 0],
  ["OFPST10_TABLE_REPLY", "1.0", 3, "TABLE_STATS_REPLY", 0, 64],
  ["OFPST11_TABLE_REPLY", "1.1", 3, "TABLE_STATS_REPLY", 0, 88],
  ["OFPST12_TABLE_REPLY", "1.2", 3, "TABLE_STATS_REPLY", 0, 128],
  ["OFPST13_TABLE_REPLY", "1.3+", 3, "TABLE_STATS_REPLY", 0, 24],
  ["OFPST10_PORT_REQUEST", "1.0", 4, "PORT_STATS_REQUEST", 8, 0],
  ["OFPST11_PORT_REQUEST", "1.1+", 4, "PORT_STATS_REQUEST", 8, 0],
  ["OFPST10_PORT_REPLY", "1.0", 4, "PORT_STATS_REPLY", 0, 104],
  ["OFPST11_PORT_REPLY", "1.1-1.2", 4, "PORT_STATS_REPLY", 0, 104],
  ["OFPST13_PORT_REPLY", "1.3", 4, "PORT_STATS_REPLY", 0, 112],
  ["OFPST14_PORT_REPLY", "1.4+", 4, "PORT_STATS_REPLY", 0, 8],
  ["OFPST10_QUEUE_REQUEST", "1.0", 5, "QUEUE_STATS_REQUEST", 8, 0],
  ["OFPST11_QUEUE_REQUEST", "1.1+", 5, "QUEUE_STATS_REQUEST", 8, 0],
  ["OFPST10_QUEUE_REPLY", "1.0", 5, "QUEUE_STATS_REPLY", 0, 32],
  ["OFPST11_QUEUE_REPLY", "1.1-1.2", 5, "QUEUE_STATS_REPLY", 0, 32],
  ["OFPST13_QUEUE_REPLY", "1.3", 5, "QUEUE_STATS_REPLY", 0, 40],
  ["OFPST14_QUEUE_REPLY", "1.4+", 5, "QUEUE_STATS_REPLY", 0, 8],
  ["NXST_GROUP_REQUEST", "1.0", 7, "GROUP_STATS_REQUEST", 8, 0],
  ["OFPST11_GROUP_REQUEST", "1.1+", 6, "GROUP_STATS_REQUEST", 8, 0],
  ["NXST_GROUP_REPLY", "1.0", 7, "GROUP_STATS_REPLY", 0, 8],
  ["OFPST11_GROUP_REPLY", "1.1-1.2", 6, "GROUP_STATS_REPLY", 0, 8],
  ["OFPST13_GROUP_REPLY", "1.3+", 6, "GROUP_STATS_REPLY", 0, 8],
  ["NXST_GROUP_DESC_REQUEST", "1.0", 8, "GROUP_DESC_STATS_REQUEST", 8, 0],
  ["OFPST11_GROUP_DESC_REQUEST", "1.1-1.4", 7, "GROUP_DESC_STATS_REQUEST", 0, 0],
  ["OFPST15_GROUP_DESC_REQUEST", "1.5+", 7, "GROUP_DESC_STATS_REQUEST", 8, 0],
  ["NXST_GROUP_DESC_REPLY", "1.0", 8, "GROUP_DESC_STATS_REPLY", 0, 8],
  ["OFPST11_GROUP_DESC_REPLY", "1.1+", 7, "GROUP_DESC_STATS_REPLY", 0, 8],
  ["NXST_GROUP_FEATURES_REQUEST", "1.0-1.1", 9, "GROUP_FEATURES_STATS_REQUEST", 0, 0],
  ["OFPST12_GROUP_FEATURES_REQUEST", "1.2+", 8, "GROUP_FEATURES_STATS_REQUEST", 0, 0],
  ["NXST_GROUP_FEATURES_REPLY", "1.0-1.1", 9, "GROUP_FEATURES_STATS_REPLY", 40, 0],
  ["OFPST12_GROUP_FEATURES_REPLY", "1.2+", 8, "GROUP_FEATURES_STATS_REPLY", 40, 0],
  ["OFPST13_METER_REQUEST", "1.3+", 9, "METER_STATS_REQUEST", 8, 0],
  ["OFPST13_METER_REPLY", "1.3+", 9, "METER_STATS_REPLY", 0, 8],
  ["OFPST13_METER_CONFIG_REQUEST", "1.3+", 10, "METER_CONFIG_STATS_REQUEST", 8, 0],
  ["OFPST13_METER_CONFIG_REPLY", "1.3+", 10, "METER_CONFIG_STATS_REPLY", 0, 8],
  ["OFPST13_METER_FEATURES_REQUEST", "1.3+", 11, "METER_FEATURES_STATS_REQUEST", 0, 0],
  ["OFPST13_METER_FEATURES_REPLY", "1.3+", 11, "METER_FEATURES_STATS_REPLY", 16, 0],
  ["OFPST13_TABLE_FEATURES_REQUEST", "1.3+", 12, "TABLE_FEATURES_STATS_REQUEST", 0, 8],
  ["OFPST13_TABLE_FEATURES_REPLY", "1.3+", 12, "TABLE_FEATURES_STATS_REPLY", 64, 8],
  ["OFPST14_TABLE_DESC_REQUEST", "1.4+", 14, "TABLE_DESC_REQUEST", 0, 0],
  ["OFPST14_TABLE_DESC_REPLY", "1.4+", 14, "TABLE_DESC_REPLY", 8, 8],
  ["OFPST10_PORT_DESC_REQUEST", "1.0-1.4", 13, "PORT_DESC_STATS_REQUEST", 0, 0],
  ["OFPST15_PORT_DESC_REQUEST", "1.5+", 13, "PORT_DESC_STATS_REQUEST", 8, 0],
  ["OFPST10_PORT_DESC_REPLY", "1.0", 13, "PORT_DESC_STATS_REPLY", 0, 48],
  ["OFPST11_PORT_DESC_REPLY", "1.1-1.3", 13, "PORT_DESC_STATS_REPLY", 0, 64],
  ["OFPST14_PORT_DESC_REPLY", "1.4+", 13, "PORT_DESC_STATS_REPLY", 0, 8],
  ["OFPST14_QUEUE_DESC_REQUEST", "1.4+", 15, "QUEUE_GET_CONFIG_REQUEST", 8, 0],
  ["OFPST14_QUEUE_DESC_REPLY", "1.4+", 15, "QUEUE_GET_CONFIG_REPLY", 0, 8],
  ["OFPST14_FLOW_MONITOR_REQUEST", "1.4+", 16, "FLOW_MONITOR_STATS_REQUEST", 0, 8],
  ["ONFST13_FLOW_MONITOR_REQUEST", "1.3", 1870, "FLOW_MONITOR_STATS_REQUEST", 0, 8],
  ["NXST_FLOW_MONITOR_REQUEST", "1.0-1.2", 2, "FLOW_MONITOR_STATS_REQUEST", 0, 8],
  ["OFPST14_FLOW_MONITOR_REPLY", "1.4+", 16, "FLOW_MONITOR_STATS_REPLY", 0, 8],
  ["ONFST13_FLOW_MONITOR_REPLY", "1.3", 1870, "FLOW_MONITOR_STATS_REPLY", 0, 8],
  ["NXST_FLOW_MONITOR_REPLY", "1.0-1.2", 2, "FLOW_MONITOR_STATS_REPLY", 0, 8],
  ["ONFT13_FLOW_MONITOR_CANCEL", "1.3", 1870, "FLOW_MONITOR_CANCEL", 4, 0],
  ["NXT_FLOW_MONITOR_CANCEL", "1.0-1.2", 21, "FLOW_MONITOR_CANCEL", 4, 0],
  ["ONFT13_FLOW_MONITOR_PAUSED", "1.3", 1871, "FLOW_MONITOR_PAUSED", 0, 0],
  ["NXT_FLOW_MONITOR_PAUSED", "1.0-1.2", 22, "FLOW_MONITOR_PAUSED", 0, 0],
  ["ONFT13_FLOW_MONITOR_RESUMED", "1.3", 1872, "FLOW_MONITOR_RESUMED", 0, 0],
  ["NXT_FLOW_MONITOR_RESUMED", "1.0-1.2", 23, "FLOW_MONITOR_RESUMED", 0, 0],
  ["NXT_SET_FLOW_FORMAT", "1.0", 12, "SET_FLOW_FORMAT", 4, 0],
  ["NXT_FLOW_MOD_TABLE_ID", "1.0+", 15, "FLOW_MOD_TABLE_ID", 8, 0],
  ["NXT_SET_PACKET_IN_FORMAT", "1.0+", 16, "SET_PACKET_IN_FORMAT", 4, 0],
  ["NXT_FLOW_AGE", "1.0+", 18, "FLOW_AGE", 0, 0],
  ["NXT_SET_CONTROLLER_ID", "1.0+", 20, "SET_CONTROLLER_ID", 8, 0],
  ["NXT_TLV_TABLE_MOD", "1.0+", 24, "NXT_TLV_TABLE_MOD", 8, 8],
  ["NXT_TLV_TABLE_REQUEST", "1.0+", 25, "NXT_TLV_TABLE_REQUEST", 0, 0],
  ["NXT_TLV_TABLE_REPLY", "1.0+", 26, "NXT_TLV_TABLE_REPLY", 16, 8],
  ["NXT_RESUME", "1.0+", 28, "NXT_RESUME", 0, 8],
  ["NXT_CT_FLUSH_ZONE", "1.0+", 29, "CT_FLUSH_ZONE", 8, 0],
  ["NXT_CT_FLUSH", "1.0+", 32, "CT_FLUSH", 8, 8],
  ["NXST_IPFIX_BRIDGE_REQUEST", "1.0+", 3, "IPFIX_BRIDGE_STATS_REQUEST", 0, 0],
  ["NXST_IPFIX_BRIDGE_REPLY", "1.0+", 3, "IPFIX_BRIDGE_STATS_REPLY", 88, 0],
  ["NXST_IPFIX_FLOW_REQUEST", "1.0+", 4, "IPFIX_FLOW_STATS_REQUEST", 0, 0],
  ["NXST_IPFIX_FLOW_REPLY", "1.0+", 4, "IPFIX_FLOW_STATS_REPLY", 0, 88],
];

export type RawKind = "OFPT" | "OFPST" | "NXT" | "NXST" | "ONFT" | "ONFST";

/** One message variant (upstream's raw_info). */
export interface RawInfo {
  /** The row's identifier, upstream's OFPRAW_ suffix ("OFPT10_FEATURES_REPLY"). */
  readonly raw: string;
  /** The name ofp-print shows ("OFPT_FEATURES_REPLY", "OFPST_FLOW request"). */
  readonly name: string;
  readonly kind: RawKind;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** ofp_header type (OFPT), multipart type (OFPST), or vendor subtype (NX*, ONF*). */
  readonly number: number;
  /** The version-free meaning (upstream's OFPTYPE_ suffix: "FEATURES_REPLY"). */
  readonly type: string;
  readonly minBody: number;
  /** 0: the body is exactly minBody; n: minBody plus any multiple of n bytes. */
  readonly extraMultiple: number;
  /** For multipart messages: a request (true) or a reply (false). */
  readonly isRequest: boolean;
}

/** The decoded headers of a message (upstream's ofphdrs). */
export interface Hdrs {
  version: number;
  type: number;
  stat: number;
  vendor: number;
  subtype: number;
}

const VERSIONS: Record<string, number> = {
  "1.0": 1,
  "1.1": 2,
  "1.2": 3,
  "1.3": 4,
  "1.4": 5,
  "1.5": 6,
};

function versionRange(text: string): [number, number] {
  if (text === "<all>") return [1, 0xff];
  if (text.endsWith("+")) return [VERSIONS[text.slice(0, -1)]!, 6];
  const dash = text.indexOf("-");
  if (dash < 0) return [VERSIONS[text]!, VERSIONS[text]!];
  return [VERSIONS[text.slice(0, dash)]!, VERSIONS[text.slice(dash + 1)]!];
}

function buildInfo(row: Row): RawInfo {
  const [raw, versions, number, type, minBody, extraMultiple] = row;
  const m = /^(OFPST|OFPT|NXST|NXT|ONFST|ONFT)(\d*)_(.*)$/.exec(raw);
  if (!m) throw new TypeError(`bad message table row ${raw}`);
  const kind = m[1] as RawKind;
  let name = `${kind}_${m[3]}`;
  let isRequest = false;
  if (kind.endsWith("ST")) {
    isRequest = name.endsWith("_REQUEST");
    name = isRequest ? `${name.slice(0, -8)} request` : `${name.slice(0, -6)} reply`;
  }
  const [minVersion, maxVersion] = versionRange(versions);
  return {
    raw,
    name,
    kind,
    minVersion,
    maxVersion,
    number,
    type,
    minBody,
    extraMultiple,
    isRequest,
  };
}

const INFOS: readonly RawInfo[] = ROWS.map(buildInfo);
const BY_RAW = new Map<string, RawInfo>(INFOS.map((i) => [i.raw, i]));
const BY_HDRS = new Map<string, RawInfo>();

function hdrsKey(h: Hdrs): string {
  return `${h.version}/${h.type}/${h.stat}/${h.vendor}/${h.subtype}`;
}

/** The headers a message of `info` has in `version`. */
export function hdrsFor(info: RawInfo, version: number): Hdrs {
  const v10 = version === OFP10;
  const statType = (request: boolean) =>
    v10
      ? (request ? OFPT10_STATS_REQUEST : OFPT10_STATS_REPLY)
      : (request ? OFPT11_STATS_REQUEST : OFPT11_STATS_REPLY);
  switch (info.kind) {
    case "OFPT":
      return { version, type: info.number, stat: 0, vendor: 0, subtype: 0 };
    case "OFPST":
      return { version, type: statType(info.isRequest), stat: info.number, vendor: 0, subtype: 0 };
    case "NXT":
    case "ONFT":
      return {
        version,
        type: OFPT_VENDOR,
        stat: 0,
        vendor: info.kind === "NXT" ? NX_VENDOR_ID : ONF_VENDOR_ID,
        subtype: info.number,
      };
    case "NXST":
    case "ONFST":
      return {
        version,
        type: statType(info.isRequest),
        stat: OFPST_VENDOR,
        vendor: info.kind === "NXST" ? NX_VENDOR_ID : ONF_VENDOR_ID,
        subtype: info.number,
      };
  }
}

for (const info of INFOS) {
  for (let v = info.minVersion; v <= info.maxVersion; v++) {
    const key = hdrsKey(hdrsFor(info, v));
    if (BY_HDRS.has(key)) throw new TypeError(`duplicate message ${info.raw}`);
    BY_HDRS.set(key, info);
  }
}

/** Every row of the table. */
export function allRaws(): readonly RawInfo[] {
  return INFOS;
}

/** The row named `raw` ("OFPT11_FLOW_MOD"); a TypeError for a name not in the table. */
export function rawInfo(raw: string): RawInfo {
  const info = BY_RAW.get(raw);
  if (!info) throw new TypeError(`unknown OpenFlow message variant ${raw}`);
  return info;
}

export function isStatRequest(version: number, type: number): boolean {
  return version === OFP10 ? type === OFPT10_STATS_REQUEST : type === OFPT11_STATS_REQUEST;
}

export function isStatReply(version: number, type: number): boolean {
  return version === OFP10 ? type === OFPT10_STATS_REPLY : type === OFPT11_STATS_REPLY;
}

export function isStat(version: number, type: number): boolean {
  return isStatRequest(version, type) || isStatReply(version, type);
}

/** Length of the headers (standard, multipart, vendor) of `h`. */
export function hdrsLen(h: Hdrs): number {
  if (h.type === OFPT_VENDOR) return 16;
  if (h.version === OFP10) {
    if (h.type === OFPT10_STATS_REQUEST || h.type === OFPT10_STATS_REPLY) {
      return h.stat === OFPST_VENDOR ? 24 : 12;
    }
  } else if (h.type === OFPT11_STATS_REQUEST || h.type === OFPT11_STATS_REPLY) {
    return h.stat === OFPST_VENDOR ? 24 : 16;
  }
  return 8;
}

function u16(data: Uint8Array, offset: number): number {
  return (data[offset]! << 8) | data[offset + 1]!;
}

function u32(data: Uint8Array, offset: number): number {
  return ((data[offset]! << 24) | (data[offset + 1]! << 16) | (data[offset + 2]! << 8) |
    data[offset + 3]!) >>> 0;
}

function badVendor(vendor: number): OfpError {
  log.rateLimited(
    unknownLimit,
    "warn",
    `OpenFlow message has unknown vendor 0x${vendor.toString(16)}`,
  );
  return new OfpError("OFPBRC_BAD_VENDOR");
}

/** Decodes the headers of the `length` bytes of `data` (upstream's ofphdrs_decode). */
export function decodeHdrs(data: Uint8Array, length = data.length): Hdrs {
  const len = Math.min(length, data.length);
  if (len < 8) throw new OfpError("OFPBRC_BAD_LEN");
  const h: Hdrs = { version: data[0]!, type: data[1]!, stat: 0, vendor: 0, subtype: 0 };
  if (h.type === OFPT_VENDOR) {
    if (len < 16) throw new OfpError("OFPBRC_BAD_LEN");
    h.vendor = u32(data, 8);
    if (h.vendor !== NX_VENDOR_ID && h.vendor !== ONF_VENDOR_ID) throw badVendor(h.vendor);
    h.subtype = u32(data, 12);
  } else if (
    h.version === OFP10 && (h.type === OFPT10_STATS_REQUEST || h.type === OFPT10_STATS_REPLY)
  ) {
    if (len < 12) throw new OfpError("OFPBRC_BAD_LEN");
    h.stat = u16(data, 8);
    if (h.stat === OFPST_VENDOR) {
      if (len < 16) throw new OfpError("OFPBRC_BAD_LEN");
      h.vendor = u32(data, 12);
      if (h.vendor !== NX_VENDOR_ID) throw badVendor(h.vendor);
      if (len < 24) throw new OfpError("OFPBRC_BAD_LEN");
      h.subtype = u32(data, 16);
    }
  } else if (
    h.version !== OFP10 && (h.type === OFPT11_STATS_REQUEST || h.type === OFPT11_STATS_REPLY)
  ) {
    if (len < 16) throw new OfpError("OFPBRC_BAD_LEN");
    h.stat = u16(data, 8);
    if (h.stat === OFPST_VENDOR) {
      if (len < 24) throw new OfpError("OFPBRC_BAD_LEN");
      h.vendor = u32(data, 16);
      if (h.vendor !== NX_VENDOR_ID && h.vendor !== ONF_VENDOR_ID) throw badVendor(h.vendor);
      h.subtype = u32(data, 20);
    }
  }
  return h;
}

/** The row for decoded headers (upstream's ofpraw_from_ofphdrs). */
export function rawFromHdrs(h: Hdrs): RawInfo {
  const info = BY_HDRS.get(hdrsKey(h));
  if (info) return info;
  if (log.isEnabled("warn")) {
    let s = `version ${h.version}, type ${h.type}`;
    if (isStat(h.version, h.type)) s += `, stat ${h.stat}`;
    if (h.vendor) s += `, vendor 0x${h.vendor.toString(16)}, subtype ${h.subtype}`;
    log.rateLimited(unknownLimit, "warn", `unknown OpenFlow message (${s})`);
  }
  throw new OfpError(
    h.vendor
      ? "OFPBRC_BAD_SUBTYPE"
      : isStat(h.version, h.type)
      ? "OFPBRC_BAD_STAT"
      : "OFPBRC_BAD_TYPE",
  );
}

/** Checks `len` against the body shape of `info` (upstream's ofpraw_check_length). */
export function checkRawLength(info: RawInfo, hdrsLength: number, len: number): void {
  const minLen = hdrsLength + info.minBody;
  let ok: boolean;
  let expect: string;
  if (info.extraMultiple === 0) {
    ok = len === minLen;
    expect = `expected length ${minLen}`;
  } else if (info.extraMultiple === 1) {
    ok = len >= minLen;
    expect = `expected length at least ${minLen} bytes`;
  } else {
    ok = len >= minLen && (len - minLen) % info.extraMultiple === 0;
    expect = `must be exactly ${minLen} bytes or longer by an integer multiple of ` +
      `${info.extraMultiple} bytes`;
  }
  if (!ok) {
    log.rateLimited(
      lengthLimit,
      "warn",
      `received ${info.name} with incorrect length ${len} (${expect})`,
    );
    throw new OfpError("OFPBRC_BAD_LEN");
  }
}

/** A message whose headers decoded: the row, and where its body starts. */
export interface RawMessage {
  readonly info: RawInfo;
  readonly hdrs: Hdrs;
  readonly version: number;
  readonly xid: number;
  /** The whole message (exactly its length). */
  readonly data: Uint8Array;
  /** Offset of the body, just past every header. */
  readonly bodyOffset: number;
}

/**
 * Decodes the headers of the message that is all of `data` and checks its length against its
 * row (upstream's ofpraw_pull). The ofp_header length is not consulted: callers framing a stream
 * pass exactly one message.
 */
export function pullRaw(data: Uint8Array): RawMessage {
  const hdrs = decodeHdrs(data);
  const info = rawFromHdrs(hdrs);
  const len = hdrsLen(hdrs);
  checkRawLength(info, len, data.length);
  return { info, hdrs, version: hdrs.version, xid: u32(data, 4), data, bodyOffset: len };
}

/** The row of a message that may be truncated (upstream's ofpraw_decode_partial). */
export function decodeRawPartial(data: Uint8Array, length = data.length): RawInfo {
  return rawFromHdrs(decodeHdrs(data, length));
}

/** Whether `info` exists in `version`. */
export function rawHasVersion(info: RawInfo, version: number): boolean {
  return version >= info.minVersion && version <= info.maxVersion;
}

/**
 * Starts a message of row `raw` in `version`: writes every header (the length is filled in by
 * `finishMessage`). A TypeError when the row does not exist in that version.
 */
export function startMessage(
  raw: string | RawInfo,
  version: number,
  xid: number,
  w: WireWriter = new WireWriter(),
): WireWriter {
  const info = typeof raw === "string" ? rawInfo(raw) : raw;
  if (!rawHasVersion(info, version)) {
    throw new TypeError(`${info.raw} does not exist in OpenFlow version 0x${version.toString(16)}`);
  }
  const h = hdrsFor(info, version);
  w.u8(version).u8(h.type).u16(0).u32(xid);
  if (h.type === OFPT_VENDOR) {
    w.u32(h.vendor).u32(h.subtype);
  } else if (isStat(version, h.type)) {
    w.u16(h.stat).u16(0);
    if (version !== OFP10) w.zeros(4);
    if (h.stat === OFPST_VENDOR) {
      w.u32(h.vendor).u32(h.subtype);
      if (version === OFP10) w.zeros(4);
    }
  }
  return w;
}

/** Sets the length of the message in `w` (which starts at offset 0) and returns its bytes. */
export function finishMessage(w: WireWriter): Uint8Array {
  if (w.length > OFP_MAX_MSG_LEN) {
    throw new RangeError(`OpenFlow message of ${w.length} bytes exceeds 65535`);
  }
  w.setU16(2, w.length);
  return w.finish();
}

/** The reply row for multipart request row `request` in `version`. */
export function statsReplyRaw(request: RawInfo, version: number): RawInfo {
  const h = hdrsFor(request, version);
  h.type = version === OFP10 ? OFPT10_STATS_REPLY : OFPT11_STATS_REPLY;
  const info = BY_HDRS.get(hdrsKey(h));
  if (!info) throw new TypeError(`${request.raw} has no reply`);
  return info;
}

/** The multipart flags of a multipart message (upstream's ofpmp_flags). */
export function multipartFlags(data: Uint8Array): number {
  return data.length >= 12 ? u16(data, 10) : 0;
}

/** Whether a multipart message says more parts follow. */
export function multipartMore(data: Uint8Array): boolean {
  return (multipartFlags(data) & OFPSF_REPLY_MORE) !== 0;
}

/** The xid of a message. */
export function messageXid(data: Uint8Array): number {
  return data.length >= 8 ? u32(data, 4) : 0;
}

export { allocXid } from "../wire.ts";

const TYPE_NAMES = new Map<string, string>();
for (const info of INFOS) if (!TYPE_NAMES.has(info.type)) TYPE_NAMES.set(info.type, info.name);

/** The name upstream gives an ofptype (its first variant's name, e.g. "OFPT_FLOW_MOD"). */
export function typeName(type: string): string {
  return TYPE_NAMES.get(type) ?? type;
}
