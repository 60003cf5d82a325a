// The process-wide SSL configuration, as upstream's stream-ssl keeps it in one SSL_CTX: the
// private key, the certificate, the CA certificates that peers must chain to (or "none", or a
// file to bootstrap from the first peer), extra certificates to send to peers, and the protocol
// and cipher lists. The setters are upstream's stream_ssl_set_*() with their semantics: a file is
// (re)read only when its name or modification time changed, so long-running daemons may call
// them on every pass; failures are logged with upstream's texts and leave the previous setting
// in place; a key that does not match the certificate is refused or dropped as OpenSSL does.
// Every new SSL stream first runs the refresher (how ovsdb-server resolves `db:` options and
// ovs-vswitchd reads its SSL table) and then checks that the configuration is complete.
// Must not open network connections; stream_ssl.ts does.

import { createPrivateKey, type KeyObject, type X509Certificate } from "node:crypto";
import { RateLimit, vlogModule } from "./vlog.ts";
import { DEFAULT_CIPHERS, evaluateCipherList } from "./stream_ssl_ciphers.ts";
import { errnoOf, SSL_ERRORS, strerror, systemLibraryError } from "./stream_ssl_errors.ts";
import {
  certificatesIn,
  derToPem,
  keyMatchesCertificate,
  pemBlocks,
  sha1Fingerprint,
  subjectOneline,
} from "./stream_ssl_x509.ts";

const log = vlogModule("stream_ssl");
/** Upstream throttles stream-ssl's per-connection complaints to 10 a minute, bursts of 25. */
export const sslRateLimit = new RateLimit(10, 25);

/** TLS versions by the names node:tls takes. */
export type TlsVersion = "TLSv1.2" | "TLSv1.3";

interface ConfigFile {
  /** Whether the file was read successfully once (upstream's `read`: never reset). */
  read: boolean;
  fileName: string | undefined;
  mtime: number;
}

function configFile(): ConfigFile {
  return { read: false, fileName: undefined, mtime: 0 };
}

interface State {
  privateKey: ConfigFile;
  certificate: ConfigFile;
  caCert: ConfigFile;
  /** What the SSL_CTX holds: the key (dropped when a non-matching certificate arrives). */
  key: { pem: string; object: KeyObject } | undefined;
  cert: { pem: string; x509: X509Certificate } | undefined;
  /** The CA certificates peers must chain to. */
  anchors: X509Certificate[];
  /** Certificates sent after ours (--peer-ca-cert), as PEM. */
  extraChain: string[];
  verifyPeer: boolean;
  bootstrapCaCert: boolean;
  protocols: string;
  versions: { min: TlsVersion; max: TlsVersion } | undefined;
  ciphers: string;
  allowedCiphers: Set<string>;
}

/** Upstream's default protocol string: setting exactly this again changes nothing. */
const DEFAULT_PROTOCOLS = "TLSv1,TLSv1.1,TLSv1.2";

function initialState(): State {
  return {
    privateKey: configFile(),
    certificate: configFile(),
    caCert: configFile(),
    key: undefined,
    cert: undefined,
    anchors: [],
    extraChain: [],
    verifyPeer: true,
    bootstrapCaCert: false,
    protocols: DEFAULT_PROTOCOLS,
    versions: { min: "TLSv1.2", max: "TLSv1.3" },
    ciphers: DEFAULT_CIPHERS,
    allowedCiphers: evaluateCipherList(DEFAULT_CIPHERS) ?? new Set(),
  };
}

let state = initialState();
let refresher: (() => void) | undefined;

/** Forgets every setting (tests only: a process configures SSL once, as upstream's does). */
export function sslResetForTests(): void {
  state = initialState();
  refresher = undefined;
  errorQueue.length = 0;
}

/**
 * Installs the function every new SSL stream calls first to bring the configuration up to date
 * (ovsdb-server's reconfigure_ssl, ovs-vswitchd's reading of the SSL table).
 */
export function sslSetRefresher(fn: (() => void) | undefined): void {
  refresher = fn;
}

/** Whether SSL is at least partially configured (stream_ssl_is_configured). */
export function sslIsConfigured(): boolean {
  return state.privateKey.fileName !== undefined || state.certificate.fileName !== undefined ||
    state.caCert.fileName !== undefined;
}

function mtimeOf(fileName: string): number {
  try {
    return Deno.statSync(fileName).mtime?.getTime() ?? 0;
  } catch (error) {
    const code = errnoOf(error);
    if (code !== "ENOENT") {
      log.rateLimited(
        sslRateLimit,
        "err",
        `${fileName}: stat failed (${strerror(code ?? "EIO")})`,
      );
    }
    return 0;
  }
}

