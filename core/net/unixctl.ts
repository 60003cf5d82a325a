// The unixctl control channel every daemon serves at $OVS_RUNDIR/<program>.<pid>.ctl: JSON-RPC
// requests whose method is a command name and whose params are strings, answered with a string
// result or an error string (lib/unixctl.c). Owns the process-wide command table and the
// listening socket. Promises upstream's argument checks and messages ("\"x\" is not a valid
// command …"), one request at a time per connection, and that a failing command handler never
// takes the daemon down. Modules register their own commands; handlers print nothing themselves.

import type { Json } from "./json_value.ts";
import { errorReply, reply } from "./jsonrpc.ts";
import { AcceptedSession } from "./jsonrpc_session.ts";
import { absFileName, ovsRundir } from "./dirs.ts";
import { openPassiveStream, type PassiveStream } from "./stream.ts";
import { programVersion } from "./version.ts";
import { coverageCounter } from "./coverage.ts";
import { vlogModule } from "./vlog.ts";

const log = vlogModule("unixctl");
const receivedCounter = coverageCounter("unixctl_received");
const repliedCounter = coverageCounter("unixctl_replied");

export type UnixctlFormat = "text" | "json";

export interface UnixctlContext {
  /** The output format the client asked for with `set-options --format`. */
  format: UnixctlFormat;
}

/** What a handler returns: text for the client, or (in JSON format) a structured reply. */
export type UnixctlResult = string | { json: Json };

export type UnixctlHandler = (
  args: string[],
  context: UnixctlContext,
) => UnixctlResult | Promise<UnixctlResult>;

/** Thrown by a handler to send an error reply with this text. */
export class UnixctlError extends Error {}

interface Command {
  usage: string | undefined;
  minArgs: number;
  maxArgs: number;
  handler: UnixctlHandler;
}

const commands = new Map<string, Command>();

/**
 * Registers `name`. `usage` undefined hides it from list-commands, as upstream's NULL usage does.
 * Registering the same name again replaces it (a restarted module re-registers).
 */
export function registerUnixctl(
  name: string,
  usage: string | undefined,
  minArgs: number,
  maxArgs: number,
  handler: UnixctlHandler,
): void {
  commands.set(name, { usage, minArgs, maxArgs, handler });
}

/** Removes a command (a module that shuts down). */
export function unregisterUnixctl(name: string): void {
  commands.delete(name);
}

let programName = "ovs";

/** The program name `version` reports and the default socket name uses. */
export function unixctlSetProgramName(name: string): void {
  programName = name;
}

function listCommands(_args: string[], context: UnixctlContext): UnixctlResult {
  const names = [...commands.keys()].sort();
  if (context.format === "json") {
    const out: Record<string, Json> = {};
    for (const name of names) {
      const usage = commands.get(name)?.usage;
      if (usage !== undefined) out[name] = usage;
    }
    return { json: out };
  }
  let text = "The available commands are:\n";
  for (const name of names) {
    const usage = commands.get(name)?.usage;
    if (usage !== undefined) text += `  ${name.padEnd(23)} ${usage}\n`;
  }
  return text;
}

function registerBuiltins(): void {
  registerUnixctl("list-commands", "", 0, 0, listCommands);
  // Hidden alias: upstream has no `help`, but people type it.
  registerUnixctl("help", undefined, 0, 0, listCommands);
  registerUnixctl("version", "", 0, 0, () => programVersion(programName));
}

/**
 * Open vSwitch 3.1 daemons end every non-empty reply with a newline and its ovs-appctl prints
 * replies as they come, so we must add it here for the real client to print lines right.
 */
function withNewline(text: string): string {
  return text === "" || text.endsWith("\n") ? text : text + "\n";
}

