// Ports as messages describe them (upstream's ofp-port): the version-free port description
// (ofputil_phy_port) with its OpenFlow 1.0, 1.1 and 1.4+ wire forms, port status, port mod,
// the port description request, and their texts. Port numbers in the model are 16-bit
// (OpenFlow 1.0 style); features are netdev feature bits (NETDEV_F_*).
//
// Promises: decoders check every length and throw OfpError as upstream; encoders own lengths
// and padding and mask config/state to what the version can say.

import { OfpError } from "../errors.ts";
import { OFP10, OFP13, OFP14, OFP15 } from "../fields.ts";
import { WireReader, WireWriter } from "../wire.ts";
import { formatPort, OFPP_ANY, portFromOfp11, type PortNames, portToOfp11 } from "./ports.ts";
import { propEnd, propStart, propU32, pullProps, putPropU32, unknownProp } from "./props.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { bitNames, formatEth } from "./text_util.ts";
import { vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_port");

export const OFPPC_PORT_DOWN = 1 << 0;
export const OFPPC_NO_STP = 1 << 1;
export const OFPPC_NO_RECV = 1 << 2;
export const OFPPC_NO_RECV_STP = 1 << 3;
export const OFPPC_NO_FLOOD = 1 << 4;
export const OFPPC_NO_FWD = 1 << 5;
export const OFPPC_NO_PACKET_IN = 1 << 6;
const OFPPC10_ALL = 0x7f;
const OFPPC11_ALL = OFPPC_PORT_DOWN | OFPPC_NO_RECV | OFPPC_NO_FWD | OFPPC_NO_PACKET_IN;

export const OFPPS_LINK_DOWN = 1 << 0;
export const OFPPS_BLOCKED = 1 << 1;
export const OFPPS_LIVE = 1 << 2;
export const OFPPS_STP_LISTEN = 0 << 8;
export const OFPPS_STP_LEARN = 1 << 8;
export const OFPPS_STP_FORWARD = 2 << 8;
export const OFPPS_STP_BLOCK = 3 << 8;
export const OFPPS_STP_MASK = 3 << 8;
const OFPPS10_ALL = OFPPS_LINK_DOWN | OFPPS_STP_MASK;
const OFPPS11_ALL = OFPPS_LINK_DOWN | OFPPS_BLOCKED | OFPPS_LIVE;

export const OFPPR_ADD = 0;
export const OFPPR_DELETE = 1;
export const OFPPR_MODIFY = 2;

/** NETDEV_F_* feature bits. */
export const NETDEV_F = {
  _10MB_HD: 1 << 0,
  _10MB_FD: 1 << 1,
  _100MB_HD: 1 << 2,
  _100MB_FD: 1 << 3,
  _1GB_HD: 1 << 4,
  _1GB_FD: 1 << 5,
  _10GB_FD: 1 << 6,
  _40GB_FD: 1 << 7,
  _100GB_FD: 1 << 8,
  _1TB_FD: 1 << 9,
  OTHER: 1 << 10,
  COPPER: 1 << 11,
  FIBER: 1 << 12,
  AUTONEG: 1 << 13,
  PAUSE: 1 << 14,
  PAUSE_ASYM: 1 << 15,
} as const;

const FEATURE_NAMES = [
  "10MB-HD",
  "10MB-FD",
  "100MB-HD",
  "100MB-FD",
  "1GB-HD",
  "1GB-FD",
  "10GB-FD",
  "40GB-FD",
  "100GB-FD",
  "1TB-FD",
  "OTHER",
  "COPPER",
  "FIBER",
  "AUTO_NEG",
  "AUTO_PAUSE",
  "AUTO_PAUSE_ASYM",
];

/** A port's description, version-free (upstream's ofputil_phy_port). */
export interface PhyPort {
  portNo: number;
  hwAddr: Uint8Array;
  name: string;
  config: number;
  state: number;
  curr: number;
  advertised: number;
  supported: number;
  peer: number;
  /** kbps. */
  currSpeed: number;
  maxSpeed: number;
}

export function featuresFromOfp10(f: number): number {
  return (f & 0x7f) | ((f & 0xf80) << 4);
}

export function featuresToOfp10(f: number): number {
  return (f & 0x7f) | ((f & 0xf800) >>> 4);
}

/** A port's speed in kbps from its feature bits (netdev_features_to_bps / 1000). */
export function featuresToKbps(f: number): number {
  if (f & NETDEV_F._1TB_FD) return 1000000000;
  if (f & NETDEV_F._100GB_FD) return 100000000;
  if (f & NETDEV_F._40GB_FD) return 40000000;
  if (f & NETDEV_F._10GB_FD) return 10000000;
  if (f & (NETDEV_F._1GB_HD | NETDEV_F._1GB_FD)) return 1000000;
  if (f & (NETDEV_F._100MB_HD | NETDEV_F._100MB_FD)) return 100000;
  if (f & (NETDEV_F._10MB_HD | NETDEV_F._10MB_FD)) return 10000;
  return 0;
}

function readName(r: WireReader): string {
  const raw = r.bytes(16);
  let s = "";
  for (let i = 0; i < 15 && raw[i] !== 0; i++) s += String.fromCharCode(raw[i]!);
  return s;
}

function writeName(w: WireWriter, name: string): void {
  const n = Math.min(name.length, 15);
  for (let i = 0; i < n; i++) w.u8(name.charCodeAt(i));
  w.zeros(16 - n);
}

/** Size of one port description in a version's fixed-size port arrays (0 for 1.4+). */
export function phyPortSize(version: number): number {
  return version === OFP10 ? 48 : version < OFP14 ? 64 : 0;
}

/** Decodes one port description from `r`; undefined when `r` is empty (upstream's EOF). */
export function pullPhyPort(version: number, r: WireReader): PhyPort | undefined {
  if (version === OFP10) {
    if (r.remaining < 48) return undefined;
    const portNo = r.u16();
    const hwAddr = r.bytes(6).slice();
    const name = readName(r);
    const config = r.u32() & OFPPC10_ALL;
    const state = r.u32() & OFPPS10_ALL;
    const curr = featuresFromOfp10(r.u32());
    const advertised = featuresFromOfp10(r.u32());
    const supported = featuresFromOfp10(r.u32());
    const peer = featuresFromOfp10(r.u32());
    return {
      portNo,
      hwAddr,
      name,
      config,
      state,
      curr,
      advertised,
      supported,
      peer,
      currSpeed: featuresToKbps(curr),
      maxSpeed: featuresToKbps(supported),
    };
  }
  if (version < OFP14) {
    if (r.remaining < 64) return undefined;
    const portNo = portFromOfp11(r.u32());
    r.skip(4);
    const hwAddr = r.bytes(6).slice();
    r.skip(2);
    const name = readName(r);
    return {
      portNo,
      hwAddr,
      name,
      config: r.u32() & OFPPC11_ALL,
      state: r.u32() & OFPPS11_ALL,
      curr: r.u32() & 0xffff,
      advertised: r.u32() & 0xffff,
      supported: r.u32() & 0xffff,
      peer: r.u32() & 0xffff,
      currSpeed: r.u32(),
      maxSpeed: r.u32(),
    };
  }
  if (r.remaining === 0) return undefined;
  if (r.remaining < 40) throw new OfpError("OFPBRC_BAD_LEN");
  const portNo32 = r.u32();
  const len = r.u16();
  if (len < 40 || len - 40 > r.remaining - 34) throw new OfpError("OFPBRC_BAD_LEN");
  r.skip(2);
  const hwAddr = r.bytes(6).slice();
  r.skip(2);
  const name = readName(r);
  const config = r.u32() & OFPPC11_ALL;
  const state = r.u32() & OFPPS11_ALL;
  const props = r.bytes(len - 40);
  const pp: PhyPort = {
    portNo: portFromOfp11(portNo32),
    hwAddr,
    name,
    config,
    state,
    curr: 0,
    advertised: 0,
    supported: 0,
    peer: 0,
    currSpeed: 0,
    maxSpeed: 0,
  };
  for (const p of pullProps(props)) {
    if (p.type === 0n) {
      if (p.payload.length !== 28) throw new OfpError("OFPBPC_BAD_LEN");
      const e = new WireReader(p.payload);
      e.skip(4);
      pp.curr = e.u32() & 0xffff;
      pp.advertised = e.u32() & 0xffff;
      pp.supported = e.u32() & 0xffff;
      pp.peer = e.u32() & 0xffff;
      pp.currSpeed = e.u32();
      pp.maxSpeed = e.u32();
    } else {
      unknownProp(log, true, "port", p.type);
    }
  }
  return pp;
}

/** Appends `pp` in `version`'s form. */
export function putPhyPort(version: number, pp: PhyPort, w: WireWriter): void {
  if (version === OFP10) {
    w.u16(pp.portNo).bytes(pp.hwAddr.subarray(0, 6));
    writeName(w, pp.name);
    w.u32(pp.config & OFPPC10_ALL).u32(pp.state & OFPPS10_ALL);
    w.u32(featuresToOfp10(pp.curr)).u32(featuresToOfp10(pp.advertised));
    w.u32(featuresToOfp10(pp.supported)).u32(featuresToOfp10(pp.peer));
  } else if (version < OFP14) {
    w.u32(portToOfp11(pp.portNo)).zeros(4).bytes(pp.hwAddr.subarray(0, 6)).zeros(2);
    writeName(w, pp.name);
    w.u32(pp.config & OFPPC11_ALL).u32(pp.state & OFPPS11_ALL);
    w.u32(pp.curr & 0xffff).u32(pp.advertised & 0xffff);
    w.u32(pp.supported & 0xffff).u32(pp.peer & 0xffff);
    w.u32(pp.currSpeed).u32(pp.maxSpeed);
  } else {
    const start = w.length;
    w.u32(portToOfp11(pp.portNo)).u16(72).zeros(2).bytes(pp.hwAddr.subarray(0, 6)).zeros(2);
    writeName(w, pp.name);
    w.u32(pp.config & OFPPC11_ALL).u32(pp.state & OFPPS11_ALL);
    const ps = propStart(w, 0n);
    w.zeros(4).u32(pp.curr & 0xffff).u32(pp.advertised & 0xffff);
    w.u32(pp.supported & 0xffff).u32(pp.peer & 0xffff);
    w.u32(pp.currSpeed).u32(pp.maxSpeed);
    propEnd(w, ps);
    w.setU16(start + 4, w.length - start);
  }
}

/** Every port description in `r`, decoded (upstream stops at the first bad one). */
export function pullPhyPorts(version: number, r: WireReader): PhyPort[] {
  const out: PhyPort[] = [];
  for (;;) {
    const pp = pullPhyPort(version, r);
    if (!pp) return out;
    out.push(pp);
  }
}

const CONFIG_NAMES: Record<number, string> = {
  [OFPPC_PORT_DOWN]: "PORT_DOWN",
  [OFPPC_NO_STP]: "NO_STP",
  [OFPPC_NO_RECV]: "NO_RECV",
  [OFPPC_NO_RECV_STP]: "NO_RECV_STP",
  [OFPPC_NO_FLOOD]: "NO_FLOOD",
  [OFPPC_NO_FWD]: "NO_FWD",
  [OFPPC_NO_PACKET_IN]: "NO_PACKET_IN",
};

export function formatPortConfig(config: number): string {
  return bitNames(config, (b) => CONFIG_NAMES[b], " ") + "\n";
}

const STATE_NAMES: Record<number, string> = {
  [OFPPS_LINK_DOWN]: "LINK_DOWN",
  [OFPPS_BLOCKED]: "BLOCKED",
  [OFPPS_LIVE]: "LIVE",
};

export function formatPortState(state: number): string {
  const stp = state & OFPPS_STP_MASK;
  if (stp) {
    let out = stp === OFPPS_STP_LEARN
      ? "STP_LEARN"
      : stp === OFPPS_STP_FORWARD
      ? "STP_FORWARD"
      : "STP_BLOCK";
    const rest = state & ~OFPPS_STP_MASK;
    if (rest) out += bitNames(rest, (b) => STATE_NAMES[b], " ");
    return out + "\n";
  }
  return bitNames(state, (b) => STATE_NAMES[b], " ") + "\n";
}

/** Feature bits as upstream's netdev_features_format ("1GB-FD COPPER\n"). */
export function formatFeatures(features: number): string {
  return bitNames(features, (b) => FEATURE_NAMES[31 - Math.clz32(b)], " ") + "\n";
}

/** One port as `ovs-ofctl show` and ofp-print list it. */
export function formatPhyPort(pp: PhyPort): string {
  let name = "";
  for (const c of pp.name) {
    const code = c.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) break;
    name += c;
  }
  let s = ` ${formatPort(pp.portNo)}(${name}): addr:${formatEth(pp.hwAddr)}\n`;
  s += "     config:     " + formatPortConfig(pp.config);
  s += "     state:      " + formatPortState(pp.state);
  if (pp.curr) s += "     current:    " + formatFeatures(pp.curr);
  if (pp.advertised) s += "     advertised: " + formatFeatures(pp.advertised);
  if (pp.supported) s += "     supported:  " + formatFeatures(pp.supported);
  if (pp.peer) s += "     peer:       " + formatFeatures(pp.peer);
  s += `     speed: ${Math.floor(pp.currSpeed / 1000)} Mbps now, ${
    Math.floor(pp.maxSpeed / 1000)
  } Mbps max\n`;
  return s;
}

