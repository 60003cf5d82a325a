// Messages about the controller connection itself (upstream's ofp-connection and a few Nicira
// extensions): role request/reply (OpenFlow 1.2+ and NXT_ROLE), role status, the asynchronous
// message configuration (get/set-async of 1.3 and 1.4+, NXT_SET_ASYNC_CONFIG and its TLV
// form), NXT_SET_PACKET_IN_FORMAT and NXT_SET_CONTROLLER_ID, and their texts.
//
// Promises: roles are upstream's OFPCR12_ROLE_* numbers in the model whatever the wire form;
// bad roles are OFPRRFC_BAD_ROLE, bad async masks OFPACFC_INVALID (unless loose), unknown async
// properties OFPACFC_UNSUPPORTED, as upstream.

import { OfpError } from "../errors.ts";
import { OFP12, OFP13, OFP14 } from "../fields.ts";
import { WireReader, type WireWriter } from "../wire.ts";
import { isExperimenterProp, pullProp, putPropU32, unknownProp } from "./props.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_connection");
const rl = new RateLimit(1, 5);

export const ROLE_NOCHANGE = 0;
export const ROLE_EQUAL = 1;
export const ROLE_PRIMARY = 2;
export const ROLE_SECONDARY = 3;

const UINT64_MAX = 0xffffffffffffffffn;

export interface RoleRequest {
  /** ROLE_* (OFPCR12_ROLE_*). */
  role: number;
  /** The generation id, or undefined when the message has none. */
  generationId: bigint | undefined;
}

function checkRole(role: number): void {
  if (role > ROLE_SECONDARY) throw new OfpError("OFPRRFC_BAD_ROLE");
}

/** Decodes a role request or reply, standard or Nicira. */
export function decodeRoleMessage(msg: Uint8Array): RoleRequest {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const name = raw.info.raw;
  if (name === "OFPT12_ROLE_REQUEST" || name === "OFPT12_ROLE_REPLY") {
    const role = r.u32();
    checkRole(role);
    r.skip(4);
    const gen = r.u64();
    const none = name === "OFPT12_ROLE_REQUEST" ? role === ROLE_NOCHANGE : gen === UINT64_MAX;
    return { role, generationId: none ? undefined : gen };
  }
  const role = r.u32();
  if (role > 2) throw new OfpError("OFPRRFC_BAD_ROLE");
  return { role: role + 1, generationId: undefined };
}

/** A role request in `version` (NXT_ROLE_REQUEST before 1.2). */
export function encodeRoleRequest(rr: RoleRequest, version: number, xid: number): Uint8Array {
  if (version >= OFP12) {
    const w = startMessage("OFPT12_ROLE_REQUEST", version, xid);
    w.u32(rr.role).zeros(4).u64(rr.generationId ?? 0n);
    return finishMessage(w);
  }
  const w = startMessage("NXT_ROLE_REQUEST", version, xid);
  w.u32(rr.role === ROLE_NOCHANGE ? 0 : rr.role - 1);
  return finishMessage(w);
}

/** The reply to role request `request`, in the request's form. */
export function encodeRoleReply(request: Uint8Array, rr: RoleRequest): Uint8Array {
  const raw = pullRaw(request);
  if (raw.info.raw === "OFPT12_ROLE_REQUEST") {
    const w = startMessage("OFPT12_ROLE_REPLY", raw.version, raw.xid);
    w.u32(rr.role).zeros(4).u64(rr.generationId ?? UINT64_MAX);
    return finishMessage(w);
  }
  const w = startMessage("NXT_ROLE_REPLY", raw.version, raw.xid);
  w.u32(rr.role - 1);
  return finishMessage(w);
}

function formatRole(role: number, generationId: bigint): string {
  const names = ["nochange", "equal", "primary", "secondary"];
  let s = " role=" + (names[role] ?? String(role));
  if (generationId !== UINT64_MAX) s += ` generation_id=${generationId}`;
  return s;
}

export function formatRoleMessage(rr: RoleRequest): string {
  return formatRole(rr.role, rr.generationId ?? UINT64_MAX);
}

export const OFPCRR_PRIMARY_REQUEST = 0;
export const OFPCRR_CONFIG = 1;
export const OFPCRR_EXPERIMENTER = 2;

export interface RoleStatus {
  role: number;
  reason: number;
  generationId: bigint;
}

export function decodeRoleStatus(msg: Uint8Array): RoleStatus {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const role = r.u32();
  checkRole(role);
  const reason = r.u8();
  r.skip(3);
  return { role, reason, generationId: r.u64() };
}

