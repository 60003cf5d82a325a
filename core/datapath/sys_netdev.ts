// What the Linux netdevs (system ports over AF_PACKET, tap internal ports) share, as upstream's
// netdev-linux.c shares it between its classes: the device's state read from rtnetlink and kept
// current by link notifications (MAC, MTU, flags, carrier, ifindex), changes made by ioctl, the
// change sequence and listeners, statistics from the kernel plus our own drops, the frame size
// check of `send`, and waking an owner when frames are ready (`onRxReady`).
//
// Promises: a change of anything reported (by us or by someone running `ip link`) bumps
// `changeSeq` and calls the change listeners, seen at the next `run()` for outside changes; the
// device may disappear and reappear (its ifindex then changes, `deviceReplaced` tells the
// subclass). Must not: do packet I/O (the subclasses own their descriptors).

import { DpError, type Errno } from "./dp_errors.ts";
import {
  ChangeNotifier,
  type Netdev,
  NETDEV_LOOPBACK,
  NETDEV_PROMISC,
  NETDEV_UP,
  type NetdevClass,
  type NetdevStats,
} from "./netdev.ts";
import type { NetdevOffloads } from "./offload.ts";
import type { Packet } from "./packet.ts";
import {
  IFF_LOOPBACK,
  IFF_LOWER_UP,
  IFF_PROMISC,
  IFF_UP,
  type LinkEvent,
  type LinkInfo,
  LinkMonitor,
  queryLink,
  setInterfaceFlags,
  setInterfaceMac,
  setInterfaceMtu,
} from "./sys_link.ts";
import {
  closeFd,
  drainEventFd,
  openEventFd,
  POLLIN,
  PollSet,
  signalEventFd,
} from "./sys_socket.ts";

/** Ethernet header, and a VLAN tag on top. */
const ETH_HEADER = 14;
const VLAN_HEADER = 4;

export abstract class LinuxNetdev implements Netdev {
  abstract readonly offloads: NetdevOffloads;
  protected info: LinkInfo;
  /** Whether the kernel device currently exists. */
  protected present = true;
  protected readonly changes = new ChangeNotifier();
  private readonly rxReadyListeners = new ChangeNotifier();
  private readonly unsubscribe: () => void;
  private watcher: RxWatcher | undefined;
  private rxListeners = 0;
  protected closed = false;
  /** Frames we dropped ourselves (not in the kernel's counters). */
  protected rxDropped = 0;
  protected txDropped = 0;

  constructor(readonly name: string, readonly type: string, readonly netdevClass: NetdevClass) {
    this.info = queryLink(name);
    this.unsubscribe = LinkMonitor.shared().subscribe((e) => this.linkEvent(e));
  }

  get changeSeq(): number {
    return this.changes.seq;
  }

  /** The descriptor that becomes readable when frames are ready (for an owner's poll). */
  abstract get pollFd(): number;

  getConfig(): Map<string, string> {
    return new Map();
  }

  /** Linux devices take no options (upstream warns "not configurable" at a higher level). */
  setConfig(_options: ReadonlyMap<string, string>): void {}

  getEtherAddr(): Uint8Array {
    return this.info.mac.slice();
  }

  setEtherAddr(mac: Uint8Array): void {
    if (mac.length !== 6) throw new DpError("EINVAL");
    if (mac.every((b, i) => b === this.info.mac[i])) return;
    setInterfaceMac(this.name, mac);
    this.refresh();
  }

  getMtu(): number {
    return this.info.mtu;
  }

  setMtu(mtu: number): void {
    if (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535) throw new DpError("EINVAL");
    if (mtu === this.info.mtu) return;
    setInterfaceMtu(this.name, mtu);
    this.refresh();
  }

  getIfindex(): number | undefined {
    return this.present ? this.info.ifindex : undefined;
  }

  getFlags(): number {
    this.refresh();
    return this.netdevFlags();
  }

  private netdevFlags(): number {
    const k = this.info.flags;
    let flags = 0;
    if (k & IFF_UP) flags |= NETDEV_UP;
    if ((k & IFF_PROMISC) || this.promiscHeld()) flags |= NETDEV_PROMISC;
    if (k & IFF_LOOPBACK) flags |= NETDEV_LOOPBACK;
    return flags;
  }

  updateFlags(off: number, on: number): number {
    const known = NETDEV_UP | NETDEV_PROMISC | NETDEV_LOOPBACK;
    if ((off | on) & ~known) throw new DpError("EINVAL");
    this.refresh();
    const old = this.netdevFlags();
    const want = (old & ~off) | on;
    if ((want ^ old) & NETDEV_PROMISC) this.setPromisc((want & NETDEV_PROMISC) !== 0);
    let kOff = 0;
    let kOn = 0;
    if ((want ^ old) & NETDEV_UP) (want & NETDEV_UP) ? (kOn |= IFF_UP) : (kOff |= IFF_UP);
    if ((want ^ old) & NETDEV_LOOPBACK) {
      (want & NETDEV_LOOPBACK) ? (kOn |= IFF_LOOPBACK) : (kOff |= IFF_LOOPBACK);
    }
    if (kOff | kOn) setInterfaceFlags(this.name, kOff, kOn);
    // Promiscuity held by a socket is not in the kernel's flags: report it ourselves.
    if (!this.refresh() && ((want ^ old) & NETDEV_PROMISC)) this.changes.changed();
    return old;
  }

