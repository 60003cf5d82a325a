// Stream addresses as Open vSwitch writes them: active `unix:FILE`, `tcp:HOST[:PORT]`,
// `ssl:HOST[:PORT]` and passive `punix:FILE`, `ptcp:[PORT][:IP]`, `pssl:[PORT][:IP]`. Owns parsing
// of these names and opening them as byte streams (Deno.Conn) or listeners. Relative unix paths
// are taken relative to $OVS_RUNDIR, as upstream does. SSL streams are stream_ssl.ts's: they
// present themselves as a Deno.Conn like the others, so callers need not know which they hold.
// A passive TCP or SSL stream on port 0 logs the port the kernel chose, as upstream's
// inet_open_passive does (scripts read it from the log).

import { absFileName, ovsRundir } from "./dirs.ts";
import { listenSsl, SslConn, sslStreamName } from "./stream_ssl.ts";
import { vlogModule } from "./vlog.ts";

const socketLog = vlogModule("socket_util");

export type StreamTarget =
  | { kind: "unix"; path: string }
  | { kind: "tcp"; host: string; port: number }
  | { kind: "ssl"; host: string; port: number };

export type PassiveTarget =
  | { kind: "punix"; path: string }
  | { kind: "ptcp"; host: string; port: number }
  | { kind: "pssl"; host: string; port: number };

/** Default ports: OVSDB 6640, OpenFlow 6653. */
export const OVSDB_PORT = 6640;
export const OFP_PORT = 6653;

function parsePort(text: string, name: string): number {
  if (!/^\d+$/.test(text) || Number(text) > 65535) {
    throw new SyntaxError(`${name}: bad port number "${text}"`);
  }
  return Number(text);
}

/** Splits "HOST[:PORT]" (HOST may be "[v6]") into host and port. */
function splitHostPort(text: string, defaultPort: number, name: string): [string, number] {
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw new SyntaxError(`${name}: bad IPv6 address`);
    const host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (rest === "") return [host, defaultPort];
    if (!rest.startsWith(":")) throw new SyntaxError(`${name}: bad address`);
    return [host, parsePort(rest.slice(1), name)];
  }
  const colon = text.lastIndexOf(":");
  if (colon < 0) return [text, defaultPort];
  return [text.slice(0, colon), parsePort(text.slice(colon + 1), name)];
}

/** Whether `name` is an active stream address upstream would accept. */
export function isActiveTarget(name: string): boolean {
  return /^(unix|tcp|ssl):/.test(name);
}

/** Whether `name` is a passive stream address upstream would accept. */
export function isPassiveTarget(name: string): boolean {
  return /^(punix|ptcp|pssl):/.test(name);
}

/** Parses an active address. Throws SyntaxError naming the problem. */
export function parseTarget(name: string, defaultPort: number): StreamTarget {
  const colon = name.indexOf(":");
  const kind = colon < 0 ? name : name.slice(0, colon);
  const rest = colon < 0 ? "" : name.slice(colon + 1);
  switch (kind) {
    case "unix":
      if (rest === "") throw new SyntaxError(`${name}: missing file name`);
      return { kind: "unix", path: absFileName(ovsRundir(), rest) };
    case "tcp":
    case "ssl": {
      if (rest === "") throw new SyntaxError(`${name}: host must be specified`);
      const [host, port] = splitHostPort(rest, defaultPort, name);
      if (host === "") throw new SyntaxError(`${name}: host must be specified`);
      return { kind, host, port };
    }
    default:
      throw new SyntaxError(`${name}: unknown stream type "${kind}"`);
  }
}

