// The "system" netdev class (upstream's netdev-linux system devices, as the userspace datapath
// uses them): a port on an existing kernel device (`ovs-vsctl add-port br0 veth0`), read and
// written through one AF_PACKET socket bound to it. Receive and send are batched (recvmmsg /
// sendmmsg) straight into and out of the datapath's packets; virtio-net headers carry offload
// state both ways, so TCP super-frames and pending checksums pass through untouched and the
// kernel finishes them for the output device (`offloads` all true). Frames this host sends on
// the device are not received (PACKET_IGNORE_OUTGOING); VLAN tags the kernel stripped are put
// back. Promiscuous mode is a socket membership, so it ends with the socket.
//
// Opening a device that does not exist throws DpError ENODEV (`netdevOpenErrorText` gives
// upstream's Interface error text); `onDeviceAppears` tells an owner when to retry. A device
// deleted while open makes recv and send quiet; when a device of that name appears again the
// netdev rebinds to it. Without vnet headers (`vnetHdr: false`, for kernels or tests without
// them) checksums the kernel left pending are completed on receive and oversized TCP/UDP frames
// are marked as super-frames, so output is still correct.
//
// Threads: every call is synchronous and non-blocking except `onRxReady`'s watcher (Deno's
// blocking pool). Construct, recv and send in the thread that owns the fast path (a Worker can).

import { DpError, type Errno } from "./dp_errors.ts";
import {
  type NetdevClass,
  netdevClass as lookupNetdevClass,
  registerNetdevClass,
} from "./netdev.ts";
import {
  ALL_OFFLOADS,
  locateL4,
  makeChecksumPending,
  needsSoftwareOffload,
  type NetdevOffloads,
  NO_OFFLOADS,
  OffloadFallback,
} from "./offload.ts";
import { GSO_NONE, GSO_TCPV4, GSO_TCPV6, GSO_UDP_L4, Packet } from "./packet.ts";
import { LinkMonitor } from "./sys_link.ts";
import { LinuxNetdev } from "./sys_netdev.ts";
import { PacketSocket } from "./sys_packet.ts";
import { POLLIN, PollSet } from "./sys_socket.ts";

export interface AfPacketOptions {
  /** Exchange virtio-net headers with the kernel (default true). */
  vnetHdr?: boolean;
}

export class AfPacketNetdev extends LinuxNetdev {
  readonly offloads: NetdevOffloads;
  private socket: PacketSocket;
  private readonly vnetHdr: boolean;
  private rxqs = 0;
  private readonly readyProbe = new PollSet(1);
  private readonly staged: Packet[] = [];
  private fallback: OffloadFallback | undefined;
  private drain: Packet[] | undefined;

  constructor(name: string, cls: NetdevClass, options: AfPacketOptions = {}) {
    super(name, cls.type, cls);
    this.vnetHdr = options.vnetHdr ?? true;
    this.offloads = this.vnetHdr ? ALL_OFFLOADS : NO_OFFLOADS;
    try {
      this.socket = this.openSocket(this.info.ifindex);
    } catch (e) {
      super.close();
      throw e;
    }
  }

  private openSocket(ifindex: number): PacketSocket {
    const socket = new PacketSocket(ifindex, { vnetHdr: this.vnetHdr, receiveNone: true });
    this.readyProbe.clear();
    this.readyProbe.add(socket.fd, POLLIN);
    return socket;
  }

  get pollFd(): number {
    return this.socket.fd;
  }

  protected override deviceReplaced(ifindex: number): void {
    const promisc = this.socket.isPromisc;
    this.socket.close();
    this.socket = this.openSocket(ifindex);
    if (this.rxqs > 0) this.socket.receiveAll(true);
    if (promisc) this.socket.setPromisc(true);
  }

  protected setPromisc(on: boolean): void {
    this.socket.setPromisc(on);
  }

  protected promiscHeld(): boolean {
    return this.socket.isPromisc;
  }

  rxqOpen(): void {
    if (this.rxqs++ === 0) this.socket.receiveAll(true);
  }

  rxqClose(): void {
    if (this.rxqs === 0 || --this.rxqs > 0) return;
    this.socket.receiveAll(false);
    // Whatever was queued belongs to nobody now.
    const scratch = this.drain ??= [new Packet()];
    while (this.socket.receive(scratch, 1) > 0) { /* dropped */ }
  }

  rxReady(): boolean {
    if (this.rxqs === 0 || !this.present) return false;
    return this.readyProbe.wait(0) > 0 && (this.readyProbe.revents(0) & POLLIN) !== 0;
  }

