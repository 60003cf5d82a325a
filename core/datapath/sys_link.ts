// Linux network device control, shared by the system (AF_PACKET) and tap netdevs: reading a
// device's state in one rtnetlink round trip (index, flags with carrier, MTU, MAC, 64-bit
// statistics), changing flags, MTU and MAC through ioctl, and a monitor of link notifications
// (RTMGRP_LINK) so an owner learns when a device appears, disappears or changes state.
//
// Promises: everything works in the network namespace of the calling thread; failures throw
// DpError with the kernel's errno (ENODEV for a device that does not exist); nothing blocks
// beyond one rtnetlink request/reply. Not for per-packet use (these allocate).

import { DpError } from "./dp_errors.ts";
import {
  AF_INET,
  AF_NETLINK,
  closeFd,
  EAGAIN,
  EINTR,
  ENOBUFS,
  errno,
  errnoName,
  Mem,
  MSG_DONTWAIT,
  NETLINK_ROUTE,
  openSocket,
  setIntOption,
  SO_RCVBUF,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_SOCKET,
  sys,
  sysError,
} from "./sys_socket.ts";

/** Kernel interface flags (net/if.h). */
export const IFF_UP = 0x1;
export const IFF_LOOPBACK = 0x8;
export const IFF_RUNNING = 0x40;
export const IFF_PROMISC = 0x100;
export const IFF_LOWER_UP = 0x10000;

/** IFNAMSIZ less the NUL. */
export const MAX_IFNAME = 15;

const SIOCSIFFLAGS = 0x8914n;
const SIOCGIFFLAGS = 0x8913n;
const SIOCSIFMTU = 0x8922n;
const SIOCSIFHWADDR = 0x8924n;
const ARPHRD_ETHER = 1;

/** Statistics in rtnl_link_stats64 order. */
export const LINK_STAT_NAMES = [
  "rxPackets",
  "txPackets",
  "rxBytes",
  "txBytes",
  "rxErrors",
  "txErrors",
  "rxDropped",
  "txDropped",
  "multicast",
  "collisions",
  "rxLengthErrors",
  "rxOverErrors",
  "rxCrcErrors",
  "rxFrameErrors",
  "rxFifoErrors",
  "rxMissedErrors",
  "txAbortedErrors",
  "txCarrierErrors",
  "txFifoErrors",
  "txHeartbeatErrors",
  "txWindowErrors",
] as const;
export type LinkStatName = typeof LINK_STAT_NAMES[number];
export type LinkStats = Record<LinkStatName, number>;

/** What rtnetlink reports of a device. */
export interface LinkInfo {
  ifindex: number;
  name: string;
  /** Kernel IFF_* flags, including IFF_LOWER_UP (the carrier). */
  flags: number;
  mtu: number;
  mac: Uint8Array;
  stats: LinkStats | undefined;
}

let ioctlFd = -1;
let ifreq: Mem | undefined;

function ioctlSocket(): number {
  if (ioctlFd < 0) ioctlFd = openSocket(AF_INET, SOCK_DGRAM, 0);
  return ioctlFd;
}

function checkName(name: string): void {
  if (name.length === 0 || name.length > MAX_IFNAME || name.includes("/")) {
    throw new DpError("ENODEV");
  }
}

function ifreqFor(name: string): Mem {
  checkName(name);
  const m = ifreq ??= new Mem(40);
  m.bytes.fill(0, 0, 40);
  m.setString(0, name, 16);
  return m;
}

function ifreqIoctl(request: bigint, m: Mem): void {
  if (sys().ioctl(ioctlSocket(), request, m.ptr) < 0) throw new DpError(errnoName(errno()));
}

/** The kernel flags by ioctl (16 bits: no IFF_LOWER_UP). Throws DpError ENODEV. */
export function getInterfaceFlags(name: string): number {
  const m = ifreqFor(name);
  ifreqIoctl(SIOCGIFFLAGS, m);
  return m.view.getUint16(16, true);
}

/** Sets the kernel flags (read-modify-write of the 16 ioctl bits). Throws DpError. */
export function setInterfaceFlags(name: string, off: number, on: number): void {
  const flags = getInterfaceFlags(name);
  const next = (flags & ~off) | on;
  if (next === flags) return;
  const m = ifreqFor(name);
  m.view.setUint16(16, next & 0xffff, true);
  ifreqIoctl(SIOCSIFFLAGS, m);
}

/** Sets the MTU. Throws DpError (EINVAL when the device refuses the value). */
export function setInterfaceMtu(name: string, mtu: number): void {
  const m = ifreqFor(name);
  m.view.setInt32(16, mtu, true);
  ifreqIoctl(SIOCSIFMTU, m);
}

