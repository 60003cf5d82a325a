// ovs-appctl: runs one command on a running daemon through its unixctl socket, printing the
// daemon's reply as upstream's tool does (utilities/ovs-appctl.c): the text on stdout; an error
// reply's text on stderr followed by "ovs-appctl: TARGET: server returned an error" and exit
// status 2; connection problems as fatal errors with exit status 1. Works against our daemons and
// upstream's, since both speak the same protocol.

import { parseCommandLine, UsageError } from "../core/net/options.ts";
import { VLOG_OPTIONS } from "../core/net/daemon.ts";
import { resolveTarget, UnixctlClient } from "../core/net/unixctl_client.ts";
import { type Json, stringifyJson } from "../core/net/json_value.ts";
import { vlogSetProgramName, vlogSetVerbosity } from "../core/net/vlog.ts";
import { versionText } from "../core/net/version.ts";

const OPTIONS = [
  { name: "target", short: "t", arg: "required" },
  { name: "execute", short: "e", arg: "none" },
  { name: "format", short: "f", arg: "required" },
  { name: "help", short: "h", arg: "none" },
  { name: "option", short: "o", arg: "none" },
  { name: "pretty", arg: "none" },
  { name: "version", short: "V", arg: "none" },
  { name: "timeout", short: "T", arg: "required" },
  ...VLOG_OPTIONS,
] as const;

function usage(program: string): string {
  return `${program}: send a command to a running Open vSwitch daemon
usage: ${program} [OPTIONS] COMMAND [ARG...]
The daemon is chosen with -t (default: ovs-vswitchd).

Target:
  -t, --target=TARGET  a program name (found through $OVS_RUNDIR/TARGET.pid)
                       or the path of a control socket

Commands every daemon serves:
  list-commands      the daemon's commands, with their arguments
  version            the daemon's version
  vlog/list          log levels of every module and destination
  vlog/list-pattern  log line patterns of every destination
  vlog/set SPEC      change log levels; SPEC names a module, a destination
                     (console, syslog, file) and a level (off, emer, err,
                     warn, info, dbg), each optional and in any order
  vlog/reopen        reopen the log file (after rotating it)

Options:
  --timeout=SECS     give up after SECS seconds
  -f, --format=FMT   print the reply as text (default) or json
  --pretty           indent json output (with --format=json)
  -h, --help         show this help
  -V, --version      show the version
`;
}

class Fatal extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

function prettyJson(value: Json, indent = ""): string {
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const inner = indent + "  ";
    return `[\n${value.map((v) => inner + prettyJson(v, inner)).join(",\n")}]`;
  }
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) return "{}";
    const inner = indent + "  ";
    return `{\n${
      keys.map((k) => `${inner}${JSON.stringify(k)}: ${prettyJson(value[k] as Json, inner)}`)
        .join(",\n")
    }}`;
  }
  return stringifyJson(value);
}

function sortedJson(value: Json): Json {
  if (Array.isArray(value)) return value.map(sortedJson);
  if (value !== null && typeof value === "object") {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) out[key] = sortedJson(value[key] as Json);
    return out;
  }
  return value;
}

/** Renders a reply as upstream's reply_to_string: text must be a string; ends with a newline. */
function replyToString(reply: Json, format: "text" | "json", pretty: boolean): string {
  let text: string;
  if (format === "text") {
    if (typeof reply !== "string") {
      const type = Array.isArray(reply) ? "array" : reply === null ? "null" : typeof reply;
      throw new Fatal(`Unexpected reply type in JSON rpc reply: ${type}`, 2);
    }
    text = reply;
  } else {
    text = pretty ? prettyJson(reply) : stringifyJson(sortedJson(reply));
  }
  if (text !== "" && !text.endsWith("\n")) text += "\n";
  return text;
}

const encoder = new TextEncoder();

