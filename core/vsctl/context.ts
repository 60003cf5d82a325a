// What every ovs-vsctl command works with: the IDL replica, the transaction being built, output,
// and upstream's lookups — bridges, ports and interfaces by name (vsctl's cache), tables by
// unique prefix, columns by unique prefix, and records by each table's own naming rule (Bridge
// by name, Controller through its bridge, Open_vSwitch as ".", …) or by UUID. Errors are thrown
// as VsctlError with upstream's text. Owns no I/O.

import type { Datum } from "../db/datum.ts";
import { defaultDatum } from "../db/datum.ts";
import type { Idl, IdlRow } from "../db/idl.ts";
import type { IdlTransaction } from "../db/idl_txn.ts";
import type { ColumnSchema, TableSchema } from "../db/schema.ts";

export class VsctlError extends Error {}

/** Exit with status 2 and no message (br-exists on a missing bridge). */
export class VsctlExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

export interface Context {
  /** The command's name, for messages that quote the command line. */
  name: string;
  idl: Idl;
  txn: IdlTransaction;
  /** Options given to this command (--may-exist, --if-exists, --columns=…). */
  options: Map<string, string | undefined>;
  args: string[];
  output: string[];
  /** `--id=@name` symbols: name → provisional or real UUID. */
  symbols: Map<string, string>;
}

export function text(datum: Datum | undefined): string {
  const value = datum?.keys[0];
  return typeof value === "string" ? value : "";
}

/** A column's value as the transaction sees it. */
export function read(
  ctx: Context,
  row: IdlRow | { uuid: string; table: TableSchema },
  column: string,
): Datum {
  return ctx.txn.read(row.table.name, row.uuid, column);
}

export function refs(ctx: Context, table: string, uuid: string, column: string): string[] {
  return ctx.txn.read(table, uuid, column).keys.map(String);
}

interface BridgeInfo {
  name: string;
  uuid: string;
  /** For a fake bridge, the real bridge it lives in, and its VLAN. */
  parent: string | undefined;
  vlan: number;
}

interface PortInfo {
  name: string;
  uuid: string;
  bridge: string;
}

interface IfaceInfo {
  name: string;
  uuid: string;
  port: string;
}

/** vsctl's view of the configuration: bridges (real and fake), ports and interfaces by name. */
export interface Cache {
  bridges: Map<string, BridgeInfo>;
  ports: Map<string, PortInfo>;
  ifaces: Map<string, IfaceInfo>;
}

/**
 * The Open_vSwitch row: the replica's, or the one this transaction inserts into an empty
 * database (every ovs-vsctl transaction creates it when missing, as upstream's does).
 */
export function rootUuid(ctx: Context): string | undefined {
  return ctx.idl.first("Open_vSwitch")?.uuid ?? ctx.txn.insertedRows("Open_vSwitch")[0];
}

/** Each transaction's cache, with the transaction generation it reflects. */
const caches = new WeakMap<IdlTransaction, { cache: Cache; generation: number }>();

/**
 * The cache of the rows the transaction sees (so earlier commands' changes count). Built once
 * and kept while the transaction stays as it was; a command that changes the transaction in
 * a way it can mirror (add-port) updates the cache in place and calls `cacheIsCurrent`, as
 * upstream's vsctl does, so a long chain of such commands stays linear.
 */
export function buildCache(ctx: Context): Cache {
  const held = caches.get(ctx.txn);
  if (held && held.generation === ctx.txn.generation) return held.cache;
  const cache = computeCache(ctx);
  caches.set(ctx.txn, { cache, generation: ctx.txn.generation });
  return cache;
}

/** Declares that `cache` (updated in place) reflects everything staged in the transaction. */
export function cacheIsCurrent(ctx: Context, cache: Cache): void {
  caches.set(ctx.txn, { cache, generation: ctx.txn.generation });
}

