// The dummy netdev (upstream's netdev-dummy.c), types "dummy" and "dummy-internal": a device with
// no wire, for tests. Frames arrive by `inject` (what netdev-dummy/receive does) into a receive
// queue of at most 100 frames that exists only while a datapath has the device open for
// receiving; `recv` hands them to the datapath. Transmitted frames are counted, kept in a bounded
// transmit log for tests, and appended to `options:tx_pcap` (received ones to `options:rxq_pcap`,
// both to `options:pcap`). MAC addresses are allocated aa:55:aa:55:00:00, :01, ... as upstream's
// counter does; MTU 1500 by default within [68, 65535]; `options:ifindex` sets the ifindex;
// admin state (netdev-dummy/set-admin-state) is the NETDEV_UP flag, which is also the carrier.
// Statistics: rx/tx packets and bytes only (others unknown, as upstream's).
// `dummyReceiveCommand` and `dummySetAdminStateCommand` are the netdev-dummy/* unixctl commands
// bodies (the caller registers them).
// options:pstream/stream join dummy ports of two bridges or daemons (netdev_dummy_conn.ts).
// Not done: dummy-pmd, ARP replies for netdev-dummy/ip4addr, hardware-offload emulation.

import { DpError, type Errno } from "./dp_errors.ts";
import {
  ChangeNotifier,
  type Netdev,
  NETDEV_PROMISC,
  NETDEV_UP,
  netdevByName,
  type NetdevClass,
  netdevClass as lookupNetdevClass,
  type NetdevStats,
  openNetdevList,
  registerNetdevClass,
} from "./netdev.ts";
import { vlogModule } from "../net/vlog.ts";
import { type DummyConnState, DummyPacketConn } from "./netdev_dummy_conn.ts";
import type { Packet } from "./packet.ts";
import { frameFromHex, frameFromString, FrameStringError, PcapWriter } from "./pcap.ts";

/** Max frames queued per receive queue (NETDEV_DUMMY_MAX_QUEUE). */
export const DUMMY_MAX_QUEUE = 100;
export const DUMMY_MIN_MTU = 68;
export const DUMMY_MAX_MTU = 65535;
/** Frames kept in the transmit log by default. */
export const DUMMY_TX_LOG = 1000;

let nextMac = 0xaa550000;
const log = vlogModule("netdev_dummy");

const DUMMY_QUEUES: readonly number[] = [0];

export class DummyNetdev implements Netdev {
  readonly netdevClass: NetdevClass;
  private mac: Uint8Array;
  private mtu = 1500;
  private flags = NETDEV_UP;
  private ifindex: number | undefined;
  private readonly stats = { rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0 };
  private readonly rxQueue: Uint8Array[] = [];
  private rxqs = 0;
  private rxPcap: PcapWriter | undefined;
  private txPcap: PcapWriter | undefined;
  private readonly changes = new ChangeNotifier();
  private readonly rxReadyListeners = new ChangeNotifier();
  private config = new Map<string, string>();
  private readonly conn = new DummyPacketConn((frame) => this.inject(frame));
  /** Frames sent, oldest first, at most `txLogLimit` (0 disables the log). */
  readonly txLog: Uint8Array[] = [];
  txLogLimit = DUMMY_TX_LOG;

  constructor(readonly name: string, readonly type: string, cls: NetdevClass) {
    this.netdevClass = cls;
    const n = nextMac++ >>> 0;
    this.mac = new Uint8Array([
      0xaa,
      0x55,
      n >>> 24,
      (n >>> 16) & 0xff,
      (n >>> 8) & 0xff,
      n & 0xff,
    ]);
  }

  get changeSeq(): number {
    return this.changes.seq;
  }

  getConfig(): Map<string, string> {
    const config = new Map<string, string>();
    if (this.ifindex !== undefined && this.ifindex >= 0) {
      config.set("ifindex", String(this.ifindex));
    }
    this.conn.addConfig(config);
    return config;
  }

  setConfig(options: ReadonlyMap<string, string>): void {
    this.config = new Map(options);
    const ifindex = options.get("ifindex");
    const parsed = ifindex === undefined ? NaN : parseSmapInt(ifindex);
    this.ifindex = Number.isNaN(parsed) ? undefined : parsed;
    const warning = this.conn.configure(options.get("pstream"), options.get("stream"));
    if (warning) log.warn(warning);
    if (this.rxPcap) this.rxPcap.close();
    if (this.txPcap && this.txPcap !== this.rxPcap) this.txPcap.close();
    this.rxPcap = this.txPcap = undefined;
    const both = options.get("pcap");
    if (both !== undefined) {
      this.rxPcap = this.txPcap = openPcap(both);
    } else {
      const rx = options.get("rxq_pcap");
      const tx = options.get("tx_pcap");
      if (rx !== undefined) this.rxPcap = openPcap(rx);
      if (tx !== undefined) this.txPcap = openPcap(tx);
    }
    this.changes.changed();
  }

