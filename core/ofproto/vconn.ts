// One OpenFlow connection over a byte stream (upstream's vconn and vconn-stream): framing by the
// header's length, the hello exchange with version negotiation, the check that every later
// message carries the negotiated version, automatic echo replies, an ordered send queue with an
// optional bound, and the request/reply helpers tools are built from (transact, transact with a
// barrier for requests that answer only on error, multipart collection). Owns the Deno.Conn.
//
// Promises: a malformed stream (a length below the header's, a cut message, no hello first, no
// common version) ends the connection with upstream's log line and error code, never an
// exception of another kind; every failure surfaces as a VconnError. Knows nothing of message
// bodies beyond the few in vconn_wire.ts; message texts for debug logs are ofp-print's.

import { coverageCounter } from "../net/coverage.ts";
import { errorText, OFP_PORT, openStream } from "../net/stream.ts";
import { RateLimit, vlogModule } from "../net/vlog.ts";
import { ofpToString } from "./msg/print.ts";
import { strerror, VconnError, vconnErrorFrom } from "./vconn_error.ts";
import {
  decodeHello,
  DEFAULT_VERSIONS,
  encodeBadVersion,
  encodeBarrierRequest,
  encodeEchoReply,
  encodeHello,
  encodeHelloFailed,
  formatVersion,
  guessContent,
  hexDump,
  highestVersion,
  isMultipartReply,
  isVersionFree,
  messageXid,
  multipartMore,
  OfpFramer,
  OFPT_ECHO_REQUEST,
  OFPT_ERROR,
  OFPT_HELLO,
  readHeader,
  updateLength,
  versionBitmapText,
} from "./vconn_wire.ts";

const log = vlogModule("vconn");
const streamLog = vlogModule("stream");
const tcpLog = vlogModule("stream_tcp");
const sslLog = vlogModule("stream_ssl");
const socketLog = vlogModule("socket_util");
const ofmsgLimit = new RateLimit(600, 600);
const badMsgLimit = new RateLimit(1, 5);
const framingLimit = new RateLimit(5, 5);
const openCounter = coverageCounter("vconn_open");
const receivedCounter = coverageCounter("vconn_received");
const sentCounter = coverageCounter("vconn_sent");

/** Turns a message into the one-line-or-more text debug logs show (upstream's ofp_to_string). */
export type VconnFormatter = (message: Uint8Array) => string;

let formatter: VconnFormatter = (message) => ofpToString(message, { verbosity: 1 });

/** Replaces the message printer used in vconn's debug and warning logs (tests, tools). */
export function setVconnFormatter(format: VconnFormatter): void {
  formatter = format;
}

function describe(message: Uint8Array): string {
  try {
    return formatter(message);
  } catch {
    return `(unprintable message of ${message.length} bytes)`;
  }
}

export interface VconnOptions {
  /** Versions this side allows (bit N for version N); 0 or absent: 1.0 to 1.5. */
  allowedVersions?: number;
  /** Answer echo requests without delivering them (default true). */
  answerEcho?: boolean;
  /** Accept messages of any version after negotiation (monitor and snoop connections). */
  recvAnyVersion?: boolean;
  /** Disconnect when more than this many bytes wait to be sent; 0 (default) means no bound. */
  maxBacklogBytes?: number;
  /**
   * Read only once what was sent has been written (default false). Deno makes a round trip much
   * slower while a read is pending during a write, so a tool that talks in request and reply
   * does better this way; a daemon, which must keep reading from a peer that does not read,
   * must not.
   */
  readAfterWrite?: boolean;
}

type State = "hello" | "connected" | "disconnected";

/** Messages held for a reader before the connection stops reading from the socket. */
const INBOX_HIGH_WATER = 1024;
/** Bytes coalesced into one write. */
const WRITE_CHUNK = 65536;

export class Vconn {
  readonly name: string;
  readonly allowedVersions: number;
  /** Called for each message instead of queueing it for recv(), when set. */
  onMessage: ((message: Uint8Array) => void) | undefined;

