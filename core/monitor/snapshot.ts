// What the live monitor shows, gathered as store collections (store.ts) without OpenFlow or
// datapath internals: the Open_vSwitch database through an IDL — every table, plus bridges and
// their ports joined from Bridge/Port/Interface — and the switch's own views through its control
// socket: per bridge `bridge/dump-flows` (OpenFlow flows with counters) and `fdb/show` (MAC
// table), and `dpif/show`, `upcall/show` and `dpctl/dump-flows` (datapaths, hit/miss, megaflows,
// flow count against the limit). Works the same against our ovs-vswitchd and upstream's, which
// serve those commands; a command the daemon refuses, or a reply line that does not parse, is
// reported in the "errors" collection, never invented. Ages become steady timestamps, so an idle
// flow's row does not change every second. Owns no HTTP (server.ts does that); never writes.

import type { Atom, Datum } from "../db/datum.ts";
import { datumToString } from "../db/data_string.ts";
import type { Idl, IdlRow } from "../db/idl.ts";
import type { Json } from "../net/json_value.ts";
import { resolveTarget, UnixctlClient } from "../net/unixctl_client.ts";
import {
  type DpifDatapath,
  parseBridgeFlows,
  parseDatapathFlows,
  parseDpifShow,
  parseFdb,
  parseUpcallShow,
} from "./parse.ts";
import { type Cell, type Collection, type Row, steadyTime, type Store } from "./store.ts";

/** Collections built from the database. */
export function databaseCollections(idl: Idl): Map<string, Collection> {
  const out = new Map<string, Collection>();
  const schema = idl.schema;
  out.set("status/db", {
    columns: ["remote", "connected", "error"],
    rows: new Map([["db", [idl.remote, idl.synced ? 1 : 0, idl.lastError ?? null]]]),
  });
  if (!schema) return out;
  for (const table of schema.tables.values()) {
    const columns = [...table.columns.values()].filter((c) => !c.name.startsWith("_"))
      .sort((a, b) => a.name.localeCompare(b.name));
    const rows = new Map<string, Row>();
    for (const row of idl.rows(table.name)) {
      rows.set(
        row.uuid,
        columns.map((c) => {
          const datum = row.columns.get(c.name);
          return datum ? datumToString(datum, c.type) : "";
        }),
      );
    }
    out.set(`db/${table.name}`, { columns: columns.map((c) => c.name), rows });
  }
  bridgeCollections(idl, out);
  return out;
}

function atom(row: IdlRow | undefined, column: string): Atom | undefined {
  return row?.columns.get(column)?.keys[0];
}

function text(row: IdlRow | undefined, column: string): string {
  const value = atom(row, column);
  return value === undefined ? "" : String(value);
}

function integer(row: IdlRow | undefined, column: string): number | null {
  const value = atom(row, column);
  return typeof value === "bigint" || typeof value === "number" ? Number(value) : null;
}

function mapValue(datum: Datum | undefined, key: string): Atom | undefined {
  if (!datum?.values) return undefined;
  const at = datum.keys.indexOf(key);
  return at < 0 ? undefined : datum.values[at];
}

function refs(row: IdlRow | undefined, column: string): string[] {
  return (row?.columns.get(column)?.keys ?? []).filter((k): k is string => typeof k === "string");
}

