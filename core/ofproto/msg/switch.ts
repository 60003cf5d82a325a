// Switch-wide messages (upstream's ofp-switch): the features reply (datapath id, buffers,
// tables, auxiliary id, capabilities, OpenFlow 1.0's action bitmap, and in 1.0-1.2 the port
// list), get-config reply and set-config (fragment handling, invalid-TTL flag, miss_send_len),
// and their texts.
//
// Promises: capabilities are masked to what each version can say and translated between the
// version bits and upstream's OFPUTIL_C_* bits; set-config with unknown flags is
// OFPSCFC_BAD_FLAGS; a features reply never grows past one message (ports that do not fit are
// dropped, as upstream drops them).

import { OfpError } from "../errors.ts";
import { OFP10, OFP11, OFP12, OFP13, OFP14, OFP15 } from "../fields.ts";
import { WireReader } from "../wire.ts";
import {
  formatOfpactBitmap,
  ofpactBitmapFromOpenflow,
  ofpactBitmapToOpenflow,
} from "./ofpact_bitmap.ts";
import { formatPhyPorts, type PhyPort, phyPortSize, pullPhyPorts, putPhyPort } from "./port.ts";
import { finishMessage, OFP_MAX_MSG_LEN, pullRaw, type RawMessage, startMessage } from "./raw.ts";
import { bitNames, cString, nameBytes } from "./text_util.ts";

export const OFPUTIL_C_FLOW_STATS = 1 << 0;
export const OFPUTIL_C_TABLE_STATS = 1 << 1;
export const OFPUTIL_C_PORT_STATS = 1 << 2;
export const OFPUTIL_C_STP = 1 << 3;
export const OFPUTIL_C_GROUP_STATS = 1 << 4;
export const OFPUTIL_C_IP_REASM = 1 << 5;
export const OFPUTIL_C_QUEUE_STATS = 1 << 6;
export const OFPUTIL_C_ARP_MATCH_IP = 1 << 7;
export const OFPUTIL_C_PORT_BLOCKED = 1 << 8;
export const OFPUTIL_C_BUNDLES = 1 << 9;
export const OFPUTIL_C_FLOW_MONITORING = 1 << 10;

const OFPC_COMMON = OFPUTIL_C_FLOW_STATS | OFPUTIL_C_TABLE_STATS | OFPUTIL_C_PORT_STATS |
  OFPUTIL_C_IP_REASM | OFPUTIL_C_QUEUE_STATS;
const OFPC10_STP = 1 << 3;
const OFPC11_GROUP_STATS = 1 << 3;

function capabilitiesMask(version: number): number {
  switch (version) {
    case OFP10:
    case OFP11:
      return OFPC_COMMON | OFPUTIL_C_ARP_MATCH_IP;
    case OFP12:
    case OFP13:
      return OFPC_COMMON | OFPUTIL_C_PORT_BLOCKED;
    case OFP14:
    case OFP15:
      return OFPC_COMMON | OFPUTIL_C_PORT_BLOCKED | OFPUTIL_C_BUNDLES |
        OFPUTIL_C_FLOW_MONITORING;
    default:
      return 0;
  }
}

export interface SwitchFeatures {
  datapathId: bigint;
  nBuffers: number;
  nTables: number;
  auxiliaryId: number;
  /** OFPUTIL_C_* bits. */
  capabilities: number;
  /** The ofpact bitmap of supported actions (OpenFlow 1.0 only; 0n otherwise). */
  ofpacts: bigint;
}

/** A features reply's fields and, for OpenFlow 1.0-1.2, its ports. */
export interface FeaturesReply {
  features: SwitchFeatures;
  ports: PhyPort[];
}

function pullFeatures(raw: RawMessage): { features: SwitchFeatures; rest: WireReader } {
  const r = new WireReader(raw.data, raw.bodyOffset);
  const datapathId = r.u64();
  const nBuffers = r.u32();
  const nTables = r.u8();
  const auxiliaryId = r.u8();
  r.skip(2);
  const caps = r.u32();
  const actions = r.u32();
  const features: SwitchFeatures = {
    datapathId,
    nBuffers,
    nTables,
    auxiliaryId: 0,
    capabilities: caps & capabilitiesMask(raw.version),
    ofpacts: 0n,
  };
  const name = raw.info.raw;
  if (name === "OFPT10_FEATURES_REPLY") {
    if (caps & OFPC10_STP) features.capabilities |= OFPUTIL_C_STP;
    features.ofpacts = ofpactBitmapFromOpenflow(actions, OFP10);
  } else if (name === "OFPT11_FEATURES_REPLY" || name === "OFPT13_FEATURES_REPLY") {
    if (caps & OFPC11_GROUP_STATS) features.capabilities |= OFPUTIL_C_GROUP_STATS;
    if (name === "OFPT13_FEATURES_REPLY") features.auxiliaryId = auxiliaryId;
  } else {
    throw new OfpError("OFPBRC_BAD_VERSION");
  }
  return { features, rest: r };
}