/** A role status message, or undefined before OpenFlow 1.3 (which cannot say it). */
export function encodeRoleStatus(rs: RoleStatus, version: number): Uint8Array | undefined {
  if (version < OFP13) return undefined;
  const raw = version >= OFP14 ? "OFPT14_ROLE_STATUS" : "ONFT13_ROLE_STATUS";
  const w = startMessage(raw, version, 0);
  w.u32(rs.role).u8(rs.reason).zeros(3).u64(rs.generationId);
  return finishMessage(w);
}

export function formatRoleStatus(rs: RoleStatus): string {
  const reasons = ["primary_request", "configuration_changed", "experimenter_data_changed"];
  return formatRole(rs.role, rs.generationId) + " reason=" + (reasons[rs.reason] ?? "(unknown)");
}

// Asynchronous message configuration.

export const OAM_PACKET_IN = 0;
export const OAM_PORT_STATUS = 1;
export const OAM_FLOW_REMOVED = 2;
export const OAM_ROLE_STATUS = 3;
export const OAM_TABLE_STATUS = 4;
export const OAM_REQUESTFORWARD = 5;
export const OAM_N_TYPES = 6;
const OAM_NAMES = [
  "PACKET_IN",
  "PORT_STATUS",
  "FLOW_REMOVED",
  "ROLE_STATUS",
  "TABLE_STATUS",
  "REQUESTFORWARD",
];

/** Reason bitmaps per OAM_* type, for the primary/equal role and for secondaries. */
export interface AsyncConfig {
  primary: number[];
  secondary: number[];
}

const OFPR_NO_MATCH = 0;
const OFPR_INVALID_TTL = 2;
const OFPR_EXPLICIT_MISS = 6;
const OFPR_IMPLICIT_MISS = 7;
const OFPR10_BITS = 0b111;
const OFPR14_BITS = OFPR10_BITS | (1 << 3) | (1 << 4) | (1 << 5);
const OFPPR_BITS = 0b111;
const OFPRR10_BITS = 0b111;
const OFPRR13_BITS = OFPRR10_BITS | (1 << 3);
const OFPRR14_BITS = OFPRR13_BITS | (1 << 4) | (1 << 5);
const OFPTR_BITS = (1 << 3) | (1 << 4);

interface AsyncProp {
  type: number;
  oam: number;
  primary: boolean;
  allowed10: number;
  allowed14: number;
}

const ASYNC_PROPS: AsyncProp[] = [];
for (
  const [base, oam, a10, a14] of [
    [0, OAM_PACKET_IN, OFPR10_BITS, OFPR14_BITS],
    [2, OAM_PORT_STATUS, (1 << 3) - 1, 0],
    [4, OAM_FLOW_REMOVED, (1 << 6) - 1, 0],
    [6, OAM_ROLE_STATUS, (1 << 3) - 1, 0],
    [8, OAM_TABLE_STATUS, OFPTR_BITS, 0],
    [10, OAM_REQUESTFORWARD, (1 << 2) - 1, 0],
  ] as const
) {
  const allowed14 = a14 || a10;
  ASYNC_PROPS.push({ type: base, oam, primary: false, allowed10: a10, allowed14 });
  ASYNC_PROPS.push({ type: base + 1, oam, primary: true, allowed10: a10, allowed14 });
}

function allowedMask(ap: AsyncProp, version: number): number {
  return version >= OFP14 ? ap.allowed14 : ap.allowed10;
}

function propFor(oam: number, primary: boolean): AsyncProp {
  return ASYNC_PROPS.find((p) => p.oam === oam && p.primary === primary)!;
}

/** Every type off. */
export function emptyAsyncConfig(): AsyncConfig {
  return { primary: new Array(OAM_N_TYPES).fill(0), secondary: new Array(OAM_N_TYPES).fill(0) };
}

/** What a switch starts a connection of `version` with (upstream's ofputil_async_cfg_default). */
export function defaultAsyncConfig(version: number): AsyncConfig {
  let pin = OFPR14_BITS & ~(1 << OFPR_INVALID_TTL);
  pin |= 1 << OFPR_EXPLICIT_MISS;
  if (version <= OFP12) pin |= 1 << OFPR_IMPLICIT_MISS;
  const ac = emptyAsyncConfig();
  ac.primary[OAM_PACKET_IN] = pin;
  ac.primary[OAM_PORT_STATUS] = OFPPR_BITS;
  ac.secondary[OAM_PORT_STATUS] = OFPPR_BITS;
  ac.primary[OAM_FLOW_REMOVED] = version >= OFP14
    ? OFPRR14_BITS
    : version === OFP13
    ? OFPRR13_BITS
    : OFPRR10_BITS;
  return ac;
}