function computeCache(ctx: Context): Cache {
  const cache: Cache = { bridges: new Map(), ports: new Map(), ifaces: new Map() };
  const root = rootUuid(ctx);
  if (!root) return cache;
  for (const bridgeUuid of refs(ctx, "Open_vSwitch", root, "bridges")) {
    if (ctx.txn.isDeleted(bridgeUuid)) continue;
    const bridgeName = text(ctx.txn.read("Bridge", bridgeUuid, "name"));
    if (cache.bridges.has(bridgeName)) continue;
    cache.bridges.set(bridgeName, {
      name: bridgeName,
      uuid: bridgeUuid,
      parent: undefined,
      vlan: 0,
    });
    const ports = refs(ctx, "Bridge", bridgeUuid, "ports").filter((uuid) =>
      !ctx.txn.isDeleted(uuid)
    );
    // First the fake (VLAN) bridges this bridge carries, each a port marked fake_bridge.
    const vlanBridges = new Map<number, string>();
    for (const portUuid of ports) {
      const portName = text(ctx.txn.read("Port", portUuid, "name"));
      const fake = ctx.txn.read("Port", portUuid, "fake_bridge").keys[0] === true;
      const tag = ctx.txn.read("Port", portUuid, "tag").keys[0];
      if (fake && typeof tag === "bigint" && !cache.bridges.has(portName)) {
        cache.bridges.set(portName, {
          name: portName,
          uuid: portUuid,
          parent: bridgeName,
          vlan: Number(tag),
        });
        vlanBridges.set(Number(tag), portName);
      }
    }
    // Then every port, in the fake bridge of its VLAN when there is one.
    for (const portUuid of ports) {
      const portName = text(ctx.txn.read("Port", portUuid, "name"));
      const tag = ctx.txn.read("Port", portUuid, "tag").keys[0];
      const owner = typeof tag === "bigint"
        ? vlanBridges.get(Number(tag)) ?? bridgeName
        : bridgeName;
      cache.ports.set(portName, { name: portName, uuid: portUuid, bridge: owner });
      for (const ifaceUuid of refs(ctx, "Port", portUuid, "interfaces")) {
        if (ctx.txn.isDeleted(ifaceUuid)) continue;
        const ifaceName = text(ctx.txn.read("Interface", ifaceUuid, "name"));
        cache.ifaces.set(ifaceName, { name: ifaceName, uuid: ifaceUuid, port: portName });
      }
    }
  }
  return cache;
}

export function findBridge(cache: Cache, name: string, mustExist: boolean): BridgeInfo | undefined {
  const bridge = cache.bridges.get(name);
  if (!bridge && mustExist) throw new VsctlError(`no bridge named ${name}`);
  return bridge;
}

export function findPort(cache: Cache, name: string, mustExist: boolean): PortInfo | undefined {
  const port = cache.ports.get(name);
  if (!port && mustExist) throw new VsctlError(`no port named ${name}`);
  return port;
}

export function findIface(cache: Cache, name: string, mustExist: boolean): IfaceInfo | undefined {
  const iface = cache.ifaces.get(name);
  if (!iface && mustExist) throw new VsctlError(`no interface named ${name}`);
  return iface;
}

const fold = (c: string) => (c === "-" ? "_" : c.toLowerCase());

/**
 * How well user input `given` names `name` (upstream's score_partial_match): an exact match
 * scores highest, then a match ignoring case and `-`/`_`, then a prefix by its length; 0 for none.
 */
function matchScore(name: string, given: string): number {
  if (name === given) return Number.MAX_SAFE_INTEGER;
  let i = 0;
  for (;; i++) {
    const a = name[i];
    const b = given[i];
    if (a === undefined && b === undefined) return Number.MAX_SAFE_INTEGER - 1;
    if (a === undefined || b === undefined || fold(a) !== fold(b)) break;
  }
  return i === given.length ? i : 0;
}

/** The names with the best score for `given`, best first; empty when none matches. */
function bestMatches(names: string[], given: string): string[] {
  let best = 0;
  let out: string[] = [];
  for (const name of names) {
    const score = matchScore(name, given);
    if (score === 0 || score < best) continue;
    if (score > best) out = [];
    best = score;
    out.push(name);
  }
  return out;
}

/** A table by the best (unique) match of its name, as upstream's get_table. */
export function findTable(ctx: Context, name: string): TableSchema {
  const tables = ctx.idl.schema?.tables ?? new Map<string, TableSchema>();
  const matches = bestMatches([...tables.keys()], name);
  if (matches.length === 0) throw new VsctlError(`unknown table "${name}"`);
  if (matches.length > 1) {
    throw new VsctlError(
      `"${name}" matches multiple table names: ${[...matches].sort().join(", ")}`,
    );
  }
  return tables.get(matches[0] as string) as TableSchema;
}

/** A column by the best (unique) match of its name, as upstream's get_column. */
export function findColumn(table: TableSchema, name: string): ColumnSchema {
  const matches = bestMatches([...table.columns.keys()], name);
  if (matches.length === 0) {
    throw new VsctlError(`${table.name} does not contain a column whose name matches "${name}"`);
  }
  if (matches.length > 1) {
    throw new VsctlError(
      `${table.name} contains more than one column whose name matches "${name}": ${
        [...matches].sort().join(", ")
      }`,
    );
  }
  return table.columns.get(matches[0] as string) as ColumnSchema;
}

