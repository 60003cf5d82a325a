// SSL streams, `ssl:HOST:PORT` and `pssl:PORT[:IP]`, as upstream's stream-ssl: TLS from Deno's
// node:tls on node:net sockets, every opened or accepted stream presented as a Deno.Conn, so that
// JSON-RPC and OpenFlow run over it unchanged.
//
// Why node:tls and not Deno.listenTls/connectTls: Deno.listenTls cannot ask a client for its
// certificate, and Deno.connectTls cannot show us the server's certificate chain; upstream needs
// both (mutual authentication, bootstrapping the CA certificate). The engine is told to accept
// any peer certificate and this file decides trust itself (stream_ssl_x509.ts): a peer must
// present a certificate that chains to our CA file, both ways, as upstream requires. The TLS
// runs on node:net sockets rather than on Deno.Conn because only there does the engine send the
// alert that tells a refused peer why (OpenSSL's peers print it: "tlsv13 alert certificate
// required"); a listener is first bound with Deno.listen so that a bad or busy address fails at
// once, as the callers of openPassiveStream expect.
//
// Where the engine keeps us from doing what upstream does, the closest honest thing is done:
// an untrusted peer certificate is refused right after the handshake, so the peer sees the
// connection end rather than an "unknown ca" alert; an end of stream without close_notify reads
// as a clean end (the engine does not tell the two apart), where OpenSSL reports "unexpected
// eof"; the engine does not show the bytes of a failed handshake, so upstream's "received
// JSON-RPC data on SSL channel" and OpenSSL's "http request" are not reported; there is no
// record-level debug trace (upstream's "client0-->ssl:..." lines).
//
// Promises: a stream that fails its handshake or verification logs upstream's line
// ("SSL_connect: error:0A000086:SSL routines::certificate verify failed") and fails with EPROTO;
// a stream that cannot be created for want of configuration logs upstream's errors and fails
// with ENOPROTOOPT; data errors log "SSL_read: …"/"SSL_write: …" and fail with EIO or the errno.
// Closing sends close_notify. Does not own the configuration (stream_ssl_config.ts).

import tls from "node:tls";
import net from "node:net";
import { Buffer } from "node:buffer";
import type { X509Certificate } from "node:crypto";
import { vlogModule } from "./vlog.ts";
import {
  sslBootstrapCaCert,
  sslBootstrapPending,
  type SslContext,
  sslPrepare,
  sslRateLimit,
} from "./stream_ssl_config.ts";
import {
  classifyFailure,
  errnoOf,
  failureText,
  SSL_ERRORS,
  type SslFailure,
  StreamError,
} from "./stream_ssl_errors.ts";
import { chainError, commonName, isSelfIssued, parseCertificate } from "./stream_ssl_x509.ts";

const log = vlogModule("stream_ssl");
const socketLog = vlogModule("socket_util");

type Role = "client" | "server";

/** How long a socket's teardown waits for an alert to leave (see the constructor). */
const ALERT_GRACE_MS = 20;

/** Bytes queued for a reader before the socket is paused, and the level that resumes it. */
const HIGH_WATER = 1 << 20;
const LOW_WATER = 1 << 18;

function isIpAddress(host: string): boolean {
  return net.isIP(host) !== 0;
}

function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function netAddr(hostname: string | undefined, port: number | undefined): Deno.NetAddr {
  return { transport: "tcp", hostname: hostname ?? "0.0.0.0", port: port ?? 0 };
}

/** A TCP connection to `host`:`port`, failing with the errno's text as Deno.connect would. */
function tcpConnect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (error: Error) => {
      socket.destroy();
      const code = errnoOf(error);
      reject(code ? new StreamError(code) : error);
    };
    socket.once("error", fail);
    socket.once("connect", () => {
      socket.off("error", fail);
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/** The chain a peer sent, its own certificate first. */
function peerChain(socket: tls.TLSSocket): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true) as
    | tls.DetailedPeerCertificate
    | undefined;
  while (current && current.raw && current.raw.length > 0 && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    const cert = parseCertificate(new Uint8Array(current.raw));
    if (!cert) break;
    chain.push(cert);
    current = current.issuerCertificate;
  }
  return chain;
}

function versionOptions(context: SslContext): tls.SecureContextOptions {
  // With no usable version the stream fails before its handshake (#checkVersions); the engine
  // still needs some setting meanwhile.
  const versions = context.versions ?? { min: "TLSv1.2", max: "TLSv1.2" };
  return { minVersion: versions.min, maxVersion: versions.max };
}

/**
 * One SSL connection, as a Deno.Conn. Reads and writes wait for the handshake; once it or the
 * verification failed, they fail with the error the stream failed with.
 */