/** Records `fileName` in `config`; true when it or its contents changed (update_ssl_config). */
function updateConfig(config: ConfigFile, fileName: string | undefined): boolean {
  if (fileName === undefined) return false;
  const mtime = mtimeOf(fileName);
  if (config.fileName === fileName && config.mtime === mtime) return false;
  config.fileName = fileName;
  config.mtime = mtime;
  return true;
}

/**
 * OpenSSL's thread error queue, as far as stream-ssl can see it. A failed load queues several
 * errors but upstream logs only the oldest (ERR_get_error), so the rest are what the next
 * failure logs: "-p missing -c garbage" logs "BIO routines::system lib" for the certificate.
 * Upstream's users see exactly those lines, so the queue is modelled: each failure queues what
 * OpenSSL 3 queues for it, each logged error takes the oldest, and what OpenSSL clears it
 * (a CA file loaded, a handshake starting) clears it.
 */
const errorQueue: string[] = [];

function queueErrors(...errors: string[]): void {
  errorQueue.push(...errors);
}

/** ERR_get_error(): the oldest queued error. */
function takeError(): string {
  return errorQueue.shift() ?? "error:00000000:lib(0)::reason(0)";
}

/** The errors OpenSSL queues when a file cannot be opened (BIO_read_filename). */
function openErrors(code: string): string[] {
  return [systemLibraryError(code), SSL_ERRORS.bioSystemLib];
}

type FileRead = { text: string } | { code: string };

/** Reads a PEM file. A directory reads as nothing at all, as fopen()+fread() find it. */
function readPemFile(fileName: string): FileRead {
  try {
    if (Deno.statSync(fileName).isDirectory) return { text: "" };
    return { text: Deno.readTextFileSync(fileName) };
  } catch (error) {
    const code = errnoOf(error) ?? "EIO";
    return code === "EISDIR" ? { text: "" } : { code };
  }
}

function loadPrivateKey(fileName: string): void {
  const file = readPemFile(fileName);
  let key: { pem: string; object: KeyObject } | undefined;
  if ("code" in file) {
    queueErrors(...openErrors(file.code), SSL_ERRORS.sslSystemLib);
  } else {
    const block = pemBlocks(file.text).find((b) => /PRIVATE KEY$/.test(b.label));
    try {
      if (!block || block.label.startsWith("ENCRYPTED")) throw new Error("no usable key");
      const pem = derToPem(block.der, block.label);
      key = { pem, object: createPrivateKey(pem) };
    } catch {
      queueErrors(SSL_ERRORS.decoderUnsupported, SSL_ERRORS.pemLib);
    }
  }
  if (key && state.cert && !keyMatchesCertificate(key.object, state.cert.x509)) {
    queueErrors(SSL_ERRORS.keyValuesMismatch);
    key = undefined;
  }
  if (!key) {
    log.err(`SSL_use_PrivateKey_file: ${takeError()}`);
    return;
  }
  state.key = key;
  state.privateKey.read = true;
}

function loadCertificate(fileName: string): void {
  const file = readPemFile(fileName);
  const cert = "text" in file ? certificatesIn(file.text)[0] : undefined;
  if (!cert) {
    if ("code" in file) queueErrors(...openErrors(file.code), SSL_ERRORS.sslSystemLib);
    else queueErrors(SSL_ERRORS.noStartLine, SSL_ERRORS.pemLib);
    log.err(`SSL_use_certificate_file: ${takeError()}`);
    return;
  }
  // OpenSSL drops a key that does not belong to the new certificate, without a word.
  if (state.key && !keyMatchesCertificate(state.key.object, cert)) state.key = undefined;
  state.cert = { pem: derToPem(new Uint8Array(cert.raw)), x509: cert };
  state.certificate.read = true;
}

/** Sets the private key file (stream_ssl_set_private_key_file). */
export function sslSetPrivateKeyFile(fileName: string | undefined): void {
  if (updateConfig(state.privateKey, fileName) && fileName !== undefined) {
    loadPrivateKey(fileName);
  }
}

/** Sets the certificate file (stream_ssl_set_certificate_file). */
export function sslSetCertificateFile(fileName: string | undefined): void {
  if (updateConfig(state.certificate, fileName) && fileName !== undefined) {
    loadCertificate(fileName);
  }
}

/**
 * Sets both, re-reading both in the order that never leaves a key without its certificate
 * (stream_ssl_set_key_and_cert), for daemons whose files may be replaced while they run.
 */
export function sslSetKeyAndCert(
  keyFile: string | undefined,
  certificateFile: string | undefined,
): void {
  if (
    updateConfig(state.privateKey, keyFile) && updateConfig(state.certificate, certificateFile) &&
    keyFile !== undefined && certificateFile !== undefined
  ) {
    loadCertificate(certificateFile);
    loadPrivateKey(keyFile);
  }
}

