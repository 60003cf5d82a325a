// Port statistics (upstream's ofputil_port_stats): the request for one or all ports, the
// reply's per-port counters in the OpenFlow 1.0, 1.1, 1.3 and 1.4+ forms (with the Ethernet,
// Intel RFC 2819 and custom-counter properties), and the text `dump-ports` prints. A counter
// the switch does not know is all ones (UINT64_MAX) and prints as "?".
//
// Promises: every element's length is checked; a short element gives OFPBRC_BAD_LEN as
// upstream; replies are appended to a MultipartReply so they split as upstream splits them.

import { OfpError } from "../errors.ts";
import { OFP10, OFP11, OFP12, OFP13, OFP14 } from "../fields.ts";
import { WireReader, WireWriter } from "../wire.ts";
import type { MultipartReply } from "./multipart.ts";
import { formatPort, portFromOfp11, type PortNames, portToOfp11 } from "./ports.ts";
import { propEnd, propExp, propStart, pullProps, unknownProp } from "./props.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { formatDuration } from "./text_util.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_port");
const rl = new RateLimit(1, 5);

export const UINT64_MAX = 0xffffffffffffffffn;
const INTEL_VENDOR_ID = 0x0000aa01;
const INTEL_RFC2819 = propExp(INTEL_VENDOR_ID, 1);
const INTEL_CUSTOM = propExp(INTEL_VENDOR_ID, 2);

/** The basic counters, in wire order. */
export const BASIC_COUNTERS = [
  "rxPackets",
  "txPackets",
  "rxBytes",
  "txBytes",
  "rxDropped",
  "txDropped",
  "rxErrors",
  "txErrors",
] as const;
/** The Ethernet counters (OpenFlow 1.0-1.3 inline, 1.4+ as a property). */
export const ETHERNET_COUNTERS = [
  "rxFrameErrors",
  "rxOverErrors",
  "rxCrcErrors",
  "collisions",
] as const;
/** The RFC 2819 counters of Intel's property, in wire order. */
export const RFC2819_COUNTERS = [
  "rx1To64Packets",
  "rx65To127Packets",
  "rx128To255Packets",
  "rx256To511Packets",
  "rx512To1023Packets",
  "rx1024To1522Packets",
  "rx1523ToMaxPackets",
  "tx1To64Packets",
  "tx65To127Packets",
  "tx128To255Packets",
  "tx256To511Packets",
  "tx512To1023Packets",
  "tx1024To1522Packets",
  "tx1523ToMaxPackets",
  "txMulticastPackets",
  "rxBroadcastPackets",
  "txBroadcastPackets",
  "rxUndersizedErrors",
  "rxOversizeErrors",
  "rxFragmentedErrors",
  "rxJabberErrors",
] as const;

export type CounterName =
  | typeof BASIC_COUNTERS[number]
  | typeof ETHERNET_COUNTERS[number]
  | typeof RFC2819_COUNTERS[number];

export type PortCounters = Record<CounterName, bigint>;

/** Counters all unknown (UINT64_MAX), as decoding starts. */
export function unknownCounters(): PortCounters {
  const c = {} as PortCounters;
  for (const n of [...BASIC_COUNTERS, ...ETHERNET_COUNTERS, ...RFC2819_COUNTERS]) {
    c[n] = UINT64_MAX;
  }
  return c;
}

export interface PortStats {
  portNo: number;
  stats: PortCounters;
  /** UINT32_MAX (0xffffffff) when unknown. */
  durationSec: number;
  durationNsec: number;
  custom: { name: string; value: bigint }[];
}

/** A port stats request for `port` (OFPP_ANY for all). */
export function encodePortStatsRequest(version: number, port: number, xid: number): Uint8Array {
  if (version === OFP10) {
    const w = startMessage("OFPST10_PORT_REQUEST", version, xid);
    w.u16(port).zeros(6);
    return finishMessage(w);
  }
  const w = startMessage("OFPST11_PORT_REQUEST", version, xid);
  w.u32(portToOfp11(port)).zeros(4);
  return finishMessage(w);
}

/** The port a port stats request asks about. */
export function decodePortStatsRequest(msg: Uint8Array): number {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  return raw.version === OFP10 ? r.u16() : portFromOfp11(r.u32());
}

function readCounters(r: WireReader, c: PortCounters, names: readonly CounterName[]): void {
  for (const n of names) c[n] = r.u64();
}