export class SslConn implements Deno.Conn<Deno.NetAddr> {
  /** The stream's name as upstream forms it: "ssl:IP:PORT" of the peer. */
  readonly streamName: string;
  readonly localAddr: Deno.NetAddr;
  readonly remoteAddr: Deno.NetAddr;
  /** The common name in the peer's certificate, once verified (stream_get_peer_id). */
  peerId: string | undefined;
  /** Settles when the handshake and verification are done. */
  readonly ready: Promise<void>;

  readonly #raw: net.Socket;
  readonly #socket: tls.TLSSocket;
  readonly #role: Role;
  readonly #context: SslContext;
  #established = false;
  #failure: StreamError | undefined;
  #closed = false;
  #eof = false;
  readonly #chunks: Uint8Array[] = [];
  #queued = 0;
  #wake: (() => void) | undefined;
  #readyResolve: () => void = () => {};
  #readyReject: (error: StreamError) => void = () => {};

  private constructor(
    raw: net.Socket,
    socket: tls.TLSSocket,
    role: Role,
    context: SslContext,
    streamName: string,
  ) {
    this.#raw = raw;
    this.#socket = socket;
    this.#role = role;
    this.#context = context;
    this.streamName = streamName;
    this.localAddr = netAddr(raw.localAddress, raw.localPort);
    this.remoteAddr = netAddr(raw.remoteAddress, raw.remotePort);
    this.ready = new Promise((resolve, reject) => {
      this.#readyResolve = resolve;
      this.#readyReject = reject;
    });
    this.ready.catch(() => {});
    // Deno's engine tears down the socket of a failed handshake at once, sometimes before the
    // alert it has just queued is out; a moment's grace lets the peer read why it was refused.
    const teardown = socket as unknown as {
      _destroy(error: Error | null, callback: (error: Error | null) => void): void;
    };
    const destroy = teardown._destroy.bind(socket);
    teardown._destroy = (error, callback) => {
      setTimeout(() => destroy(error, callback), ALERT_GRACE_MS);
    };
    socket.on(role === "client" ? "secureConnect" : "secure", () => this.#secured());
    socket.on("data", (chunk: Buffer) => {
      this.#chunks.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.#queued += chunk.byteLength;
      if (this.#queued > HIGH_WATER) socket.pause();
      this.#notify();
    });
    socket.on("end", () => {
      this.#eof = true;
      this.#notify();
    });
    socket.on("error", (error: Error) => this.#failed(error, "read"));
    socket.on("close", () => {
      if (!this.#established) this.#failed(new Error("unexpected eof"), "read");
      this.#eof = true;
      this.#notify();
    });
  }

  /** Opens an active stream to `host`:`port` named `name`; resolves once verified. */
  static async open(name: string, host: string, port: number): Promise<SslConn> {
    const context = sslPrepare();
    if (!context) throw new StreamError("ENOPROTOOPT");
    const raw = await tcpConnect(host, port);
    let socket: tls.TLSSocket;
    try {
      socket = tls.connect({
        socket: raw,
        key: context.keyPem,
        cert: context.certChainPem,
        rejectUnauthorized: false,
        checkServerIdentity: () => undefined,
        // Server name indication for host names only, as RFC 3546 wants and upstream does.
        ...(isIpAddress(host) ? {} : { servername: host }),
        ...versionOptions(context),
      });
    } catch (error) {
      raw.destroy();
      log.rateLimited(sslRateLimit, "warn", `SSL_connect: ${failureText(classifyFailure(error))}`);
      throw new StreamError("EPROTO");
    }
    const conn = new SslConn(raw, socket, "client", context, name);
    conn.#checkVersions();
    try {
      await conn.ready;
    } catch (error) {
      conn.close();
      throw error;
    }
    return conn;
  }

  /** Starts the server side of a stream on an accepted connection; reads wait for it. */
  static accept(raw: net.Socket, context: SslContext): SslConn {
    raw.setNoDelay(true);
    const name = `ssl:${formatHost(raw.remoteAddress ?? "")}:${raw.remotePort ?? 0}`;
    // No `ca` here: the engine would send those certificates along with ours, which upstream
    // does only for --peer-ca-cert (and a peer bootstrapping from us would take the wrong one).
    // Requiring a certificate is enough for the engine to refuse a client without one, with the
    // certificate_required alert as OpenSSL does; trust is decided in #secured.
    const secureContext = tls.createSecureContext({
      key: context.keyPem,
      cert: context.certChainPem,
      ...versionOptions(context),
    });
    const socket = new tls.TLSSocket(raw, {
      isServer: true,
      secureContext,
      requestCert: context.verifyPeer,
      rejectUnauthorized: context.verifyPeer,
    });
    const conn = new SslConn(raw, socket, "server", context, name);
    conn.#checkVersions();
    return conn;
  }

  get #function(): string {
    return this.#role === "client" ? "SSL_connect" : "SSL_accept";
  }

  /** Our engine speaks TLS 1.2 and 1.3 only; with neither enabled, no handshake can succeed. */
  #checkVersions(): void {
    if (this.#context.versions) return;
    this.#fail({ kind: "ssl", text: SSL_ERRORS.noProtocolsAvailable }, this.#function, "EPROTO");
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /**
   * Ends the stream with `code`. How depends on who ended it: the engine (it sends its alert and
   * tears the socket down itself, so we only make sure it is gone in the end), this file after a
   * handshake it will not trust (abruptly, as there is no alert to send), or this file after a
   * handshake that went well but must not be used (a bootstrap: with close_notify, as upstream).
   */
  #abandon(code: string, how: "engine" | "abruptly" | "gently"): StreamError {
    this.#failure = new StreamError(code);
    this.#readyReject(this.#failure);
    const destroy = () => this.#socket.destroy();
    if (how === "abruptly") setTimeout(destroy, 0);
    else {
      const timer = setTimeout(destroy, 1000);
      Deno.unrefTimer(timer);
      if (how === "gently") {
        this.#socket.end(() => {
          clearTimeout(timer);
          destroy();
        });
      } else this.#socket.once("close", () => clearTimeout(timer));
    }
    this.#notify();
    return this.#failure;
  }

  /** Logs `failure` as upstream's interpret_ssl_error does, once, and fails the stream. */
  #fail(
    failure: SslFailure,
    fn: string,
    code: string,
    how: "engine" | "abruptly" = "abruptly",
  ): StreamError {
    if (this.#failure) return this.#failure;
    if (!this.#closed) log.rateLimited(sslRateLimit, "warn", `${fn}: ${failureText(failure)}`);
    return this.#abandon(code, how);
  }

  #failed(error: unknown, during: "read" | "write"): StreamError {
    if (this.#failure) return this.#failure;
    const failure = classifyFailure(error);
    if (!this.#established) return this.#fail(failure, this.#function, "EPROTO", "engine");
    const code = failure.kind === "system" ? failure.code : "EIO";
    return this.#fail(failure, during === "read" ? "SSL_read" : "SSL_write", code, "engine");
  }

  /** The handshake finished: decide trust as upstream's ssl_connect does after SSL_connect(). */
  #secured(): void {
    if (this.#failure || this.#closed) return;
    const chain = peerChain(this.#socket);
    const context = this.#context;
    if (this.#role === "client" && context.bootstrap) {
      if (sslBootstrapPending()) {
        this.#abandon(sslBootstrapCaCert(chain, isSelfIssued), "gently");
        return;
      }
      if (context.verifyPeer) {
        // Verified by nobody: another connection finished the bootstrap meanwhile.
        log.info("rejecting SSL connection during bootstrap race window");
        this.#abandon("EPROTO", "gently");
        return;
      }
    } else if (context.verifyPeer) {
      const why = chain.length === 0 ? "no peer certificate" : chainError(chain, context.anchors);
      if (why !== undefined) {
        log.dbg(`${this.streamName}: peer certificate not trusted: ${why}`);
        const text = this.#role === "server" && chain.length === 0
          ? SSL_ERRORS.peerDidNotReturnCertificate
          : SSL_ERRORS.certificateVerifyFailed;
        this.#fail({ kind: "ssl", text }, this.#function, "EPROTO");
        return;
      }
    }
    const cipher = this.#socket.getCipher();
    if (
      this.#socket.getProtocol() === "TLSv1.2" && cipher && !context.allowedCiphers.has(cipher.name)
    ) {
      // Deno's engine ignores cipher lists, so the list is enforced here, after the fact: what
      // OpenSSL would have refused in the handshake is refused now, with OpenSSL's words.
      const text = this.#role === "client"
        ? "error:0A000410:SSL routines::sslv3 alert handshake failure"
        : SSL_ERRORS.noSharedCipher;
      this.#fail({ kind: "ssl", text }, this.#function, "EPROTO");
      return;
    }
    if (this.#role === "server") {
      const servername = (this.#socket as tls.TLSSocket & { servername?: unknown }).servername;
      if (typeof servername === "string" && servername !== "") {
        log.dbg(`connection indicated server name ${servername}`);
      }
    }
    const peer = chain[0];
    if (peer) this.peerId = commonName(peer);
    this.#established = true;
    this.#readyResolve();
  }

  async read(p: Uint8Array): Promise<number | null> {
    await this.ready;
    for (;;) {
      const chunk = this.#chunks[0];
      if (chunk) {
        const n = Math.min(p.length, chunk.length);
        p.set(chunk.subarray(0, n));
        if (n === chunk.length) this.#chunks.shift();
        else this.#chunks[0] = chunk.subarray(n);
        this.#queued -= n;
        if (this.#queued < LOW_WATER && this.#socket.isPaused()) this.#socket.resume();
        return n;
      }
      if (this.#failure) throw this.#failure;
      if (this.#closed) throw new Deno.errors.BadResource("the connection is closed");
      if (this.#eof) return null;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  async write(p: Uint8Array): Promise<number> {
    await this.ready;
    if (this.#failure) throw this.#failure;
    if (this.#closed || this.#socket.destroyed || this.#socket.writableEnded) {
      throw this.#failed(new StreamError("EPIPE"), "write");
    }
    const data = Buffer.from(p);
    return await new Promise<number>((resolve, reject) => {
      this.#socket.write(data, (error) => {
        if (error) reject(this.#failed(errnoOf(error) ? error : new StreamError("EPIPE"), "write"));
        else resolve(p.length);
      });
    });
  }

  /** Sends close_notify, then closes the connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#notify();
    if (this.#failure) return;
    if (!this.#established) {
      this.#socket.destroy();
      return;
    }
    const timer = setTimeout(() => this.#socket.destroy(), 1000);
    Deno.unrefTimer(timer);
    this.#socket.end(() => {
      clearTimeout(timer);
      this.#socket.destroy();
    });
  }

  async closeWrite(): Promise<void> {
    await this.ready;
    await new Promise<void>((resolve) => this.#socket.end(() => resolve()));
  }

  ref(): void {
    this.#raw.ref();
  }

  unref(): void {
    this.#raw.unref();
  }

  get readable(): ReadableStream<Uint8Array<ArrayBuffer>> {
    const buffer = new Uint8Array(65536);
    return new ReadableStream<Uint8Array<ArrayBuffer>>({
      pull: async (controller) => {
        const n = await this.read(buffer);
        if (n === null) controller.close();
        else controller.enqueue(buffer.slice(0, n));
      },
    });
  }

  get writable(): WritableStream<Uint8Array<ArrayBufferLike>> {
    return new WritableStream<Uint8Array<ArrayBufferLike>>({
      write: async (chunk) => {
        let offset = 0;
        while (offset < chunk.length) offset += await this.write(chunk.subarray(offset));
      },
      close: () => this.close(),
    });
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** What a listener on `pssl:` offers (stream.ts's PassiveStream). */
export interface SslListener {
  readonly name: string;
  accept(): Promise<Deno.Conn>;
  close(): void;
}

/**
 * Listens for SSL on `host`:`port` (pssl_open). Throws as Deno.listen throws for a bad address
 * or one in use. With port 0 the kernel's choice is logged as upstream logs it, which is how
 * scripts learn the port ("0:127.0.0.1: listening on port 41357"). `target` is the name after
 * "pssl:".
 */
export function listenSsl(target: string, host: string, port: number): SslListener {
  // Bind once synchronously to fail as Deno.listen fails, and to learn the kernel's port.
  const probe = Deno.listen({ transport: "tcp", hostname: host, port });
  const bound = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const server = net.createServer();
  const pending: net.Socket[] = [];
  let waiter: { resolve: () => void } | undefined;
  let failure: Error | undefined;
  let closed = false;
  const wake = () => {
    const w = waiter;
    waiter = undefined;
    w?.resolve();
  };
  server.on("connection", (socket: net.Socket) => {
    if (closed) {
      socket.destroy();
      return;
    }
    pending.push(socket);
    wake();
  });
  server.on("error", (error: Error) => {
    failure = error;
    wake();
  });
  server.listen(bound, host);
  if (port === 0) socketLog.info(`${target}: listening on port ${bound}`);
  return {
    name: `pssl:${bound}:${formatHost(host)}`,
    async accept(): Promise<Deno.Conn> {
      for (;;) {
        const socket = pending.shift();
        if (socket) {
          const context = sslPrepare();
          if (context) return SslConn.accept(socket, context);
          // Upstream's pssl_accept fails this one connection; the listener goes on.
          socket.destroy();
          continue;
        }
        if (closed) throw new Deno.errors.BadResource("the listener is closed");
        if (failure) throw failure;
        await new Promise<void>((resolve) => {
          waiter = { resolve };
        });
      }
    },
    close(): void {
      if (closed) return;
      closed = true;
      server.close();
      for (const socket of pending.splice(0)) socket.destroy();
      wake();
    },
  };
}

/** The name upstream gives a stream accepted from a listener, or undefined for unix sockets. */
export function sslStreamName(conn: Deno.Conn): string | undefined {
  return conn instanceof SslConn ? conn.streamName : undefined;
}
