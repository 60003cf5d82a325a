// A passive OpenFlow endpoint (upstream's pvconn): listens on `punix:FILE` or `ptcp:[PORT][:IP]`
// and turns each accepted stream into a Vconn that starts its hello at once. Accepted unix
// connections are named `unix#N` (one process-wide counter, as upstream names peers that bound no
// name) and TCP ones `tcp:IP:PORT`, which is what switch logs show. Owns the listener; closing it
// removes the socket file. Does not own the accepted connections.

import { openPassiveStream, parsePassiveTarget, type PassiveStream } from "../net/stream.ts";
import { OFP_PORT } from "../net/stream.ts";
import { vlogModule } from "../net/vlog.ts";
import { Vconn, type VconnOptions } from "./vconn.ts";
import { VconnError, vconnErrorFrom } from "./vconn_error.ts";

const unixLog = vlogModule("stream_unix");
const tcpLog = vlogModule("socket_util");

let nextUnixPeer = 0;

function peerName(conn: Deno.Conn): string {
  const remote = conn.remoteAddr;
  if (remote.transport === "tcp") {
    const host = remote.hostname.includes(":") ? `[${remote.hostname}]` : remote.hostname;
    return `tcp:${host}:${remote.port}`;
  }
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
   * ENOPROTOOPT for `pssl:` (not built yet), the OS error (logged as upstream logs it) otherwise.
   */
  static open(name: string, options: VconnOptions = {}): Pvconn {
    if (!isPvconnName(name)) throw new VconnError("EAFNOSUPPORT");
    if (name.startsWith("pssl:")) {
      vlogModule("stream_ssl").err(`${name}: SSL streams are not supported in this build yet`);
      throw new VconnError("ENOPROTOOPT");
    }
    let target;
    try {
      target = parsePassiveTarget(name, OFP_PORT);
    } catch {
      throw new VconnError("EAFNOSUPPORT");
    }
    try {
      return new Pvconn(name, openPassiveStream(name, OFP_PORT), options);
    } catch (error) {
      const failure = vconnErrorFrom(error);
      if (target.kind === "punix") {
        unixLog.err(`${target.path}: binding failed: ${failure.message}`);
      } else {
        tcpLog.err(`${name}: bind: ${failure.message}`);
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