function writeCounters(w: WireWriter, c: PortCounters, names: readonly CounterName[]): void {
  for (const n of names) w.u64(c[n]);
}

function pullOfp14(r: WireReader): PortStats {
  if (r.remaining < 80) throw new OfpError("OFPBRC_BAD_LEN");
  const len = r.u16();
  if (len < 80 || len - 80 > r.remaining - 78) throw new OfpError("OFPBRC_BAD_LEN");
  r.skip(2);
  const ps: PortStats = {
    portNo: portFromOfp11(r.u32()),
    stats: unknownCounters(),
    durationSec: r.u32(),
    durationNsec: r.u32(),
    custom: [],
  };
  readCounters(r, ps.stats, BASIC_COUNTERS);
  for (const p of pullProps(r.bytes(len - 80))) {
    if (p.type === 0n) {
      if (p.raw.length !== 40) throw new OfpError("OFPBPC_BAD_LEN");
      const e = new WireReader(p.raw, 8);
      readCounters(e, ps.stats, ETHERNET_COUNTERS);
    } else if (p.type === INTEL_RFC2819) {
      if (p.raw.length !== 184) throw new OfpError("OFPBPC_BAD_LEN");
      readCounters(new WireReader(p.raw, 16), ps.stats, RFC2819_COUNTERS);
    } else if (p.type === INTEL_CUSTOM) {
      const e = new WireReader(p.raw, 0, p.raw.length, "OFPBPC_BAD_LEN");
      // intel_port_custom_stats: the property header, 2 bytes of pad, then the count.
      e.skip(14);
      const n = e.u16();
      ps.custom = [];
      for (let i = 0; i < n; i++) {
        const nameLen = e.u8();
        const raw = e.bytes(nameLen);
        let name = "";
        for (let j = 0; j < Math.min(nameLen, 63); j++) name += String.fromCharCode(raw[j]!);
        const nul = name.indexOf("\0");
        ps.custom.push({ name: nul < 0 ? name : name.slice(0, nul), value: e.u64() });
      }
    } else {
      unknownProp(log, true, "port stats", p.type);
    }
  }
  return ps;
}

/**
 * Decodes one element of a port stats reply at `r` (the message body), undefined at the end
 * (upstream's ofputil_decode_port_stats).
 */
export function pullPortStats(raw: string, r: WireReader): PortStats | undefined {
  if (r.remaining === 0) return undefined;
  if (raw === "OFPST14_PORT_REPLY") return pullOfp14(r);
  const need = raw === "OFPST13_PORT_REPLY" ? 112 : 104;
  if (r.remaining < need) {
    log.rateLimited(rl, "warn", `OFPST_PORT reply has ${r.remaining} leftover bytes at end`);
    throw new OfpError("OFPBRC_BAD_LEN");
  }
  const ps: PortStats = {
    portNo: 0,
    stats: unknownCounters(),
    durationSec: 0xffffffff,
    durationNsec: 0xffffffff,
    custom: [],
  };
  if (raw === "OFPST10_PORT_REPLY") {
    ps.portNo = r.u16();
    r.skip(6);
  } else {
    ps.portNo = portFromOfp11(r.u32());
    r.skip(4);
  }
  readCounters(r, ps.stats, BASIC_COUNTERS);
  readCounters(r, ps.stats, ETHERNET_COUNTERS);
  if (raw === "OFPST13_PORT_REPLY") {
    ps.durationSec = r.u32();
    ps.durationNsec = r.u32();
  }
  return ps;
}

/** Every element of a port stats reply message. */
export function decodePortStatsReply(msg: Uint8Array): PortStats[] {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const out: PortStats[] = [];
  for (;;) {
    const ps = pullPortStats(raw.info.raw, r);
    if (!ps) return out;
    out.push(ps);
  }
}

