// The "tap" netdev class: a bridge's local port and `type=internal` ports on the userspace
// datapath (upstream's netdev-linux tap class, which dpif-netdev opens for "internal"). Creates a
// TAP device (/dev/net/tun, IFF_TAP|IFF_NO_PI) that the host sees in `ip link` and can address
// (`ip addr add 10.0.0.1/24 dev br0`); what the host sends into it we receive, what we send it
// the host receives. With virtio-net headers (IFF_VNET_HDR, TUNSETVNETHDRSZ, TUNSETOFFLOAD) the
// host hands us pending checksums and TCP/UDP super-frames, and takes the same from us, so
// `offloads` is all true. The device is persistent while open (as upstream's: it survives a
// crash with its addresses) and deleted on close. Admin state is left as found, as upstream's:
// the user brings it up (`ip link set br0 up`) or the owner calls updateFlags.
//
// Statistics are the kernel's with receive and transmit swapped (our receive is the host's
// transmit), as upstream's netdev_tap_get_stats. Frames sent while the device is down are
// dropped and counted, as upstream's (the kernel would return EIO).
//
// Threads: one read or write system call per frame, none blocking; usable from a Worker.

import { DpError, type Errno } from "./dp_errors.ts";
import {
  type NetdevClass,
  netdevClass as lookupNetdevClass,
  type NetdevStats,
  registerNetdevClass,
} from "./netdev.ts";
import {
  needsSoftwareOffload,
  type NetdevOffloads,
  NO_OFFLOADS,
  OffloadFallback,
  readVnetHeader,
  VNET_HDR_LEN,
  writeVnetHeader,
} from "./offload.ts";
import { type Packet, PACKET_HEADROOM } from "./packet.ts";
import { IFF_PROMISC, IFF_UP, MAX_IFNAME, setInterfaceFlags } from "./sys_link.ts";
import { LinuxNetdev } from "./sys_netdev.ts";
import {
  addressOf,
  closeFd,
  EAGAIN,
  EINTR,
  EINVAL,
  EIO,
  errno,
  errnoName,
  Mem,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDWR,
  POLLIN,
  PollSet,
  setPointer,
  sys,
} from "./sys_socket.ts";

const TUNSETIFF = 0x400454can;
const TUNSETPERSIST = 0x400454cbn;
const TUNSETOFFLOAD = 0x400454d0n;
const TUNSETVNETHDRSZ = 0x400454d8n;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const IFF_VNET_HDR = 0x4000;
const TUN_F_CSUM = 0x01;
const TUN_F_TSO4 = 0x02;
const TUN_F_TSO6 = 0x04;
const TUN_F_USO4 = 0x20;
const TUN_F_USO6 = 0x40;

/** Frames one recv call reads at most. */
const TAP_BURST = 64;

export interface TapOptions {
  /** Exchange virtio-net headers with the kernel (default true). */
  vnetHdr?: boolean;
}

interface TapDevice {
  fd: number;
  vnetHdr: boolean;
  uso: boolean;
}

/** Creates (or attaches to) the tap `name`; throws DpError with the kernel's errno. */
function createTap(name: string, wantVnet: boolean): TapDevice {
  if (
    name.length === 0 || name.length > MAX_IFNAME || name.includes("/") || name === "default" ||
    name === "all"
  ) {
    throw new DpError("EINVAL");
  }
  const s = sys();
  const path = new Mem(32);
  path.setString(0, "/dev/net/tun", 32);
  const fd = s.open(path.ptr, O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0) throw new DpError(errnoName(errno()), `opening "/dev/net/tun" failed`);
  try {
    const ifr = new Mem(40);
    ifr.setString(0, name, 16);
    ifr.view.setUint16(16, IFF_TAP | IFF_NO_PI | (wantVnet ? IFF_VNET_HDR : 0), true);
    if (s.ioctl(fd, TUNSETIFF, ifr.ptr) < 0) {
      throw new DpError(errnoName(errno()), `${name}: creating tap device failed`);
    }
    let uso = false;
    if (wantVnet) {
      const size = new Mem(16);
      size.view.setInt32(0, VNET_HDR_LEN, true);
      if (s.ioctl(fd, TUNSETVNETHDRSZ, size.ptr) < 0) {
        throw new DpError(errnoName(errno()), `${name}: setting vnet header size failed`);
      }
      const tso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
      // USO is newer (Linux 6.2): fall back to TSO only where the kernel refuses it.
      if (s.ioctlValue(fd, TUNSETOFFLOAD, BigInt(tso | TUN_F_USO4 | TUN_F_USO6)) === 0) {
        uso = true;
      } else if (errno() !== EINVAL || s.ioctlValue(fd, TUNSETOFFLOAD, BigInt(tso)) < 0) {
        throw new DpError(errnoName(errno()), `${name}: enabling tap offloading failed`);
      }
    }
    if (s.ioctlValue(fd, TUNSETPERSIST, 1n) < 0) {
      throw new DpError(errnoName(errno()), `${name}: creating tap device failed (persist)`);
    }
    return { fd, vnetHdr: wantVnet, uso };
  } catch (e) {
    closeFd(fd);
    throw e;
  }
}