async function runCommand(
  method: string,
  params: Json[],
  context: UnixctlContext,
): Promise<{ ok: boolean; body: Json }> {
  const command = commands.get(method);
  const fail = (text: string) => ({ ok: false, body: withNewline(text) });
  if (!command) {
    return fail(
      `"${method}" is not a valid command (use "list-commands" to see a list of valid commands)`,
    );
  }
  if (params.length < command.minArgs) {
    return fail(`"${method}" command requires at least ${command.minArgs} arguments`);
  }
  if (params.length > command.maxArgs) {
    return fail(`"${method}" command takes at most ${command.maxArgs} arguments`);
  }
  const args: string[] = [];
  for (const param of params) {
    if (typeof param !== "string") {
      return fail(`"${method}" command has non-string argument`);
    }
    args.push(param);
  }
  try {
    const result = await command.handler(args, context);
    if (typeof result === "string") {
      const text = withNewline(result);
      return {
        ok: true,
        body: context.format === "json" ? { "reply-format": "plain", reply: text } : text,
      };
    }
    return { ok: true, body: result.json };
  } catch (error) {
    if (error instanceof UnixctlError) return { ok: false, body: withNewline(error.message) };
    const text = error instanceof Error ? error.message : String(error);
    log.err(`"${method}" command failed: ${text}`);
    return { ok: false, body: withNewline(text) };
  }
}

function setOptions(args: string[], context: UnixctlContext): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    let value: string | undefined;
    if (arg === "--format" || arg === "-f") value = args[++i];
    else if (arg.startsWith("--format=")) value = arg.slice("--format=".length);
    else return `unrecognized option '${arg}'`;
    if (value === undefined) return "option '--format' requires an argument";
    const lower = value.toLowerCase();
    if (lower !== "text" && lower !== "json") {
      return `option format has invalid value ${value}`;
    }
    context.format = lower;
  }
  return undefined;
}

export class UnixctlServer {
  readonly path: string;
  readonly #listener: PassiveStream;
  readonly #sessions = new Set<AcceptedSession>();
  #closed = false;

  private constructor(path: string, listener: PassiveStream) {
    this.path = path;
    this.#listener = listener;
  }

  /**
   * Listens at `path` (relative to $OVS_RUNDIR), or at $OVS_RUNDIR/<program>.<pid>.ctl when
   * undefined. Returns undefined for the path "none", as upstream.
   */
  static create(path: string | undefined): UnixctlServer | undefined {
    if (path === "none") return undefined;
    const absolute = path === undefined
      ? `${ovsRundir()}/${programName}.${Deno.pid}.ctl`
      : absFileName(ovsRundir(), path);
    registerBuiltins();
    const listener = openPassiveStream(`punix:${absolute}`, 0);
    const server = new UnixctlServer(absolute, listener);
    server.#acceptLoop();
    return server;
  }

  async #acceptLoop(): Promise<void> {
    while (!this.#closed) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch {
        return;
      }
      this.#serve(conn);
    }
  }

  #serve(conn: Deno.Conn): void {
    const session = new AcceptedSession(conn, `unix#${this.#sessions.size}`);
    const context: UnixctlContext = { format: "text" };
    let queue = Promise.resolve();
    this.#sessions.add(session);
    session.onClose = () => this.#sessions.delete(session);
    session.onMessage = (message) => {
      if (message.type !== "request") {
        log.warn(`${session.connection.name}: received unexpected ${message.type} message`);
        session.close();
        return;
      }
      queue = queue.then(async () => {
        receivedCounter.inc();
        log.dbg(`received request ${message.method}${JSON.stringify(message.params)}`);
        let outcome: { ok: boolean; body: Json };
        if (message.method === "set-options") {
          const error = setOptions(message.params.map(String), context);
          outcome = error === undefined
            ? { ok: true, body: "" }
            : { ok: false, body: withNewline(error) };
        } else {
          outcome = await runCommand(message.method, message.params, context);
        }
        repliedCounter.inc();
        session.send(
          outcome.ok ? reply(outcome.body, message.id) : errorReply(outcome.body, message.id),
        );
      });
    };
    session.start();
  }

  /** Stops listening, removes the socket file and drops every connection. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#listener.close();
    for (const session of this.#sessions) session.close();
    this.#sessions.clear();
  }
}

/** Runs a registered command in-process (embedded mode and tests use this). */
export async function unixctlExecute(
  method: string,
  args: string[],
): Promise<{ ok: boolean; text: string }> {
  const outcome = await runCommand(method, args, { format: "text" });
  return { ok: outcome.ok, text: typeof outcome.body === "string" ? outcome.body : "" };
}
