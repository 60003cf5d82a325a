// ovsdb-server: serves OVSDB databases over JSON-RPC (RFC 7047) as upstream's daemon does. This
// file owns the command line, opening the database files, and the `ovsdb-server/*` control
// commands; the protocol and remotes live in core/db/server, the engine in core/db.

import {
  Daemon,
  daemonConfig,
  daemonUsage,
  parseDaemonCommandLine,
  vlogUsage,
} from "../core/net/daemon.ts";
import { ovsDbdir } from "../core/net/dirs.ts";
import type { OptionSpec } from "../core/net/options.ts";
import { programVersion } from "../core/net/version.ts";
import { vlogModule } from "../core/net/vlog.ts";
import { OvsdbServer } from "../core/db/server/server.ts";
import { openDatabases, registerServerCommands } from "../core/db/server/control.ts";
import { installSslConfig } from "../core/db/server/ssl_config.ts";
import { collectSslOption, type SslOptionStrings, sslUsage } from "../core/net/ssl_options.ts";

const log = vlogModule("ovsdb_server");

const OPTIONS: readonly OptionSpec[] = [
  { name: "remote", arg: "required" },
  { name: "run", arg: "required" },
  { name: "sync-from", arg: "required" },
  { name: "sync-exclude-tables", arg: "required" },
  { name: "active", arg: "none" },
  { name: "record", arg: "optional" },
  { name: "replay", arg: "optional" },
  { name: "disable-file-column-diff", arg: "none" },
];

function usage(program: string): string {
  return `${program}: the Open vSwitch database server
usage: ${program} [OPTIONS] [DATABASE...]
Each DATABASE is a database file (default: ${ovsDbdir()}/conf.db).

Remotes (--remote=REMOTE, as often as needed):
  punix:FILE              listen on the Unix socket FILE
  ptcp:PORT[:IP]          listen on TCP PORT (at IP)
  unix:FILE               connect to the Unix socket FILE
  tcp:HOST:PORT           connect to HOST's TCP PORT
  pssl:PORT[:IP]          listen for SSL on PORT (at IP)
  ssl:HOST:PORT           connect to HOST's SSL PORT
  db:DB,TABLE,COLUMN      the remotes named in that column of the database

${sslUsage(true, true)}  Each of --private-key, --certificate, --ca-cert, --bootstrap-ca-cert,
  --ssl-protocols and --ssl-ciphers may be db:DB,TABLE,COLUMN, read from the database.

Replication:
  --sync-from=SERVER      be a read-only backup of the active SERVER
  --sync-exclude-tables=DB:TABLE,...  tables not to replicate
  --active                with --sync-from, start active instead

${daemonUsage(program)}
${vlogUsage(program)}
Other options:
  --run COMMAND           run COMMAND in a shell, then exit with its status
  --unixctl=SOCKET        control socket (default: ${program}.PID.ctl in OVS_RUNDIR)
  -h, --help              show this help
  -V, --version           show the version
`;
}

export async function main(args: string[], program = "ovsdb-server"): Promise<number> {
  const config = daemonConfig(program);
  const parsed = await parseDaemonCommandLine(
    program,
    args,
    OPTIONS,
    config,
    () => usage(program),
    { keepSslOptions: true },
  );
  if (typeof parsed === "number") return parsed;
  const remotes: string[] = [];
  const ssl: SslOptionStrings = { bootstrapCaCert: false };
  let runCommand: string | undefined;
  let syncFrom: string | undefined;
  let excludeTables = "";
  let active = false;
  for (const option of parsed.options) {
    switch (option.name) {
      case "remote":
        remotes.push(option.value ?? "");
        break;
      case "run":
        runCommand = option.value;
        break;
      case "sync-from":
        syncFrom = option.value;
        break;
      case "sync-exclude-tables":
        excludeTables = option.value ?? "";
        break;
      case "active":
        active = true;
        break;
    }
  }
  for (const remote of remotes) {
    if (!/^(punix|ptcp|pssl|unix|tcp|ssl):/.test(remote) && !remote.startsWith("db:")) {
      console.error(`${program}: "${remote}": unknown remote type`);
      return 1;
    }
  }
  const files = parsed.operands.length > 0 ? parsed.operands : [`${ovsDbdir()}/conf.db`];

  const daemon = await Daemon.start(config, [program], args);
  if (typeof daemon === "number") return daemon;
  for (const option of parsed.options) collectSslOption(option, ssl);

  const server = new OvsdbServer();
  const error = await openDatabases(server, files);
  if (error !== undefined) {
    console.error(`${program}: ${error}`);
    await daemon.stop();
    return 1;
  }
  const sslError = installSslConfig(server, ssl);
  if (sslError !== undefined) {
    console.error(`${program}: ${sslError}`);
    await daemon.stop();
    return 1;
  }
  for (const remote of remotes) server.addRemote(remote);
  registerServerCommands(server);
  if (excludeTables !== "") {
    const error = server.setExcludedTables(excludeTables);
    if (error !== undefined) {
      console.error(`${program}: ${error}`);
      await daemon.stop();
      return 1;
    }
  }
  if (syncFrom !== undefined) {
    server.setActiveServer(syncFrom);
    if (!active) server.connectActive();
  }
  daemon.onShutdown(() => server.close());
  log.info(programVersion(program));
  daemon.ready();

  let exitCode = 0;
  if (runCommand !== undefined) {
    const child = new Deno.Command("/bin/sh", { args: ["-c", runCommand] }).spawn();
    child.status.then((status) => {
      exitCode = status.code;
      daemon.requestExit();
    });
  }
  await daemon.exitRequested;
  await daemon.stop();
  return exitCode;
}