function loadCaCert(fileName: string): void {
  const file = readPemFile(fileName);
  const certs = "text" in file ? certificatesIn(file.text) : [];
  if (certs.length === 0) {
    if ("code" in file) queueErrors(...openErrors(file.code));
    else queueErrors(SSL_ERRORS.noStartLine);
    log.err(`failed to load client certificates from ${fileName}: ${takeError()}`);
    return;
  }
  // Reading to the end of the file leaves "no start line", which OpenSSL clears, and with it
  // everything queued before.
  errorQueue.length = 0;
  state.anchors = certs;
  state.bootstrapCaCert = false;
}

function setCaCertFile(fileName: string | undefined, bootstrap: boolean, force: boolean): void {
  if (!updateConfig(state.caCert, fileName) && !force) return;
  if (fileName === undefined) return;
  if (fileName === "none") {
    state.verifyPeer = false;
    log.warn("Peer certificate validation disabled (this is a security risk)");
  } else if (bootstrap && !exists(fileName)) {
    state.bootstrapCaCert = true;
  } else {
    loadCaCert(fileName);
  }
  state.caCert.read = true;
}

function exists(fileName: string): boolean {
  try {
    Deno.statSync(fileName);
    return true;
  } catch (error) {
    return errnoOf(error) !== "ENOENT";
  }
}

/**
 * Sets the file of CA certificates peers must chain to (stream_ssl_set_ca_cert_file). "none"
 * turns verification off. With `bootstrap`, a file that does not exist yet is created from the
 * CA certificate the first peer sends.
 */
export function sslSetCaCertFile(fileName: string | undefined, bootstrap: boolean): void {
  setCaCertFile(fileName, bootstrap, false);
}

/**
 * Adds the certificates in `fileName` to those sent to peers after ours
 * (stream_ssl_set_peer_ca_cert_file), so that a peer can bootstrap our CA certificate.
 */
export function sslSetPeerCaCertFile(fileName: string): void {
  let text: string;
  try {
    text = Deno.readTextFileSync(fileName);
  } catch (error) {
    log.err(`failed to open ${fileName} for reading: ${strerror(errnoOf(error) ?? "EIO")}`);
    return;
  }
  // PEM_read_X509 skips any text before a certificate, but after the last one only whitespace
  // may follow: upstream reads on and fails at a start line it cannot find.
  const certs = certificatesIn(text);
  const trailing = text.slice(text.lastIndexOf("-----END ")).replace(
    /^-----END [A-Z0-9 ]+-----/,
    "",
  );
  if (certs.length === 0 || trailing.trim() !== "") {
    queueErrors(SSL_ERRORS.noStartLine);
    log.err(`PEM_read_X509 failed reading ${fileName}: ${takeError()}`);
    return;
  }
  for (const cert of certs) state.extraChain.push(derToPem(new Uint8Array(cert.raw)));
}

/**
 * Sets the enabled protocols from a list of "TLSv1", "TLSv1.1" and "TLSv1.2" separated by
 * commas, spaces or tabs (stream_ssl_set_protocols). Our TLS engine speaks TLS 1.2 and 1.3 only:
 * by default both are enabled (upstream's default allows every version its OpenSSL has); an
 * explicit list disables TLS 1.3 as upstream's does, and leaves no protocol at all when it does
 * not name TLSv1.2, so that connections then fail ("no protocols available").
 */
export function sslSetProtocols(arg: string | undefined): void {
  if (arg === undefined || arg === state.protocols) return;
  const words = arg.split(/[ ,\t]+/).filter((w) => w !== "");
  if (words.length === 0) {
    log.err("SSL protocol settings invalid");
    return;
  }
  let tls12 = false;
  for (const word of words) {
    const lower = word.toLowerCase();
    if (lower === "tlsv1.2") tls12 = true;
    else if (lower !== "tlsv1.1" && lower !== "tlsv1") {
      log.err(`${word}: SSL protocol not recognized`);
      return;
    }
  }
  state.versions = tls12 ? { min: "TLSv1.2", max: "TLSv1.2" } : undefined;
  state.protocols = arg;
}

/**
 * Sets the OpenSSL cipher list for TLS 1.2 (stream_ssl_set_ciphers). A list that selects none of
 * the suites our engine offers is refused with upstream's "no cipher match", keeping the
 * previous list.
 */
export function sslSetCiphers(arg: string | undefined): void {
  if (arg === undefined || arg === state.ciphers) return;
  const allowed = evaluateCipherList(arg);
  if (allowed) state.allowedCiphers = allowed;
  else {
    queueErrors(SSL_ERRORS.noCipherMatch);
    log.err(`SSL_CTX_set_cipher_list: ${takeError()}`);
  }
  state.ciphers = arg;
}