async function run(program: string, args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(args, OPTIONS, { stopAtOperand: true });
  } catch (error) {
    if (error instanceof UsageError) throw new Fatal(error.message);
    throw error;
  }
  let target: string | undefined;
  let format: "text" | "json" = "text";
  let pretty = false;
  let timeout = 0;
  let executes = 0;
  for (const option of parsed.options) {
    switch (option.name) {
      case "target":
        if (target !== undefined) throw new Fatal("-t or --target may be specified only once");
        target = option.value;
        break;
      case "execute":
        if (executes++) throw new Fatal("-e or --execute may be speciifed only once");
        break;
      case "format": {
        const value = (option.value ?? "").toLowerCase();
        if (value !== "text" && value !== "json") {
          throw new Fatal(`value ${option.value} on -f or --format is invalid`);
        }
        format = value;
        break;
      }
      case "help":
        await Deno.stdout.write(encoder.encode(usage(program)));
        return 0;
      case "option":
        for (const o of OPTIONS) {
          const arg = o.arg === "required" ? "=ARG" : o.arg === "optional" ? "[=ARG]" : "";
          console.log(`--${o.name}${arg}`);
          if ("short" in o) console.log(`-${o.short}`);
        }
        return 0;
      case "pretty":
        pretty = true;
        break;
      case "version":
        await Deno.stdout.write(encoder.encode(versionText(program)));
        return 0;
      case "timeout": {
        const value = Number(option.value);
        if (!/^\d+$/.test(option.value ?? "") || value === 0) {
          throw new Fatal(`value ${option.value} on -T or --timeout is invalid`);
        }
        timeout = value;
        break;
      }
      case "verbose":
        vlogSetVerbosity(option.value);
        break;
    }
  }
  if (timeout === 0) {
    const env = Deno.env.get("OVS_CTL_TIMEOUT");
    if (env && /^\d+$/.test(env)) timeout = Number(env);
  }
  if (timeout > 0) {
    // Like upstream's alarm(): the process dies by SIGALRM when the deadline passes.
    setTimeout(() => Deno.kill(Deno.pid, "SIGALRM"), timeout * 1000);
  }
  if (parsed.operands.length === 0) {
    throw new Fatal("at least one non-option argument is required (use --help for help)");
  }
  if (pretty && format !== "json") throw new Fatal("--pretty is supported with --format json only");
  const targetName = target ?? "ovs-vswitchd";
  let path: string;
  try {
    path = resolveTarget(targetName);
  } catch (error) {
    throw new Fatal(error instanceof Error ? error.message : String(error));
  }
  let client: UnixctlClient;
  try {
    client = await UnixctlClient.connect(path);
  } catch (error) {
    throw new Fatal(error instanceof Error ? error.message : String(error));
  }
  try {
    if (format !== "text") {
      const outcome = await client.transact("set-options", ["--format", format]);
      if ("error" in outcome) {
        await Deno.stderr.write(encoder.encode(replyToString(outcome.error, "text", false)));
        throw new Fatal(`${targetName}: server returned an error`, 2);
      }
    }
    const [command, ...commandArgs] = parsed.operands as [string, ...string[]];
    let outcome;
    try {
      outcome = await client.transact(command, commandArgs);
    } catch (error) {
      const reason = error instanceof Error ? error.message.replace(/^[^:]*: /, "") : "";
      throw new Fatal(`${targetName}: transaction error (${reason})`);
    }
    if ("error" in outcome) {
      await Deno.stderr.write(encoder.encode(replyToString(outcome.error, "text", false)));
      throw new Fatal(`${targetName}: server returned an error`, 2);
    }
    await Deno.stdout.write(encoder.encode(replyToString(outcome.result, format, pretty)));
    return 0;
  } finally {
    client.close();
  }
}

export async function main(args: string[], program = "ovs-appctl"): Promise<number> {
  vlogSetProgramName(program);
  try {
    return await run(program, args);
  } catch (error) {
    if (error instanceof Fatal) {
      console.error(`${program}: ${error.message}`);
      return error.code;
    }
    if (error instanceof SyntaxError) {
      console.error(`${program}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