  /** The options last given to setConfig (for the owner's reconciliation). */
  get options(): ReadonlyMap<string, string> {
    return this.config;
  }

  getEtherAddr(): Uint8Array {
    return this.mac.slice();
  }

  setEtherAddr(mac: Uint8Array): void {
    if (mac.length !== 6) throw new DpError("EINVAL");
    if (mac.every((b, i) => b === this.mac[i])) return;
    this.mac = mac.slice();
    this.changes.changed();
  }

  getMtu(): number {
    return this.mtu;
  }

  setMtu(mtu: number): void {
    if (!Number.isInteger(mtu) || mtu < DUMMY_MIN_MTU || mtu > DUMMY_MAX_MTU) {
      throw new DpError("EINVAL");
    }
    if (mtu === this.mtu) return;
    this.mtu = mtu;
    this.changes.changed();
  }

  getIfindex(): number | undefined {
    return this.ifindex !== undefined && this.ifindex >= 0 ? this.ifindex : undefined;
  }

  getFlags(): number {
    return this.flags;
  }

  updateFlags(off: number, on: number): number {
    if ((off | on) & ~(NETDEV_UP | NETDEV_PROMISC)) throw new DpError("EINVAL");
    const old = this.flags;
    this.flags = (this.flags | on) & ~off;
    if (old !== this.flags) this.changes.changed();
    return old;
  }

  /** netdev-dummy/set-admin-state: up or down. */
  setAdminState(up: boolean): void {
    if (up) this.updateFlags(0, NETDEV_UP);
    else this.updateFlags(NETDEV_UP, 0);
  }

  getCarrier(): boolean {
    return (this.flags & NETDEV_UP) !== 0;
  }

  /**
   * Upstream's dummy counters: two that never move, then bytes and packets of the one receive
   * and one transmit queue (which see every frame this device receives and sends).
   */
  getCustomStats(): { name: string; value: number }[] {
    const s = this.stats;
    return [
      { name: "rx_custom_packets_1", value: 0 },
      { name: "rx_custom_packets_2", value: 0 },
      { name: "rx_q0_bytes", value: s.rxBytes },
      { name: "rx_q0_packets", value: s.rxPackets },
      { name: "tx_q0_bytes", value: s.txBytes },
      { name: "tx_q0_packets", value: s.txPackets },
    ];
  }

  /** Like upstream's dummy devices: one queue, 0, with no counters. */
  queues(): readonly number[] {
    return DUMMY_QUEUES;
  }

  getStats(): NetdevStats {
    return { ...this.stats };
  }

  rxqOpen(): void {
    this.rxqs++;
  }

  rxqClose(): void {
    if (this.rxqs > 0 && --this.rxqs === 0) this.rxQueue.length = 0;
  }

  /**
   * Queues a frame as received (netdev_dummy_queue_packet): written to the rx pcap, then queued
   * if a receive queue is open and not full, else dropped. Returns whether it was queued.
   */
  inject(frame: Uint8Array): boolean {
    this.rxPcap?.write(frame);
    if (this.rxqs === 0 || this.rxQueue.length >= DUMMY_MAX_QUEUE) return false;
    this.rxQueue.push(frame.slice());
    this.rxReadyListeners.changed();
    return true;
  }

  rxReady(): boolean {
    return this.rxQueue.length > 0;
  }

  /** Frames waiting in the receive queue. */
  get rxQueueLength(): number {
    return this.rxQueue.length;
  }

  recv(batch: Packet[], max: number): number {
    let n = 0;
    while (n < max && n < batch.length && this.rxQueue.length > 0) {
      const frame = this.rxQueue.shift()!;
      const packet = batch[n]!;
      packet.setFrame(frame);
      this.stats.rxPackets++;
      this.stats.rxBytes += frame.length;
      n++;
    }
    return n;
  }

  send(packets: readonly Packet[], count: number): Errno | undefined {
    for (let i = 0; i < count; i++) {
      const p = packets[i]!;
      if (p.length < 14) return "EMSGSIZE";
      let maxSize = this.mtu + 14;
      if (p.buffer[p.start + 12] === 0x81 && p.buffer[p.start + 13] === 0x00) maxSize += 4;
      if (p.length > maxSize) return "EMSGSIZE";
      this.stats.txPackets++;
      this.stats.txBytes += p.length;
      // Only make a view of the frame when something records it: the send path allocates
      // nothing otherwise.
      if (!this.txPcap && this.txLogLimit === 0 && !this.conn.configured) continue;
      const frame = p.buffer.subarray(p.start, p.start + p.length);
      this.conn.send(frame);
      if (this.txPcap || this.txLogLimit > 0) {
        this.txPcap?.write(frame);
        if (this.txLogLimit > 0) {
          if (this.txLog.length >= this.txLogLimit) this.txLog.shift();
          this.txLog.push(frame.slice());
        }
      }
    }
    return undefined;
  }

