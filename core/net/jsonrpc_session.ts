// A JSON-RPC session: a connection that stays up. Active sessions (a client of ovsdb-server, say)
// reconnect with upstream's backoff when the peer goes away; both active and accepted sessions
// answer `echo` requests and send inactivity probes on TCP (unix sockets need none, as upstream
// decides). Owns one Reconnect machine, its timers on the daemon clock, and the current
// connection. Promises `onConnect`/`onDisconnect` in strict alternation and `seqno` changes on
// every transition, so callers (the IDL) know when to resynchronise. Does not queue messages
// across reconnections: callers resend what matters after `onConnect`.

import type { Json } from "./json_value.ts";
import { type JsonRpcMessage, reply, request } from "./jsonrpc.ts";
import { JsonRpcConnection, type JsonRpcConnectionOptions } from "./jsonrpc_connection.ts";
import { Reconnect } from "./reconnect.ts";
import { errorText, openStream } from "./stream.ts";
import { cancelTimer, setTimer, timeMsec } from "./timeval.ts";

export interface SessionOptions {
  /** Default TCP port for the target (6640 for OVSDB, 6653 for OpenFlow). */
  defaultPort: number;
  /** Inactivity probe interval in ms; undefined takes upstream's default for the stream type. */
  probeInterval?: number;
  maxBackoff?: number;
  /** Log connection progress at DBG instead of INFO. */
  quiet?: boolean;
  maxBacklogBytes?: number;
  /** JSON parser and serialiser, passed to each connection (see JsonRpcConnectionOptions). */
  parse?: (text: string) => Json;
  stringify?: (value: Json) => string;
}

/** Unix sockets are never probed: the kernel tells us when the peer dies. */
function needsProbes(target: string): boolean {
  return !target.startsWith("unix:");
}

function handleEcho(connection: JsonRpcConnection, message: JsonRpcMessage): boolean {
  if (message.type === "request" && message.method === "echo") {
    connection.send(reply(message.params, message.id));
    return true;
  }
  return message.type === "reply" && message.id === "echo";
}

/** An active, reconnecting session to `target`. */
export class JsonRpcSession {
  onMessage: (message: JsonRpcMessage) => void = () => {};
  onConnect: () => void = () => {};
  onDisconnect: () => void = () => {};

  readonly target: string;
  readonly #fsm: Reconnect;
  readonly #options: SessionOptions;
  #connection: JsonRpcConnection | undefined;
  #connecting = false;
  #timer: number | undefined;
  #closed = false;

  constructor(target: string, options: SessionOptions) {
    this.target = target;
    this.#options = options;
    this.#fsm = new Reconnect(timeMsec());
    this.#fsm.name = target;
    this.#fsm.quiet = options.quiet ?? false;
    if (options.maxBackoff !== undefined) this.#fsm.setBackoff(1000, options.maxBackoff);
    this.#fsm.setProbeInterval(
      options.probeInterval ?? (needsProbes(target) ? this.#fsm.probeInterval : 0),
    );
  }

  /** Starts connecting (immediately, then with backoff). */
  start(): void {
    this.#fsm.enable(timeMsec());
    this.#run();
  }

  get isConnected(): boolean {
    return this.#connection !== undefined && !this.#connection.isClosed &&
      this.#fsm.isConnected();
  }

  /** Changes on every connect and disconnect. */
  get seqno(): number {
    return this.#fsm.seqno;
  }

  get state(): string {
    return this.#fsm.state;
  }

  /** The live connection, if any. */
  get connection(): JsonRpcConnection | undefined {
    return this.isConnected ? this.#connection : undefined;
  }

