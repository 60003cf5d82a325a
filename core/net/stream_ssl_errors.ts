// The texts stream-ssl logs, in OpenSSL's ERR_error_string form ("error:0A000086:SSL
// routines::certificate verify failed"), because that is what upstream's logs show and what
// scripts grep for. Our TLS engine (rustls, under Deno's node:tls) words its failures its own
// way; this file owns the translation from those failures, and from OS errors, to the text
// upstream would log and the errno its callers would see. No I/O.

/** OpenSSL reason texts we produce, with their packed error codes. */
export const SSL_ERRORS = {
  certificateVerifyFailed: "error:0A000086:SSL routines::certificate verify failed",
  peerDidNotReturnCertificate: "error:0A0000C7:SSL routines::peer did not return a certificate",
  unexpectedEof: "error:0A000126:SSL routines::unexpected eof while reading",
  wrongVersionNumber: "error:0A00010B:SSL routines::wrong version number",
  noSharedCipher: "error:0A0000C1:SSL routines::no shared cipher",
  unsupportedProtocol: "error:0A000102:SSL routines::unsupported protocol",
  noProtocolsAvailable: "error:0A0000BF:SSL routines::no protocols available",
  noCipherMatch: "error:0A0000B9:SSL routines::no cipher match",
  noPrivateKeyAssigned: "error:0A0000BE:SSL routines::no private key assigned",
  keyValuesMismatch: "error:05800074:x509 certificate routines::key values mismatch",
  pemLib: "error:0A080009:SSL routines::PEM lib",
  sslSystemLib: "error:0A080002:SSL routines::system lib",
  bioSystemLib: "error:10080002:BIO routines::system lib",
  noStartLine: "error:0480006C:PEM routines::no start line",
  decoderUnsupported: "error:1E08010C:DECODER routines::unsupported",
} as const;

/** errno names with their numbers and strerror() texts, as glibc has them. */
const ERRNO: Record<string, [number, string]> = {
  EPERM: [1, "Operation not permitted"],
  ENOENT: [2, "No such file or directory"],
  EIO: [5, "Input/output error"],
  EAGAIN: [11, "Resource temporarily unavailable"],
  EACCES: [13, "Permission denied"],
  EEXIST: [17, "File exists"],
  ENOTDIR: [20, "Not a directory"],
  EISDIR: [21, "Is a directory"],
  EINVAL: [22, "Invalid argument"],
  EPIPE: [32, "Broken pipe"],
  ENOPROTOOPT: [92, "Protocol not available"],
  EPROTO: [71, "Protocol error"],
  EAFNOSUPPORT: [97, "Address family not supported by protocol"],
  EADDRINUSE: [98, "Address already in use"],
  EADDRNOTAVAIL: [99, "Cannot assign requested address"],
  ENETUNREACH: [101, "Network is unreachable"],
  ECONNABORTED: [103, "Software caused connection abort"],
  ECONNRESET: [104, "Connection reset by peer"],
  ENOTCONN: [107, "Transport endpoint is not connected"],
  ETIMEDOUT: [110, "Connection timed out"],
  ECONNREFUSED: [111, "Connection refused"],
  EHOSTUNREACH: [113, "No route to host"],
};

/** strerror() of an errno name. */
export function strerror(code: string): string {
  return ERRNO[code]?.[1] ?? code;
}

/**
 * A failed stream operation. `message` is the strerror() text of `code`, so that callers which
 * print errno texts (ovs_strerror) print exactly upstream's words.
 */
export class StreamError extends Error {
  constructor(readonly code: string) {
    super(strerror(code));
    this.name = "StreamError";
  }
}

const DENO_ERRNO: Array<[new (...args: never[]) => Error, string]> = [
  [Deno.errors.NotFound, "ENOENT"],
  [Deno.errors.PermissionDenied, "EACCES"],
  [Deno.errors.AlreadyExists, "EEXIST"],
  [Deno.errors.IsADirectory, "EISDIR"],
  [Deno.errors.NotADirectory, "ENOTDIR"],
  [Deno.errors.ConnectionRefused, "ECONNREFUSED"],
  [Deno.errors.ConnectionReset, "ECONNRESET"],
  [Deno.errors.ConnectionAborted, "ECONNABORTED"],
  [Deno.errors.BrokenPipe, "EPIPE"],
  [Deno.errors.TimedOut, "ETIMEDOUT"],
  [Deno.errors.NotConnected, "ENOTCONN"],
  [Deno.errors.AddrInUse, "EADDRINUSE"],
  [Deno.errors.AddrNotAvailable, "EADDRNOTAVAIL"],
];

/** The errno name behind an error from Deno or node:net, or undefined when it has none. */
export function errnoOf(error: unknown): string | undefined {
  if (error instanceof StreamError) return error.code;
  for (const [type, code] of DENO_ERRNO) {
    if (error instanceof type) return code;
  }
  if (error && typeof error === "object" && "code" in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === "string" && code in ERRNO) return code;
  }
  return undefined;
}

/** OpenSSL's text for a failing system call on a file: "error:80000002:system library::...". */
export function systemLibraryError(code: string): string {
  const [number, text] = ERRNO[code] ?? [5, strerror(code)];
  const packed = (0x80000000 + number).toString(16).toUpperCase();
  return `error:${packed}:system library::${text}`;
}

/**
 * TLS alerts by number: OpenSSL names each "sslv3 alert …", "tlsv1 alert …" or "tlsv13 alert …"
 * after the protocol that defined it, with reason code 1000 + the alert number; rustls names
 * them in CamelCase, which is how its messages ("received fatal alert: UnknownCA") show them.
 */