/** "bridges" (one row per bridge) and "ports/BR" (one row per interface) from the tables. */
function bridgeCollections(idl: Idl, out: Map<string, Collection>): void {
  const bridges = new Map<string, Row>();
  for (const bridge of idl.rows("Bridge")) {
    const name = text(bridge, "name");
    const ports = new Map<string, Row>();
    for (const portUuid of refs(bridge, "ports")) {
      const port = idl.row("Port", portUuid);
      for (const ifaceUuid of refs(port, "interfaces")) {
        const iface = idl.row("Interface", ifaceUuid);
        if (!iface) continue;
        const stats = iface.columns.get("statistics");
        const stat = (key: string): Cell => {
          const value = mapValue(stats, key);
          return value === undefined ? null : Number(value);
        };
        ports.set(text(iface, "name"), [
          text(iface, "name"),
          text(port, "name"),
          integer(iface, "ofport"),
          text(iface, "type") || "system",
          text(iface, "admin_state"),
          text(iface, "link_state"),
          text(iface, "mac_in_use"),
          stat("rx_packets"),
          stat("rx_bytes"),
          stat("tx_packets"),
          stat("tx_bytes"),
          text(iface, "error"),
        ]);
      }
    }
    out.set(`ports/${name}`, {
      columns: [
        "interface",
        "port",
        "ofport",
        "type",
        "admin_state",
        "link_state",
        "mac",
        "rx_packets",
        "rx_bytes",
        "tx_packets",
        "tx_bytes",
        "error",
      ],
      rows: ports,
    });
    const controllers = refs(bridge, "controller").map((u) =>
      text(idl.row("Controller", u), "target")
    );
    const protocols = (bridge.columns.get("protocols")?.keys ?? []).map(String);
    bridges.set(name, [
      name,
      text(bridge, "datapath_type") || "system",
      text(bridge, "datapath_id"),
      text(bridge, "fail_mode"),
      controllers.join(", "),
      protocols.join(", "),
      ports.size,
    ]);
  }
  out.set("bridges", {
    columns: [
      "name",
      "datapath_type",
      "datapath_id",
      "fail_mode",
      "controllers",
      "protocols",
      "interfaces",
    ],
    rows: bridges,
  });
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

/** One command's reply: its text, or the daemon's error. */
interface Reply {
  ok: boolean;
  text: string;
  /** When the reply arrived (Unix ms), for turning ages into times. */
  at: number;
}

/** Runs commands over one control connection; the whole exchange is bounded by `timeout` ms. */
async function askSwitch(
  target: string,
  commands: string[][],
  timeout: number,
): Promise<Map<string, Reply>> {
  const replies = new Map<string, Reply>();
  const client = await UnixctlClient.connect(resolveTarget(target));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    client.close();
  }, timeout);
  try {
    for (const [method, ...args] of commands) {
      if (method === undefined) continue;
      const outcome = await client.transact(method, args);
      const body: Json = "result" in outcome ? outcome.result : outcome.error;
      replies.set([method, ...args].join(" "), {
        ok: "result" in outcome,
        text: typeof body === "string" ? body : JSON.stringify(body),
        at: Date.now(),
      });
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(timedOut ? `${target} did not answer within ${timeout} ms` : reason);
  } finally {
    clearTimeout(timer);
    client.close();
  }
  return replies;
}

const FLOW_COLUMNS = ["table", "priority", "match", "actions", "n_packets", "n_bytes", "created"];
const FDB_COLUMNS = ["port", "vlan", "mac", "seen"];
const MEGAFLOW_COLUMNS = ["datapath", "flow", "packets", "bytes", "used", "flags", "actions"];
const DATAPATH_COLUMNS = [
  "name",
  "hit",
  "missed",
  "flows",
  "avg",
  "max",
  "limit",
  "dump_ms",
  "revalidator_keys",
];
const DPPORT_COLUMNS = ["ofport", "dp_port", "type", "config"];

/**
 * Collections built from the switch: "flows/BR", "fdb/BR", "dpports/BR", "datapaths",
 * "megaflows", "errors" and "status/switch". `store` supplies the previous rows, whose steady
 * timestamps are kept.
 */