/** Appends one port's stats to a reply being built. */
export function appendPortStats(reply: MultipartReply, ps: PortStats): void {
  const version = reply.version;
  reply.append((w) => {
    if (version === OFP10) {
      w.u16(ps.portNo).zeros(6);
      writeCounters(w, ps.stats, BASIC_COUNTERS);
      writeCounters(w, ps.stats, ETHERNET_COUNTERS);
    } else if (version === OFP11 || version === OFP12 || version === OFP13) {
      w.u32(portToOfp11(ps.portNo)).zeros(4);
      writeCounters(w, ps.stats, BASIC_COUNTERS);
      writeCounters(w, ps.stats, ETHERNET_COUNTERS);
      if (version === OFP13) w.u32(ps.durationSec).u32(ps.durationNsec);
    } else if (version >= OFP14) {
      w.u16(0).zeros(2).u32(portToOfp11(ps.portNo)).u32(ps.durationSec).u32(ps.durationNsec);
      writeCounters(w, ps.stats, BASIC_COUNTERS);
      let p = propStart(w, 0n);
      w.zeros(4);
      writeCounters(w, ps.stats, ETHERNET_COUNTERS);
      propEnd(w, p);
      p = propStart(w, INTEL_RFC2819);
      w.zeros(4);
      writeCounters(w, ps.stats, RFC2819_COUNTERS);
      propEnd(w, p);
      if (ps.custom.length) {
        p = propStart(w, INTEL_CUSTOM);
        w.zeros(2).u16(ps.custom.length);
        for (const c of ps.custom) {
          const n = Math.min(c.name.length, 255);
          w.u8(n);
          for (let i = 0; i < n; i++) w.u8(c.name.charCodeAt(i));
          w.u64(c.value);
        }
        propEnd(w, p);
      }
      w.setU16(0, w.length);
    }
  });
}

function stat(leader: string, value: bigint, more: boolean): string {
  return leader + (value !== UINT64_MAX ? value.toString() : "?") + (more ? ", " : "\n");
}

function statCond(leader: string, value: bigint): string {
  return value !== UINT64_MAX ? `${leader}${value}, ` : "";
}

/** One port's stats as `dump-ports` and ofp-print show them. */
export function formatPortStats(ps: PortStats, names?: PortNames): string {
  const c = ps.stats;
  let s = "  port " + (ps.portNo < 10 ? " " : "") + formatPort(ps.portNo, names);
  s += ": rx " + stat("pkts=", c.rxPackets, true) + stat("bytes=", c.rxBytes, true) +
    stat("drop=", c.rxDropped, true) + stat("errs=", c.rxErrors, true) +
    stat("frame=", c.rxFrameErrors, true) + stat("over=", c.rxOverErrors, true) +
    stat("crc=", c.rxCrcErrors, false);
  s += "           tx " + stat("pkts=", c.txPackets, true) + stat("bytes=", c.txBytes, true) +
    stat("drop=", c.txDropped, true) + stat("errs=", c.txErrors, true) +
    stat("coll=", c.collisions, false);
  if (ps.durationSec !== 0xffffffff) {
    s += "           duration=" + formatDuration(ps.durationSec, ps.durationNsec) + "\n";
  }
  const rx = statCond("1_to_64_packets=", c.rx1To64Packets) +
    statCond("65_to_127_packets=", c.rx65To127Packets) +
    statCond("128_to_255_packets=", c.rx128To255Packets) +
    statCond("256_to_511_packets=", c.rx256To511Packets) +
    statCond("512_to_1023_packets=", c.rx512To1023Packets) +
    statCond("1024_to_1522_packets=", c.rx1024To1522Packets) +
    statCond("1523_to_max_packets=", c.rx1523ToMaxPackets) +
    statCond("broadcast_packets=", c.rxBroadcastPackets) +
    statCond("undersized_errors=", c.rxUndersizedErrors) +
    statCond("oversize_errors=", c.rxOversizeErrors) +
    statCond("rx_fragmented_errors=", c.rxFragmentedErrors) +
    statCond("rx_jabber_errors=", c.rxJabberErrors);
  if (rx) s += "           rx rfc2819 " + rx + "\n";
  const tx = statCond("1_to_64_packets=", c.tx1To64Packets) +
    statCond("65_to_127_packets=", c.tx65To127Packets) +
    statCond("128_to_255_packets=", c.tx128To255Packets) +
    statCond("256_to_511_packets=", c.tx256To511Packets) +
    statCond("512_to_1023_packets=", c.tx512To1023Packets) +
    statCond("1024_to_1522_packets=", c.tx1024To1522Packets) +
    statCond("1523_to_max_packets=", c.tx1523ToMaxPackets) +
    statCond("multicast_packets=", c.txMulticastPackets) +
    statCond("broadcast_packets=", c.txBroadcastPackets);
  if (tx) s += "           tx rfc2819 " + tx + "\n";
  if (ps.custom.length) {
    s += "           CUSTOM Statistics";
    ps.custom.forEach((counter, i) => {
      if (counter.name) {
        s += i % 3 === 0 ? "\n                      " : " ";
        s += `${counter.name}=${counter.value},`;
      }
    });
    s += "\n";
  }
  return s;
}