/**
 * The ports in `r`, sorted by number, each formatted (upstream's ofputil_phy_ports_format);
 * a decode error after some ports yields the text so far and the error.
 */
export function formatPhyPorts(
  version: number,
  r: WireReader,
): { text: string; error?: OfpError } {
  const ports: PhyPort[] = [];
  let error: OfpError | undefined;
  try {
    for (;;) {
      const pp = pullPhyPort(version, r);
      if (!pp) break;
      ports.push(pp);
    }
  } catch (e) {
    if (!(e instanceof OfpError)) throw e;
    error = e;
  }
  ports.sort((a, b) => a.portNo - b.portNo);
  const text = ports.map(formatPhyPort).join("");
  return error ? { text, error } : { text };
}

// Port status.

export interface PortStatus {
  reason: number;
  desc: PhyPort;
}

export function decodePortStatus(msg: Uint8Array): PortStatus {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const reason = r.u8();
  r.skip(7);
  if (reason !== OFPPR_ADD && reason !== OFPPR_DELETE && reason !== OFPPR_MODIFY) {
    throw new OfpError("NXBRC_BAD_REASON");
  }
  const desc = pullPhyPort(raw.version, r);
  if (!desc) throw new OfpError("OFPBRC_BAD_LEN");
  return { reason, desc };
}

