// The ovsdb-server control commands (`ovsdb-server/add-remote`, `remove-remote`,
// `list-remotes`, `add-db`, `remove-db`, `list-dbs`, `compact`, `reconnect`, `sync-status`) and
// its memory report, plus opening database files for a server. Shared by the ovsdb-server face
// and embedded mode (`ovs start`), which serve the same commands. Owns no state of its own.

import { registerUnixctl, UnixctlError } from "../../net/unixctl.ts";
import { registerMemoryReporter } from "../../net/unixctl_builtins.ts";
import { vlogModule } from "../../net/vlog.ts";
import { Database } from "../database.ts";
import { OvsdbError } from "../error.ts";
import type { OvsdbServer } from "./server.ts";

const log = vlogModule("ovsdb_server");

/** Opens each file and serves it; returns the first error text, or undefined. */
export async function openDatabases(
  server: OvsdbServer,
  files: string[],
): Promise<string | undefined> {
  for (const file of files) {
    let database: Database;
    try {
      database = await Database.open(file, { onWarning: (m) => log.warn(`${file}: ${m}`) });
    } catch (error) {
      return error instanceof OvsdbError ? error.toString() : String(error);
    }
    const error = await server.addDatabase(database);
    if (error !== undefined) {
      database.close();
      return error;
    }
  }
  return undefined;
}

function memoryCounts(server: OvsdbServer): Record<string, number> {
  let atoms = 0;
  let cells = 0;
  for (const name of server.databaseNames()) {
    const database = server.database(name);
    if (!database || name === "_Server") continue;
    for (const table of database.tables.values()) {
      for (const row of table.iterate()) {
        for (const datum of row.fields) {
          cells++;
          atoms += datum.keys.length + (datum.values?.length ?? 0);
        }
      }
    }
  }
  return { atoms, cells, monitors: server.monitorCount, sessions: server.clientCount };
}

/** Registers the ovsdb-server/* commands for `server`. */
export function registerServerCommands(server: OvsdbServer): void {
  registerUnixctl("ovsdb-server/add-remote", "REMOTE", 1, 1, (args) => {
    const error = server.addRemote(args[0] ?? "");
    if (error !== undefined) throw new UnixctlError(error);
    return "";
  });
  registerUnixctl("ovsdb-server/remove-remote", "REMOTE", 1, 1, (args) => {
    if (!server.removeRemote(args[0] ?? "")) throw new UnixctlError("Not configured");
    return "";
  });
  registerUnixctl(
    "ovsdb-server/list-remotes",
    "",
    0,
    0,
    () => server.listRemotes().map((r) => `${r}\n`).join(""),
  );
  registerUnixctl(
    "ovsdb-server/list-dbs",
    "",
    0,
    0,
    () => server.databaseNames().map((name) => `${name}\n`).join(""),
  );
  registerUnixctl("ovsdb-server/add-db", "DB", 1, 1, async (args) => {
    const path = args[0] ?? "";
    let database: Database;
    try {
      database = await Database.open(path, { onWarning: (m) => log.warn(m) });
    } catch (error) {
      throw new UnixctlError(error instanceof OvsdbError ? error.toString() : String(error));
    }
    const error = await server.addDatabase(database);
    if (error !== undefined) {
      database.close();
      throw new UnixctlError(error);
    }
    return "";
  });
  registerUnixctl("ovsdb-server/remove-db", "DB", 1, 1, async (args) => {
    const name = args[0] ?? "";
    const database = await server.removeDatabase(name);
    if (!database) throw new UnixctlError(`Failed to find the database '${name}'.`);
    database.close();
    return "";
  });
  registerUnixctl("ovsdb-server/compact", "", 0, 1, async (args) => {
    const names = args.length ? args : server.databaseNames().filter((n) => n !== "_Server");
    for (const name of names) {
      const database = server.database(name);
      if (!database) throw new UnixctlError(`no database named ${name}`);
      log.info(`compacting ${name} database by user request`);
      await database.compact();
    }
    return "";
  });
  registerUnixctl("ovsdb-server/reconnect", "", 0, 0, () => {
    server.reconnectClients();
    return "";
  });
  registerUnixctl("ovsdb-server/sync-status", "", 0, 0, () => server.syncStatus());
  registerUnixctl("ovsdb-server/set-active-ovsdb-server", "", 1, 1, (args) => {
    server.setActiveServer(args[0] ?? "");
    return "";
  });
  registerUnixctl(
    "ovsdb-server/get-active-ovsdb-server",
    "",
    0,
    0,
    () => server.activeServer ?? "",
  );
  registerUnixctl("ovsdb-server/connect-active-ovsdb-server", "", 0, 0, () => {
    const error = server.connectActive();
    if (error !== undefined) throw new UnixctlError(error);
    return "";
  });
  registerUnixctl("ovsdb-server/disconnect-active-ovsdb-server", "", 0, 0, () => {
    server.disconnectActive();
    return "";
  });
  registerUnixctl("ovsdb-server/set-sync-exclude-tables", "", 0, 1, (args) => {
    const error = server.setExcludedTables(args[0] ?? "");
    if (error !== undefined) throw new UnixctlError(error);
    return "";
  });
  registerUnixctl(
    "ovsdb-server/get-sync-exclude-tables",
    "",
    0,
    0,
    () => server.excludedTables().map((t) => `${t}\n`).join(""),
  );
  registerMemoryReporter(() => memoryCounts(server));
}
