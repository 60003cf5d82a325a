// The Linux system calls the real netdevs need, through libc and Deno.dlopen: sockets (AF_PACKET,
// AF_INET control, NETLINK_ROUTE), batched receive and send (recvmmsg/sendmmsg), readv/writev
// for tap, poll, ioctl, mmap, eventfd, and errno. Also `Mem`, a preallocated C struct area (bytes,
// a DataView and a pointer made once), and `addressOf` for caller-owned packet buffers.
//
// Promises: every symbol is declared with types Deno's fast FFI path takes (pointer objects made
// once, 32-bit lengths; see bench figures in the report), so a per-packet call allocates no JS
// object; errno is read through a typed array over libc's thread-local errno, valid in the thread
// (main or Worker) that loaded this module. Calls are synchronous and never block unless named so
// (`poll` with a timeout, `pollAsync` runs on Deno's blocking pool). Linux x86_64/aarch64 only
// (LP64 struct layouts). Knows nothing of packets or netdevs.

import { DpError, type Errno } from "./dp_errors.ts";

const SYMBOLS = {
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "pointer", "u32"], result: "i32" },
  setsockopt: { parameters: ["i32", "i32", "i32", "pointer", "u32"], result: "i32" },
  getsockopt: { parameters: ["i32", "i32", "i32", "pointer", "pointer"], result: "i32" },
  // ioctl and open are variadic in C; glibc reads the extra argument from its register as if
  // it were a fixed one, which is how every FFI user calls them.
  ioctl: { parameters: ["i32", "u64", "pointer"], result: "i32" },
  ioctlValue: { name: "ioctl", parameters: ["i32", "u64", "u64"], result: "i32" },
  open: { parameters: ["pointer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  // ssize_t results are declared i32: sizes stay below 2^31 and the low half of the result
  // register is the value, so the fast path (no BigInt) applies.
  recvmmsg: { parameters: ["i32", "pointer", "u32", "i32", "pointer"], result: "i32" },
  sendmmsg: { parameters: ["i32", "pointer", "u32", "i32"], result: "i32" },
  recvmsg: { parameters: ["i32", "pointer", "i32"], result: "i32" },
  sendmsg: { parameters: ["i32", "pointer", "i32"], result: "i32" },
  sendto: { parameters: ["i32", "pointer", "u32", "i32", "pointer", "u32"], result: "i32" },
  readv: { parameters: ["i32", "pointer", "i32"], result: "i32" },
  writev: { parameters: ["i32", "pointer", "i32"], result: "i32" },
  read: { parameters: ["i32", "pointer", "u32"], result: "i32" },
  write: { parameters: ["i32", "pointer", "u32"], result: "i32" },
  poll: { parameters: ["pointer", "u64", "i32"], result: "i32" },
  pollAsync: {
    name: "poll",
    parameters: ["pointer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  if_nametoindex: { parameters: ["pointer"], result: "u32" },
  mmap: { parameters: ["pointer", "u64", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "u64"], result: "i32" },
  memcpy: { parameters: ["pointer", "pointer", "u32"], result: "void" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

type Library = Deno.DynamicLibrary<typeof SYMBOLS>;
export type Sys = Library["symbols"];

let library: Library | undefined;
let errnoCell: Int32Array | undefined;

/** The libc symbols; throws DpError EOPNOTSUPP when FFI or libc is unavailable. */
export function sys(): Sys {
  if (library) return library.symbols;
  try {
    library = Deno.dlopen("libc.so.6", SYMBOLS);
  } catch (e) {
    throw new DpError("EOPNOTSUPP", `cannot load libc: ${e instanceof Error ? e.message : e}`);
  }
  const location = library.symbols.__errno_location();
  if (location === null) throw new DpError("EOPNOTSUPP", "no errno location");
  errnoCell = new Int32Array(Deno.UnsafePointerView.getArrayBuffer(location, 4));
  return library.symbols;
}

/** Whether the system calls are available (FFI permission, Linux libc). */
export function sysAvailable(): boolean {
  try {
    sys();
    return true;
  } catch {
    return false;
  }
}

/** The calling thread's errno after a failed call. */
export function errno(): number {
  return errnoCell ? errnoCell[0]! : 0;
}

// Linux errno numbers (asm-generic), for the names the datapath knows.
export const EPERM = 1;
export const ENOENT = 2;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const ENOSPC = 28;
export const EMSGSIZE = 90;
export const EOPNOTSUPP = 95;
export const EAFNOSUPPORT = 97;
export const ENETDOWN = 100;
export const ENOBUFS = 105;

const ERRNO_NAMES = new Map<number, Errno>([
  [EPERM, "EPERM"],
  [ENOENT, "ENOENT"],
  [EIO, "EIO"],
  [ENXIO, "ENXIO"],
  [7, "E2BIG"],
  [EBADF, "EBADF"],
  [EAGAIN, "EAGAIN"],
  [ENOMEM, "ENOMEM"],
  [EACCES, "EACCES"],
  [EBUSY, "EBUSY"],
  [EEXIST, "EEXIST"],
  [ENODEV, "ENODEV"],
  [EINVAL, "EINVAL"],
  [27, "EFBIG"],
  [ENOSPC, "ENOSPC"],
  [71, "EPROTO"],
  [EMSGSIZE, "EMSGSIZE"],
  [EOPNOTSUPP, "EOPNOTSUPP"],
  [96, "EPFNOSUPPORT"],
  [EAFNOSUPPORT, "EAFNOSUPPORT"],
  [ENETDOWN, "ENETDOWN"],
  [ENOBUFS, "ENOBUFS"],
]);

/** The datapath's name for errno `n` (EIO for one it has no name for). */
export function errnoName(n: number): Errno {
  return ERRNO_NAMES.get(n) ?? "EIO";
}

/** A DpError for the current errno, with `what` failed as the detail. */
export function sysError(what: string): DpError {
  const name = errnoName(errno());
  return new DpError(name, `${what}: ${name}`);
}

/**
 * A preallocated C memory area: the bytes, a little-endian DataView, a pointer object made once
 * (what the fast FFI path wants) and the numeric address for pointers stored inside structs.
 */
export class Mem {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly view: DataView;
  readonly ptr: Deno.PointerObject;
  readonly addr: number;

  constructor(size: number) {
    // At least 128 bytes so V8 keeps the store off its heap, where it never moves.
    this.bytes = new Uint8Array(Math.max(size, 128));
    this.view = new DataView(this.bytes.buffer);
    const ptr = Deno.UnsafePointer.of(this.bytes);
    if (ptr === null) throw new DpError("ENOMEM");
    this.ptr = ptr;
    this.addr = Number(Deno.UnsafePointer.value(ptr));
  }

  /** A pointer object to `offset` bytes in (made on each call: not for per-packet use). */
  at(offset: number): Deno.PointerObject {
    return Deno.UnsafePointer.offset(this.ptr, offset) as Deno.PointerObject;
  }

  /** Stores a 64-bit pointer (a numeric address) at `offset`. */
  setPointer(offset: number, address: number): void {
    setPointer(this.view, offset, address);
  }

  /** Stores a NUL-terminated string at `offset`, at most `max` bytes including the NUL. */
  setString(offset: number, text: string, max: number): void {
    const encoded = new TextEncoder().encode(text);
    this.bytes.fill(0, offset, offset + max);
    this.bytes.set(encoded.subarray(0, max - 1), offset);
  }
}

/** Stores a 64-bit little-endian pointer value. */
export function setPointer(view: DataView, offset: number, address: number): void {
  view.setUint32(offset, address % 0x100000000, true);
  view.setUint32(offset + 4, Math.floor(address / 0x100000000), true);
}

const addresses = new WeakMap<Uint8Array, number>();

/**
 * The address of a buffer's first byte, computed once per buffer. The buffer must be at least
 * 128 bytes (packet buffers are) so that its storage lives off V8's heap and never moves.
 */
export function addressOf(buffer: Uint8Array): number {
  let address = addresses.get(buffer);
  if (address === undefined) {
    if (buffer.byteLength < 128) throw new RangeError("buffers passed by address need 128 bytes");
    address = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer)));
    addresses.set(buffer, address);
  }
  return address;
}

/** Small BigInts for the u64 arguments (poll's nfds), made once so calls allocate none. */
export const U64: readonly bigint[] = Array.from({ length: 257 }, (_, i) => BigInt(i));

// Socket families, types, levels and options.
export const AF_UNIX = 1;
export const AF_INET = 2;
export const AF_PACKET = 17;
export const AF_NETLINK = 16;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0x800;
export const SOCK_CLOEXEC = 0x80000;
export const SOL_SOCKET = 1;
export const SOL_PACKET = 263;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const MSG_DONTWAIT = 0x40;
export const MSG_TRUNC = 0x20;
export const ETH_P_ALL = 0x0003;
export const NETLINK_ROUTE = 0;

// open(2) and eventfd(2) flags.
export const O_RDWR = 2;
export const O_NONBLOCK = 0x800;
export const O_CLOEXEC = 0x80000;
export const EFD_NONBLOCK = 0x800;
export const EFD_CLOEXEC = 0x80000;

// poll(2).
export const POLLIN = 1;
export const POLLOUT = 4;
export const POLL_ERR_HUP = 0x8 | 0x10 | 0x20;

/** Opens a socket; throws DpError with errno on failure. */
export function openSocket(family: number, type: number, protocol: number): number {
  const fd = sys().socket(family, type | SOCK_CLOEXEC, protocol);
  if (fd < 0) throw sysError("socket");
  return fd;
}

/** setsockopt with an int value; returns 0 or the errno. */
export function setIntOption(fd: number, level: number, name: number, value: number): number {
  const m = intScratch();
  m.view.setInt32(0, value, true);
  return sys().setsockopt(fd, level, name, m.ptr, 4) < 0 ? errno() : 0;
}

/** getsockopt of an int; returns the value or -errno. */
export function getIntOption(fd: number, level: number, name: number): number {
  const m = intScratch();
  m.view.setUint32(8, 4, true);
  return sys().getsockopt(fd, level, name, m.ptr, m.at(8)) < 0
    ? -errno()
    : m.view.getInt32(0, true);
}

let intMem: Mem | undefined;
function intScratch(): Mem {
  return intMem ??= new Mem(16);
}

/** Closes `fd`, ignoring errors (the descriptor is gone either way on Linux). */
export function closeFd(fd: number): void {
  if (fd >= 0) sys().close(fd);
}

/** An eventfd for waking a poll (close or stop requests); nonblocking. */
export function openEventFd(): number {
  const fd = sys().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw sysError("eventfd");
  return fd;
}

const eventMem = () => intScratch();

/** Adds 1 to an eventfd (wakes whoever polls it). */
export function signalEventFd(fd: number): void {
  const m = eventMem();
  m.view.setBigUint64(0, 1n, true);
  sys().write(fd, m.ptr, 8);
}

/** Resets an eventfd to zero. */
export function drainEventFd(fd: number): void {
  sys().read(fd, eventMem().ptr, 8);
}

/**
 * A set of descriptors to wait on with poll(2): `wait` blocks the calling thread (for a Worker
 * that owns the fast path), `waitAsync` waits on Deno's blocking pool (for the main thread).
 */
export class PollSet {
  private readonly mem: Mem;
  private count = 0;

  constructor(readonly capacity = 16) {
    this.mem = new Mem(capacity * 8);
  }

  /** Adds `fd` for `events` (POLLIN by default); returns its index. */
  add(fd: number, events = POLLIN): number {
    if (this.count >= this.capacity) throw new RangeError("poll set full");
    const i = this.count++;
    this.mem.view.setInt32(i * 8, fd, true);
    this.mem.view.setInt16(i * 8 + 4, events, true);
    this.mem.view.setInt16(i * 8 + 6, 0, true);
    return i;
  }

  clear(): void {
    this.count = 0;
  }

  get size(): number {
    return this.count;
  }

  /** Waits up to `timeoutMs` (-1: forever, 0: just look); returns how many are ready. */
  wait(timeoutMs: number): number {
    const n = sys().poll(this.mem.ptr, U64[this.count]!, timeoutMs);
    return n < 0 ? (errno() === EINTR ? 0 : -errno()) : n;
  }

  /** As `wait`, without blocking the calling thread's event loop. */
  async waitAsync(timeoutMs: number): Promise<number> {
    const n = await sys().pollAsync(this.mem.ptr, U64[this.count]!, timeoutMs);
    return n < 0 ? 0 : n;
  }

  /** The events that fired on entry `i` at the last wait. */
  revents(i: number): number {
    return this.mem.view.getInt16(i * 8 + 6, true);
  }
}
