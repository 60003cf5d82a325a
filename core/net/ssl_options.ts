// The SSL command-line options every tool and daemon takes (upstream's STREAM_SSL_LONG_OPTIONS
// plus --peer-ca-cert and --bootstrap-ca-cert where the program has them), what each does, and
// the help text for them. Tools apply them at once, in command-line order, as upstream's option
// handlers do; ovsdb-server keeps them as strings, since any of them may be a `db:` reference it
// resolves against its databases (core/db/server/ssl_config.ts). No I/O beyond the setters'.

import type { OptionSpec, ParsedOption } from "./options.ts";
import {
  sslSetCaCertFile,
  sslSetCertificateFile,
  sslSetCiphers,
  sslSetPeerCaCertFile,
  sslSetPrivateKeyFile,
  sslSetProtocols,
} from "./stream_ssl_config.ts";

/** -p, -c, -C, --ssl-protocols, --ssl-ciphers: every program that opens streams has these. */
export const STREAM_SSL_OPTIONS: readonly OptionSpec[] = [
  { name: "private-key", short: "p", arg: "required" },
  { name: "certificate", short: "c", arg: "required" },
  { name: "ca-cert", short: "C", arg: "required" },
  { name: "ssl-protocols", arg: "required" },
  { name: "ssl-ciphers", arg: "required" },
];

/** --bootstrap-ca-cert=FILE: take the CA certificate from the first peer when FILE is absent. */
export const BOOTSTRAP_CA_CERT_OPTION: OptionSpec = { name: "bootstrap-ca-cert", arg: "required" };

/** --peer-ca-cert=FILE: send FILE's certificates to peers, for them to bootstrap from. */
export const PEER_CA_CERT_OPTION: OptionSpec = { name: "peer-ca-cert", arg: "required" };

/** All of them, as the daemons take them. */
export const SSL_OPTIONS: readonly OptionSpec[] = [
  ...STREAM_SSL_OPTIONS.slice(0, 3),
  BOOTSTRAP_CA_CERT_OPTION,
  PEER_CA_CERT_OPTION,
  ...STREAM_SSL_OPTIONS.slice(3),
];

const SSL_OPTION_NAMES = new Set(SSL_OPTIONS.map((o) => o.name));

/** Whether `name` is one of the SSL options. */
export function isSslOption(name: string): boolean {
  return SSL_OPTION_NAMES.has(name);
}

/**
 * Applies an SSL option now (STREAM_SSL_OPTION_HANDLERS and the --peer-ca-cert and
 * --bootstrap-ca-cert cases). Returns false for any other option.
 */
export function applySslOption(option: ParsedOption): boolean {
  const value = option.value ?? "";
  switch (option.name) {
    case "private-key":
      sslSetPrivateKeyFile(value);
      return true;
    case "certificate":
      sslSetCertificateFile(value);
      return true;
    case "ca-cert":
      sslSetCaCertFile(value, false);
      return true;
    case "bootstrap-ca-cert":
      sslSetCaCertFile(value, true);
      return true;
    case "peer-ca-cert":
      sslSetPeerCaCertFile(value);
      return true;
    case "ssl-protocols":
      sslSetProtocols(value);
      return true;
    case "ssl-ciphers":
      sslSetCiphers(value);
      return true;
    default:
      return false;
  }
}

/** ovsdb-server's SSL settings as given: file names or `db:DB,TABLE,COLUMN` references. */
export interface SslOptionStrings {
  privateKey?: string;
  certificate?: string;
  caCert?: string;
  bootstrapCaCert: boolean;
  protocols?: string;
  ciphers?: string;
}

/**
 * Records an SSL option for ovsdb-server, which resolves them later; --peer-ca-cert, which
 * cannot be a `db:` reference, is applied at once as upstream does. False for other options.
 */
export function collectSslOption(option: ParsedOption, strings: SslOptionStrings): boolean {
  const value = option.value ?? "";
  switch (option.name) {
    case "private-key":
      strings.privateKey = value;
      return true;
    case "certificate":
      strings.certificate = value;
      return true;
    case "ca-cert":
      strings.caCert = value;
      strings.bootstrapCaCert = false;
      return true;
    case "bootstrap-ca-cert":
      strings.caCert = value;
      strings.bootstrapCaCert = true;
      return true;
    case "peer-ca-cert":
      sslSetPeerCaCertFile(value);
      return true;
    case "ssl-protocols":
      strings.protocols = value;
      return true;
    case "ssl-ciphers":
      strings.ciphers = value;
      return true;
    default:
      return false;
  }
}

/**
 * The "PKI configuration" and "SSL options" sections of --help (stream_usage), with what our TLS
 * engine does differently from upstream's OpenSSL said where it matters.
 */
export function sslUsage(bootstrap: boolean, peerCaCert = false): string {
  return "PKI configuration (required to use SSL):\n" +
    "  -p, --private-key=FILE  file with private key\n" +
    "  -c, --certificate=FILE  file with certificate for private key\n" +
    "  -C, --ca-cert=FILE      file with peer CA certificate\n" +
    "                          (a peer whose certificate does not chain to it is\n" +
    "                          refused once the handshake is done, without an alert)\n" +
    (bootstrap
      ? "  --bootstrap-ca-cert=FILE  file with peer CA certificate to read or create\n"
      : "") +
    (peerCaCert ? "  --peer-ca-cert=FILE     file with CA certificates to send to peers\n" : "") +
    "SSL options:\n" +
    "  --ssl-protocols=PROTOS  list of SSL protocols to enable\n" +
    "                          (this build speaks TLSv1.2 and TLSv1.3 only; a list\n" +
    "                          enables TLSv1.2 alone, or nothing without TLSv1.2)\n" +
    "  --ssl-ciphers=CIPHERS   list of SSL ciphers to enable\n" +
    "                          (OpenSSL syntax; checked against the negotiated TLSv1.2\n" +
    "                          suite, which is always ECDHE with AES-GCM or ChaCha20)\n";
}