export async function switchCollections(
  target: string,
  bridges: string[],
  store: Store,
  timeout = 5000,
): Promise<Map<string, Collection>> {
  const out = new Map<string, Collection>();
  const errors = new Map<string, Row>();
  const started = Date.now();
  const status = (ok: boolean, message: string) =>
    out.set("status/switch", {
      columns: ["target", "ok", "message", "time", "took_ms"],
      rows: new Map([["switch", [target, ok ? 1 : 0, message, Date.now(), Date.now() - started]]]),
    });
  const commands = [["dpif/show"], ["upcall/show"], ["dpctl/dump-flows"]];
  for (const bridge of bridges) commands.push(["bridge/dump-flows", bridge], ["fdb/show", bridge]);
  let replies: Map<string, Reply>;
  try {
    replies = await askSwitch(target, commands, timeout);
  } catch (error) {
    status(false, error instanceof Error ? error.message : String(error));
    // The switch's last known views stay, marked stale by the status, rather than vanish.
    for (const name of store.names()) {
      const kept = store.get(name);
      if (kept && name !== "status/switch" && isSwitchCollection(name)) out.set(name, kept);
    }
    return out;
  }
  const usable = (command: string): Reply | undefined => {
    const reply = replies.get(command);
    if (reply && !reply.ok) errors.set(command, [reply.text.trim()]);
    return reply?.ok ? reply : undefined;
  };
  const noteUnparsed = (command: string, unparsed: string[]) => {
    if (unparsed.length) {
      errors.set(command, [
        `${unparsed.length} line(s) not understood, first: ${unparsed[0]}`,
      ]);
    }
  };

  const dpif = usable("dpif/show");
  const parsedDpif = dpif ? parseDpifShow(dpif.text) : { items: [], unparsed: [] };
  noteUnparsed("dpif/show", parsedDpif.unparsed);
  datapathCollections(parsedDpif.items, usable("upcall/show"), noteUnparsed, out);

  const megaflows = new Map<string, Row>();
  const previousMegaflows = store.get("megaflows")?.rows;
  const dumped = usable("dpctl/dump-flows");
  const onlyDatapath = parsedDpif.items.length === 1 ? parsedDpif.items[0]?.name ?? "" : "";
  if (dumped) {
    const parsed = parseDatapathFlows(dumped.text);
    noteUnparsed("dpctl/dump-flows", parsed.unparsed);
    for (const flow of parsed.items) {
      const key = `${onlyDatapath}|${flow.key}`;
      const before = previousMegaflows?.get(key);
      const used = flow.used === null ? null : dumped.at - flow.used * 1000;
      // A megaflow that was hit again gets its new time; an idle one keeps its steady time.
      const steadyUsed = used === null
        ? null
        : before && before[2] !== flow.packets
        ? Math.round(used)
        : steadyTime(before?.[4], used, 1000);
      megaflows.set(key, [
        onlyDatapath,
        flow.key,
        flow.packets,
        flow.bytes,
        steadyUsed,
        flow.flags,
        flow.actions,
      ]);
    }
  }
  out.set("megaflows", { columns: MEGAFLOW_COLUMNS, rows: megaflows });

  for (const bridge of bridges) {
    const flows = new Map<string, Row>();
    const previousFlows = store.get(`flows/${bridge}`)?.rows;
    const flowReply = usable(`bridge/dump-flows ${bridge}`);
    if (flowReply) {
      const parsed = parseBridgeFlows(flowReply.text);
      noteUnparsed(`bridge/dump-flows ${bridge}`, parsed.unparsed);
      for (const flow of parsed.items) {
        const key = `${flow.table}|${flow.priority}|${flow.match}`;
        const created = steadyTime(
          previousFlows?.get(key)?.[6],
          flowReply.at - flow.duration * 1000 - 500,
        );
        flows.set(key, [
          flow.table,
          flow.priority,
          flow.match,
          flow.actions,
          flow.packets,
          flow.bytes,
          created,
        ]);
      }
    }
    out.set(`flows/${bridge}`, { columns: FLOW_COLUMNS, rows: flows });

    const macs = new Map<string, Row>();
    const previousMacs = store.get(`fdb/${bridge}`)?.rows;
    const fdbReply = usable(`fdb/show ${bridge}`);
    if (fdbReply) {
      const parsed = parseFdb(fdbReply.text);
      noteUnparsed(`fdb/show ${bridge}`, parsed.unparsed);
      for (const entry of parsed.items) {
        const key = `${entry.vlan}|${entry.mac}`;
        const before = previousMacs?.get(key);
        const seen = entry.age === null ? null : steadyTime(
          before?.[0] === entry.port ? before[3] : undefined,
          fdbReply.at - entry.age * 1000,
        );
        macs.set(key, [entry.port, entry.vlan, entry.mac, seen]);
      }
    }
    out.set(`fdb/${bridge}`, { columns: FDB_COLUMNS, rows: macs });
  }
  out.set("errors", { columns: ["message"], rows: errors });
  status(true, "");
  return out;
}

function isSwitchCollection(name: string): boolean {
  return /^(flows|fdb|dpports)\//.test(name) ||
    ["datapaths", "megaflows", "errors"].includes(name);
}

function datapathCollections(
  datapaths: DpifDatapath[],
  upcall: Reply | undefined,
  noteUnparsed: (command: string, unparsed: string[]) => void,
  out: Map<string, Collection>,
): void {
  const parsedUpcall = upcall ? parseUpcallShow(upcall.text) : { items: [], unparsed: [] };
  noteUnparsed("upcall/show", parsedUpcall.unparsed);
  const rows = new Map<string, Row>();
  for (const dp of datapaths) {
    const stats = parsedUpcall.items.find((u) => u.datapath === dp.name);
    rows.set(dp.name, [
      dp.name,
      dp.hit,
      dp.missed,
      stats?.flows ?? null,
      stats?.average ?? null,
      stats?.maximum ?? null,
      stats?.limit ?? null,
      stats?.dumpDuration ?? null,
      stats ? stats.revalidatorKeys.join(" ") : null,
    ]);
    for (const bridge of dp.bridges) {
      const ports = new Map<string, Row>();
      for (const port of bridge.ports) {
        ports.set(port.name, [port.ofport, port.dpPort, port.type, port.config]);
      }
      out.set(`dpports/${bridge.name}`, { columns: DPPORT_COLUMNS, rows: ports });
    }
  }
  out.set("datapaths", { columns: DATAPATH_COLUMNS, rows });
}