  send(message: JsonRpcMessage): boolean {
    return this.isConnected && (this.#connection?.send(message) ?? false);
  }

  call(method: string, params: Json[]): Promise<Json> {
    const connection = this.connection;
    if (!connection) return Promise.reject(new Error(`${this.target}: not connected`));
    return connection.call(method, params);
  }

  /** Drops the current connection and reconnects at once. */
  forceReconnect(): void {
    this.#fsm.forceReconnect(timeMsec());
    this.#run();
  }

  #schedule(): void {
    if (this.#timer !== undefined) cancelTimer(this.#timer);
    this.#timer = undefined;
    if (this.#closed) return;
    const timeout = this.#fsm.timeout(timeMsec());
    if (timeout !== undefined) this.#timer = setTimer(timeout, () => this.#run());
  }

  #run(): void {
    if (this.#closed) return;
    const now = timeMsec();
    if (this.#connection) this.#fsm.receiveAttempted(now);
    switch (this.#fsm.run(now)) {
      case "connect":
        this.#connect();
        break;
      case "disconnect":
        this.#dropConnection(undefined);
        break;
      case "probe":
        this.#connection?.send(request("echo", [], "echo"));
        break;
    }
    this.#schedule();
  }

  #connect(): void {
    if (this.#connecting) return;
    this.#connecting = true;
    this.#fsm.connecting(timeMsec());
    openStream(this.target, this.#options.defaultPort).then(
      (conn) => {
        this.#connecting = false;
        if (this.#closed) {
          conn.close();
          return;
        }
        this.#attach(conn);
      },
      (error) => {
        this.#connecting = false;
        if (this.#closed) return;
        this.#fsm.connectFailed(timeMsec(), errorText(error));
        this.#schedule();
      },
    );
  }

  #attach(conn: Deno.Conn): void {
    const { maxBacklogBytes, parse, stringify } = this.#options;
    const connection = new JsonRpcConnection(conn, {
      name: this.target,
      ...(maxBacklogBytes === undefined ? {} : { maxBacklogBytes }),
      ...(parse === undefined ? {} : { parse }),
      ...(stringify === undefined ? {} : { stringify }),
    });
    this.#connection = connection;
    connection.onMessage = (message) => {
      this.#fsm.activity(timeMsec());
      if (handleEcho(connection, message)) return;
      this.onMessage(message);
    };
    connection.onClose = (reason) => {
      if (this.#connection !== connection) return;
      this.#dropConnection(reason ?? "eof");
    };
    connection.start();
    this.#fsm.connected(timeMsec());
    this.#schedule();
    this.onConnect();
  }

  #dropConnection(reason: string | undefined): void {
    const connection = this.#connection;
    const wasConnected = connection !== undefined;
    this.#connection = undefined;
    connection?.close();
    this.#fsm.disconnected(timeMsec(), reason);
    this.#schedule();
    if (wasConnected) this.onDisconnect();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer !== undefined) cancelTimer(this.#timer);
    const connection = this.#connection;
    this.#connection = undefined;
    connection?.close();
  }
}

/**
 * A session for a connection a server accepted: answers echo, probes TCP peers that go quiet, and
 * closes when they do not answer. It never reconnects (the client does that).
 */
export class AcceptedSession {
  onMessage: (message: JsonRpcMessage) => void = () => {};
  onClose: (reason: string | undefined) => void = () => {};
  readonly connection: JsonRpcConnection;
  readonly #fsm: Reconnect;
  #timer: number | undefined;

  constructor(
    conn: Deno.Conn,
    name: string,
    options: {
      probeInterval?: number;
      connection?: Omit<JsonRpcConnectionOptions, "name">;
    } = {},
  ) {
    this.connection = new JsonRpcConnection(conn, { name, ...options.connection });
    const now = timeMsec();
    this.#fsm = new Reconnect(now);
    this.#fsm.name = name;
    this.#fsm.quiet = true;
    const probes = conn.remoteAddr.transport === "tcp";
    this.#fsm.setProbeInterval(probes ? options.probeInterval ?? this.#fsm.probeInterval : 0);
    this.#fsm.enable(now);
    this.#fsm.connected(now);
    this.connection.onMessage = (message) => {
      this.#fsm.activity(timeMsec());
      if (handleEcho(this.connection, message)) return;
      this.onMessage(message);
    };
    this.connection.onClose = (reason) => {
      if (this.#timer !== undefined) cancelTimer(this.#timer);
      this.onClose(reason);
    };
  }

  start(): void {
    this.connection.start();
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined) cancelTimer(this.#timer);
    this.#timer = undefined;
    if (this.connection.isClosed) return;
    const timeout = this.#fsm.timeout(timeMsec());
    if (timeout !== undefined) this.#timer = setTimer(timeout, () => this.#run());
  }

  #run(): void {
    const now = timeMsec();
    this.#fsm.receiveAttempted(now);
    const action = this.#fsm.run(now);
    if (action === "probe") this.connection.send(request("echo", [], "echo"));
    else if (action === "disconnect") {
      this.connection.close("no response to inactivity probe");
      return;
    }
    this.#schedule();
  }

  send(message: JsonRpcMessage): boolean {
    return this.connection.send(message);
  }

  close(): void {
    if (this.#timer !== undefined) cancelTimer(this.#timer);
    this.connection.close();
  }
}
