// How an OpenFlow connection fails, as upstream's vconn layer reports it: an errno name
// ("ENOENT", "ECONNRESET", "EPROTO", ...) or "EOF" for a clean close, with the text upstream's
// ovs_retval_to_string() prints for it, so tools can print "connecting to X (No such file or
// directory)" and callers can branch on the code (ovs-ofctl tries the next socket on ENOENT).
// Owns the mapping from Deno's errors to errno names. No I/O.

import { errorText } from "../net/stream.ts";

const STRERROR: Record<string, string> = {
  EOF: "End of file",
  ENOENT: "No such file or directory",
  ECONNREFUSED: "Connection refused",
  ECONNRESET: "Connection reset by peer",
  EPIPE: "Broken pipe",
  EACCES: "Permission denied",
  ETIMEDOUT: "Connection timed out",
  EPROTO: "Protocol error",
  ENOTCONN: "Transport endpoint is not connected",
  EAFNOSUPPORT: "Address family not supported by protocol",
  ENOPROTOOPT: "Protocol not available",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
  EINVAL: "Invalid argument",
  EAGAIN: "Resource temporarily unavailable",
  ENOBUFS: "No buffer space available",
};

/** A connection failure: `code` is the errno name (or "EOF"), `message` upstream's text. */
export class VconnError extends Error {
  constructor(readonly code: string, message = STRERROR[code] ?? code) {
    super(message);
    this.name = "VconnError";
  }
}

/** The errno text for `code`, as ovs_strerror prints it. */
export function strerror(code: string): string {
  return STRERROR[code] ?? code;
}

const DENO_CODES: Array<[new (...args: never[]) => Error, string]> = [
  [Deno.errors.NotFound, "ENOENT"],
  [Deno.errors.ConnectionRefused, "ECONNREFUSED"],
  [Deno.errors.ConnectionReset, "ECONNRESET"],
  [Deno.errors.ConnectionAborted, "ECONNRESET"],
  [Deno.errors.BrokenPipe, "EPIPE"],
  [Deno.errors.PermissionDenied, "EACCES"],
  [Deno.errors.TimedOut, "ETIMEDOUT"],
  [Deno.errors.NotConnected, "ENOTCONN"],
  [Deno.errors.AddrInUse, "EADDRINUSE"],
  [Deno.errors.AddrNotAvailable, "EADDRNOTAVAIL"],
];

/** A VconnError for whatever an I/O call threw. */
export function vconnErrorFrom(error: unknown): VconnError {
  if (error instanceof VconnError) return error;
  for (const [type, code] of DENO_CODES) {
    if (error instanceof type) return new VconnError(code);
  }
  const text = errorText(error);
  const known = Object.entries(STRERROR).find(([, message]) => message === text);
  return known ? new VconnError(known[0]) : new VconnError("EIO", text);
}