  recv(batch: Packet[], max: number): number {
    if (this.rxqs === 0 || this.closed) return 0;
    const n = this.socket.receive(batch, max);
    this.rxConsumed();
    if (!this.vnetHdr) {
      for (let i = 0; i < n; i++) markOversized(batch[i]!, this.info.mtu);
    }
    return n;
  }

  send(packets: readonly Packet[], count: number): Errno | undefined {
    if (this.closed) return "EBADF";
    let firstError: Errno | undefined;
    let staged = 0;
    let needsWork = false;
    for (let i = 0; i < count; i++) {
      const p = packets[i]!;
      const e = this.sizeError(p);
      if (e) {
        firstError ??= e;
        this.txDropped++;
        continue;
      }
      if (!this.vnetHdr && needsSoftwareOffload(p, this.offloads)) needsWork = true;
      this.staged[staged++] = p;
    }
    if (staged === 0) return firstError;
    if (needsWork) {
      // The caller sent what this socket cannot take: do the work here rather than send it broken.
      const fallback = this.fallback ??= new OffloadFallback();
      return fallback.send(this, this.staged.slice(0, staged), staged) ?? firstError;
    }
    if (!this.present) {
      this.txDropped += staged;
      return firstError ?? "ENODEV";
    }
    const e = this.socket.transmit(this.staged, 0, staged);
    if (e) this.txDropped += staged;
    return firstError ?? e;
  }

  /** Frames the socket dropped on receive (too big, runts, bad virtio-net headers). */
  get receiveDrops(): Readonly<{ truncated: number; runt: number; badVnet: number }> {
    return this.socket.drops;
  }

  protected override receiveDropCount(): number {
    const d = this.socket.drops;
    return d.truncated + d.runt + d.badVnet;
  }

  override close(): void {
    if (this.closed) return;
    super.close();
    this.socket.close();
  }
}

/**
 * Without vnet headers the kernel still hands over GSO super-frames: mark one larger than the
 * MTU allows as a super-frame with the MSS the MTU implies, so output segments it.
 */
function markOversized(p: Packet, mtu: number): void {
  if (p.length <= mtu + 18 || p.gsoType !== GSO_NONE) return;
  const loc = locateL4(p);
  if (!loc || (loc.proto !== 6 && loc.proto !== 17)) return;
  const b = p.buffer;
  const tcp = loc.proto === 6;
  const hdrEnd = loc.l4 + (tcp ? (b[loc.l4 + 12]! >> 4) * 4 : 8);
  const mss = mtu - (hdrEnd - loc.l3);
  if (mss <= 0 || !makeChecksumPending(p)) return;
  p.gsoType = tcp ? (loc.ipv6 ? GSO_TCPV6 : GSO_TCPV4) : GSO_UDP_L4;
  p.gsoSize = mss;
}

function makeClass(type: string, options: AfPacketOptions): NetdevClass {
  const cls: NetdevClass = {
    type,
    construct: (name: string) => new AfPacketNetdev(name, cls, options),
  };
  return cls;
}

/** The class of system ports: type "system" (the datapath maps an Interface type "" to it). */
export const SYSTEM_NETDEV_CLASS: NetdevClass = makeClass("system", {});

/** Registers the "system" class (once; later calls do nothing). */
export function registerAfPacketNetdevs(): void {
  if (!lookupNetdevClass(SYSTEM_NETDEV_CLASS.type)) registerNetdevClass(SYSTEM_NETDEV_CLASS);
}

/** A class of the same devices under another type name and options (tests, benchmarks). */
export function afPacketNetdevClass(type: string, options: AfPacketOptions = {}): NetdevClass {
  return makeClass(type, options);
}

/**
 * The text upstream's bridge puts in the Interface's error column when opening fails:
 * "could not open network device veth9 (No such device)".
 */
export function netdevOpenErrorText(name: string, error: unknown): string {
  const reason = error instanceof DpError ? error.strerror : String(error);
  return `could not open network device ${name} (${reason})`;
}

/**
 * Calls `listener` when a device called `name` appears (or is renamed to it), seen when the
 * owner runs `LinkMonitor.shared().run()` (which every Linux netdev's `run` does). Returns a
 * remover. The owner retries opening then, as upstream's bridge does on an interface change.
 */
export function onDeviceAppears(name: string, listener: () => void): () => void {
  return LinkMonitor.shared().subscribe((e) => {
    if (!e.deleted && (e.name === name || e.name === "")) listener();
  });
}