function decodeMask(
  value: number,
  ap: AsyncProp,
  version: number,
  loose: boolean,
  dst: AsyncConfig,
): void {
  let mask = value >>> 0;
  const allowed = allowedMask(ap, version);
  if (mask & ~allowed) {
    log.rateLimited(
      rl,
      loose ? "dbg" : "warn",
      `bad value 0x${mask.toString(16)} for ${OAM_NAMES[ap.oam]} (allowed mask 0x${
        allowed.toString(16)
      })`,
    );
    mask &= allowed;
    if (!loose) throw new OfpError("OFPACFC_INVALID");
  }
  if (ap.oam === OAM_PACKET_IN && mask & (1 << OFPR_NO_MATCH)) {
    mask |= 1 << OFPR_EXPLICIT_MISS;
    if (version < OFP13) mask |= 1 << OFPR_IMPLICIT_MISS;
  }
  (ap.primary ? dst.primary : dst.secondary)[ap.oam] = mask >>> 0;
}

/**
 * Decodes a set-async request or get-async reply (upstream's ofputil_decode_set_async_config);
 * the TLV forms change only what they carry, starting from `basis`.
 */
export function decodeAsyncConfig(
  msg: Uint8Array,
  loose: boolean,
  basis: AsyncConfig = emptyAsyncConfig(),
): AsyncConfig {
  const raw = pullRaw(msg);
  const version = raw.version;
  const name = raw.info.raw;
  if (
    name === "OFPT13_SET_ASYNC" || name === "NXT_SET_ASYNC_CONFIG" ||
    name === "OFPT13_GET_ASYNC_REPLY"
  ) {
    const r = new WireReader(msg, raw.bodyOffset);
    const ac = emptyAsyncConfig();
    for (const oam of [OAM_PACKET_IN, OAM_PORT_STATUS, OAM_FLOW_REMOVED]) {
      decodeMask(r.u32(), propFor(oam, true), version, true, ac);
      decodeMask(r.u32(), propFor(oam, false), version, true, ac);
    }
    return ac;
  }
  if (
    name === "OFPT14_SET_ASYNC" || name === "OFPT14_GET_ASYNC_REPLY" ||
    name === "NXT_SET_ASYNC_CONFIG2"
  ) {
    const ac: AsyncConfig = { primary: [...basis.primary], secondary: [...basis.secondary] };
    const body = msg.subarray(raw.bodyOffset);
    let offset = 0;
    while (offset < body.length) {
      const { prop, next } = pullProp(body, offset, 8, 0xfffe);
      offset = next;
      const ap = isExperimenterProp(prop.type)
        ? undefined
        : ASYNC_PROPS.find((p) => BigInt(p.type) === prop.type);
      try {
        if (!ap) {
          unknownProp(log, loose, "async config", prop.type);
          continue;
        }
        if (prop.payload.length !== 4) throw new OfpError("OFPBPC_BAD_LEN");
        decodeMask(new WireReader(prop.payload).u32(), ap, version, loose, ac);
      } catch (e) {
        if (e instanceof OfpError && e.errorName === "OFPBPC_BAD_TYPE") {
          throw new OfpError("OFPACFC_UNSUPPORTED");
        }
        throw e;
      }
    }
    return ac;
  }
  throw new OfpError("OFPBRC_BAD_VERSION");
}

function putAsync(ac: AsyncConfig, w: WireWriter, tlv: boolean, version: number, oams: number) {
  const mask = (ap: AsyncProp) =>
    ((ap.primary ? ac.primary : ac.secondary)[ap.oam] ?? 0) & allowedMask(ap, version);
  if (!tlv) {
    for (const oam of [OAM_PACKET_IN, OAM_PORT_STATUS, OAM_FLOW_REMOVED]) {
      w.u32(mask(propFor(oam, true))).u32(mask(propFor(oam, false)));
    }
    return;
  }
  for (const ap of ASYNC_PROPS) {
    if (oams & (1 << ap.oam)) putPropU32(w, BigInt(ap.type), mask(ap));
  }
}

/** The reply to get-async request `request`. */
export function encodeGetAsyncReply(request: Uint8Array, ac: AsyncConfig): Uint8Array {
  const raw = pullRaw(request);
  const name = raw.version < OFP14 ? "OFPT13_GET_ASYNC_REPLY" : "OFPT14_GET_ASYNC_REPLY";
  const w = startMessage(name, raw.version, raw.xid);
  putAsync(ac, w, name === "OFPT14_GET_ASYNC_REPLY", raw.version, 0xffffffff);
  return finishMessage(w);
}