/** Everything one new SSL stream needs, fixed when it is created. */
export interface SslContext {
  keyPem: string;
  /** Our certificate, then the --peer-ca-cert certificates. */
  certChainPem: string;
  verifyPeer: boolean;
  /** Whether this stream was created while waiting to bootstrap the CA certificate. */
  bootstrap: boolean;
  anchors: readonly X509Certificate[];
  /** Undefined when no protocol our engine speaks is enabled. */
  versions: { min: TlsVersion; max: TlsVersion } | undefined;
  allowedCiphers: ReadonlySet<string>;
}

/**
 * Brings the configuration up to date and checks that it is complete (new_ssl_stream's checks),
 * logging upstream's errors; undefined means the stream cannot be created (ENOPROTOOPT).
 */
export function sslPrepare(): SslContext | undefined {
  refresher?.();
  let ok = true;
  if (!state.privateKey.read) {
    log.err("Private key must be configured to use SSL");
    ok = false;
  }
  if (!state.certificate.read) {
    log.err("Certificate must be configured to use SSL");
    ok = false;
  }
  if (!state.caCert.read && state.verifyPeer && !state.bootstrapCaCert) {
    log.err("CA certificate must be configured to use SSL");
    ok = false;
  }
  if (ok && (!state.key || !state.cert)) {
    queueErrors(SSL_ERRORS.noPrivateKeyAssigned);
    log.err(`Private key does not match certificate public key: ${takeError()}`);
    ok = false;
  }
  if (!ok || !state.key || !state.cert) return undefined;
  // The handshake starts by clearing the error queue.
  errorQueue.length = 0;
  return {
    keyPem: state.key.pem,
    certChainPem: [state.cert.pem, ...state.extraChain].join(""),
    verifyPeer: state.verifyPeer,
    bootstrap: state.bootstrapCaCert,
    anchors: state.anchors,
    versions: state.versions,
    allowedCiphers: state.allowedCiphers,
  };
}

/** Whether a bootstrap is still awaited (a stream created in bootstrap mode checks this). */
export function sslBootstrapPending(): boolean {
  return state.bootstrapCaCert;
}

/**
 * Saves `cert`, the top of the chain a peer sent, as our CA certificate file and trusts it from
 * now on (do_ca_cert_bootstrap). Returns the errno to fail the connection with: always a failure,
 * since upstream kills the bootstrapping connection so that the next one is verified.
 */
export function sslBootstrapCaCert(
  chain: readonly X509Certificate[],
  isSelfSigned: (cert: X509Certificate) => boolean,
): string {
  const fileName = state.caCert.fileName ?? "";
  const cert = chain[chain.length - 1];
  if (!cert) {
    log.err("could not bootstrap CA cert: no certificate presented by peer");
    return "EPROTO";
  }
  if (!isSelfSigned(cert)) {
    log.err(
      "could not bootstrap CA cert: obtained certificate is not self-signed " +
        "(subject issuer mismatch)",
    );
    if (chain.length < 2) {
      log.err(
        "only one certificate was received, so probably the peer is not configured to send " +
          "its CA certificate",
      );
    }
    return "EPROTO";
  }
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(fileName, { write: true, createNew: true, mode: 0o444 });
  } catch (error) {
    const code = errnoOf(error) ?? "EIO";
    if (code === "EEXIST") {
      log.rateLimited(
        sslRateLimit,
        "info",
        `reading CA cert ${fileName} created by another process`,
      );
      setCaCertFile(fileName, true, true);
      return "EPROTO";
    }
    log.err(`could not bootstrap CA cert: creating ${fileName} failed: ${strerror(code)}`);
    return code;
  }
  try {
    const pem = new TextEncoder().encode(derToPem(new Uint8Array(cert.raw)));
    let offset = 0;
    while (offset < pem.length) offset += file.writeSync(pem.subarray(offset));
    file.close();
  } catch (error) {
    const code = errnoOf(error) ?? "EIO";
    try {
      file.close();
    } catch {
      // Already closed.
    }
    log.err(`could not bootstrap CA cert: writing ${fileName} failed: ${strerror(code)}`);
    try {
      Deno.removeSync(fileName);
    } catch {
      // Nothing to clean up.
    }
    return code;
  }
  log.info(`successfully bootstrapped CA cert to ${fileName}`);
  log.info(
    `Trusting CA cert from ${fileName} (${subjectOneline(cert)}) (fingerprint ${
      sha1Fingerprint(cert)
    })`,
  );
  state.bootstrapCaCert = false;
  state.caCert.read = true;
  state.caCert.mtime = mtimeOf(fileName);
  state.anchors = [cert];
  log.info("killing successful connection to retry using CA cert");
  return "EPROTO";
}
