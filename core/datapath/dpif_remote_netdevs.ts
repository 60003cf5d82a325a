// The main thread's netdevs for ports whose packets a datapath Worker moves (dpif_remote.ts):
// "system" and "tap" devices seen and configured by name through rtnetlink and ioctl (MAC, MTU,
// flags, carrier, statistics, change notifications, as every Linux netdev here), with no packet
// I/O of their own — the worker opens its own AF_PACKET socket or tap queue on the same kernel
// device. A tap is created here (persistent, no queue attached) when absent, so the bridge can
// read and set its MAC before the worker attaches; once handed to a worker the worker's close
// deletes it, else this one's close does.
//
// Promises: never receives or sends a frame, never wakes an owner for frames (`onRxReady`
// never fires), holds no packet socket. Must not be used by a datapath that runs in this
// thread (its ports would be silent).

import { DpError, type Errno } from "./dp_errors.ts";
import type { NetdevClass } from "./netdev.ts";
import { type NetdevOffloads, NO_OFFLOADS } from "./offload.ts";
import type { Packet } from "./packet.ts";
import { MAX_IFNAME, queryLink } from "./sys_link.ts";
import { LinuxNetdev } from "./sys_netdev.ts";
import { closeFd, errno, errnoName, Mem, O_CLOEXEC, O_RDWR, sys } from "./sys_socket.ts";

const TUNSETIFF = 0x400454can;
const TUNSETPERSIST = 0x400454cbn;
const IFF_TAP = 0x0002;
const IFF_NO_PI = 0x1000;
const IFF_VNET_HDR = 0x4000;

/** Attaches a descriptor to tap `name` (creating it when absent); throws DpError. */
function attachTap(name: string): number {
  if (name.length === 0 || name.length > MAX_IFNAME || name.includes("/")) {
    throw new DpError("EINVAL");
  }
  const s = sys();
  const path = new Mem(32);
  path.setString(0, "/dev/net/tun", 32);
  const fd = s.open(path.ptr, O_RDWR | O_CLOEXEC, 0);
  if (fd < 0) throw new DpError(errnoName(errno()), `opening "/dev/net/tun" failed`);
  const ifr = new Mem(40);
  ifr.setString(0, name, 16);
  ifr.view.setUint16(16, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, true);
  if (s.ioctl(fd, TUNSETIFF, ifr.ptr) < 0) {
    const e = errnoName(errno());
    closeFd(fd);
    throw new DpError(e, `${name}: creating tap device failed`);
  }
  return fd;
}

function deviceExists(name: string): boolean {
  try {
    queryLink(name);
    return true;
  } catch (e) {
    if (e instanceof DpError && e.errno === "ENODEV") return false;
    throw e;
  }
}

/** Creates tap `name` as a persistent device with no queue attached, unless it exists. */
function ensureTap(name: string): void {
  if (deviceExists(name)) return;
  const fd = attachTap(name);
  const ok = sys().ioctlValue(fd, TUNSETPERSIST, 1n) >= 0;
  const e = errnoName(errno());
  closeFd(fd);
  if (!ok) throw new DpError(e, `${name}: creating tap device failed (persist)`);
}

/** Deletes the persistent tap `name` if it still exists and nobody holds its queue. */
function deleteTap(name: string): void {
  if (!deviceExists(name)) return;
  let fd: number;
  try {
    fd = attachTap(name);
  } catch {
    return; // Someone holds it (EBUSY): theirs to delete.
  }
  sys().ioctlValue(fd, TUNSETPERSIST, 0n);
  closeFd(fd);
}

export class ControlNetdev extends LinuxNetdev {
  readonly offloads: NetdevOffloads = NO_OFFLOADS;
  #promisc = false;
  #handedOver = false;

  private constructor(name: string, cls: NetdevClass, readonly isTap: boolean) {
    super(name, cls.type, cls);
  }

  static create(name: string, cls: NetdevClass, isTap: boolean): ControlNetdev {
    if (isTap) ensureTap(name);
    return new ControlNetdev(name, cls, isTap);
  }

  /** A worker now holds the device's packet I/O (and deletes a tap when it lets go). */
  handOver(): void {
    this.#handedOver = true;
  }

  get pollFd(): number {
    return -1;
  }

  protected setPromisc(on: boolean): void {
    // The worker's own netdev holds the device promiscuous; this only reports the wish.
    this.#promisc = on;
  }

  protected promiscHeld(): boolean {
    return this.#promisc;
  }

  rxqOpen(): void {}
  rxqClose(): void {}

  recv(_batch: Packet[], _max: number): number {
    return 0;
  }

  send(_packets: readonly Packet[], _count: number): Errno | undefined {
    return "EOPNOTSUPP";
  }

  rxReady(): boolean {
    return false;
  }

  override onRxReady(_listener: () => void): () => void {
    return () => {};
  }

  override close(): void {
    if (this.closed) return;
    super.close();
    if (this.isTap && !this.#handedOver) deleteTap(this.name);
  }
}

function controlClass(type: string, isTap: boolean): NetdevClass {
  const cls: NetdevClass = {
    type,
    ...(isTap ? { isInternal: true } : {}),
    construct: (name: string) => ControlNetdev.create(name, cls, isTap),
  };
  return cls;
}

/** The main thread's "system" class when a worker moves the packets. */
export const CONTROL_SYSTEM_CLASS: NetdevClass = controlClass("system", false);
/** The main thread's "tap" class (internal ports and the datapath's local port). */
export const CONTROL_TAP_CLASS: NetdevClass = controlClass("tap", true);