const ALERTS: ReadonlyArray<[number, string, string]> = [
  [10, "UnexpectedMessage", "sslv3 alert unexpected message"],
  [20, "BadRecordMac", "sslv3 alert bad record mac"],
  [21, "DecryptionFailed", "tlsv1 alert decryption failed"],
  [22, "RecordOverflow", "tlsv1 alert record overflow"],
  [30, "DecompressionFailure", "sslv3 alert decompression failure"],
  [40, "HandshakeFailure", "sslv3 alert handshake failure"],
  [41, "NoCertificate", "sslv3 alert no certificate"],
  [42, "BadCertificate", "sslv3 alert bad certificate"],
  [43, "UnsupportedCertificate", "sslv3 alert unsupported certificate"],
  [44, "CertificateRevoked", "sslv3 alert certificate revoked"],
  [45, "CertificateExpired", "sslv3 alert certificate expired"],
  [46, "CertificateUnknown", "sslv3 alert certificate unknown"],
  [47, "IllegalParameter", "sslv3 alert illegal parameter"],
  [48, "UnknownCA", "tlsv1 alert unknown ca"],
  [49, "AccessDenied", "tlsv1 alert access denied"],
  [50, "DecodeError", "tlsv1 alert decode error"],
  [51, "DecryptError", "tlsv1 alert decrypt error"],
  [60, "ExportRestriction", "tlsv1 alert export restriction"],
  [70, "ProtocolVersion", "tlsv1 alert protocol version"],
  [71, "InsufficientSecurity", "tlsv1 alert insufficient security"],
  [80, "InternalError", "tlsv1 alert internal error"],
  [86, "InappropriateFallback", "tlsv1 alert inappropriate fallback"],
  [90, "UserCanceled", "tlsv1 alert user cancelled"],
  [100, "NoRenegotiation", "tlsv1 alert no renegotiation"],
  [109, "MissingExtension", "tlsv13 alert missing extension"],
  [110, "UnsupportedExtension", "tlsv1 unsupported extension"],
  [111, "CertificateUnobtainable", "tlsv1 certificate unobtainable"],
  [112, "UnrecognisedName", "tlsv1 unrecognized name"],
  [113, "BadCertificateStatusResponse", "tlsv1 bad certificate status response"],
  [114, "BadCertificateHashValue", "tlsv1 bad certificate hash value"],
  [115, "UnknownPSKIdentity", "tlsv1 alert unknown psk identity"],
  [116, "CertificateRequired", "tlsv13 alert certificate required"],
  [120, "NoApplicationProtocol", "tlsv1 alert no application protocol"],
];

function packedSslReason(reason: number): string {
  return (0x0a000000 + reason).toString(16).toUpperCase().padStart(8, "0");
}

/** OpenSSL's text for receiving alert `number` from the peer. */
export function alertError(number: number): string | undefined {
  const alert = ALERTS.find(([n]) => n === number);
  if (!alert) return undefined;
  return `error:${packedSslReason(1000 + number)}:SSL routines::${alert[2]}`;
}

/** OpenSSL's text for receiving the alert rustls calls `name`. */
export function alertErrorByName(name: string): string | undefined {
  const alert = ALERTS.find(([, rustlsName]) => rustlsName.toLowerCase() === name.toLowerCase());
  return alert ? alertError(alert[0]) : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What went wrong in a handshake or a record, sorted as upstream's interpret_ssl_error sorts. */
export type SslFailure =
  /** OpenSSL queued an error: logged as "FUNCTION: TEXT", the caller sees EPROTO/EIO. */
  | { kind: "ssl"; text: string }
  /** A system call failed: logged as "FUNCTION: system error (TEXT)", the caller sees `code`. */
  | { kind: "system"; code: string };

/**
 * Sorts a failure reported by the TLS engine or the socket under it. (OpenSSL also tells an HTTP
 * request from other garbage; the engine does not show us the bytes, so all garbage is "wrong
 * version number".)
 */
export function classifyFailure(error: unknown): SslFailure {
  const message = messageOf(error);
  const alert = /received fatal alert: (\w+)/.exec(message);
  if (alert) {
    const text = alertErrorByName(alert[1] ?? "");
    if (text) return { kind: "ssl", text };
  }
  if (/peer sent no certificates|NoCertificatesPresented/i.test(message)) {
    return { kind: "ssl", text: SSL_ERRORS.peerDidNotReturnCertificate };
  }
  if (/NoCipherSuitesInCommon|no shared cipher/i.test(message)) {
    return { kind: "ssl", text: SSL_ERRORS.noSharedCipher };
  }
  if (
    /peer is incompatible|unsupported protocol|ProtocolVersion|SupportedVersions/i.test(message)
  ) {
    return { kind: "ssl", text: SSL_ERRORS.unsupportedProtocol };
  }
  if (/corrupt message|InvalidContentType|InvalidMessage|wrong version/i.test(message)) {
    return { kind: "ssl", text: SSL_ERRORS.wrongVersionNumber };
  }
  const errno = errnoOf(error);
  if (errno === "ECONNRESET" || errno === "EPIPE" || errno === "ETIMEDOUT") {
    return { kind: "system", code: errno };
  }
  if (/close_notify|unexpected eof|UnexpectedEof|socket hang up|EOF/i.test(message)) {
    return { kind: "ssl", text: SSL_ERRORS.unexpectedEof };
  }
  if (errno !== undefined) return { kind: "system", code: errno };
  // Something OpenSSL has no word for: say what the engine said rather than guess.
  return { kind: "ssl", text: message };
}

/** The log line's text after "FUNCTION: " for `failure`. */
export function failureText(failure: SslFailure): string {
  return failure.kind === "ssl" ? failure.text : `system error (${strerror(failure.code)})`;
}
