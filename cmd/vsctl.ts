// ovs-vsctl: configures the switch through its database, as upstream's tool does: global
// options, then commands separated by `--`, each with its own options, all run in one
// transaction against the IDL replica, retried on a concurrent change, then (unless --no-wait)
// a wait until ovs-vswitchd reports the new configuration in cur_cfg. This file owns the command
// line and the run loop; the commands live in core/vsctl.

import { Idl } from "../core/db/idl.ts";
import { IdlTransaction } from "../core/db/idl_txn.ts";
import { ovsLogdir, ovsRundir } from "../core/net/dirs.ts";
import { errorText, openStream, OVSDB_PORT } from "../core/net/stream.ts";
import { applySslOption, sslUsage } from "../core/net/ssl_options.ts";
import { versionText } from "../core/net/version.ts";
import {
  vlogModule,
  vlogSetLevels,
  vlogSetProgramName,
  vlogSetVerbosity,
} from "../core/net/vlog.ts";
import { BRIDGE_COMMANDS, type CommandSpec } from "../core/vsctl/bridge_commands.ts";
import { DB_COMMANDS, listStyle, WaitForChange } from "../core/vsctl/db_commands.ts";
import { EXTRA_COMMANDS } from "../core/vsctl/extra_commands.ts";
import { type Context, VsctlError, VsctlExit } from "../core/vsctl/context.ts";
import type { CellFormat, TableFormat } from "../core/db/table_format.ts";

const COMMANDS = new Map<string, CommandSpec>(
  [...BRIDGE_COMMANDS, ...EXTRA_COMMANDS, ...DB_COMMANDS].map((c) => [c.name, c]),
);

const EX_DATAERR = 65;
const log = vlogModule("vsctl");

interface ParsedCommand {
  spec: CommandSpec;
  options: Map<string, string | undefined>;
  args: string[];
}

class Fatal extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

function usage(program: string): string {
  return `${program}: configure Open vSwitch through its database
usage: ${program} [OPTIONS] COMMAND [ARG...] [-- [OPTIONS] COMMAND [ARG...]]...
All commands run in one transaction.

Switch commands: init, show, add-br, del-br, list-br, br-exists, list-ports,
  add-port, del-port, port-to-br, list-ifaces, iface-to-br, get-fail-mode,
  set-fail-mode, del-fail-mode, get-controller, set-controller, del-controller,
  get-manager, set-manager, del-manager
Database commands: list, find, get, set, add, remove, clear, create, destroy

Options:
  --db=DATABASE       connect to DATABASE (default: unix:${ovsRundir()}/db.sock)
  --no-wait           do not wait for ovs-vswitchd to reconfigure
  -t, --timeout=SECS  give up after SECS seconds
  --dry-run           do not commit changes to the database
  --oneline           print each command's output on one line
  -f, --format=FORMAT table, list (default), csv, html or json
  -d, --data=FORMAT   string (default), bare or json
  --no-headings       leave out column headings
  --pretty            indent JSON output
  --bare              the same as --format=list --data=bare --no-headings
${sslUsage(true, true)}  -h, --help          show this help
  -V, --version       show the version
`;
}

/** The SSL options as spelled on the command line, with the option each one is. */
const SSL_GLOBALS = new Map([
  ["--private-key", "private-key"],
  ["-p", "private-key"],
  ["--certificate", "certificate"],
  ["-c", "certificate"],
  ["--ca-cert", "ca-cert"],
  ["-C", "ca-cert"],
  ["--bootstrap-ca-cert", "bootstrap-ca-cert"],
  ["--peer-ca-cert", "peer-ca-cert"],
  ["--ssl-protocols", "ssl-protocols"],
  ["--ssl-ciphers", "ssl-ciphers"],
]);

interface Globals {
  db: string;
  wait: boolean;
  dryRun: boolean;
  oneline: boolean;
  timeout: number;
}

const GLOBAL_WITH_VALUE = new Set([
  "--db",
  "--timeout",
  "-t",
  "--format",
  "-f",
  "--data",
  "-d",
  ...SSL_GLOBALS.keys(),
]);