export function encodePortStatus(ps: PortStatus, version: number, xid = 0): Uint8Array {
  const raw = version === OFP10
    ? "OFPT10_PORT_STATUS"
    : version <= OFP13
    ? "OFPT11_PORT_STATUS"
    : "OFPT14_PORT_STATUS";
  const w = startMessage(raw, version, xid);
  w.u8(ps.reason).zeros(7);
  putPhyPort(version, ps.desc, w);
  return finishMessage(w);
}

export function formatPortStatus(ps: PortStatus): string {
  const reason = ps.reason === OFPPR_ADD
    ? " ADD:"
    : ps.reason === OFPPR_DELETE
    ? " DEL:"
    : ps.reason === OFPPR_MODIFY
    ? " MOD:"
    : "";
  return reason + formatPhyPort(ps.desc);
}

// Port mod.

export interface PortMod {
  portNo: number;
  hwAddr: Uint8Array;
  config: number;
  mask: number;
  /** Features to advertise, 0 for no change. */
  advertise: number;
}

export function decodePortMod(msg: Uint8Array, loose = false): PortMod {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const pm: PortMod = { portNo: 0, hwAddr: new Uint8Array(6), config: 0, mask: 0, advertise: 0 };
  if (raw.info.raw === "OFPT10_PORT_MOD") {
    pm.portNo = r.u16();
    pm.hwAddr = r.bytes(6).slice();
    pm.config = r.u32() & OFPPC10_ALL;
    pm.mask = r.u32() & OFPPC10_ALL;
    pm.advertise = featuresFromOfp10(r.u32());
  } else if (raw.info.raw === "OFPT11_PORT_MOD") {
    pm.portNo = portFromOfp11(r.u32());
    r.skip(4);
    pm.hwAddr = r.bytes(6).slice();
    r.skip(2);
    pm.config = r.u32() & OFPPC11_ALL;
    pm.mask = r.u32() & OFPPC11_ALL;
    pm.advertise = r.u32() & 0xffff;
  } else if (raw.info.raw === "OFPT14_PORT_MOD") {
    pm.portNo = portFromOfp11(r.u32());
    r.skip(4);
    pm.hwAddr = r.bytes(6).slice();
    r.skip(2);
    pm.config = r.u32() & OFPPC11_ALL;
    pm.mask = r.u32() & OFPPC11_ALL;
    for (const p of pullProps(r.bytes(r.remaining))) {
      if (p.type === 0n) pm.advertise = propU32(p) & 0xffff;
      else unknownProp(log, loose, "port_mod", p.type);
    }
  } else {
    throw new OfpError("OFPBRC_BAD_TYPE");
  }
  pm.config &= pm.mask;
  return pm;
}