export class TapNetdev extends LinuxNetdev {
  readonly offloads: NetdevOffloads;
  private readonly fd: number;
  private readonly vnetHdr: boolean;
  private rxqs = 0;
  private readonly readyProbe = new PollSet(1);
  private readonly iov = new Mem(TAP_BURST * 32);
  private readonly iovPtrs: Deno.PointerObject[] = [];
  private readonly vnet = new Mem(TAP_BURST * 16);
  private fallback: OffloadFallback | undefined;

  private constructor(name: string, cls: NetdevClass, device: TapDevice) {
    super(name, cls.type, cls);
    this.fd = device.fd;
    this.vnetHdr = device.vnetHdr;
    this.offloads = device.vnetHdr ? { csum: true, tso: true, uso: device.uso } : NO_OFFLOADS;
    this.readyProbe.add(this.fd, POLLIN);
    const vnetLen = this.vnetHdr ? VNET_HDR_LEN : 0;
    for (let i = 0; i < TAP_BURST; i++) {
      setPointer(this.iov.view, i * 32, this.vnet.addr + i * 16);
      this.iov.view.setUint32(i * 32 + 8, vnetLen, true);
      this.iovPtrs.push(this.iov.at(i * 32));
    }
  }

  /** Creates the tap `name` (or attaches to an existing one). Throws DpError. */
  static create(name: string, cls: NetdevClass, options: TapOptions = {}): TapNetdev {
    const device = createTap(name, options.vnetHdr ?? true);
    try {
      return new TapNetdev(name, cls, device);
    } catch (e) {
      destroyTap(device.fd);
      throw e;
    }
  }

  get pollFd(): number {
    return this.fd;
  }

  protected setPromisc(on: boolean): void {
    setInterfaceFlags(this.name, on ? 0 : IFF_PROMISC, on ? IFF_PROMISC : 0);
  }

  protected promiscHeld(): boolean {
    return false;
  }

  rxqOpen(): void {
    this.rxqs++;
  }

  rxqClose(): void {
    if (this.rxqs > 0) this.rxqs--;
  }

  rxReady(): boolean {
    if (this.rxqs === 0 || this.closed) return false;
    return this.readyProbe.wait(0) > 0 && (this.readyProbe.revents(0) & POLLIN) !== 0;
  }

  recv(batch: Packet[], max: number): number {
    if (this.rxqs === 0 || this.closed) return 0;
    const want = Math.min(max, batch.length, TAP_BURST);
    const s = sys();
    const iv = this.iov.view;
    const vnetLen = this.vnetHdr ? VNET_HDR_LEN : 0;
    let n = 0;
    let slot = 0;
    while (n < want && slot < TAP_BURST) {
      const p = batch[n]!;
      const at = slot * 32 + 16;
      setPointer(iv, at, addressOf(p.buffer) + PACKET_HEADROOM);
      iv.setUint32(at + 8, p.buffer.length - PACKET_HEADROOM, true);
      const got = s.readv(this.fd, this.iovPtrs[slot]!, 2);
      if (got < 0) {
        if (errno() === EINTR) continue;
        break;
      }
      slot++;
      p.reset();
      if (got < vnetLen + 14 || got - vnetLen > p.buffer.length - PACKET_HEADROOM) {
        this.rxDropped++;
        continue;
      }
      p.length = got - vnetLen;
      if (this.vnetHdr && !readVnetHeader(this.vnet.bytes, (slot - 1) * 16, p)) {
        this.rxDropped++;
        continue;
      }
      n++;
    }
    this.rxConsumed();
    return n;
  }