/** Sets the Ethernet address. Throws DpError. */
export function setInterfaceMac(name: string, mac: Uint8Array): void {
  if (mac.length !== 6) throw new DpError("EINVAL");
  const m = ifreqFor(name);
  m.view.setUint16(16, ARPHRD_ETHER, true);
  m.bytes.set(mac, 18);
  ifreqIoctl(SIOCSIFHWADDR, m);
}

/** The interface index of `name`, or 0 when there is no such device. */
export function interfaceIndex(name: string): number {
  if (name.length === 0 || name.length > MAX_IFNAME) return 0;
  const m = ifreqFor(name);
  return sys().if_nametoindex(m.ptr);
}

// ---------------------------------------------------------------------------------------------
// rtnetlink.

const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_GETLINK = 18;
const NLM_F_REQUEST = 1;
const IFLA_ADDRESS = 1;
const IFLA_IFNAME = 3;
const IFLA_MTU = 4;
const IFLA_STATS64 = 23;
const IFLA_EXT_MASK = 29;
const RTEXT_FILTER_SKIP_STATS = 1 << 3;
const RTMGRP_LINK = 1;
const NL_BUFFER = 65536;

function alignTo4(n: number): number {
  return (n + 3) & ~3;
}

/** Parses one RTM_NEWLINK/RTM_DELLINK body at `at` (the ifinfomsg) of length `len`. */
function parseLink(view: DataView, bytes: Uint8Array, at: number, end: number): LinkInfo {
  const info: LinkInfo = {
    ifindex: view.getInt32(at + 4, true),
    name: "",
    flags: view.getUint32(at + 8, true),
    mtu: 0,
    mac: new Uint8Array(6),
    stats: undefined,
  };
  let a = at + 16;
  while (a + 4 <= end) {
    const len = view.getUint16(a, true);
    const type = view.getUint16(a + 2, true) & 0x3fff;
    if (len < 4 || a + len > end) break;
    const data = a + 4;
    if (type === IFLA_IFNAME) {
      let z = data;
      while (z < a + len && bytes[z] !== 0) z++;
      info.name = new TextDecoder().decode(bytes.subarray(data, z));
    } else if (type === IFLA_MTU && len >= 8) {
      info.mtu = view.getUint32(data, true);
    } else if (type === IFLA_ADDRESS && len >= 10) {
      info.mac = bytes.slice(data, data + 6);
    } else if (type === IFLA_STATS64 && len >= 4 + LINK_STAT_NAMES.length * 8) {
      const stats = {} as LinkStats;
      LINK_STAT_NAMES.forEach((name, i) => {
        stats[name] = Number(view.getBigUint64(data + i * 8, true));
      });
      info.stats = stats;
    }
    a += alignTo4(len);
  }
  return info;
}

class NetlinkRequester {
  private fd = -1;
  private readonly out = new Mem(128);
  private readonly buf = new Mem(NL_BUFFER);
  private seq = 1;

  private socket(): number {
    if (this.fd < 0) {
      this.fd = openSocket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
      const addr = new Mem(16);
      addr.view.setUint16(0, AF_NETLINK, true);
      if (sys().bind(this.fd, addr.ptr, 12) < 0) throw sysError("bind netlink");
    }
    return this.fd;
  }

  /** RTM_GETLINK by name; throws DpError ENODEV when there is no such device. */
  getLink(name: string, withStats: boolean): LinkInfo {
    checkName(name);
    const fd = this.socket();
    const o = this.out;
    o.bytes.fill(0);
    const nameBytes = new TextEncoder().encode(name);
    let len = 16 + 16;
    const seq = this.seq++;
    // ifinfomsg: family AF_UNSPEC, index 0 (look up by name).
    const attr = (type: number, payload: number) => {
      o.view.setUint16(len, 4 + payload, true);
      o.view.setUint16(len + 2, type, true);
      const at = len + 4;
      len += alignTo4(4 + payload);
      return at;
    };
    o.bytes.set(nameBytes, attr(IFLA_IFNAME, nameBytes.length + 1));
    if (!withStats) o.view.setUint32(attr(IFLA_EXT_MASK, 4), RTEXT_FILTER_SKIP_STATS, true);
    o.view.setUint32(0, len, true);
    o.view.setUint16(4, RTM_GETLINK, true);
    o.view.setUint16(6, NLM_F_REQUEST, true);
    o.view.setUint32(8, seq, true);
    const s = sys();
    if (s.sendto(fd, o.ptr, len, 0, null, 0) < 0) throw sysError("rtnetlink send");
    for (;;) {
      const n = s.read(fd, this.buf.ptr, NL_BUFFER);
      if (n < 0) {
        if (errno() === EINTR) continue;
        throw sysError("rtnetlink receive");
      }
      const v = this.buf.view;
      let at = 0;
      while (at + 16 <= n) {
        const mlen = v.getUint32(at, true);
        const type = v.getUint16(at + 4, true);
        const mseq = v.getUint32(at + 8, true);
        if (mlen < 16 || at + mlen > n) break;
        if (mseq === seq) {
          if (type === NLMSG_ERROR) {
            const code = -v.getInt32(at + 16, true);
            throw new DpError(code === 0 ? "EPROTO" : errnoName(code));
          }
          if (type === RTM_NEWLINK) return parseLink(v, this.buf.bytes, at + 16, at + mlen);
        }
        at += alignTo4(mlen);
      }
    }
  }
}