/** A set-async request configuring the OAM_* types in `oams` (a bitmap). */
export function encodeSetAsyncConfig(
  ac: AsyncConfig,
  oams: number,
  version: number,
  xid: number,
): Uint8Array {
  const name = version >= OFP14
    ? "OFPT14_SET_ASYNC"
    : version >= OFP13
    ? "OFPT13_SET_ASYNC"
    : "NXT_SET_ASYNC_CONFIG";
  const w = startMessage(name, version, xid);
  putAsync(ac, w, name === "OFPT14_SET_ASYNC", version, oams);
  return finishMessage(w);
}

const PIN_REASONS = [
  "no_match",
  "action",
  "invalid_ttl",
  "action_set",
  "group",
  "packet_out",
  "",
  "",
];
const FR_REASONS = ["idle", "hard", "delete", "group_delete", "meter_delete", "eviction"];

/** The text of packet-in reason `r` ("no_match" ...; "" for the internal miss reasons). */
export function packetInReasonToString(r: number): string {
  return PIN_REASONS[r] ?? String(r);
}

/** The text of flow-removed reason `r`. */
export function flowRemovedReasonToString(r: number): string {
  return FR_REASONS[r] ?? String(r);
}

function reasonText(oam: number, r: number): string {
  switch (oam) {
    case OAM_PACKET_IN:
      return packetInReasonToString(r);
    case OAM_PORT_STATUS:
      return ["add", "delete", "modify"][r] ?? String(r);
    case OAM_FLOW_REMOVED:
      return flowRemovedReasonToString(r);
    case OAM_ROLE_STATUS:
      return ["primary_request", "configuration_changed", "experimenter_data_changed"][r] ??
        String(r);
    case OAM_TABLE_STATUS:
      return r === 3 ? "vacancy_down" : r === 4 ? "vacancy_up" : String(r);
    default:
      return ["group_mod_request", "meter_mod_request"][r] ?? String(r);
  }
}

export function formatAsyncConfig(ac: AsyncConfig): string {
  let s = "";
  for (const primary of [true, false]) {
    s += `\n ${primary ? "primary" : "secondary"}:\n`;
    for (let type = 0; type < OAM_N_TYPES; type++) {
      s += OAM_NAMES[type]!.padStart(16) + ":";
      const role = (primary ? ac.primary : ac.secondary)[type] ?? 0;
      for (let j = 0; j < 32; j++) {
        if (role & (1 << j)) {
          const reason = reasonText(type, j);
          if (reason) s += " " + reason;
        }
      }
      if (!role) s += " (off)";
      s += "\n";
    }
  }
  return s;
}

// Packet-in format and controller id.

export type PacketInFormat = "standard" | "nxt_packet_in" | "nxt_packet_in2";
const PIN_FORMATS: readonly PacketInFormat[] = ["standard", "nxt_packet_in", "nxt_packet_in2"];

/** "standard"/"openflow10", "nxt_packet_in"/"nxm", "nxt_packet_in2"; undefined otherwise. */
export function packetInFormatFromString(text: string): PacketInFormat | undefined {
  if (text === "standard" || text === "openflow10") return "standard";
  if (text === "nxt_packet_in" || text === "nxm") return "nxt_packet_in";
  if (text === "nxt_packet_in2") return "nxt_packet_in2";
  return undefined;
}

export function encodeSetPacketInFormat(
  format: PacketInFormat,
  version: number,
  xid: number,
): Uint8Array {
  const w = startMessage("NXT_SET_PACKET_IN_FORMAT", version, xid);
  w.u32(PIN_FORMATS.indexOf(format));
  return finishMessage(w);
}

export function decodeSetPacketInFormat(msg: Uint8Array): PacketInFormat {
  const raw = pullRaw(msg);
  const v = new WireReader(msg, raw.bodyOffset).u32();
  const format = PIN_FORMATS[v];
  if (!format) {
    log.rateLimited(
      rl,
      "warn",
      `NXT_SET_PACKET_IN_FORMAT message specified invalid packet-in format ${v}`,
    );
    throw new OfpError("OFPBRC_EPERM");
  }
  return format;
}

export function encodeSetControllerId(id: number, version: number, xid: number): Uint8Array {
  const w = startMessage("NXT_SET_CONTROLLER_ID", version, xid);
  w.zeros(6).u16(id);
  return finishMessage(w);
}

export function decodeSetControllerId(msg: Uint8Array): number {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  r.skip(6);
  return r.u16();
}