export function encodePortMod(pm: PortMod, version: number, xid: number): Uint8Array {
  if (version === OFP10) {
    const w = startMessage("OFPT10_PORT_MOD", version, xid);
    w.u16(pm.portNo).bytes(pm.hwAddr.subarray(0, 6));
    w.u32(pm.config & OFPPC10_ALL).u32(pm.mask & OFPPC10_ALL).u32(featuresToOfp10(pm.advertise));
    w.zeros(4);
    return finishMessage(w);
  }
  const raw = version <= OFP13 ? "OFPT11_PORT_MOD" : "OFPT14_PORT_MOD";
  const w = startMessage(raw, version, xid);
  w.u32(portToOfp11(pm.portNo)).zeros(4).bytes(pm.hwAddr.subarray(0, 6)).zeros(2);
  w.u32(pm.config & OFPPC11_ALL).u32(pm.mask & OFPPC11_ALL);
  if (version <= OFP13) {
    w.u32(pm.advertise & 0xffff).zeros(4);
  } else if (pm.advertise) {
    putPropU32(w, 0n, pm.advertise & 0xffff);
  }
  return finishMessage(w);
}

export function formatPortMod(pm: PortMod, names?: PortNames): string {
  let s = ` port: ${formatPort(pm.portNo, names)}: addr:${formatEth(pm.hwAddr)}\n`;
  s += "     config: " + formatPortConfig(pm.config);
  s += "     mask:   " + formatPortConfig(pm.mask);
  s += "     advertise: " + (pm.advertise ? formatFeatures(pm.advertise) : "UNCHANGED\n");
  return s;
}

// Port description request.

export function decodePortDescRequest(msg: Uint8Array): number {
  const raw = pullRaw(msg);
  if (raw.info.raw === "OFPST15_PORT_DESC_REQUEST") {
    return portFromOfp11(new WireReader(msg, raw.bodyOffset).u32());
  }
  return OFPP_ANY;
}

export function encodePortDescRequest(version: number, port: number, xid: number): Uint8Array {
  if (version < OFP15) {
    return finishMessage(startMessage("OFPST10_PORT_DESC_REQUEST", version, xid));
  }
  const w = startMessage("OFPST15_PORT_DESC_REQUEST", version, xid);
  w.u32(portToOfp11(port)).zeros(4);
  return finishMessage(w);
}