  onChange(listener: () => void): () => void {
    return this.changes.add(listener);
  }

  onRxReady(listener: () => void): () => void {
    return this.rxReadyListeners.add(listener);
  }

  run(): void {
    this.conn.run();
  }

  /** netdev-dummy/conn-state's view of this device. */
  connState(): DummyConnState {
    return this.conn.state();
  }

  close(): void {
    this.conn.close();
    this.rxPcap?.close();
    if (this.txPcap && this.txPcap !== this.rxPcap) this.txPcap.close();
    this.rxPcap = this.txPcap = undefined;
    this.rxQueue.length = 0;
  }
}

function openPcap(path: string): PcapWriter | undefined {
  try {
    return PcapWriter.open(path, "append");
  } catch {
    // Upstream logs a warning and goes on without the capture.
    return undefined;
  }
}

/** smap_get_int: a leading integer, as atoi reads it; NaN when there is none. */
function parseSmapInt(text: string): number {
  const m = /^\s*[+-]?\d+/.exec(text);
  return m ? parseInt(m[0], 10) : NaN;
}

function dummyClass(type: string, isInternal: boolean): NetdevClass {
  const cls: NetdevClass = {
    type,
    isInternal,
    construct: (name) => new DummyNetdev(name, type, cls),
  };
  return cls;
}

/** Registers "dummy" and "dummy-internal" (netdev_dummy_register); idempotent. */
export function registerDummyNetdevs(): void {
  if (!lookupNetdevClass("dummy")) registerNetdevClass(dummyClass("dummy", false));
  if (!lookupNetdevClass("dummy-internal")) {
    registerNetdevClass(dummyClass("dummy-internal", true));
  }
}

/** The open dummy netdev named `name`, if any (what the netdev-dummy/* commands look up). */
export function dummyNetdevByName(name: string): DummyNetdev | undefined {
  const netdev = netdevByName(name);
  return netdev instanceof DummyNetdev ? netdev : undefined;
}

/** Every open dummy netdev (netdev-dummy/set-admin-state without a name changes them all). */
export function dummyNetdevs(): DummyNetdev[] {
  return openNetdevList().filter((n): n is DummyNetdev => n instanceof DummyNetdev);
}

/**
 * netdev-dummy/set-admin-state [netdev] up|down: returns the reply ("OK") or throws an Error
 * with upstream's error text.
 */
export function dummySetAdminStateCommand(args: readonly string[]): string {
  const state = (args[args.length - 1] ?? "").toLowerCase();
  if (state !== "up" && state !== "down") throw new Error("Invalid Admin State");
  const up = state === "up";
  if (args.length > 1) {
    const netdev = dummyNetdevByName(args[0]!);
    if (!netdev) throw new Error("Unknown Dummy Interface");
    netdev.setAdminState(up);
  } else {
    for (const netdev of dummyNetdevs()) netdev.setAdminState(up);
  }
  return "OK";
}

/**
 * netdev-dummy/receive NAME [--qid N] PACKET|FLOW [--len N]...: queues each frame on the dummy
 * netdev. Returns the reply (empty) or throws an Error with upstream's error text.
 */
export function dummyReceiveCommand(args: readonly string[]): string {
  const netdev = dummyNetdevByName(args[0] ?? "");
  if (!netdev) throw new Error("no such dummy netdev");
  let k = 1;
  if (args.length > k + 1 && args[k] === "--qid") {
    const qid = parseInt(args[k + 1]!, 10);
    // A dummy netdev has one receive queue.
    if (!(qid === 0)) throw new Error("bad rx queue id.");
    k += 2;
  }
  for (let i = k; i < args.length; i++) {
    let frame = frameFromHex(args[i]!);
    if (!frame) {
      let length: number | undefined;
      if (args.length >= i + 2 && args[i + 1] === "--len") {
        length = parseInt(args[i + 2] ?? "", 10) || 0;
      }
      try {
        frame = frameFromString(args[i]!, length);
      } catch (e) {
        throw new Error(e instanceof FrameStringError ? e.message : String(e));
      }
      if (length !== undefined) i += 2;
    }
    netdev.inject(frame);
  }
  return "";
}

/** netdev-dummy/conn-state [netdev]: "NAME: connected|disconnected|unknown" lines. */
export function dummyConnStateCommand(args: readonly string[]): string {
  if (args.length > 0) {
    const netdev = dummyNetdevByName(args[0]!);
    return `${args[0]}: ${netdev ? connStateText(netdev.connState()) : "unknown"}\n`;
  }
  let text = "";
  for (const netdev of dummyNetdevs()) {
    const state = netdev.connState();
    if (state !== "unknown") text += `${netdev.name}: ${connStateText(state)}\n`;
  }
  return text;
}

function connStateText(state: DummyConnState): string {
  return state === "connected"
    ? "connected"
    : state === "disconnected"
    ? "disconnected"
    : "unknown";
}
