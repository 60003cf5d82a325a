// One JSON-RPC connection over a byte stream (unix or TCP). Owns framing in both directions, the
// send queue and its bound, and the life of the underlying Deno.Conn. Promises: messages are
// delivered in order; a peer that sends malformed JSON or an invalid message gets one error
// message back and is disconnected (upstream disconnects too), never crashing the daemon; a peer
// that stops reading is disconnected once the send backlog passes its bound instead of growing
// memory without end. Knows nothing of what the messages mean.

import { JsonFramer } from "./json_stream.ts";
import { type Json, parseJson, stringifyJson } from "./json_value.ts";
import {
  errorReply,
  type JsonRpcMessage,
  messageFromJson,
  messageToJson,
  request,
} from "./jsonrpc.ts";
import { RateLimit, vlogModule } from "./vlog.ts";
import { errorText } from "./stream.ts";
import { coverageCounter } from "./coverage.ts";

const log = vlogModule("jsonrpc");
const rateLimit = new RateLimit(5, 5);
const receivedCounter = coverageCounter("jsonrpc_recv_message");
const sentCounter = coverageCounter("jsonrpc_send_message");

export interface JsonRpcConnectionOptions {
  /** Name used in log messages (upstream uses the stream name). */
  name: string;
  /** Largest JSON text accepted from the peer. */
  maxTextBytes?: number;
  /** Disconnect when more than this many bytes wait to be sent. 0 means no bound. */
  maxBacklogBytes?: number;
  /** Disconnect when more than this many messages wait to be sent. 0 means no bound. */
  maxBacklogMessages?: number;
  /** JSON parser for received texts (OVSDB supplies its own, which types numbers as upstream). */
  parse?: (text: string) => Json;
  /** JSON serialiser for sent messages (OVSDB supplies upstream's member order and formatting). */
  stringify?: (value: Json) => string;
}

/** A JSON-RPC error reply, surfaced to the caller of `call`. */
export class JsonRpcError extends Error {
  constructor(readonly error: Json) {
    super(typeof error === "string" ? error : stringifyJson(error));
  }
}

const encoder = new TextEncoder();

export class JsonRpcConnection {
  readonly name: string;
  /** Called for each message received, in order. */
  onMessage: (message: JsonRpcMessage) => void = () => {};
  /** Called once when the connection ends: undefined for a clean close by the peer. */
  onClose: (reason: string | undefined) => void = () => {};

  readonly #conn: Deno.Conn;
  readonly #framer: JsonFramer;
  readonly #maxBacklogBytes: number;
  readonly #maxBacklogMessages: number;
  readonly #parse: (text: string) => Json;
  readonly #stringify: (value: Json) => string;
  #queue: Uint8Array[] = [];
  #backlogBytes = 0;
  #writing = false;
  #closed = false;
  #nextId = 0;
  #pending = new Map<string, { resolve: (v: Json) => void; reject: (e: Error) => void }>();

  constructor(conn: Deno.Conn, options: JsonRpcConnectionOptions) {
    this.#conn = conn;
    this.name = options.name;
    this.#framer = new JsonFramer(options.maxTextBytes);
    this.#maxBacklogBytes = options.maxBacklogBytes ?? 0;
    this.#maxBacklogMessages = options.maxBacklogMessages ?? 0;
    this.#parse = options.parse ?? parseJson;
    this.#stringify = options.stringify ?? stringifyJson;
  }

