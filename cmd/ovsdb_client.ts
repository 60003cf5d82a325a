// ovsdb-client: queries and monitors a running ovsdb-server, printing what upstream's tool prints.
// This file owns the command line (options, output style, which command); the commands live in
// core/db/client.ts and core/db/client_monitor.ts.

import { type OptionSpec, parseCommandLine, UsageError } from "../core/net/options.ts";
import { VLOG_OPTIONS } from "../core/net/daemon.ts";
import {
  applySslOption,
  BOOTSTRAP_CA_CERT_OPTION,
  sslUsage,
  STREAM_SSL_OPTIONS,
} from "../core/net/ssl_options.ts";
import { versionText } from "../core/net/version.ts";
import { vlogSetProgramName, vlogSetVerbosity } from "../core/net/vlog.ts";
import {
  type ClientContext,
  ClientError,
  COMMANDS,
  openSession,
  SELF_CONNECTING,
} from "../core/db/client.ts";
import { monitorCommand } from "../core/db/client_monitor.ts";
import {
  type CellFormat,
  DEFAULT_STYLE,
  type TableFormat,
  type TableStyle,
} from "../core/db/table_format.ts";

const OPTIONS: readonly OptionSpec[] = [
  { name: "format", short: "f", arg: "required" },
  { name: "data", short: "d", arg: "required" },
  { name: "no-headings", arg: "none" },
  { name: "pretty", arg: "none" },
  { name: "bare", arg: "none" },
  { name: "timestamp", arg: "none" },
  { name: "timeout", short: "t", arg: "required" },
  { name: "force", arg: "none" },
  { name: "db-change-aware", arg: "none" },
  { name: "no-db-change-aware", arg: "none" },
  { name: "leader-only", arg: "none" },
  { name: "no-leader-only", arg: "none" },
  { name: "help", short: "h", arg: "none" },
  { name: "version", short: "V", arg: "none" },
  ...VLOG_OPTIONS,
  BOOTSTRAP_CA_CERT_OPTION,
  ...STREAM_SSL_OPTIONS,
];

function usage(program: string): string {
  return `${program}: query and monitor an Open vSwitch database server
usage: ${program} [OPTIONS] COMMAND [ARG...]
SERVER defaults to unix:$OVS_RUNDIR/db.sock; DATABASE to Open_vSwitch.

  list-dbs [SERVER]                       the server's databases
  get-schema [SERVER] [DATABASE]          a database's schema, as JSON
  get-schema-version [SERVER] [DATABASE]  its schema's version
  get-schema-cksum [SERVER] [DATABASE]    its schema's checksum
  list-tables [SERVER] [DATABASE]         its tables
  list-columns [SERVER] [DATABASE] [TABLE]  columns and their types
  transact [SERVER] TRANSACTION           run a transaction, print its results as JSON
  query [SERVER] TRANSACTION              the same, always rolled back
  dump [SERVER] [DATABASE] [TABLE [COLUMN...]]  the contents, table by table
  monitor [SERVER] [DATABASE] TABLE [COLUMN,...]...  print changes as they happen
      (COLUMN may be !initial, !insert, !delete or !modify to leave those out;
       TABLE may be ALL for every column of every table)
  monitor-cond [SERVER] [DATABASE] CONDITION TABLE [COLUMN,...]...
                                          the same for rows matching CONDITION
  monitor-cond-since [SERVER] [DATABASE] [LASTID] CONDITION TABLE [COLUMN,...]...
  backup [SERVER] [DATABASE] > FILE       the database as a standalone database file
  restore [SERVER] [DATABASE] < FILE      replace the contents with a backup's (--force
                                          when the schemas differ)
  needs-conversion [SERVER] SCHEMA        "yes" if the server's database has another schema
  wait [SERVER] DATABASE STATE            wait until DATABASE is added, connected or removed
  lock|steal|unlock [SERVER] LOCK         take, steal or release a lock

Output options:
  -f, --format=FORMAT     table (default), list, csv, html or json
  -d, --data=FORMAT       cells as string (default), bare or json
  --no-headings           leave out column headings
  --pretty                indent JSON output
  --bare                  the same as --format=list --data=bare --no-headings
  --timestamp             print the time with each table
${sslUsage(true)}Other options:
  -t, --timeout=SECS      give up after SECS seconds
  -h, --help              show this help
  -V, --version           show the version
`;
}

export async function main(args: string[], program = "ovsdb-client"): Promise<number> {
  vlogSetProgramName(program);
  const encoder = new TextEncoder();
  const write = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
  const fail = (message: string) => {
    console.error(`${program}: ${message}`);
    return 1;
  };
  let parsed;
  try {
    parsed = parseCommandLine(args, OPTIONS, { stopAtOperand: true });
  } catch (error) {
    if (error instanceof UsageError) return fail(error.message);
    throw error;
  }
  const style: TableStyle = { ...DEFAULT_STYLE };
  let timestamp = false;
  let force = false;
  for (const option of parsed.options) {
    const value = option.value ?? "";
    switch (option.name) {
      case "help":
        write(usage(program));
        return 0;
      case "version":
        write(versionText(program));
        return 0;
      case "format":
        if (!["table", "list", "html", "csv", "json"].includes(value)) {
          return fail(`unknown output format "${value}"`);
        }
        style.format = value as TableFormat;
        break;
      case "data":
        if (!["string", "bare", "json"].includes(value)) {
          return fail(`unknown data format "${value}"`);
        }
        style.cellFormat = value as CellFormat;
        break;
      case "no-headings":
        style.headings = false;
        break;
      case "pretty":
        style.pretty = true;
        break;
      case "bare":
        style.format = "list";
        style.cellFormat = "bare";
        style.headings = false;
        break;
      case "timestamp":
        timestamp = true;
        break;
      case "force":
        force = true;
        break;
      case "timeout": {
        const seconds = Number(value);
        if (!/^\d+$/.test(value)) return fail(`value ${value} on -t or --timeout is invalid`);
        if (seconds > 0) setTimeout(() => Deno.kill(Deno.pid, "SIGALRM"), seconds * 1000);
        break;
      }
      case "verbose":
        vlogSetVerbosity(option.value);
        break;
      default:
        applySslOption(option);
    }
  }
  const [name, ...rest] = parsed.operands;
  if (name === undefined) return fail("missing command name; use --help for help");
  const context: ClientContext = { style, timestamp, write, force };
  try {
    const self = SELF_CONNECTING[name];
    if (self) {
      if (rest.length < 1 || rest.length > 2) {
        return fail(`invalid syntax for '${name}' (use --help for help)`);
      }
      await self(rest, context);
      return 0;
    }
    if (name === "monitor" || name === "monitor-cond" || name === "monitor-cond-since") {
      await monitorCommand(rest, context, name === "monitor" ? 1 : name === "monitor-cond" ? 2 : 3);
      return 0;
    }
    const command = COMMANDS[name];
    if (!command) return fail(`unknown command '${name}'; use --help for help`);
    const [session, used] = await openSession(command.need, command.minArgs, rest, undefined);
    try {
      const commandArgs = rest.slice(used);
      if (commandArgs.length < command.minArgs || commandArgs.length > command.maxArgs) {
        return fail(`invalid syntax for '${name}' (use --help for help)`);
      }
      await command.run(session, commandArgs, context);
    } finally {
      session.rpc.close();
    }
    return 0;
  } catch (error) {
    if (error instanceof ClientError) return fail(error.message);
    if (error instanceof Error && error.name === "OvsdbError") return fail(String(error));
    throw error;
  }
}
