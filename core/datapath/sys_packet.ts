// An AF_PACKET socket bound to one device, with batched receive (recvmmsg) straight into the
// caller's packet buffers and batched send (sendmmsg) straight from them. With the virtio-net
// header on (PACKET_VNET_HDR) every received frame brings its offload state (checksum pending,
// GSO type and size) into the Packet, and every sent frame hands the same state to the kernel,
// which completes checksums and segments as the output device needs. PACKET_AUXDATA gives back
// the VLAN tag the kernel stripped, which `receive` re-inserts. Without the vnet header, frames
// whose checksum the kernel left unfinished (TP_STATUS_CSUMNOTREADY) get it completed here.
//
// Promises: receive and transmit make no JS allocation (preallocated mmsghdr/iovec/cmsg areas,
// buffer addresses cached per packet buffer); they never block; a frame that does not fit the
// caller's packet, or whose header is bad, is dropped and counted, never delivered truncated.
// Must not: decide offload fallbacks for output (the caller resolves what a port cannot take,
// core/datapath/offload.ts), interpret frames beyond what offload and VLAN state need.

import { DpError, type Errno } from "./dp_errors.ts";
import {
  completeChecksum,
  markChecksumPendingFromHeaders,
  readVnetHeader,
  VNET_HDR_LEN,
  writeVnetHeader,
} from "./offload.ts";
import { type Packet, PACKET_HEADROOM } from "./packet.ts";
import {
  addressOf,
  AF_PACKET,
  closeFd,
  EAGAIN,
  EINTR,
  errno,
  errnoName,
  ETH_P_ALL,
  Mem,
  MSG_DONTWAIT,
  MSG_TRUNC,
  openSocket,
  setIntOption,
  setPointer,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_SNDBUF,
  SO_SNDBUFFORCE,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_PACKET,
  SOL_SOCKET,
  sys,
  sysError,
} from "./sys_socket.ts";

const PACKET_ADD_MEMBERSHIP = 1;
const PACKET_DROP_MEMBERSHIP = 2;
const PACKET_MR_PROMISC = 1;
const PACKET_AUXDATA = 8;
const PACKET_VNET_HDR = 15;
const PACKET_IGNORE_OUTGOING = 23;
const SO_ATTACH_FILTER = 26;
const TP_STATUS_CSUMNOTREADY = 1 << 3;
const TP_STATUS_VLAN_VALID = 1 << 4;
const TP_STATUS_VLAN_TPID_VALID = 1 << 6;

/** Most frames one receive or transmit call handles (the datapath's burst is 32). */
export const PACKET_SOCKET_BURST = 64;

const MMSG = 64;
const IOV = 16;
const CMSG_ROOM = 48;
const VNET_ROOM = 16;

export interface PacketSocketOptions {
  /** Exchange virtio-net headers (offload state) with the kernel. */
  vnetHdr: boolean;
  /** Do not receive frames this host sends on the device (only what arrives from the wire). */
  ignoreOutgoing?: boolean;
  /** Receive nothing until `receiveAll(true)`. */
  receiveNone?: boolean;
  rcvbuf?: number;
  sndbuf?: number;
  /**
   * Without vnet headers, complete checksums the kernel left pending (default true; false lets
   * a test see the bytes exactly as the kernel delivered them).
   */
  completeChecksums?: boolean;
}

/** Counters of frames `receive` dropped. */
export interface PacketSocketDrops {
  /** Larger than the caller's packet (MSG_TRUNC). */
  truncated: number;
  /** Shorter than an Ethernet header. */
  runt: number;
  /** A virtio-net header that does not fit the frame or names an unsupported GSO type. */
  badVnet: number;
}

/** One batch area: mmsghdr vector, two iovecs per message, header and control scratch. */
class BatchArea {
  readonly mmsg: Mem;
  readonly iov: Mem;
  readonly vnet: Mem;
  readonly cmsg: Mem;

  constructor(withControl: boolean) {
    const n = PACKET_SOCKET_BURST;
    this.mmsg = new Mem(n * MMSG);
    this.iov = new Mem(n * 2 * IOV);
    this.vnet = new Mem(n * VNET_ROOM);
    this.cmsg = new Mem(withControl ? n * CMSG_ROOM : 16);
    const v = this.mmsg.view;
    for (let i = 0; i < n; i++) {
      const m = i * MMSG;
      setPointer(v, m + 16, this.iov.addr + i * 2 * IOV);
      v.setUint32(m + 24, 2, true);
      if (withControl) setPointer(v, m + 32, this.cmsg.addr + i * CMSG_ROOM);
      // iov[0] is the virtio-net header slot.
      setPointer(this.iov.view, i * 2 * IOV, this.vnet.addr + i * VNET_ROOM);
    }
  }
}

export class PacketSocket {
  readonly fd: number;
  readonly vnetHdr: boolean;
  private readonly completeChecksums: boolean;
  readonly drops: PacketSocketDrops = { truncated: 0, runt: 0, badVnet: 0 };
  private readonly rx = new BatchArea(true);
  private readonly tx = new BatchArea(false);
  private readonly addr = new Mem(32);
  private promisc = false;
  private closed = false;

