// The network device provider interface (upstream's netdev-provider.h) and the registry of
// netdev classes by type and of open netdevs by name. A Netdev is what a datapath port sits on:
// it has a name, a type, a MAC, an MTU, admin flags and link state, statistics, configuration
// (the Interface's options), and a packet interface the datapath drives: `recv` fills packets the
// caller owns, `send` transmits them. Promises: recv and send allocate nothing of their own per
// packet in implementations that can avoid it; a change of anything reported (flags, MAC, MTU,
// config) bumps `changeSeq` and calls the change listeners. No timers: implementations that need
// I/O work are driven by `run()` from the owner. Runs in the main thread or in a Worker alike.

import { DpError, type Errno } from "./dp_errors.ts";
import type { NetdevOffloads } from "./offload.ts";
import type { Packet } from "./packet.ts";

/** netdev_flags. */
export const NETDEV_UP = 1;
export const NETDEV_PROMISC = 2;
export const NETDEV_LOOPBACK = 4;

/** Counters a netdev reports; an absent counter is one it does not keep (dpctl prints "?"). */
export interface NetdevStats {
  rxPackets?: number;
  txPackets?: number;
  rxBytes?: number;
  txBytes?: number;
  rxErrors?: number;
  txErrors?: number;
  rxDropped?: number;
  txDropped?: number;
  multicast?: number;
  collisions?: number;
  rxLengthErrors?: number;
  rxOverErrors?: number;
  rxCrcErrors?: number;
  rxFrameErrors?: number;
  rxFifoErrors?: number;
  rxMissedErrors?: number;
  txAbortedErrors?: number;
  txCarrierErrors?: number;
  txFifoErrors?: number;
  txHeartbeatErrors?: number;
  txWindowErrors?: number;
}

/** Counters of one egress queue; an absent counter is one the device does not keep. */
export interface NetdevQueueStats {
  txBytes?: number;
  txPackets?: number;
  txErrors?: number;
  /** When the queue was created (time_msec), if known. */
  created?: number;
}

export interface Netdev {
  readonly name: string;
  readonly type: string;
  readonly netdevClass: NetdevClass;
  /**
   * What `send` takes in offloaded form (pending checksums, GSO super-frames); absent means
   * nothing, so the datapath completes or segments first (core/datapath/offload.ts).
   */
  readonly offloads?: NetdevOffloads;

  /** The device's configuration as upstream's get_config reports it (dpctl/show prints it). */
  getConfig(): Map<string, string>;
  /** Applies the Interface's options; throws DpError on a bad one. */
  setConfig(options: ReadonlyMap<string, string>): void;

  getEtherAddr(): Uint8Array;
  setEtherAddr(mac: Uint8Array): void;
  getMtu(): number;
  /** Throws DpError EINVAL when out of range, EOPNOTSUPP when the device cannot. */
  setMtu(mtu: number): void;
  /** The interface index, or undefined when the device has none. */
  getIfindex(): number | undefined;

  /** NETDEV_* flags. */
  getFlags(): number;
  /** Turns flags off then on; returns the old flags. Throws DpError EINVAL on others. */
  updateFlags(off: number, on: number): number;
  /** Link state: false when administratively down. */
  getCarrier(): boolean;
  getStats(): NetdevStats;
  /** Device-specific counters by name, in the device's order (netdev_get_custom_stats). */
  getCustomStats?(): { name: string; value: number }[];
  /**
   * The ids of the device's egress queues (netdev_dump_queues); absent means the device has
   * none to report. Their statistics are unknown unless `queueStats` gives them.
   */
  queues?(): readonly number[];
  /** Transmit counters of one queue, or undefined when the device keeps none. */
  queueStats?(queueId: number): NetdevQueueStats | undefined;

  /** Opens a receive queue (a datapath port now polls this device); counted. */
  rxqOpen(): void;
  /** Closes one receive queue; with none left, queued frames are dropped. */
  rxqClose(): void;
  /**
   * Receives up to `max` frames into `batch[0..n)` (packets the caller owns and reuses); returns
   * n. Never blocks.
   */
  recv(batch: Packet[], max: number): number;
  /** Transmits `packets[0..count)`; returns undefined or the first error's errno. */
  send(packets: readonly Packet[], count: number): Errno | undefined;
  /** Whether `recv` would return something now. */
  rxReady(): boolean;

  /** Incremented on every reported change. */
  readonly changeSeq: number;
  /** Calls `listener` after each change; returns a function that removes it. */
  onChange(listener: () => void): () => void;
  /** Calls `listener` when frames become ready to receive; returns a remover. */
  onRxReady(listener: () => void): () => void;

  /** Does pending I/O work (streams, files); the owner calls it from its loop. */
  run(): void;
  /** Releases the device; a closed netdev leaves the registry. */
  close(): void;
}

/** A netdev implementation, registered under its type ("dummy", "afpacket", "tap"...). */
export interface NetdevClass {
  readonly type: string;
  /** Creates the device `name` (not yet configured). */
  construct(name: string): Netdev;
  /** A datapath's own local port opens this type ("dummy-internal", "tap"). */
  readonly isInternal?: boolean;
}

const classes = new Map<string, NetdevClass>();
const openNetdevs = new Map<string, { netdev: Netdev; refs: number }>();

export function registerNetdevClass(netdevClass: NetdevClass): void {
  if (classes.has(netdevClass.type)) throw new DpError("EEXIST");
  classes.set(netdevClass.type, netdevClass);
}

export function unregisterNetdevClass(type: string): void {
  classes.delete(type);
}

export function netdevClass(type: string): NetdevClass | undefined {
  return classes.get(type);
}

/** The registered types, sorted (netdev_enumerate_types). */
export function netdevTypes(): string[] {
  return [...classes.keys()].sort();
}

/**
 * Opens (or re-opens) the netdev `name` of `type` (upstream's netdev_open): an open device of
 * that name is shared if the type matches. Throws DpError EAFNOSUPPORT for an unknown type and
 * EEXIST for a name open with another type.
 */
export function openNetdev(name: string, type: string): Netdev {
  const existing = openNetdevs.get(name);
  if (existing) {
    if (existing.netdev.type !== type) throw new DpError("EEXIST");
    existing.refs++;
    return existing.netdev;
  }
  const cls = classes.get(type);
  if (!cls) throw new DpError("EAFNOSUPPORT");
  const netdev = cls.construct(name);
  openNetdevs.set(name, { netdev, refs: 1 });
  return netdev;
}

/** Drops one reference; the last one closes the device. */
export function closeNetdev(netdev: Netdev): void {
  const entry = openNetdevs.get(netdev.name);
  if (!entry || entry.netdev !== netdev) return;
  if (--entry.refs === 0) {
    openNetdevs.delete(netdev.name);
    netdev.close();
  }
}

/** The open netdev named `name` (netdev_from_name), without taking a reference. */
export function netdevByName(name: string): Netdev | undefined {
  return openNetdevs.get(name)?.netdev;
}

/** Every open netdev, in opening order. */
export function openNetdevList(): Netdev[] {
  return [...openNetdevs.values()].map((e) => e.netdev);
}

/** A small helper for implementations: change sequence and listeners. */
export class ChangeNotifier {
  seq = 0;
  private readonly listeners = new Set<() => void>();

  changed(): void {
    this.seq++;
    for (const listener of [...this.listeners]) listener();
  }

  add(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
