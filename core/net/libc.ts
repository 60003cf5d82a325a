// The process controls Deno does not offer, through libc: starting a new session (so a detached
// daemon leaves its parent's terminal and process group, as upstream's daemonize does), pointing
// standard input and output at /dev/null once detached, and naming the process (so `ps`, `pidof` and `killall` see `ovs-vswitchd`, not `deno`). Both
// are best effort: without FFI permission or libc they quietly do nothing, which costs only
// cosmetics.

interface Libc {
  setsid(): number;
  prctl(option: number, arg: Deno.PointerValue): number;
  open(path: Deno.PointerValue, flags: number): number;
  dup2(from: number, to: number): number;
  close(fd: number): number;
  fcntl(fd: number, command: number, arg: Deno.PointerValue): number;
}

let cached: Libc | null | undefined;

function libc(): Libc | null {
  if (cached !== undefined) return cached;
  try {
    const library = Deno.dlopen("libc.so.6", {
      setsid: { parameters: [], result: "i32" },
      prctl: { parameters: ["i32", "pointer"], result: "i32" },
      open: { parameters: ["pointer", "i32"], result: "i32" },
      dup2: { parameters: ["i32", "i32"], result: "i32" },
      close: { parameters: ["i32"], result: "i32" },
      fcntl: { parameters: ["i32", "i32", "pointer"], result: "i32" },
    });
    cached = {
      setsid: () => library.symbols.setsid(),
      prctl: (option, arg) => library.symbols.prctl(option, arg),
      open: (path, flags) => library.symbols.open(path, flags),
      dup2: (from, to) => library.symbols.dup2(from, to),
      close: (fd) => library.symbols.close(fd),
      fcntl: (fd, command, arg) => library.symbols.fcntl(fd, command, arg),
    };
  } catch {
    cached = null;
  }
  return cached;
}

/** Starts a new session; returns false when that was not possible. */
export function startNewSession(): boolean {
  const lib = libc();
  return lib !== null && lib.setsid() >= 0;
}

const PR_SET_NAME = 15;
// Kept alive for the process lifetime: the kernel copies the name, but we keep it anyway.
let nameBuffer: Uint8Array<ArrayBuffer> | undefined;

/** Sets the process name shown by ps (at most 15 bytes, as the kernel keeps). */
export function setProcessName(name: string): boolean {
  const lib = libc();
  if (lib === null) return false;
  const bytes = new TextEncoder().encode(name.slice(0, 15));
  nameBuffer = new Uint8Array(bytes.length + 1);
  nameBuffer.set(bytes);
  return lib.prctl(PR_SET_NAME, Deno.UnsafePointer.of(nameBuffer)) === 0;
}

const O_RDWR = 2;

/**
 * Points file descriptors 0, 1 and 2 at /dev/null, as a detached daemon's are: the --detach
 * parent's pipes close when it exits, and a later write must neither fail nor land elsewhere.
 * `keepStderr` leaves descriptor 2 alone (upstream's daemon_save_fd(STDERR_FILENO)).
 */
export function redirectStdioToDevNull(keepStderr = false): boolean {
  const lib = libc();
  if (lib === null) return false;
  const path = new TextEncoder().encode("/dev/null\0");
  const fd = lib.open(Deno.UnsafePointer.of(path), O_RDWR);
  if (fd < 0) return false;
  for (const target of keepStderr ? [0, 1] : [0, 1, 2]) lib.dup2(fd, target);
  if (fd > 2) lib.close(fd);
  return true;
}

const F_GETLK = 5;
const F_SETLK = 6;
const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;
/** struct flock on Linux x86_64/aarch64: type, whence, start, len, pid. */
const FLOCK_SIZE = 32;

function flockStruct(type: number): Uint8Array<ArrayBuffer> {
  const buffer = new Uint8Array(FLOCK_SIZE);
  const view = new DataView(buffer.buffer);
  view.setInt16(0, type, true);
  view.setInt16(2, 0, true); // SEEK_SET
  view.setBigInt64(8, 0n, true); // from the start
  view.setBigInt64(16, 0n, true); // to the end
  return buffer;
}

/**
 * Takes the POSIX (fcntl) write lock that upstream daemons hold on their pidfile; upstream's
 * `ovs-appctl` and `read_pidfile` treat an unlocked pidfile as stale. The descriptor stays open
 * (and so the lock held) until the process exits. Returns false when the lock is held elsewhere
 * or FFI is unavailable.
 */
export function lockFileForLife(path: string): boolean {
  const lib = libc();
  if (lib === null) return false;
  const name = new TextEncoder().encode(path + "\0");
  const fd = lib.open(Deno.UnsafePointer.of(name), O_RDWR);
  if (fd < 0) return false;
  const lock = flockStruct(F_WRLCK);
  if (lib.fcntl(fd, F_SETLK, Deno.UnsafePointer.of(lock)) < 0) {
    lib.close(fd);
    return false;
  }
  return true;
}

/**
 * The pid holding a POSIX lock on `path`: a number, 0 when nobody holds one, undefined when that
 * cannot be known (no FFI, unreadable file).
 */
export function lockHolder(path: string): number | undefined {
  const lib = libc();
  if (lib === null) return undefined;
  const name = new TextEncoder().encode(path + "\0");
  const fd = lib.open(Deno.UnsafePointer.of(name), O_RDWR);
  if (fd < 0) return undefined;
  const lock = flockStruct(F_WRLCK);
  const result = lib.fcntl(fd, F_GETLK, Deno.UnsafePointer.of(lock));
  lib.close(fd);
  if (result < 0) return undefined;
  const view = new DataView(lock.buffer);
  const type = view.getInt16(0, true);
  if (type === F_UNLCK) return 0;
  if (type !== F_WRLCK && type !== F_RDLCK) return undefined;
  return view.getInt32(24, true);
}