  /** Opens a packet socket on device `ifindex`. Throws DpError with the kernel's errno. */
  constructor(readonly ifindex: number, options: PacketSocketOptions) {
    this.vnetHdr = options.vnetHdr;
    this.completeChecksums = options.completeChecksums ?? true;
    this.fd = openSocket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, 0);
    try {
      this.configure(options);
    } catch (e) {
      closeFd(this.fd);
      throw e;
    }
    const vnetLen = this.vnetHdr ? VNET_HDR_LEN : 0;
    for (const area of [this.rx, this.tx]) {
      for (let i = 0; i < PACKET_SOCKET_BURST; i++) {
        area.iov.view.setUint32(i * 2 * IOV + 8, vnetLen, true);
      }
    }
  }

  private configure(options: PacketSocketOptions): void {
    const fd = this.fd;
    if (setIntOption(fd, SOL_PACKET, PACKET_AUXDATA, 1)) throw sysError("PACKET_AUXDATA");
    if (options.vnetHdr && setIntOption(fd, SOL_PACKET, PACKET_VNET_HDR, 1)) {
      throw sysError("PACKET_VNET_HDR");
    }
    if (options.ignoreOutgoing ?? true) {
      if (setIntOption(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)) this.attachInboundFilter();
    }
    const rcvbuf = options.rcvbuf ?? 4 << 20;
    const sndbuf = options.sndbuf ?? 4 << 20;
    if (setIntOption(fd, SOL_SOCKET, SO_RCVBUFFORCE, rcvbuf)) {
      setIntOption(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf);
    }
    if (setIntOption(fd, SOL_SOCKET, SO_SNDBUFFORCE, sndbuf)) {
      setIntOption(fd, SOL_SOCKET, SO_SNDBUF, sndbuf);
    }
    this.bindTo(options.receiveNone ? 0 : ETH_P_ALL);
  }

  /** Older kernels lack PACKET_IGNORE_OUTGOING: drop PACKET_OUTGOING frames with a filter. */
  private attachInboundFilter(): void {
    const prog = new Mem(64);
    const insns: [number, number, number, number][] = [
      [0x28, 0, 0, 0xfffff004], // ldh [pkttype]
      [0x15, 0, 1, 4], // jeq #PACKET_OUTGOING
      [0x06, 0, 0, 0], // ret #0
      [0x06, 0, 0, 0x40000], // ret #all
    ];
    insns.forEach(([code, jt, jf, k], i) => {
      const at = 32 + i * 8;
      prog.view.setUint16(at, code, true);
      prog.view.setUint8(at + 2, jt);
      prog.view.setUint8(at + 3, jf);
      prog.view.setUint32(at + 4, k, true);
    });
    prog.view.setUint16(0, insns.length, true);
    prog.setPointer(8, prog.addr + 32);
    if (sys().setsockopt(this.fd, SOL_SOCKET, SO_ATTACH_FILTER, prog.ptr, 16) < 0) {
      throw sysError("SO_ATTACH_FILTER");
    }
  }

  private bindTo(protocol: number): void {
    const a = this.addr;
    a.bytes.fill(0);
    a.view.setUint16(0, AF_PACKET, true);
    a.view.setUint16(2, protocol, false);
    a.view.setInt32(4, this.ifindex, true);
    if (sys().bind(this.fd, a.ptr, 20) < 0) throw sysError("bind");
  }

  /** Starts or stops receiving (a socket that receives nothing can still send). */
  receiveAll(on: boolean): void {
    this.bindTo(on ? ETH_P_ALL : 0);
  }

  /** Puts the device in promiscuous mode for as long as this socket wants it (or lives). */
  setPromisc(on: boolean): void {
    if (on === this.promisc) return;
    const m = new Mem(16);
    m.view.setInt32(0, this.ifindex, true);
    m.view.setUint16(4, PACKET_MR_PROMISC, true);
    const option = on ? PACKET_ADD_MEMBERSHIP : PACKET_DROP_MEMBERSHIP;
    if (sys().setsockopt(this.fd, SOL_PACKET, option, m.ptr, 16) < 0) {
      throw sysError("PACKET_ADD_MEMBERSHIP");
    }
    this.promisc = on;
  }

  get isPromisc(): boolean {
    return this.promisc;
  }

  /**
   * Receives up to `max` frames into `batch[0..n)` (reset first); returns n, 0 when nothing is
   * waiting. Dropped frames are counted in `drops`; packets may be reordered within `batch` so
   * that the received ones come first.
   */
  receive(batch: Packet[], max: number): number {
    const want = Math.min(max, batch.length, PACKET_SOCKET_BURST);
    if (want <= 0 || this.closed) return 0;
    const area = this.rx;
    const mv = area.mmsg.view;
    const iv = area.iov.view;
    for (let i = 0; i < want; i++) {
      const p = batch[i]!;
      const at = i * 2 * IOV + IOV;
      setPointer(iv, at, addressOf(p.buffer) + PACKET_HEADROOM);
      iv.setUint32(at + 8, p.buffer.length - PACKET_HEADROOM, true);
      mv.setUint32(i * MMSG + 40, CMSG_ROOM, true);
      mv.setInt32(i * MMSG + 48, 0, true);
    }
    let got: number;
    do {
      got = sys().recvmmsg(this.fd, area.mmsg.ptr, want, MSG_DONTWAIT | MSG_TRUNC, null);
    } while (got < 0 && errno() === EINTR);
    if (got <= 0) return 0;
    const vnetLen = this.vnetHdr ? VNET_HDR_LEN : 0;
    let out = 0;
    for (let i = 0; i < got; i++) {
      const m = i * MMSG;
      const total = mv.getUint32(m + 56, true);
      const flags = mv.getInt32(m + 48, true);
      const p = batch[i]!;
      p.reset();
      if (flags & MSG_TRUNC) {
        this.drops.truncated++;
        continue;
      }
      if (total < vnetLen + 14) {
        this.drops.runt++;
        continue;
      }
      p.length = total - vnetLen;
      if (this.vnetHdr && !readVnetHeader(area.vnet.bytes, i * VNET_ROOM, p)) {
        this.drops.badVnet++;
        continue;
      }
      this.applyAuxdata(p, i, mv.getUint32(m + 40, true));
      if (out !== i) {
        batch[i] = batch[out]!;
        batch[out] = p;
      }
      out++;
    }
    return out;
  }

  /** Restores a stripped VLAN tag and, without vnet headers, completes a pending checksum. */
  private applyAuxdata(p: Packet, slot: number, controlLen: number): void {
    if (controlLen < 16 + 20) return;
    const cv = this.rx.cmsg.view;
    const c = slot * CMSG_ROOM;
    if (cv.getInt32(c + 8, true) !== SOL_PACKET || cv.getInt32(c + 12, true) !== PACKET_AUXDATA) {
      return;
    }
    const status = cv.getUint32(c + 16, true);
    const tci = cv.getUint16(c + 32, true);
    if (tci !== 0 || (status & TP_STATUS_VLAN_VALID)) {
      const b = p.buffer;
      const s = p.start;
      const doubleTagged = b[s + 12] === 0x81 && b[s + 13] === 0x00;
      const tpid = status & TP_STATUS_VLAN_TPID_VALID
        ? cv.getUint16(c + 34, true)
        : doubleTagged
        ? 0x88a8
        : 0x8100;
      b.copyWithin(s - 4, s, s + 12);
      b[s + 8] = tpid >> 8;
      b[s + 9] = tpid & 0xff;
      b[s + 10] = tci >> 8;
      b[s + 11] = tci & 0xff;
      p.start = s - 4;
      p.length += 4;
      if (p.csumStart >= 0) p.csumStart += 4;
    }
    if (!this.vnetHdr && this.completeChecksums && (status & TP_STATUS_CSUMNOTREADY)) {
      if (markChecksumPendingFromHeaders(p)) completeChecksum(p);
    }
  }

  /**
   * Sends `packets[from..from+count)` as they are, with their offload state in the virtio-net
   * header when the socket has one (the caller has resolved what it cannot take). Returns how
   * many the kernel took and the errno that stopped it, if any.
   */
  transmit(packets: readonly Packet[], from: number, count: number): Errno | undefined {
    if (this.closed) return "EBADF";
    const area = this.tx;
    const iv = area.iov.view;
    let done = 0;
    while (done < count) {
      const n = Math.min(count - done, PACKET_SOCKET_BURST);
      for (let i = 0; i < n; i++) {
        const p = packets[from + done + i]!;
        if (this.vnetHdr) writeVnetHeader(p, area.vnet.bytes, i * VNET_ROOM);
        const at = i * 2 * IOV + IOV;
        setPointer(iv, at, addressOf(p.buffer) + p.start);
        iv.setUint32(at + 8, p.length, true);
      }
      let sent = 0;
      while (sent < n) {
        // A partial send (rare) resumes from a pointer made for it.
        const vector = sent === 0 ? area.mmsg.ptr : area.mmsg.at(sent * MMSG);
        const r = sys().sendmmsg(this.fd, vector, n - sent, 0);
        if (r < 0) {
          const e = errno();
          if (e === EINTR) continue;
          return errnoName(e === EAGAIN ? EAGAIN : e);
        }
        sent += r;
      }
      done += n;
    }
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeFd(this.fd);
  }
}

/** Opens a packet socket on the device `name`; throws DpError ENODEV when it does not exist. */
export function openPacketSocket(
  ifindex: number,
  options: PacketSocketOptions,
): PacketSocket {
  if (ifindex <= 0) throw new DpError("ENODEV");
  return new PacketSocket(ifindex, options);
}