/** Decodes a features reply with its ports (upstream stops at the first bad port). */
export function decodeFeaturesReply(msg: Uint8Array): FeaturesReply {
  const raw = pullRaw(msg);
  const { features, rest } = pullFeatures(raw);
  const ports = raw.version < OFP13 ? pullPhyPorts(raw.version, rest) : [];
  return { features, ports };
}

/**
 * Whether a features reply lists every port (upstream's ofputil_switch_features_has_ports):
 * false for 1.3+ and for a reply too full to hold another port.
 */
export function featuresReplyHasPorts(msg: Uint8Array): boolean {
  const version = msg[0]!;
  if (version >= OFP13) return false;
  const length = (msg[2]! << 8) | msg[3]!;
  return length + phyPortSize(version) <= OFP_MAX_MSG_LEN;
}

/** Encodes a features reply; ports (1.0-1.2 only) that would overflow the message are dropped. */
export function encodeFeaturesReply(
  features: SwitchFeatures,
  version: number,
  xid: number,
  ports: readonly PhyPort[] = [],
): Uint8Array {
  const raw = version === OFP10
    ? "OFPT10_FEATURES_REPLY"
    : version <= OFP12
    ? "OFPT11_FEATURES_REPLY"
    : "OFPT13_FEATURES_REPLY";
  const w = startMessage(raw, version, xid);
  let caps = features.capabilities & capabilitiesMask(version);
  let actions = 0;
  let aux = 0;
  if (version === OFP10) {
    if (features.capabilities & OFPUTIL_C_STP) caps |= OFPC10_STP;
    actions = ofpactBitmapToOpenflow(features.ofpacts, OFP10);
  } else {
    if (version >= OFP13) aux = features.auxiliaryId;
    if (features.capabilities & OFPUTIL_C_GROUP_STATS) caps |= OFPC11_GROUP_STATS;
  }
  w.u64(features.datapathId).u32(features.nBuffers).u8(features.nTables).u8(aux).zeros(2);
  w.u32(caps).u32(actions);
  if (version < OFP13) {
    const size = phyPortSize(version);
    for (const pp of ports) {
      if (w.length + size > OFP_MAX_MSG_LEN) break;
      putPhyPort(version, pp, w);
    }
  }
  return finishMessage(w);
}

const CAPABILITY_NAMES: Record<number, string> = {
  [OFPUTIL_C_FLOW_STATS]: "FLOW_STATS",
  [OFPUTIL_C_TABLE_STATS]: "TABLE_STATS",
  [OFPUTIL_C_PORT_STATS]: "PORT_STATS",
  [OFPUTIL_C_IP_REASM]: "IP_REASM",
  [OFPUTIL_C_QUEUE_STATS]: "QUEUE_STATS",
  [OFPUTIL_C_ARP_MATCH_IP]: "ARP_MATCH_IP",
  [OFPUTIL_C_STP]: "STP",
  [OFPUTIL_C_GROUP_STATS]: "GROUP_STATS",
  [OFPUTIL_C_PORT_BLOCKED]: "PORT_BLOCKED",
  [OFPUTIL_C_BUNDLES]: "BUNDLES",
  [OFPUTIL_C_FLOW_MONITORING]: "FLOW_MONITORING",
};

/** The features part of a features reply's text (without ports). */
export function formatSwitchFeatures(f: SwitchFeatures): string {
  let s = ` dpid:${f.datapathId.toString(16).padStart(16, "0")}\n`;
  s += `n_tables:${f.nTables}, n_buffers:${f.nBuffers}`;
  if (f.auxiliaryId) s += `, auxiliary_id:${f.auxiliaryId}`;
  s += "\ncapabilities: " + bitNames(f.capabilities, (b) => CAPABILITY_NAMES[b], " ") + "\n";
  if (f.ofpacts) s += "actions: " + formatOfpactBitmap(f.ofpacts) + "\n";
  return s;
}