  send(packets: readonly Packet[], count: number): Errno | undefined {
    if (this.closed) return "EBADF";
    if (!(this.info.flags & IFF_UP) || !this.present) {
      // The tap driver refuses frames while down (EIO): not an error for the datapath.
      this.txDropped += count;
      return undefined;
    }
    const s = sys();
    const iv = this.iov.view;
    let firstError: Errno | undefined;
    for (let i = 0; i < count; i++) {
      const p = packets[i]!;
      const sizeError = this.sizeError(p);
      if (sizeError) {
        firstError ??= sizeError;
        this.txDropped++;
        continue;
      }
      if (needsSoftwareOffload(p, this.offloads)) {
        // The caller sent what this tap cannot take: finish it in software rather than send it
        // broken (the fallback comes back here with final frames).
        const fallback = this.fallback ??= new OffloadFallback();
        firstError ??= fallback.send(this, [p], 1);
        continue;
      }
      if (this.vnetHdr) writeVnetHeader(p, this.vnet.bytes, 0);
      setPointer(iv, 16, addressOf(p.buffer) + p.start);
      iv.setUint32(24, p.length, true);
      let r: number;
      do {
        r = s.writev(this.fd, this.iovPtrs[0]!, 2);
      } while (r < 0 && errno() === EINTR);
      if (r < 0) {
        const e = errno();
        this.txDropped++;
        if (e !== EIO && e !== EAGAIN) firstError ??= errnoName(e);
      }
    }
    return firstError;
  }

  protected override adjustStats(stats: NetdevStats): NetdevStats {
    return {
      ...stats,
      rxPackets: stats.txPackets ?? 0,
      txPackets: stats.rxPackets ?? 0,
      rxBytes: stats.txBytes ?? 0,
      txBytes: stats.rxBytes ?? 0,
      rxErrors: stats.txErrors ?? 0,
      txErrors: stats.rxErrors ?? 0,
      rxDropped: stats.txDropped ?? 0,
      txDropped: stats.rxDropped ?? 0,
      rxLengthErrors: 0,
      rxOverErrors: 0,
      rxCrcErrors: 0,
      rxFrameErrors: 0,
      rxFifoErrors: 0,
      rxMissedErrors: 0,
      txAbortedErrors: 0,
      txCarrierErrors: 0,
      txFifoErrors: 0,
      txHeartbeatErrors: 0,
      txWindowErrors: 0,
    };
  }

  /** Closing deletes the device (it stops being persistent and its last descriptor goes). */
  override close(): void {
    if (this.closed) return;
    super.close();
    destroyTap(this.fd);
  }
}

function destroyTap(fd: number): void {
  sys().ioctlValue(fd, TUNSETPERSIST, 0n);
  closeFd(fd);
}

function makeClass(type: string, options: TapOptions): NetdevClass {
  const cls: NetdevClass = {
    type,
    isInternal: true,
    construct: (name: string) => TapNetdev.create(name, cls, options),
  };
  return cls;
}

/**
 * The "tap" class, which the userspace datapath opens for its local port and for Interfaces of
 * type "internal" (dpif.ts's dpifPortOpenType maps "internal" to "tap").
 */
export const TAP_NETDEV_CLASS: NetdevClass = makeClass("tap", {});

/** Registers the "tap" class (once; later calls do nothing). */
export function registerTapNetdevs(): void {
  if (!lookupNetdevClass(TAP_NETDEV_CLASS.type)) registerNetdevClass(TAP_NETDEV_CLASS);
}

/** A tap class under another type name and options (tests, benchmarks). */
export function tapNetdevClass(type: string, options: TapOptions = {}): NetdevClass {
  return makeClass(type, options);
}
