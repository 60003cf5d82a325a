// `ovs start`: embedded mode. ovsdb-server and ovs-vswitchd in one process, for a laptop or a
// systemd unit, needing no root: the database is created from the built-in Open_vSwitch schema
// when missing, everything lives under one directory the user can write (default
// ~/.local/share/ovs-deno, or --dir, or the OVS_* variables when set), and the process answers to
// both `ovs-appctl -t ovsdb-server` and `ovs-appctl -t ovs-vswitchd`, so every tool works
// against it unchanged. Ctrl-C (or SIGTERM, or `exit`) stops it cleanly.

import {
  Daemon,
  daemonConfig,
  daemonUsage,
  parseDaemonCommandLine,
  vlogUsage,
} from "../core/net/daemon.ts";
import { ovsDbdir, ovsLogdir, ovsRundir } from "../core/net/dirs.ts";
import type { OptionSpec } from "../core/net/options.ts";
import { removePidfile, writePidfile } from "../core/net/pidfile.ts";
import { UnixctlServer, unixctlSetProgramName } from "../core/net/unixctl.ts";
import { OVS_VERSION } from "../core/net/version.ts";
import { vlogModule } from "../core/net/vlog.ts";
import { Database } from "../core/db/database.ts";
import { schemaFromJson } from "../core/db/schema.ts";
import { vswitchSchemaJson } from "../core/db/schemas/vswitch_schema.ts";
import { OvsdbServer } from "../core/db/server/server.ts";
import { openDatabases, registerServerCommands } from "../core/db/server/control.ts";
import { Vswitchd } from "../core/vswitchd/vswitchd.ts";

const log = vlogModule("ovs_start");

const OPTIONS: readonly OptionSpec[] = [
  { name: "dir", arg: "required" },
  { name: "remote", arg: "required" },
  { name: "enable-dummy", arg: "optional" },
];

function usage(program: string): string {
  return `${program}: run ovsdb-server and ovs-vswitchd in one process (embedded mode)
usage: ovs start [OPTIONS]

  --dir=DIR               keep the database, sockets, pidfiles and logs in DIR
                          (default: ~/.local/share/ovs-deno; OVS_RUNDIR, OVS_DBDIR
                          and OVS_LOGDIR, when set, win over it)
  --remote=REMOTE         also serve the database at REMOTE (e.g. ptcp:6640:127.0.0.1)
  --enable-dummy[=override]  offer the dummy datapath and devices, as in tests

${daemonUsage("ovs-vswitchd")}
${vlogUsage("ovs-vswitchd")}`;
}

/** Points every OVS_* directory that is not set at `dir`, and makes the directories. */
function chooseDirectories(dir: string | undefined): void {
  const home = Deno.env.get("HOME") ?? "/tmp";
  const base = dir ?? `${Deno.env.get("XDG_DATA_HOME") ?? `${home}/.local/share`}/ovs-deno`;
  for (const name of ["OVS_RUNDIR", "OVS_DBDIR", "OVS_LOGDIR"]) {
    if (dir !== undefined || !Deno.env.get(name)) Deno.env.set(name, base);
  }
  for (const path of [ovsRundir(), ovsDbdir(), ovsLogdir()]) {
    Deno.mkdirSync(path, { recursive: true });
  }
}

/** Creates conf.db from the built-in schema, with its Open_vSwitch row, unless it exists. */
async function ensureDatabase(path: string): Promise<boolean> {
  try {
    Deno.statSync(path);
    return false;
  } catch {
    // Missing: create it below.
  }
  const database = await Database.create(path, schemaFromJson(vswitchSchemaJson()));
  await database.execute(["Open_vSwitch", { op: "insert", table: "Open_vSwitch", row: {} }]);
  database.close();
  return true;
}

export async function main(args: string[], program = "ovs start"): Promise<number> {
  const config = daemonConfig("ovs-vswitchd");
  config.exitTakesCleanup = true;
  const parsed = await parseDaemonCommandLine(program, args, OPTIONS, config, () => usage(program));
  if (typeof parsed === "number") return parsed;
  let dir: string | undefined;
  const remotes: string[] = [];
  let enableDummy = false;
  let dummyOverride = false;
  for (const option of parsed.options) {
    switch (option.name) {
      case "dir":
        dir = option.value;
        break;
      case "remote":
        remotes.push(option.value ?? "");
        break;
      case "enable-dummy":
        enableDummy = true;
        dummyOverride = option.value === "override";
        break;
    }
  }
  if (parsed.operands.length > 0) {
    console.error(`${program}: unexpected argument "${parsed.operands[0]}"`);
    return 1;
  }
  chooseDirectories(dir);
  // Both daemons' pidfiles and control sockets, as tools look for either.
  config.pidfile ??= `${ovsRundir()}/ovs-vswitchd.pid`;
  config.logFile ??= `${ovsLogdir()}/ovs-vswitchd.log`;

  const daemon = await Daemon.start(config, ["start"], args);
  if (typeof daemon === "number") return daemon;

  const dbPath = `${ovsDbdir()}/conf.db`;
  const created = await ensureDatabase(dbPath);
  if (created) log.info(`created ${dbPath} from the built-in Open_vSwitch schema`);
  const server = new OvsdbServer();
  const error = await openDatabases(server, [dbPath]);
  if (error !== undefined) {
    console.error(`${program}: ${error}`);
    await daemon.stop();
    return 1;
  }
  const socket = `${ovsRundir()}/db.sock`;
  server.addRemote(`punix:${socket}`);
  for (const remote of remotes) {
    const problem = server.addRemote(remote);
    if (problem !== undefined) console.error(`${program}: ${problem}`);
  }
  registerServerCommands(server);

  unixctlSetProgramName("ovsdb-server");
  const serverControl = UnixctlServer.create(undefined);
  unixctlSetProgramName("ovs-vswitchd");
  const serverPidfile = `${ovsRundir()}/ovsdb-server.pid`;
  writePidfile(serverPidfile);

  const vswitchd = new Vswitchd(`unix:${socket}`, {
    enableDummy,
    dummyOverride,
    disableSystem: false,
  });
  daemon.onShutdown(() => {
    vswitchd.close();
    server.close();
    serverControl?.close();
    removePidfile(serverPidfile);
  });
  vswitchd.start();
  await vswitchd.ready;
  daemon.ready();

  if (!config.detach) {
    const lines = [
      `ovs start: Open vSwitch ${OVS_VERSION} (ovs-deno) running as pid ${Deno.pid}`,
      `  database  ${dbPath}${created ? " (new)" : ""}`,
      `  sockets   ${socket} and the control sockets in ${ovsRundir()}`,
      `  log       ${config.logFile}`,
      `Use the tools with: export OVS_RUNDIR=${ovsRundir()}`,
      `  then: ovs vsctl show, ovs vsctl add-br br0, ovs appctl vlog/list, ...`,
      `  (or 'ovs install-links DIR' to get ovs-vsctl, ovs-ofctl, ... on your PATH)`,
      `Ctrl-C stops it.`,
    ];
    console.log(lines.join("\n"));
  }
  await daemon.exitRequested;
  await daemon.stop();
  return 0;
}