/** A features reply as ofp-print shows it; the error, if any, of a port that did not decode. */
export function formatFeaturesReplyMessage(msg: Uint8Array): { text: string; error?: OfpError } {
  const raw = pullRaw(msg);
  const { features, rest } = pullFeatures(raw);
  const ports = formatPhyPorts(raw.version, rest);
  const text = formatSwitchFeatures(features) + ports.text;
  return ports.error ? { text, error: ports.error } : { text };
}

// Switch configuration.

export type FragHandling = "normal" | "drop" | "reassemble" | "nx-match";
const FRAGS: readonly FragHandling[] = ["normal", "drop", "reassemble", "nx-match"];
const OFPC_INVALID_TTL_TO_CONTROLLER = 1 << 2;

export interface SwitchConfig {
  frag: FragHandling;
  /** true/false in OpenFlow 1.0-1.2; undefined where the version has no such flag. */
  invalidTtlToController: boolean | undefined;
  missSendLen: number;
}

export function fragFromString(text: string): FragHandling | undefined {
  const lower = text.toLowerCase();
  return FRAGS.find((f) => f === lower);
}

function decodeConfig(msg: Uint8Array): { config: SwitchConfig; valid: boolean } {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const flags = r.u16();
  const missSendLen = r.u16();
  let valid = 3;
  let ttl: boolean | undefined;
  if (raw.version < OFP13) {
    valid |= OFPC_INVALID_TTL_TO_CONTROLLER;
    ttl = (flags & OFPC_INVALID_TTL_TO_CONTROLLER) !== 0;
  }
  return {
    config: { frag: FRAGS[flags & 3]!, invalidTtlToController: ttl, missSendLen },
    valid: (flags & ~valid) === 0,
  };
}

export function decodeGetConfigReply(msg: Uint8Array): SwitchConfig {
  return decodeConfig(msg).config;
}

export function decodeSetConfig(msg: Uint8Array): SwitchConfig {
  const { config, valid } = decodeConfig(msg);
  if (!valid) throw new OfpError("OFPSCFC_BAD_FLAGS");
  return config;
}

function encodeConfig(raw: string, config: SwitchConfig, version: number, xid: number) {
  const w = startMessage(raw, version, xid);
  let flags = FRAGS.indexOf(config.frag);
  if (config.invalidTtlToController && version < OFP13) flags |= OFPC_INVALID_TTL_TO_CONTROLLER;
  w.u16(flags).u16(config.missSendLen);
  return finishMessage(w);
}

export function encodeGetConfigReply(config: SwitchConfig, version: number, xid: number) {
  return encodeConfig("OFPT_GET_CONFIG_REPLY", config, version, xid);
}

export function encodeSetConfig(config: SwitchConfig, version: number, xid: number) {
  return encodeConfig("OFPT_SET_CONFIG", config, version, xid);
}

export function formatSwitchConfig(config: SwitchConfig): string {
  return ` frags=${config.frag}` +
    (config.invalidTtlToController ? " invalid_ttl_to_controller" : "") +
    ` miss_send_len=${config.missSendLen}\n`;
}

// Switch description (OFPST_DESC reply).

/** The switch's description strings (upstream's struct ofp_desc_stats). */
export interface SwitchDesc {
  manufacturer: string;
  hardware: string;
  software: string;
  serialNum: string;
  dpDesc: string;
}

const DESC_WIDTHS: readonly (readonly [keyof SwitchDesc, number])[] = [
  ["manufacturer", 256],
  ["hardware", 256],
  ["software", 256],
  ["serialNum", 32],
  ["dpDesc", 256],
];

/** The reply to a desc stats `request`. */
export function encodeDescStatsReply(desc: SwitchDesc, request: Uint8Array): Uint8Array {
  const raw = pullRaw(request);
  const w = startMessage("OFPST_DESC_REPLY", raw.version, raw.xid);
  for (const [key, width] of DESC_WIDTHS) w.bytes(nameBytes(desc[key], width));
  return finishMessage(w);
}

export function decodeDescStatsReply(msg: Uint8Array): SwitchDesc {
  const raw = pullRaw(msg);
  const r = new WireReader(raw.data, raw.bodyOffset);
  const d: SwitchDesc = { manufacturer: "", hardware: "", software: "", serialNum: "", dpDesc: "" };
  for (const [key, width] of DESC_WIDTHS) d[key] = cString(r.bytes(width));
  return d;
}

/** The text ofp-print shows after the header of a desc stats reply. */
export function formatDescStats(d: SwitchDesc): string {
  return `\nManufacturer: ${d.manufacturer}\nHardware: ${d.hardware}\nSoftware: ${d.software}\n` +
    `Serial Num: ${d.serialNum}\nDP Description: ${d.dpDesc}\n`;
}