function parseGlobals(
  args: string[],
  program: string,
): { globals: Globals; rest: string[] } | number {
  const globals: Globals = {
    db: `unix:${ovsRundir()}/db.sock`,
    wait: true,
    dryRun: false,
    oneline: false,
    timeout: 0,
  };
  const style = listStyle.style;
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith("-") || arg === "--") break;
    let name = arg;
    let value: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      name = arg.slice(0, eq);
      value = arg.slice(eq + 1);
    } else if (/^-[tfdvpcC]./.test(arg)) {
      name = arg.slice(0, 2);
      value = arg.slice(2);
    }
    if (GLOBAL_WITH_VALUE.has(name) && value === undefined) value = args[++i];
    switch (name) {
      case "--db":
        globals.db = value ?? "";
        break;
      case "--no-wait":
        globals.wait = false;
        break;
      case "--dry-run":
        globals.dryRun = true;
        break;
      case "--oneline":
        globals.oneline = true;
        break;
      case "--timeout":
      case "-t":
        if (!/^\d+$/.test(value ?? "")) {
          throw new Fatal(`value ${value} on -t or --timeout is invalid`);
        }
        globals.timeout = Number(value);
        break;
      case "--format":
      case "-f":
        if (!["table", "list", "html", "csv", "json"].includes(value ?? "")) {
          throw new Fatal(`unknown output format "${value}"`);
        }
        style.format = value as TableFormat;
        break;
      case "--data":
      case "-d":
        if (!["string", "bare", "json"].includes(value ?? "")) {
          throw new Fatal(`unknown data format "${value}"`);
        }
        style.cellFormat = value as CellFormat;
        break;
      case "--no-headings":
        style.headings = false;
        break;
      case "--pretty":
        style.pretty = true;
        break;
      case "--bare":
        style.format = "list";
        style.cellFormat = "bare";
        style.headings = false;
        break;
      case "--no-syslog":
      case "--retry":
        break;
      case "--private-key":
      case "-p":
      case "--certificate":
      case "-c":
      case "--ca-cert":
      case "-C":
      case "--bootstrap-ca-cert":
      case "--peer-ca-cert":
      case "--ssl-protocols":
      case "--ssl-ciphers":
        applySslOption({ name: SSL_GLOBALS.get(name) ?? "", value });
        break;
      case "-v":
      case "--verbose":
        vlogSetVerbosity(value);
        break;
      case "--help":
      case "-h":
        Deno.stdout.writeSync(new TextEncoder().encode(usage(program)));
        return 0;
      case "--version":
      case "-V":
        Deno.stdout.writeSync(new TextEncoder().encode(versionText(program) + "DB Schema 8.3.1\n"));
        return 0;
      default:
        // Not a global option: the first command's own options start here.
        return { globals, rest: args.slice(i) };
    }
  }
  return { globals, rest: args.slice(i) };
}

function parseCommands(words: string[]): ParsedCommand[] {
  const groups: string[][] = [[]];
  for (const word of words) {
    if (word === "--") groups.push([]);
    else groups[groups.length - 1]!.push(word);
  }
  const commands: ParsedCommand[] = [];
  for (const group of groups) {
    if (group.length === 0) continue;
    const options = new Map<string, string | undefined>();
    let at = 0;
    while (at < group.length && (group[at] as string).startsWith("--")) {
      const word = group[at++] as string;
      const eq = word.indexOf("=");
      options.set(eq < 0 ? word : word.slice(0, eq), eq < 0 ? undefined : word.slice(eq + 1));
    }
    const name = group[at];
    if (name === undefined) throw new Fatal("missing command name (use --help for help)");
    const spec = COMMANDS.get(name);
    if (!spec) throw new Fatal(`unknown command '${name}'; use --help for help`);
    for (const option of options.keys()) {
      const known = [...COMMANDS.values()].some((c) =>
        c.options.some((o) => o.replace(/=$/, "") === option)
      );
      if (!known) throw new Fatal(`unrecognized option '${option}'`);
      const allowed = spec.options.some((o) => o.replace(/=$/, "") === option);
      if (!allowed) throw new Fatal(`'${name}' command has no '${option}' option`);
    }
    const args = group.slice(at + 1);
    if (args.length < spec.minArgs) {
      throw new Fatal(`'${name}' command requires at least ${spec.minArgs} arguments`);
    }
    if (args.length > spec.maxArgs) {
      throw new Fatal(`'${name}' command takes at most ${spec.maxArgs} arguments`);
    }
    commands.push({ spec, options, args });
  }
  if (commands.length === 0) throw new Fatal("missing command name (use --help for help)");
  return commands;
}

function parentName(): string | undefined {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const ppid = /^PPid:\s+(\d+)$/m.exec(status)?.[1];
    if (!ppid || ppid === "1") return undefined;
    const cmdline = Deno.readTextFileSync(`/proc/${ppid}/cmdline`);
    return cmdline.split("\0")[0] || undefined;
  } catch {
    return undefined;
  }
}

const UUID_IN_TEXT = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function oneline(text: string): string {
  return text.replace(/\n$/, "").replaceAll("\\", "\\\\").replaceAll("\n", "\\n") + "\n";
}