/** Parses a passive address: `ptcp:[PORT][:IP]`, `punix:FILE`. Throws SyntaxError. */
export function parsePassiveTarget(name: string, defaultPort: number): PassiveTarget {
  const colon = name.indexOf(":");
  const kind = colon < 0 ? name : name.slice(0, colon);
  const rest = colon < 0 ? "" : name.slice(colon + 1);
  switch (kind) {
    case "punix":
      if (rest === "") throw new SyntaxError(`${name}: missing file name`);
      return { kind: "punix", path: absFileName(ovsRundir(), rest) };
    case "ptcp":
    case "pssl": {
      // PORT first, then an optional IP (which may itself contain colons when in brackets).
      const portEnd = rest.indexOf(":");
      const portText = portEnd < 0 ? rest : rest.slice(0, portEnd);
      let host = portEnd < 0 ? "0.0.0.0" : rest.slice(portEnd + 1);
      if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
      if (host === "") host = "0.0.0.0";
      const port = portText === "" ? defaultPort : parsePort(portText, name);
      return { kind, host, port };
    }
    default:
      throw new SyntaxError(`${name}: unknown stream type "${kind}"`);
  }
}

/** The text of an OS error as upstream prints strerror(), without Deno's "(os error N)". */
export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\(os error \d+\)/, "").replace(/: (connect|bind|listen)\b.*$/, "");
}

/** Opens an active stream. Rejects with an Error whose message is the OS reason. */
export async function openStream(name: string, defaultPort: number): Promise<Deno.Conn> {
  const target = parseTarget(name, defaultPort);
  switch (target.kind) {
    case "unix":
      return await Deno.connect({ transport: "unix", path: target.path });
    case "tcp": {
      const conn = await Deno.connect({
        transport: "tcp",
        hostname: target.host,
        port: target.port,
      });
      conn.setNoDelay(true);
      return conn;
    }
    case "ssl":
      return await SslConn.open(name, target.host, target.port);
  }
}

/**
 * The name upstream gives a TCP or SSL stream accepted from a listener, "tcp:IP:PORT" or
 * "ssl:IP:PORT" of the peer; undefined for a unix socket's peer.
 */
export function acceptedStreamName(conn: Deno.Conn): string | undefined {
  const ssl = sslStreamName(conn);
  if (ssl !== undefined) return ssl;
  const remote = conn.remoteAddr;
  if (remote.transport !== "tcp") return undefined;
  const host = remote.hostname.includes(":") ? `[${remote.hostname}]` : remote.hostname;
  return `tcp:${host}:${remote.port}`;
}

export interface PassiveStream {
  /** The address clients can use, with the real port for `ptcp:0`. */
  readonly name: string;
  /** The next connection; rejects once the listener is closed. */
  accept(): Promise<Deno.Conn>;
  close(): void;
}

/** Opens a passive stream. A stale unix socket file is replaced, as upstream does. */
export function openPassiveStream(name: string, defaultPort: number): PassiveStream {
  const target = parsePassiveTarget(name, defaultPort);
  switch (target.kind) {
    case "punix": {
      try {
        const info = Deno.lstatSync(target.path);
        if (info.isSocket) Deno.removeSync(target.path);
      } catch {
        // Nothing there yet.
      }
      const listener = Deno.listen({ transport: "unix", path: target.path });
      const path = target.path;
      return {
        name: `punix:${path}`,
        accept: () => listener.accept(),
        close() {
          try {
            listener.close();
          } catch {
            // Already closed.
          }
          try {
            Deno.removeSync(path);
          } catch {
            // Deno may already have unlinked it.
          }
        },
      };
    }
    case "ptcp": {
      const listener = Deno.listen({ transport: "tcp", hostname: target.host, port: target.port });
      const address = listener.addr as Deno.NetAddr;
      if (target.port === 0) {
        socketLog.info(`${name.slice("ptcp:".length)}: listening on port ${address.port}`);
      }
      const host = target.host.includes(":") ? `[${target.host}]` : target.host;
      return {
        name: `ptcp:${address.port}:${host}`,
        async accept() {
          const conn = await listener.accept();
          conn.setNoDelay(true);
          return conn;
        },
        close() {
          try {
            listener.close();
          } catch {
            // Already closed.
          }
        },
      };
    }
    case "pssl":
      return listenSsl(name.slice("pssl:".length), target.host, target.port);
  }
}