/** How records of a table are named on the command line (upstream's vsctl_row_ids). */
const ROW_IDS: Record<string, Array<{ table: string; nameColumn?: string; uuidColumn?: string }>> =
  {
    Open_vSwitch: [],
    Bridge: [{ table: "Bridge", nameColumn: "name" }],
    Port: [{ table: "Port", nameColumn: "name" }],
    Interface: [{ table: "Interface", nameColumn: "name" }],
    Controller: [{ table: "Bridge", nameColumn: "name", uuidColumn: "controller" }],
    Manager: [{ table: "Manager", nameColumn: "target" }],
    Mirror: [{ table: "Mirror", nameColumn: "name" }],
    NetFlow: [{ table: "Bridge", nameColumn: "name", uuidColumn: "netflow" }],
    QoS: [{ table: "Port", nameColumn: "name", uuidColumn: "qos" }],
    Queue: [{ table: "QoS", uuidColumn: "queues" }],
    SSL: [{ table: "Open_vSwitch", uuidColumn: "ssl" }],
    sFlow: [{ table: "Bridge", nameColumn: "name", uuidColumn: "sflow" }],
    Flow_Table: [{ table: "Flow_Table", nameColumn: "name" }],
    IPFIX: [{ table: "Bridge", nameColumn: "name", uuidColumn: "ipfix" }],
    AutoAttach: [{ table: "Bridge", nameColumn: "name", uuidColumn: "auto_attach" }],
    Flow_Sample_Collector_Set: [{ table: "Flow_Sample_Collector_Set", nameColumn: "id" }],
  };

/** Every row of `table` that the transaction sees (replica rows not deleted, plus inserted). */
export function rowsOf(ctx: Context, table: string): Array<{ uuid: string; table: TableSchema }> {
  const schema = ctx.idl.schema?.tables.get(table);
  if (!schema) return [];
  const out: Array<{ uuid: string; table: TableSchema }> = [];
  for (const row of ctx.idl.rows(table)) {
    if (!ctx.txn.isDeleted(row.uuid)) out.push({ uuid: row.uuid, table: schema });
  }
  for (const uuid of ctx.txn.insertedRows(table)) out.push({ uuid, table: schema });
  return out;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Finds a record of `table` by its name or UUID; undefined when absent and not mustExist. */
export function getRow(
  ctx: Context,
  table: TableSchema,
  id: string,
  mustExist: boolean,
): { uuid: string; table: TableSchema } | undefined {
  const symbol = id.startsWith("@") ? ctx.symbols.get(id) : undefined;
  const rows = rowsOf(ctx, table.name);
  let found: { uuid: string; table: TableSchema } | undefined;
  if (symbol) found = rows.find((r) => r.uuid === symbol);
  if (!found && table.name === "Open_vSwitch" && id === ".") found = rows[0];
  if (!found && UUID.test(id)) found = rows.find((r) => r.uuid === id.toLowerCase());
  for (const rule of ROW_IDS[table.name] ?? []) {
    if (found) break;
    const referrers = rule.table === table.name ? rows : rowsOf(ctx, rule.table);
    const matches = referrers.filter((r) =>
      rule.nameColumn === undefined ? id === "." : datumMatches(read(ctx, r, rule.nameColumn), id)
    );
    if (matches.length > 1) throw new VsctlError(`multiple rows in ${table.name} match "${id}"`);
    const match = matches[0];
    if (!match) continue;
    if (rule.uuidColumn === undefined) found = match;
    else {
      // Only an unambiguous reference names a record (a bridge with two controllers names none).
      const targets = read(ctx, match, rule.uuidColumn).keys;
      if (targets.length === 1) found = rows.find((r) => r.uuid === targets[0]);
    }
  }
  if (!found && /^[0-9a-fA-F-]{4,}$/.test(id) && !UUID.test(id)) {
    const prefixed = rows.filter((r) => r.uuid.startsWith(id.toLowerCase()));
    if (prefixed.length > 1) throw new VsctlError(`multiple rows in ${table.name} match "${id}"`);
    found = prefixed[0];
  }
  if (!found && mustExist) throw new VsctlError(`no row "${id}" in table ${table.name}`);
  return found;
}

function datumMatches(datum: Datum, id: string): boolean {
  const key = datum.keys[0];
  return datum.keys.length === 1 && (typeof key === "bigint" ? String(key) === id : key === id);
}

export function defaultOf(table: TableSchema, column: string): Datum {
  const type = table.columns.get(column)?.type;
  if (!type) {
    throw new VsctlError(`${table.name} does not contain a column whose name matches "${column}"`);
  }
  return defaultDatum(type);
}