async function run(program: string, args: string[]): Promise<number> {
  const parsed = parseGlobals(args, program);
  if (typeof parsed === "number") return parsed;
  const { globals, rest } = parsed;
  if (rest.length === 0) throw new Fatal("missing command name (use --help for help)");
  const commands = parseCommands(rest);
  if (globals.timeout > 0) setTimeout(() => Deno.kill(Deno.pid, "SIGALRM"), globals.timeout * 1000);

  // Like upstream without --retry: a database that cannot be reached is an immediate error.
  try {
    (await openStream(globals.db, OVSDB_PORT)).close();
  } catch (error) {
    throw new Fatal(`${globals.db}: database connection failed (${errorText(error)})`);
  }
  const idl = new Idl(globals.db, "Open_vSwitch", { quiet: true });
  idl.start();
  const parent = parentName();
  const commentArgs = [program, ...args].join(" ");
  try {
    for (;;) {
      await idl.waitForSync();
      const txn = new IdlTransaction(idl);
      txn.comment(
        parent ? `ovs-vsctl (invoked by ${parent}): ${commentArgs}` : `ovs-vsctl: ${commentArgs}`,
      );
      let root = idl.first("Open_vSwitch")?.uuid;
      if (!root) root = txn.insert("Open_vSwitch");
      if (globals.wait) txn.increment("Open_vSwitch", root, "next_cfg");
      const outputs: string[][] = [];
      const symbols = new Map<string, string>();
      let waiting = false;
      for (const command of commands) {
        const ctx: Context = {
          name: command.spec.name,
          idl,
          txn,
          options: command.options,
          args: command.args,
          output: [],
          symbols,
        };
        try {
          command.spec.run(ctx);
        } catch (error) {
          if (!(error instanceof WaitForChange)) throw error;
          waiting = true;
          break;
        }
        outputs.push(ctx.output);
      }
      if (waiting) {
        // wait-until: nothing is committed until every condition holds; look again on change.
        await idl.waitForChange();
        continue;
      }
      const result = globals.dryRun
        ? { status: "unchanged" as const, inserted: new Map<string, string>() }
        : await txn.commit();
      if (result.status === "try again") {
        if (!idl.isConnected) await idl.waitForChange();
        continue;
      }
      if (result.status === "error") {
        throw new Fatal(`transaction error: ${result.error}`);
      }
      if (result.status === "not locked") throw new Fatal("database not locked");
      // One pass over each output, whatever the number of inserted rows.
      const realUuid = (text: string) =>
        text === "" || result.inserted.size === 0
          ? text
          : text.replace(UUID_IN_TEXT, (uuid) => result.inserted.get(uuid) ?? uuid);
      const encoder = new TextEncoder();
      for (const output of outputs) {
        const textOut = realUuid(output.join(""));
        Deno.stdout.writeSync(encoder.encode(globals.oneline ? oneline(textOut) : textOut));
      }
      if (globals.wait && result.status === "success" && result.incremented !== undefined) {
        const target = result.incremented;
        for (;;) {
          const cur = idl.first("Open_vSwitch")?.columns.get("cur_cfg")?.keys[0];
          if (typeof cur === "bigint" && cur >= target) break;
          await idl.waitForChange();
        }
        return checkNewInterfaces(idl, result.inserted);
      }
      return 0;
    }
  } finally {
    idl.close();
  }
}

/** After the switch caught up: report interfaces this run created that it could not set up. */
function checkNewInterfaces(idl: Idl, inserted: Map<string, string>): number {
  let failed = false;
  for (const uuid of inserted.values()) {
    const iface = idl.row("Interface", uuid);
    if (!iface) continue;
    const ofport = iface.columns.get("ofport")?.keys[0];
    if (ofport !== undefined && ofport !== -1n) continue;
    const name = String(iface.columns.get("name")?.keys[0] ?? "");
    const error = iface.columns.get("error")?.keys[0];
    console.error(
      error
        ? `ovs-vsctl: Error detected while setting up '${name}': ${error}.  See ovs-vswitchd log for details.`
        : `ovs-vsctl: Error detected while setting up '${name}'.  See ovs-vswitchd log for details.`,
    );
    failed = true;
  }
  if (failed) console.error(`ovs-vsctl: The default log directory is "${ovsLogdir()}".`);
  return failed ? EX_DATAERR : 0;
}

export async function main(args: string[], program = "ovs-vsctl"): Promise<number> {
  vlogSetProgramName(program);
  // Like upstream, a tool logs only warnings and worse to the console by default.
  vlogSetLevels(undefined, "console", "warn");
  // Upstream logs its command line first (not to the console), which numbers later messages.
  log.info(`Called as ${[program, ...args].join(" ")}`);
  try {
    return await run(program, args);
  } catch (error) {
    if (error instanceof VsctlExit) return error.code;
    if (error instanceof VsctlError || error instanceof Fatal) {
      console.error(`${program}: ${error.message}`);
      return error instanceof Fatal ? error.code : 1;
    }
    throw error;
  }
}
