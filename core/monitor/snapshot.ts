// What the live monitor page shows, gathered without OpenFlow or datapath internals: the
// Open_vSwitch database through an IDL (every table, every row, pushed as it changes), and the
// switch's own views through its control socket — per bridge `bridge/dump-flows` (OpenFlow flows
// with counters) and `fdb/show` (MAC table), and `dpif/show`, `dpctl/dump-flows` and
// `upcall/show` (megaflows, hit/miss, flow count against the limit). Works the same against our
// ovs-vswitchd and upstream's, which serve those commands. A command the daemon does not serve is
// reported as such, never invented. Owns no HTTP (server.ts does that).

import type { Datum } from "../db/datum.ts";
import { datumToString } from "../db/data_string.ts";
import type { Idl } from "../db/idl.ts";
import type { Json } from "../net/json_value.ts";
import { resolveTarget, UnixctlClient } from "../net/unixctl_client.ts";

export interface TableView {
  name: string;
  columns: string[];
  rows: string[][];
}

/** Every table of the replica as rows of display strings (ovs-vsctl's value syntax). */
export function databaseView(idl: Idl): TableView[] {
  const schema = idl.schema;
  if (!schema) return [];
  const views: TableView[] = [];
  for (const table of [...schema.tables.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    const columns = [...table.columns.values()]
      .filter((c) => !c.name.startsWith("_"))
      .map((c) => c.name)
      .sort();
    const rows: string[][] = [];
    for (const row of idl.rows(table.name)) {
      const cells = [row.uuid];
      for (const name of columns) {
        const column = table.columns.get(name);
        const datum: Datum | undefined = row.columns.get(name);
        cells.push(column && datum ? datumToString(datum, column.type) : "");
      }
      rows.push(cells);
    }
    views.push({ name: table.name, columns: ["_uuid", ...columns], rows });
  }
  return views;
}

/** One command's output, or why there is none. */
export interface CommandView {
  command: string;
  ok: boolean;
  text: string;
}

/** Runs unixctl commands on `target` over one connection. */
export async function switchViews(target: string, bridges: string[]): Promise<CommandView[]> {
  const commands: string[][] = [["dpif/show"], ["upcall/show"], ["dpctl/dump-flows"]];
  for (const bridge of bridges) commands.push(["bridge/dump-flows", bridge], ["fdb/show", bridge]);
  let client: UnixctlClient;
  try {
    client = await UnixctlClient.connect(resolveTarget(target));
  } catch (error) {
    const text = `cannot reach ${target}: ${error instanceof Error ? error.message : error}`;
    return commands.map((c) => ({ command: c.join(" "), ok: false, text }));
  }
  const views: CommandView[] = [];
  try {
    for (const [method, ...args] of commands) {
      if (method === undefined) continue;
      const outcome = await client.transact(method, args);
      const body: Json = "result" in outcome ? outcome.result : outcome.error;
      views.push({
        command: [method, ...args].join(" "),
        ok: "result" in outcome,
        text: typeof body === "string" ? body : JSON.stringify(body),
      });
    }
  } catch (error) {
    views.push({ command: "(connection)", ok: false, text: String(error) });
  } finally {
    client.close();
  }
  return views;
}

/** Bridge names in the replica, sorted. */
export function bridgeNames(idl: Idl): string[] {
  const names: string[] = [];
  for (const row of idl.rows("Bridge")) {
    const name = row.columns.get("name")?.keys[0];
    if (typeof name === "string") names.push(name);
  }
  return names.sort();
}