  /** Turns promiscuous mode on or off (a socket membership, or the device flag). */
  protected abstract setPromisc(on: boolean): void;
  /** Whether we hold the device promiscuous other than through its flag. */
  protected abstract promiscHeld(): boolean;

  /** The carrier: administratively up and the link layer up (IFF_LOWER_UP). */
  getCarrier(): boolean {
    this.refresh();
    return this.present && (this.info.flags & IFF_UP) !== 0 &&
      (this.info.flags & IFF_LOWER_UP) !== 0;
  }

  getStats(): NetdevStats {
    let stats: NetdevStats = {};
    if (this.present) {
      try {
        stats = { ...queryLink(this.name, true).stats };
      } catch {
        stats = {};
      }
    }
    stats = this.adjustStats(stats);
    stats.rxDropped = (stats.rxDropped ?? 0) + this.rxDropped + this.receiveDropCount();
    stats.txDropped = (stats.txDropped ?? 0) + this.txDropped;
    return stats;
  }

  /** Frames the subclass's receive path dropped (its socket's counters). */
  protected receiveDropCount(): number {
    return 0;
  }

  /** The kernel's view of the counters turned into ours (a tap swaps rx and tx). */
  protected adjustStats(stats: NetdevStats): NetdevStats {
    return stats;
  }

  /**
   * Re-reads the device; bumps the change sequence when anything reported differs. Returns
   * whether something changed.
   */
  protected refresh(): boolean {
    let next: LinkInfo;
    try {
      next = queryLink(this.name);
    } catch (e) {
      if (!(e instanceof DpError) || e.errno !== "ENODEV") throw e;
      if (!this.present) return false;
      this.present = false;
      this.changes.changed();
      return true;
    }
    const prev = this.info;
    const replaced = !this.present || next.ifindex !== prev.ifindex;
    const interesting = IFF_UP | IFF_PROMISC | IFF_LOOPBACK | IFF_LOWER_UP;
    const differs = replaced || next.mtu !== prev.mtu ||
      ((next.flags ^ prev.flags) & interesting) !== 0 ||
      next.mac.some((b, i) => b !== prev.mac[i]);
    this.info = next;
    this.present = true;
    if (replaced) this.deviceReplaced(next.ifindex);
    if (differs) this.changes.changed();
    return differs;
  }

  /** The device was deleted and created again under our name (new ifindex). */
  protected deviceReplaced(_ifindex: number): void {}

  private linkEvent(e: LinkEvent): void {
    if (this.closed) return;
    if (e.name === "" || e.name === this.name || e.ifindex === this.info.ifindex) this.refresh();
  }

  /**
   * Checks that a frame fits the device: at least an Ethernet header, at most MTU plus the
   * Ethernet header (and a VLAN tag when tagged), unless it is a GSO super-frame.
   */
  protected sizeError(p: Packet): Errno | undefined {
    if (p.length < ETH_HEADER) return "EMSGSIZE";
    if (p.gsoType !== 0) return undefined;
    let max = this.info.mtu + ETH_HEADER;
    const b = p.buffer;
    const s = p.start;
    if ((b[s + 12] === 0x81 && b[s + 13] === 0x00) || (b[s + 12] === 0x88 && b[s + 13] === 0xa8)) {
      max += VLAN_HEADER;
    }
    return p.length > max ? "EMSGSIZE" : undefined;
  }

  onChange(listener: () => void): () => void {
    return this.changes.add(listener);
  }

  /**
   * Calls `listener` when frames become ready, from a poll waiting on Deno's blocking pool; after
   * a call it waits for the owner's next `recv` before watching again.
   */
  onRxReady(listener: () => void): () => void {
    const remove = this.rxReadyListeners.add(listener);
    this.rxListeners++;
    this.watcher ??= new RxWatcher(this.pollFd, () => this.rxReadyListeners.changed());
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      remove();
      if (--this.rxListeners === 0) {
        this.watcher?.stop();
        this.watcher = undefined;
      }
    };
  }

  /** Subclasses call this from `recv` so a watcher re-arms. */
  protected rxConsumed(): void {
    this.watcher?.rearm();
  }

  run(): void {
    if (!this.closed) LinkMonitor.shared().run();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.watcher?.stop();
    this.watcher = undefined;
  }

  abstract rxqOpen(): void;
  abstract rxqClose(): void;
  abstract recv(batch: Packet[], max: number): number;
  abstract send(packets: readonly Packet[], count: number): Errno | undefined;
  abstract rxReady(): boolean;
}

/** Waits for a descriptor to become readable without blocking the event loop. */
class RxWatcher {
  private readonly wake = openEventFd();
  private readonly set = new PollSet(2);
  private stopped = false;
  private armed = true;
  private resume: (() => void) | undefined;

  constructor(fd: number, private readonly notify: () => void) {
    this.set.add(fd, POLLIN);
    this.set.add(this.wake, POLLIN);
    void this.loop();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (!this.armed) {
        await new Promise<void>((resolve) => this.resume = resolve);
        continue;
      }
      await this.set.waitAsync(-1);
      if (this.stopped) break;
      if (this.set.revents(1) & POLLIN) drainEventFd(this.wake);
      if (this.set.revents(0) & POLLIN) {
        this.armed = false;
        this.notify();
      }
    }
    closeFd(this.wake);
  }

  rearm(): void {
    if (this.armed) return;
    this.armed = true;
    const resume = this.resume;
    this.resume = undefined;
    resume?.();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    signalEventFd(this.wake);
    const resume = this.resume;
    this.resume = undefined;
    resume?.();
  }
}