  readonly #conn: Deno.Conn;
  readonly #answerEcho: boolean;
  #recvAnyVersion: boolean;
  readonly #maxBacklogBytes: number;
  readonly #readAfterWrite: boolean;
  readonly #framer = new OfpFramer();
  #state: State = "hello";
  #version = -1;
  #peerVersions = 0;
  #error: VconnError | undefined;
  #dead = false;
  /** Negotiation failed: nothing more is read, the error message is on its way. */
  #helloFailed = false;
  #received = 0;
  #inbox: Uint8Array[] = [];
  #readers: Array<{ resolve: (m: Uint8Array) => void; reject: (e: VconnError) => void }> = [];
  #resumeReading: (() => void) | undefined;
  #queue: Uint8Array[] = [];
  #backlogBytes = 0;
  #writing = false;
  #pumpScheduled = false;
  #flushWaiters: Array<() => void> = [];
  #handshake: Promise<void>;
  #handshakeDone: { resolve: () => void; reject: (e: VconnError) => void } = {
    resolve: () => {},
    reject: () => {},
  };
  readonly closed: Promise<VconnError>;
  #closedResolve: (e: VconnError) => void = () => {};

  /** Wraps an open stream; the hello goes out at once. `name` is what logs call it. */
  constructor(conn: Deno.Conn, name: string, options: VconnOptions = {}) {
    this.#conn = conn;
    this.name = name;
    this.allowedVersions = options.allowedVersions || DEFAULT_VERSIONS;
    this.#answerEcho = options.answerEcho ?? true;
    this.#recvAnyVersion = options.recvAnyVersion ?? false;
    this.#maxBacklogBytes = options.maxBacklogBytes ?? 0;
    this.#readAfterWrite = options.readAfterWrite ?? false;
    this.#handshake = new Promise((resolve, reject) => {
      this.#handshakeDone = { resolve, reject };
    });
    this.#handshake.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.#closedResolve = resolve;
    });
    this.#enqueue(encodeHello(this.allowedVersions));
    this.#readLoop();
  }

  /**
   * Opens an active connection (`tcp:HOST[:PORT]`, `unix:FILE`, `ssl:...`) and starts the hello
   * exchange; `connect()` waits for it. Rejects with VconnError (EAFNOSUPPORT for an unknown or
   * malformed name, the OS error otherwise).
   */
  static async open(name: string, options: VconnOptions = {}): Promise<Vconn> {
    openCounter.inc();
    const conn = await openActive(name);
    return new Vconn(conn, name, options);
  }

  /** open() then connect(): a negotiated connection or a VconnError. */
  static async openBlock(
    name: string,
    options: VconnOptions = {},
    timeoutMs?: number,
  ): Promise<Vconn> {
    const vconn = await Vconn.open(name, options);
    try {
      await vconn.connect(timeoutMs);
    } catch (error) {
      vconn.close();
      throw error;
    }
    return vconn;
  }

  /** The negotiated version, or -1 before negotiation ends. */
  get version(): number {
    return this.#version;
  }

  /** What the peer's hello offered. */
  get peerVersions(): number {
    return this.#peerVersions;
  }

  get isConnected(): boolean {
    return this.#state === "connected";
  }

  /** Undefined while healthy; the error once the connection died (code "EOF" for a clean close). */
  get status(): VconnError | undefined {
    return this.#error;
  }

  /** Bytes queued but not yet written. */
  get backlog(): number {
    return this.#backlogBytes;
  }

  /** Messages queued but not yet written. */
  get backlogMessages(): number {
    return this.#queue.length;
  }

  /** Lets a connection that is still negotiating accept any version afterwards. */
  setRecvAnyVersion(): void {
    this.#recvAnyVersion = true;
  }

  /** Waits for the hello exchange; rejects with the VconnError that ended it. */
  connect(timeoutMs?: number): Promise<void> {
    if (timeoutMs === undefined || timeoutMs < 0) return this.#handshake;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new VconnError("ETIMEDOUT")), timeoutMs);
      this.#handshake.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(65536);
    let error: VconnError | undefined;
    try {
      while (!this.#dead && !this.#error && !this.#helloFailed) {
        if (this.onMessage === undefined && this.#inbox.length >= INBOX_HIGH_WATER) {
          await new Promise<void>((resolve) => {
            this.#resumeReading = resolve;
          });
          continue;
        }
        if (this.#readAfterWrite) await this.flush();
        if (this.#dead || this.#error || this.#helloFailed) break;
        const n = await this.#conn.read(buffer);
        if (n === null) {
          if (this.#helloFailed) break;
          if (this.#framer.pending > 0) {
            log.rateLimited(framingLimit, "err", "connection dropped mid-packet");
            error = new VconnError("EPROTO");
          } else {
            error = new VconnError(this.#state === "hello" ? "ECONNRESET" : "EOF");
          }
          break;
        }
        for (const framed of this.#framer.feed(buffer.subarray(0, n))) {
          if ("error" in framed) {
            log.rateLimited(framingLimit, "err", framed.error);
            error = new VconnError("EPROTO");
            break;
          }
          this.#received++;
          this.#receive(framed.message);
          if (this.#dead || this.#error || this.#helloFailed) break;
        }
        if (error) break;
      }
    } catch (caught) {
      if (!this.#dead && !this.#helloFailed) error = vconnErrorFrom(caught);
    }
    if (error) this.#fail(error);
  }

  #receive(message: Uint8Array): void {
    receivedCounter.inc();
    if (log.isEnabled("dbg")) {
      log.rateLimited(ofmsgLimit, "dbg", `${this.name}: received: ${describe(message)}`);
    }
    if (this.#state === "hello") {
      this.#receiveHello(message);
      return;
    }
    const header = readHeader(message);
    if (!this.#recvAnyVersion && header.version !== this.#version && !isVersionFree(header.type)) {
      log.rateLimited(
        badMsgLimit,
        "err",
        `${this.name}: received OpenFlow version ${formatVersion(header.version)} != expected ${
          this.#version.toString(16).padStart(2, "0")
        }`,
      );
      this.#enqueue(encodeBadVersion(message));
      return;
    }
    if (header.type === OFPT_ECHO_REQUEST && this.#answerEcho) {
      this.#enqueue(encodeEchoReply(message));
      return;
    }
    this.#deliver(message);
  }

  #receiveHello(message: Uint8Array): void {
    const header = readHeader(message);
    if (header.type !== OFPT_HELLO) {
      log.rateLimited(
        badMsgLimit,
        "warn",
        `${this.name}: received message while expecting hello: ${describe(message)}`,
      );
      this.#fail(new VconnError("EPROTO"));
      return;
    }
    const hello = decodeHello(message);
    for (const warning of hello.warnings) log.rateLimited(badMsgLimit, "warn", warning);
    if (!hello.ok) {
      log.rateLimited(
        badMsgLimit,
        "warn",
        `${this.name}: unknown data in hello:\n${hexDump(message)}`,
      );
    }
    this.#peerVersions = hello.versions;
    const local = versionBitmapText(this.allowedVersions);
    const peer = versionBitmapText(hello.versions);
    const common = (hello.versions & this.allowedVersions) >>> 0;
    if (!common) {
      this.#version = highestVersion(hello.versions);
      log.rateLimited(
        badMsgLimit,
        "warn",
        `${this.name}: version negotiation failed (we support ${local}, peer supports ${peer})`,
      );
      // As upstream: the error goes out, and the connection fails with the error sending it met
      // (the peer, having failed too, may have hung up already) or else a protocol error.
      this.#helloFailed = true;
      this.#enqueue(encodeHelloFailed(this.#version, this.allowedVersions, hello.versions));
      this.flush().finally(() => this.#fail(new VconnError("EPROTO")));
      return;
    }
    this.#version = highestVersion(common);
    log.dbg(
      `${this.name}: negotiated OpenFlow version ${
        formatVersion(this.#version)
      } (we support ${local}, peer supports ${peer})`,
    );
    this.#state = "connected";
    this.#handshakeDone.resolve();
  }

  #deliver(message: Uint8Array): void {
    if (this.onMessage) {
      try {
        this.onMessage(message);
      } catch (error) {
        // A handler's bug must not take the daemon down: it costs this connection only.
        log.err(`${this.name}: error handling message: ${errorText(error)}`);
        this.#fail(new VconnError("EPROTO"));
      }
      return;
    }
    const reader = this.#readers.shift();
    if (reader) reader.resolve(message);
    else this.#inbox.push(message);
  }

  /**
   * The next message from the peer. Rejects with the connection's VconnError once it is closed
   * and nothing is left to read (code "EOF" for a clean close).
   */
  recv(): Promise<Uint8Array> {
    const message = this.#inbox.shift();
    if (message) {
      if (this.#resumeReading && this.#inbox.length < INBOX_HIGH_WATER / 2) {
        const resume = this.#resumeReading;
        this.#resumeReading = undefined;
        resume();
      }
      return Promise.resolve(message);
    }
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => this.#readers.push({ resolve, reject }));
  }

  /** A message already received, without waiting, or undefined. */
  tryRecv(): Uint8Array | undefined {
    return this.#inbox.shift();
  }

  /**
   * Queues `message` (its length field is filled in). Throws VconnError when the connection is
   * down, or when the backlog bound is exceeded (the connection is then closed).
   */
  send(message: Uint8Array): void {
    if (this.#error) throw this.#error;
    updateLength(message);
    this.#enqueue(message);
    if (this.#maxBacklogBytes > 0 && this.#backlogBytes > this.#maxBacklogBytes) {
      log.warn(
        `${this.name}: send queue overflow (${this.#queue.length} messages, ${this.#backlogBytes} bytes), disconnecting`,
      );
      const error = new VconnError("ENOBUFS");
      this.#fail(error);
      throw error;
    }
  }

  /** Sends `message` and waits until it has been written (vconn_send_block). */
  async sendBlock(message: Uint8Array): Promise<void> {
    this.send(message);
    await this.flush();
    if (this.#error && this.#error.code !== "EOF") throw this.#error;
  }

  #enqueue(message: Uint8Array): void {
    sentCounter.inc();
    if (log.isEnabled("dbg")) {
      log.rateLimited(ofmsgLimit, "dbg", `${this.name}: sent (Success): ${describe(message)}`);
    }
    this.#queue.push(message);
    this.#backlogBytes += message.length;
    // Writing on the next microtask lets messages queued together (a request and its barrier)
    // leave in one write.
    if (!this.#writing && !this.#pumpScheduled) {
      this.#pumpScheduled = true;
      queueMicrotask(() => {
        this.#pumpScheduled = false;
        this.#pump();
      });
    }
  }

  async #pump(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        let chunk: Uint8Array;
        if (this.#queue.length === 1 || this.#queue[0]!.length >= WRITE_CHUNK) {
          chunk = this.#queue.shift()!;
        } else {
          let size = 0;
          let count = 0;
          while (count < this.#queue.length && size + this.#queue[count]!.length <= WRITE_CHUNK) {
            size += this.#queue[count]!.length;
            count++;
          }
          chunk = new Uint8Array(size);
          let at = 0;
          for (const part of this.#queue.splice(0, count)) {
            chunk.set(part, at);
            at += part.length;
          }
        }
        let offset = 0;
        while (offset < chunk.length) offset += await this.#conn.write(chunk.subarray(offset));
        this.#backlogBytes -= chunk.length;
      }
    } catch (caught) {
      this.#queue = [];
      this.#backlogBytes = 0;
      const error = vconnErrorFrom(caught);
      // A peer that hangs up during the hello is seen by upstream as the hello's read failing
      // (its write already went out), so the read side names that failure.
      if (this.#state !== "hello" || this.#helloFailed || error.code !== "EPIPE") {
        this.#fail(error);
      }
    } finally {
      this.#writing = false;
      if (this.#queue.length === 0) {
        for (const waiter of this.#flushWaiters.splice(0)) waiter();
      }
    }
  }

  /** Resolves once everything queued has been written, or the connection has died. */
  flush(): Promise<void> {
    if (!this.#writing && !this.#pumpScheduled && this.#queue.length === 0) {
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#flushWaiters.push(resolve));
  }

  #fail(error: VconnError): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#state = "disconnected";
    this.#error ??= error;
    if ((error.code === "EPROTO" || this.#received < 1) && this.#framer.pending > 0) {
      const content = guessContent(this.#framer.pendingBytes);
      if (content !== "OpenFlow" && content !== "unknown") {
        log.warn(`${this.name}: received ${content} data on OpenFlow channel`);
      }
    }
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    this.#handshakeDone.reject(this.#error);
    for (const reader of this.#readers.splice(0)) reader.reject(this.#error);
    for (const waiter of this.#flushWaiters.splice(0)) waiter();
    this.#resumeReading?.();
    this.#closedResolve(this.#error);
  }

  /** Closes the connection at once; queued messages not yet written are dropped. */
  close(): void {
    this.#fail(new VconnError("EOF"));
  }

  /** Waits for queued messages to be written (up to `timeoutMs`), then closes. */
  async closeGracefully(timeoutMs = 1000): Promise<void> {
    await Promise.race([this.flush(), new Promise((r) => setTimeout(r, timeoutMs))]);
    this.close();
  }

  /**
   * Waits for the message whose xid is `xid`, discarding others; OFPT_ERROR messages with other
   * xids go to `errors` when given (vconn_recv_xid).
   */
  async recvXid(xid: number, errors?: Uint8Array[]): Promise<Uint8Array> {
    for (;;) {
      const reply = await this.recv();
      const replyXid = messageXid(reply);
      if (replyXid === xid) return reply;
      if (errors && readHeader(reply).type === OFPT_ERROR) errors.push(reply);
      else {
        log.rateLimited(
          badMsgLimit,
          "dbg",
          `${this.name}: received reply with xid ${hex8(replyXid)} != expected ${hex8(xid)}`,
        );
      }
    }
  }

  /** Sends `request` and waits for the reply with its xid (vconn_transact). */
  async transact(request: Uint8Array, errors?: Uint8Array[]): Promise<Uint8Array> {
    this.send(request);
    return await this.recvXid(messageXid(request), errors);
  }

  /**
   * Sends `request` and a barrier, and waits for the barrier's reply: for requests that answer
   * only on error. Resolves with the reply to `request` (usually an error) or undefined.
   */
  async transactNoReply(request: Uint8Array): Promise<Uint8Array | undefined> {
    const requestXid = messageXid(request);
    this.send(request);
    const barrier = encodeBarrierRequest(this.#version);
    const barrierXid = messageXid(barrier);
    this.send(barrier);
    let reply: Uint8Array | undefined;
    for (;;) {
      const message = await this.recv();
      const xid = messageXid(message);
      if (xid === requestXid) {
        if (reply) {
          log.rateLimited(
            badMsgLimit,
            "warn",
            `${this.name}: duplicate replies with xid ${hex8(xid)}`,
          );
        }
        reply = message;
      } else if (xid === barrierXid) {
        return reply;
      } else {
        log.rateLimited(
          badMsgLimit,
          "dbg",
          `${this.name}: reply with xid ${hex8(xid)} != expected ${hex8(requestXid)} or ${
            hex8(barrierXid)
          }`,
        );
      }
    }
  }

  /** transactNoReply for each request in turn, stopping at the first that gets a reply. */
  async transactMultipleNoReply(requests: Uint8Array[]): Promise<Uint8Array | undefined> {
    for (const request of requests) {
      const reply = await this.transactNoReply(request);
      if (reply) return reply;
    }
    return undefined;
  }

  /**
   * Sends a (possibly multi-message) multipart request and collects the replies with the first
   * request's xid until one without the "more" flag (vconn_transact_multipart).
   */
  async transactMultipart(requests: Uint8Array[]): Promise<Uint8Array[]> {
    const first = requests[0];
    if (!first) return [];
    const xid = messageXid(first);
    for (const request of requests) this.send(request);
    const replies: Uint8Array[] = [];
    for (;;) {
      const reply = await this.recvXid(xid);
      replies.push(reply);
      if (!(isMultipartReply(reply) && multipartMore(reply))) return replies;
    }
  }
}

function hex8(value: number): string {
  return (value >>> 0).toString(16).padStart(8, "0");
}

let warnedDefaultPort = false;

/** Opens the stream behind an active vconn name, with upstream's errors and log lines. */
async function openActive(name: string): Promise<Deno.Conn> {
  const colon = name.indexOf(":");
  const kind = colon < 0 ? "" : name.slice(0, colon);
  const rest = name.slice(colon + 1);
  if (kind === "tcp" || kind === "ssl") {
    const hasPort = rest.startsWith("[") ? /\]:/.test(rest) : rest.includes(":");
    if (!hasPort && !warnedDefaultPort) {
      warnedDefaultPort = true;
      streamLog.warn("The default OpenFlow port number has changed from 6633 to 6653");
    }
    // ssl: and tcp: share the address grammar; each logs through its own module.
    const connectLog = kind === "ssl" ? sslLog : tcpLog;
    const withPort = hasPort ? rest : `${rest}:${OFP_PORT}`;
    const portText = withPort.slice(withPort.lastIndexOf(":") + 1);
    const host = withPort.slice(0, withPort.lastIndexOf(":"));
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
      socketLog.err(`${withPort}: bad port number "${portText}"`);
      connectLog.err(`${kind}:${withPort}: connect: ${strerror("EAFNOSUPPORT")}`);
      throw new VconnError("EAFNOSUPPORT");
    }
    if (host === "" || host === "[]") {
      connectLog.err(`${kind}:${withPort}: connect: ${strerror("EAFNOSUPPORT")}`);
      throw new VconnError("EAFNOSUPPORT");
    }
    try {
      return await openStream(`${kind}:${withPort}`, OFP_PORT);
    } catch (error) {
      const failure = vconnErrorFrom(error);
      if (failure.code === "EIO") {
        // Name resolution failures: upstream cannot form an address either.
        connectLog.err(`${kind}:${withPort}: connect: ${strerror("EAFNOSUPPORT")}`);
        throw new VconnError("EAFNOSUPPORT");
      }
      throw failure;
    }
  }
  if (kind === "unix") {
    if (rest === "") throw new VconnError("ENOENT");
    try {
      return await openStream(name, OFP_PORT);
    } catch (error) {
      throw vconnErrorFrom(error);
    }
  }
  throw new VconnError("EAFNOSUPPORT");
}

/** Whether `name` names an active connection method vconn knows (vconn_verify_name). */
export function isVconnName(name: string): boolean {
  return /^(tcp|ssl|unix):/.test(name);
}

export { strerror, VconnError };