let requester: NetlinkRequester | undefined;

/** The device `name` as rtnetlink reports it. Throws DpError ENODEV when it does not exist. */
export function queryLink(name: string, withStats = false): LinkInfo {
  return (requester ??= new NetlinkRequester()).getLink(name, withStats);
}

/** Whether a device called `name` exists in this network namespace. */
export function linkExists(name: string): boolean {
  return interfaceIndex(name) !== 0;
}

/** A link notification: `name` "" means notifications were lost (re-check every device). */
export interface LinkEvent {
  name: string;
  ifindex: number;
  flags: number;
  deleted: boolean;
}

/**
 * Link notifications (RTMGRP_LINK) on a nonblocking rtnetlink socket. `run` drains what arrived
 * and calls the listeners; an owner calls it from its loop (or polls `fd`). One per thread is
 * enough: `LinkMonitor.shared()`.
 */
export class LinkMonitor {
  readonly fd: number;
  private readonly buf = new Mem(NL_BUFFER);
  private readonly listeners = new Set<(event: LinkEvent) => void>();
  private closed = false;
  /** Bumped on every notification (upstream's if_notifier sequence). */
  seq = 0;

  constructor() {
    this.fd = openSocket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE);
    setIntOption(this.fd, SOL_SOCKET, SO_RCVBUF, 1 << 20);
    const addr = new Mem(16);
    addr.view.setUint16(0, AF_NETLINK, true);
    addr.view.setUint32(8, RTMGRP_LINK, true);
    if (sys().bind(this.fd, addr.ptr, 12) < 0) {
      const e = sysError("bind rtnetlink monitor");
      closeFd(this.fd);
      throw e;
    }
  }

  private static instance: LinkMonitor | undefined;

  /** This thread's monitor, opened on first use. */
  static shared(): LinkMonitor {
    return LinkMonitor.instance ??= new LinkMonitor();
  }

  /** Calls `listener` on every link event; returns a remover. */
  subscribe(listener: (event: LinkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Drains pending notifications; returns how many events were delivered. */
  run(): number {
    if (this.closed) return 0;
    const s = sys();
    let delivered = 0;
    for (;;) {
      const n = s.recvmsg(this.fd, this.recvHeader(), MSG_DONTWAIT);
      if (n < 0) {
        const e = errno();
        if (e === EINTR) continue;
        if (e === ENOBUFS) {
          // The socket overflowed: events were lost, every device may have changed.
          this.emit({ name: "", ifindex: 0, flags: 0, deleted: false });
          delivered++;
          continue;
        }
        if (e !== EAGAIN) break;
        break;
      }
      const v = this.buf.view;
      let at = 0;
      while (at + 16 <= n) {
        const mlen = v.getUint32(at, true);
        const type = v.getUint16(at + 4, true);
        if (mlen < 16 || at + mlen > n) break;
        if ((type === RTM_NEWLINK || type === RTM_DELLINK) && mlen >= 32) {
          const info = parseLink(v, this.buf.bytes, at + 16, at + mlen);
          this.emit({
            name: info.name,
            ifindex: info.ifindex,
            flags: info.flags,
            deleted: type === RTM_DELLINK,
          });
          delivered++;
        } else if (type === NLMSG_DONE) {
          break;
        }
        at += alignTo4(mlen);
      }
    }
    return delivered;
  }

  private header: Mem | undefined;
  private recvHeader(): Deno.PointerObject {
    if (!this.header) {
      // msghdr with one iovec over the buffer.
      const h = new Mem(128);
      h.setPointer(64, this.buf.addr);
      h.view.setBigUint64(72, BigInt(NL_BUFFER), true);
      h.setPointer(16, h.addr + 64);
      h.view.setBigUint64(24, 1n, true);
      this.header = h;
    }
    return this.header.ptr;
  }

  private emit(event: LinkEvent): void {
    this.seq++;
    for (const listener of [...this.listeners]) listener(event);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeFd(this.fd);
    if (LinkMonitor.instance === this) LinkMonitor.instance = undefined;
  }
}
