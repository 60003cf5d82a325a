// How the datapath fails: upstream's dpif and netdev providers return errno values, and the tools
// print them through strerror() ("updating flow table (Invalid argument)"). `DpError` carries the
// errno name so callers can branch on it and print upstream's text. Owns the errno names and their
// glibc strerror texts for the values the datapath returns; no I/O.

/** The errno values the datapath, its netdevs and dpctl return. */
export type Errno =
  | "EINVAL"
  | "EEXIST"
  | "ENOENT"
  | "ENODEV"
  | "EBUSY"
  | "EFBIG"
  | "E2BIG"
  | "ENOSPC"
  | "EOPNOTSUPP"
  | "EAFNOSUPPORT"
  | "EMSGSIZE"
  | "EPFNOSUPPORT"
  | "EAGAIN"
  | "EBADF"
  | "EPROTO"
  | "EPERM"
  | "ESRCH"
  // What real devices add (core/datapath/netdev_afpacket.ts, netdev_tap.ts).
  | "EACCES"
  | "EIO"
  | "ENXIO"
  | "ENOMEM"
  | "ENETDOWN"
  | "ENOBUFS";

/** glibc's strerror() text for each errno. */
export const STRERROR: Readonly<Record<Errno, string>> = {
  EINVAL: "Invalid argument",
  EEXIST: "File exists",
  ENOENT: "No such file or directory",
  ENODEV: "No such device",
  EBUSY: "Device or resource busy",
  EFBIG: "File too large",
  E2BIG: "Argument list too long",
  ENOSPC: "No space left on device",
  EOPNOTSUPP: "Operation not supported",
  EAFNOSUPPORT: "Address family not supported by protocol",
  EMSGSIZE: "Message too long",
  EPFNOSUPPORT: "Protocol family not supported",
  EAGAIN: "Resource temporarily unavailable",
  EBADF: "Bad file descriptor",
  EPROTO: "Protocol error",
  EPERM: "Operation not permitted",
  ESRCH: "No such process",
  EACCES: "Permission denied",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  ENOMEM: "Cannot allocate memory",
  ENETDOWN: "Network is down",
  ENOBUFS: "No buffer space available",
};

/** A datapath or netdev operation that failed with `errno`; `message` adds context if any. */
export class DpError extends Error {
  constructor(readonly errno: Errno, detail?: string) {
    super(detail ?? STRERROR[errno]);
    this.name = "DpError";
  }

  /** The strerror() text, as the tools print it in parentheses. */
  get strerror(): string {
    return STRERROR[this.errno];
  }
}

/** The errno of `e` when it is a DpError, else EINVAL (a parse or programming failure). */
export function errnoOf(e: unknown): Errno {
  return e instanceof DpError ? e.errno : "EINVAL";
}