  /** Bytes queued but not yet written. */
  get backlog(): number {
    return this.#backlogBytes;
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  /** Starts reading; messages arrive through `onMessage`. */
  start(): void {
    this.#readLoop();
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(65536);
    let reason: string | undefined;
    try {
      while (!this.#closed) {
        const n = await this.#conn.read(buffer);
        if (n === null) break;
        for (const result of this.#framer.feed(buffer.subarray(0, n))) {
          if ("error" in result) {
            log.rateLimited(
              rateLimit,
              "warn",
              `${this.name}: error parsing stream: ${result.error}`,
            );
            this.#sendNow(errorReply(result.error, null));
            reason = result.error;
            break;
          }
          if (!this.#deliver(result.text)) {
            reason = "protocol error";
            break;
          }
        }
        if (reason !== undefined) break;
      }
    } catch (error) {
      if (!this.#closed) {
        reason = errorText(error);
        log.rateLimited(rateLimit, "warn", `${this.name}: receive error: ${reason}`);
      }
    }
    await this.#drain();
    this.#shutdown(reason);
  }

  #deliver(text: string): boolean {
    let json: Json;
    try {
      json = this.#parse(text);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log.rateLimited(rateLimit, "warn", `${this.name}: error parsing stream: ${reason}`);
      this.#sendNow(errorReply(`syntax error: ${reason}`, null));
      return false;
    }
    const message = messageFromJson(json);
    if ("invalid" in message) {
      log.rateLimited(
        rateLimit,
        "warn",
        `${this.name}: received bad JSON-RPC message: ${message.invalid}`,
      );
      this.#sendNow(errorReply(message.invalid, null));
      return false;
    }
    receivedCounter.inc();
    if (message.type === "reply" || message.type === "error") {
      const key = stringifyJson(message.id);
      const waiter = this.#pending.get(key);
      if (waiter) {
        this.#pending.delete(key);
        if (message.type === "reply") waiter.resolve(message.result);
        else waiter.reject(new JsonRpcError(message.error));
        return true;
      }
    }
    try {
      this.onMessage(message);
    } catch (error) {
      // A handler bug must not take the whole daemon down with it; report and drop the peer.
      log.err(`${this.name}: error handling message: ${errorText(error)}`);
      return false;
    }
    return true;
  }

  /**
   * Queues `message`. Returns false when the connection is closed or was just closed because the
   * peer is not reading (backlog bound exceeded).
   */
  send(message: JsonRpcMessage): boolean {
    if (this.#closed) return false;
    sentCounter.inc();
    const bytes = encoder.encode(this.#stringify(messageToJson(message)));
    this.#queue.push(bytes);
    this.#backlogBytes += bytes.length;
    if (
      (this.#maxBacklogMessages > 0 && this.#queue.length > this.#maxBacklogMessages) ||
      (this.#maxBacklogBytes > 0 && this.#backlogBytes > this.#maxBacklogBytes)
    ) {
      log.warn(
        `sending backlog exceeded maximum (${this.#queue.length} messages, ${this.#backlogBytes} bytes), disconnecting, jsonrpc: ${this.name}.`,
      );
      this.close("sending backlog exceeded");
      return false;
    }
    this.#pump();
    return true;
  }

  /** Sends a request and resolves with its result (rejects with JsonRpcError on an error reply). */
  call(method: string, params: Json[]): Promise<Json> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(String(id), { resolve, reject });
      if (!this.send(request(method, params, id))) {
        this.#pending.delete(String(id));
        reject(new Error(`${this.name}: connection closed`));
      }
    });
  }

  #sendNow(message: JsonRpcMessage): void {
    if (this.#closed) return;
    const bytes = encoder.encode(this.#stringify(messageToJson(message)));
    this.#queue.push(bytes);
    this.#backlogBytes += bytes.length;
    this.#pump();
  }

  async #pump(): Promise<void> {
    if (this.#writing) return;
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        const head = this.#queue[0] as Uint8Array;
        let offset = 0;
        while (offset < head.length) {
          offset += await this.#conn.write(head.subarray(offset));
        }
        this.#queue.shift();
        this.#backlogBytes -= head.length;
      }
    } catch (error) {
      if (!this.#closed) {
        log.rateLimited(rateLimit, "warn", `${this.name}: send error: ${errorText(error)}`);
        this.close(errorText(error));
      }
    } finally {
      this.#writing = false;
    }
  }

  /** Waits until the queue is written (or the connection dies), bounded to one second. */
  async #drain(): Promise<void> {
    const deadline = Date.now() + 1000;
    while ((this.#writing || this.#queue.length > 0) && !this.#closed && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Waits until everything queued has been written; for clients about to exit. */
  async flush(): Promise<void> {
    while ((this.#writing || this.#queue.length > 0) && !this.#closed) {
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  #shutdown(reason: string | undefined): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
    this.#queue = [];
    this.#backlogBytes = 0;
    const failure = new Error(`${this.name}: ${reason ?? "connection closed"}`);
    for (const waiter of this.#pending.values()) waiter.reject(failure);
    this.#pending.clear();
    this.onClose(reason);
  }

  /** Closes the connection; `onClose` is called with `reason`. */
  close(reason = "closed locally"): void {
    this.#shutdown(reason);
  }
}
