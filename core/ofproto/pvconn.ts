// A passive OpenFlow endpoint (upstream's pvconn): listens on `punix:FILE`, `ptcp:[PORT][:IP]` or
// `pssl:[PORT][:IP]` and turns each accepted stream into a Vconn that starts its hello at once.
// Accepted unix connections are named `unix#N` (one process-wide counter, as upstream names peers
// that bound no name), TCP ones `tcp:IP:PORT` and SSL ones `ssl:IP:PORT`, which is what switch
// logs show. Owns the listener; closing it removes the socket file. Does not own the accepted
// connections.

import {
  acceptedStreamName,
  openPassiveStream,
  parsePassiveTarget,
  type PassiveStream,
} from "../net/stream.ts";
import { OFP_PORT } from "../net/stream.ts";
import { vlogModule } from "../net/vlog.ts";
import { Vconn, type VconnOptions } from "./vconn.ts";
import { VconnError, vconnErrorFrom } from "./vconn_error.ts";

const unixLog = vlogModule("stream_unix");
const tcpLog = vlogModule("socket_util");

let nextUnixPeer = 0;

function peerName(conn: Deno.Conn): string {
  const remote = conn.remoteAddr;
  // "tcp:IP:PORT" or, for pssl:, "ssl:IP:PORT".
  const inet = acceptedStreamName(conn);
  if (inet !== undefined) return inet;
  if (remote.transport === "unix" && remote.path) return `unix:${remote.path}`;
  return `unix#${nextUnixPeer++}`;
}

/** Whether `name` names a passive connection method (pvconn_verify_name). */
export function isPvconnName(name: string): boolean {
  return /^(ptcp|pssl|punix):/.test(name);
}

export class Pvconn {
  /** The name it was opened with. */
  readonly name: string;
  /** Where clients can reach it (the real port for `ptcp:0`). */
  readonly boundName: string;
  readonly #listener: PassiveStream;
  readonly #options: VconnOptions;
  #closed = false;

  private constructor(name: string, listener: PassiveStream, options: VconnOptions) {
    this.name = name;
    this.boundName = listener.name;
    this.#listener = listener;
    this.#options = options;
  }

  /**
   * Starts listening. Throws VconnError: EAFNOSUPPORT for a name that is not a passive method,
   * the OS error (logged as upstream logs it) otherwise.
   */
  static open(name: string, options: VconnOptions = {}): Pvconn {
    if (!isPvconnName(name)) throw new VconnError("EAFNOSUPPORT");
    // Upstream's socket_util messages name the target without its "ptcp:"/"pssl:" prefix.
    const suffix = name.slice(name.indexOf(":") + 1);
    let target;
    try {
      target = parsePassiveTarget(name, OFP_PORT);
    } catch (error) {
      const badPort = error instanceof Error && /bad port number (".*")$/.exec(error.message);
      if (badPort) tcpLog.err(`${suffix}: bad port number ${badPort[1]}`);
      throw new VconnError("EAFNOSUPPORT");
    }
    try {
      return new Pvconn(name, openPassiveStream(name, OFP_PORT), options);
    } catch (error) {
      // A name that does not resolve is upstream's DNS failure: EAGAIN, nothing logged.
      if (error instanceof Error && /failed to lookup address/.test(error.message)) {
        throw new VconnError("EAGAIN");
      }
      const failure = vconnErrorFrom(error);
      if (target.kind === "punix") {
        unixLog.err(`${target.path}: binding failed: ${failure.message}`);
      } else {
        tcpLog.err(`${suffix}: bind: ${failure.message}`);
      }
      throw failure;
    }
  }

  /** The next connection, its hello already sent. Rejects once the listener is closed. */
  async accept(): Promise<Vconn> {
    let conn: Deno.Conn;
    try {
      conn = await this.#listener.accept();
    } catch (error) {
      throw this.#closed ? new VconnError("EOF") : vconnErrorFrom(error);
    }
    if (conn.remoteAddr.transport === "tcp") {
      try {
        (conn as Deno.TcpConn).setNoDelay(true);
      } catch {
        // Not fatal: only latency.
      }
    }
    return new Vconn(conn, peerName(conn), this.#options);
  }

  get isClosed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
  }
}
