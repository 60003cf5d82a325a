// The client side of unixctl: what ovs-appctl (and our tests) use to run one command on a
// daemon. Owns resolving a target (a program name through its pidfile, or a socket path) and one
// request/reply exchange. Promises upstream's error texts for an unreadable pidfile or an
// unreachable socket; a timeout is the caller's concern.

import { ovsRundir } from "./dirs.ts";
import type { Json } from "./json_value.ts";
import { JsonRpcConnection, JsonRpcError } from "./jsonrpc_connection.ts";
import { readPidfile } from "./pidfile.ts";
import { errorText } from "./stream.ts";

/** The control socket path for `target`: a path as given, or via $OVS_RUNDIR/TARGET.pid. */
export function resolveTarget(target: string): string {
  if (target.startsWith("/")) return target;
  const pidfile = `${ovsRundir()}/${target}.pid`;
  const pid = readPidfile(pidfile);
  if (typeof pid === "string") throw new Error(`cannot read pidfile "${pidfile}" (${pid})`);
  return `${ovsRundir()}/${target}.${pid}.ctl`;
}

export type UnixctlOutcome = { result: Json } | { error: Json };

export class UnixctlClient {
  readonly #connection: JsonRpcConnection;

  private constructor(connection: JsonRpcConnection) {
    this.#connection = connection;
  }

  /** Connects to the socket at `path`; throws `cannot connect to "PATH" (REASON)`. */
  static async connect(path: string): Promise<UnixctlClient> {
    let conn: Deno.Conn;
    try {
      conn = await Deno.connect({ transport: "unix", path });
    } catch (error) {
      throw new Error(`cannot connect to "${path}" (${errorText(error)})`);
    }
    const connection = new JsonRpcConnection(conn, { name: `unix:${path}` });
    connection.start();
    return new UnixctlClient(connection);
  }

  /** Runs `command` with `args`; resolves with the result or the server's error. */
  async transact(command: string, args: string[]): Promise<UnixctlOutcome> {
    try {
      return { result: await this.#connection.call(command, args) };
    } catch (error) {
      if (error instanceof JsonRpcError) return { error: error.error };
      throw error;
    }
  }

  close(): void {
    this.#connection.close();
  }
}
