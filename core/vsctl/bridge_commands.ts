// ovs-vsctl's switch commands (upstream's utilities/ovs-vsctl.c): init, bridges, ports,
// interfaces, fail mode, controllers, managers and `show`, each a row of the command table with
// upstream's argument counts, options and error texts. They stage changes in the context's
// transaction and write output lines; they never commit. Fake (VLAN) bridges are refused with a
// clear error until they are built.

import { compareAtoms, type Datum, findKey } from "../db/datum.ts";
import { datumToString } from "../db/data_string.ts";
import type { ColumnSchema } from "../db/schema.ts";
import {
  buildCache,
  cacheIsCurrent,
  type Context,
  findBridge,
  findIface,
  findPort,
  read,
  refs,
  rootUuid,
  rowsOf,
  text,
  VsctlError,
  VsctlExit,
} from "./context.ts";
import { setColumn } from "./db_commands.ts";

export interface CommandSpec {
  name: string;
  minArgs: number;
  maxArgs: number;
  /** Options this command accepts ("--may-exist", "--columns=" …). */
  options: string[];
  run: (ctx: Context) => void;
}

const str = (value: string): Datum => ({ keys: [value], values: null });
const set = (values: string[]): Datum => ({ keys: [...values].sort(), values: null });

function root(ctx: Context): string {
  const uuid = rootUuid(ctx);
  if (uuid === undefined) throw new VsctlError("database has no Open_vSwitch row");
  return uuid;
}

/** Adds `uuid` to a set column (staged, with the read verified as upstream verifies it). */
function addToSet(ctx: Context, table: string, uuid: string, column: string, value: string): void {
  ctx.txn.verify(table, uuid, column);
  // Inserted into the sorted set in place of a full sort: ports pile up on one bridge.
  const keys = [...ctx.txn.read(table, uuid, column).keys];
  const at = findKey({ keys, values: null }, value);
  if (at < 0) {
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareAtoms(keys[mid]!, value) < 0) lo = mid + 1;
      else hi = mid;
    }
    keys.splice(lo, 0, value);
  }
  ctx.txn.write(table, uuid, column, { keys, values: null });
}

function removeFromSet(
  ctx: Context,
  table: string,
  uuid: string,
  column: string,
  value: string,
): void {
  ctx.txn.verify(table, uuid, column);
  ctx.txn.write(
    table,
    uuid,
    column,
    set(refs(ctx, table, uuid, column).filter((v) => v !== value)),
  );
}

function checkConflicts(ctx: Context, name: string, message: string): void {
  const cache = buildCache(ctx);
  if (cache.bridges.has(name)) {
    throw new VsctlError(`${message} because a bridge named ${name} already exists`);
  }
  const port = cache.ports.get(name);
  if (port) {
    throw new VsctlError(
      `${message} because a port named ${name} already exists on bridge ${port.bridge}`,
    );
  }
  const iface = cache.ifaces.get(name);
  if (iface) {
    const bridge = cache.ports.get(iface.port)?.bridge ?? "";
    throw new VsctlError(
      `${message} because an interface named ${name} already exists on bridge ${bridge}`,
    );
  }
}

function newInterface(ctx: Context, name: string, type?: string): string {
  const uuid = ctx.txn.insert("Interface");
  ctx.txn.write("Interface", uuid, "name", str(name));
  if (type) ctx.txn.write("Interface", uuid, "type", str(type));
  return uuid;
}

function newPort(ctx: Context, name: string, ifaces: string[]): string {
  const uuid = ctx.txn.insert("Port");
  ctx.txn.write("Port", uuid, "name", str(name));
  ctx.txn.write("Port", uuid, "interfaces", set(ifaces));
  return uuid;
}

function addBridge(ctx: Context): void {
  const [name = "", parentName, vlanText] = ctx.args;
  if (name === "") throw new VsctlError("bridge name must not be empty string");
  if (ctx.args.length === 2) {
    throw new VsctlError("'add-br' command takes exactly 1 or 3 arguments");
  }
  const vlan = vlanText === undefined ? 0 : Number.parseInt(vlanText, 10) || 0;
  if (vlanText !== undefined && (vlan < 0 || vlan > 4095)) {
    throw new VsctlError("add-br: vlan must be between 0 and 4095");
  }
  const cache = buildCache(ctx);
  const existing = cache.bridges.get(name);
  if (ctx.options.has("--may-exist") && existing) {
    const command = `"--may-exist add-br ${ctx.args.join(" ")}"`;
    if (parentName === undefined) {
      if (existing.parent !== undefined) {
        throw new VsctlError(`${command} but ${name} is a VLAN bridge for VLAN ${existing.vlan}`);
      }
    } else if (existing.parent === undefined) {
      throw new VsctlError(`${command} but ${name} is not a VLAN bridge`);
    } else if (existing.parent !== parentName) {
      throw new VsctlError(`${command} but ${name} has the wrong parent ${existing.parent}`);
    } else if (existing.vlan !== vlan) {
      throw new VsctlError(
        `${command} but ${name} is a VLAN bridge for the wrong VLAN ${existing.vlan}`,
      );
    }
    return;
  }
  checkConflicts(ctx, name, `cannot create a bridge named ${name}`);
  const iface = newInterface(ctx, name, "internal");
  const port = newPort(ctx, name, [iface]);
  if (parentName === undefined) {
    const bridge = ctx.txn.insert("Bridge");
    ctx.txn.write("Bridge", bridge, "name", str(name));
    ctx.txn.write("Bridge", bridge, "ports", set([port]));
    addToSet(ctx, "Open_vSwitch", root(ctx), "bridges", bridge);
    return;
  }
  const parent = cache.bridges.get(parentName);
  if (parent?.parent !== undefined) {
    throw new VsctlError("cannot create bridge with fake bridge as parent");
  }
  if (!parent) throw new VsctlError(`parent bridge ${parentName} does not exist`);
  const sibling = [...cache.bridges.values()].find((b) =>
    b.parent === parentName && b.vlan === vlan
  );
  if (sibling) {
    throw new VsctlError(
      `bridge ${parentName} already has a child VLAN bridge ${sibling.name} on VLAN ${vlan}`,
    );
  }
  ctx.txn.write("Port", port, "fake_bridge", { keys: [true], values: null });
  ctx.txn.write("Port", port, "tag", { keys: [BigInt(vlan)], values: null });
  addToSet(ctx, "Bridge", parent.uuid, "ports", port);
}

/** The Bridge row that holds a bridge's ports: its own, or its parent's for a fake bridge. */
function realBridgeUuid(cache: ReturnType<typeof buildCache>, name: string): string {
  const bridge = cache.bridges.get(name)!;
  return bridge.parent === undefined ? bridge.uuid : cache.bridges.get(bridge.parent)!.uuid;
}

function deletePortRow(
  ctx: Context,
  cache: ReturnType<typeof buildCache>,
  port: { uuid: string; bridge: string },
): void {
  for (const iface of refs(ctx, "Port", port.uuid, "interfaces")) {
    ctx.txn.delete("Interface", iface);
  }
  ctx.txn.delete("Port", port.uuid);
  removeFromSet(ctx, "Bridge", realBridgeUuid(cache, port.bridge), "ports", port.uuid);
}

function deleteBridge(ctx: Context): void {
  const name = ctx.args[0] ?? "";
  const cache = buildCache(ctx);
  const bridge = findBridge(cache, name, !ctx.options.has("--if-exists"));
  if (!bridge) return;
  if (bridge.parent !== undefined) {
    for (const port of cache.ports.values()) {
      if (port.bridge === name) deletePortRow(ctx, cache, port);
    }
    return;
  }
  for (const port of refs(ctx, "Bridge", bridge.uuid, "ports")) {
    for (const iface of refs(ctx, "Port", port, "interfaces")) ctx.txn.delete("Interface", iface);
    ctx.txn.delete("Port", port);
  }
  for (const row of rowsOf(ctx, "Flow_Sample_Collector_Set")) {
    if (ctx.txn.read("Flow_Sample_Collector_Set", row.uuid, "bridge").keys[0] === bridge.uuid) {
      ctx.txn.delete("Flow_Sample_Collector_Set", row.uuid);
    }
  }
  ctx.txn.delete("Bridge", bridge.uuid);
  removeFromSet(ctx, "Open_vSwitch", root(ctx), "bridges", bridge.uuid);
}

function listBridges(ctx: Context): void {
  const cache = buildCache(ctx);
  const real = ctx.options.has("--real");
  const fake = ctx.options.has("--fake");
  const names = [...cache.bridges.values()]
    .filter((
      b,
    ) => (real && !fake ? b.parent === undefined : fake && !real ? b.parent !== undefined : true))
    .map((b) => b.name)
    .sort();
  for (const name of names) ctx.output.push(`${name}\n`);
}

function bridgeExists(ctx: Context): void {
  if (!buildCache(ctx).bridges.has(ctx.args[0] ?? "")) throw new VsctlExit(2);
}

/** add-port and add-bond: a port of `ifaceNames` on `bridgeName`, with column settings. */
export function addPortWithInterfaces(
  ctx: Context,
  bridgeName: string,
  portName: string,
  ifaceNames: string[],
  settings: string[],
): void {
  if (portName === "") throw new VsctlError("port name must not be empty string");
  if (ifaceNames.some((name) => name === "")) {
    throw new VsctlError("interface name must not be empty string");
  }
  const cache = buildCache(ctx);
  if (ctx.options.has("--may-exist")) {
    const port = cache.ports.get(portName);
    if (port) {
      const command = `${ctx.options.has("--may-exist") ? "--may-exist " : ""}${ctx.name} ${
        ctx.args.join(" ")
      }`;
      if (port.bridge !== bridgeName) {
        throw new VsctlError(
          `"${command}" but ${portName} is actually attached to bridge ${port.bridge}`,
        );
      }
      const have = [...cache.ifaces.values()].filter((i) => i.port === portName).map((i) => i.name)
        .sort();
      const want = [...ifaceNames].sort();
      if (have.join("\0") !== want.join("\0")) {
        throw new VsctlError(
          `"${command}" but ${portName} actually has interface(s) ${have.join(", ")}`,
        );
      }
      return;
    }
  }
  checkConflicts(ctx, portName, `cannot create a port named ${portName}`);
  for (const name of ifaceNames) {
    if (name !== portName) checkConflicts(ctx, name, `cannot create an interface named ${name}`);
  }
  const bridge = findBridge(cache, bridgeName, true)!;
  const ifaces = ifaceNames.map((name) => newInterface(ctx, name));
  const port = newPort(ctx, portName, ifaces);
  if (ctx.options.has("--fake-iface")) {
    ctx.txn.write("Port", port, "bond_fake_iface", { keys: [true], values: null });
  }
  // A port on a fake bridge is a port of its parent in the fake bridge's VLAN.
  if (bridge.parent !== undefined) {
    ctx.txn.write("Port", port, "tag", { keys: [BigInt(bridge.vlan)], values: null });
  }
  for (const setting of settings) {
    setColumn(ctx, { uuid: port, table: ctx.idl.schema!.tables.get("Port")! }, setting);
  }
  addToSet(ctx, "Bridge", realBridgeUuid(cache, bridge.name), "ports", port);
  // Without settings (which may change anything) the new port is exactly what rebuilding the
  // cache would find: a port of this bridge (of the fake bridge, through its VLAN tag).
  if (settings.length === 0) {
    cache.ports.set(portName, { name: portName, uuid: port, bridge: bridge.name });
    ifaceNames.forEach((name, i) => {
      cache.ifaces.set(name, { name, uuid: ifaces[i]!, port: portName });
    });
    cacheIsCurrent(ctx, cache);
  }
}

function addPort(ctx: Context): void {
  const [bridgeName = "", portName = "", ...settings] = ctx.args;
  addPortWithInterfaces(ctx, bridgeName, portName, [portName], settings);
}

function deletePort(ctx: Context): void {
  const target = ctx.args[ctx.args.length - 1] ?? "";
  const mustExist = !ctx.options.has("--if-exists");
  const cache = buildCache(ctx);
  if (cache.bridges.has(target)) {
    if (mustExist) {
      throw new VsctlError(
        `cannot delete port ${target} because it is the local port for bridge ${target} (deleting this port requires deleting the entire bridge)`,
      );
    }
    return;
  }
  let port = findPort(cache, target, mustExist && !ctx.options.has("--with-iface"));
  if (!port && ctx.options.has("--with-iface")) {
    const iface = findIface(cache, target, false);
    port = iface ? cache.ports.get(iface.port) : undefined;
    if (!port && mustExist) throw new VsctlError(`no port or interface named ${target}`);
  }
  if (!port) return;
  if (ctx.args.length === 2) {
    const bridge = findBridge(cache, ctx.args[0] ?? "", true)!;
    if (port.bridge !== bridge.name) {
      throw new VsctlError(`bridge ${bridge.name} does not have a port ${target}`);
    }
  }
  deletePortRow(ctx, cache, port);
}

function listPorts(ctx: Context): void {
  const cache = buildCache(ctx);
  const bridge = findBridge(cache, ctx.args[0] ?? "", true)!;
  const names = [...cache.ports.values()]
    .filter((p) => p.bridge === bridge.name && p.name !== bridge.name)
    .map((p) => p.name)
    .sort();
  for (const name of names) ctx.output.push(`${name}\n`);
}

function listIfaces(ctx: Context): void {
  const cache = buildCache(ctx);
  const bridge = findBridge(cache, ctx.args[0] ?? "", true)!;
  const names = [...cache.ifaces.values()]
    .filter((i) => cache.ports.get(i.port)?.bridge === bridge.name && i.name !== bridge.name)
    .map((i) => i.name)
    .sort();
  for (const name of names) ctx.output.push(`${name}\n`);
}

function portToBridge(ctx: Context): void {
  const cache = buildCache(ctx);
  const port = findPort(cache, ctx.args[0] ?? "", true)!;
  ctx.output.push(`${port.bridge}\n`);
}

function ifaceToBridge(ctx: Context): void {
  const cache = buildCache(ctx);
  const iface = findIface(cache, ctx.args[0] ?? "", true)!;
  ctx.output.push(`${cache.ports.get(iface.port)?.bridge ?? ""}\n`);
}

/** The bridge a bridge-level setting applies to: a fake bridge's settings are its parent's. */
function bridgeRow(ctx: Context) {
  const cache = buildCache(ctx);
  const bridge = findBridge(cache, ctx.args[0] ?? "", true)!;
  return bridge.parent === undefined ? bridge : cache.bridges.get(bridge.parent)!;
}

function getFailMode(ctx: Context): void {
  const mode = text(ctx.txn.read("Bridge", bridgeRow(ctx).uuid, "fail_mode"));
  if (mode) ctx.output.push(`${mode}\n`);
}

function setFailMode(ctx: Context): void {
  const bridge = bridgeRow(ctx);
  const mode = ctx.args[1] ?? "";
  if (mode !== "standalone" && mode !== "secure") {
    throw new VsctlError('fail-mode must be "standalone" or "secure"');
  }
  ctx.txn.write("Bridge", bridge.uuid, "fail_mode", str(mode));
}

function delFailMode(ctx: Context): void {
  ctx.txn.write("Bridge", bridgeRow(ctx).uuid, "fail_mode", { keys: [], values: null });
}

function targets(ctx: Context, table: string, uuids: string[]): string[] {
  return uuids.map((uuid) => text(ctx.txn.read(table, uuid, "target"))).sort();
}

function getController(ctx: Context): void {
  const bridge = bridgeRow(ctx);
  for (const target of targets(ctx, "Controller", refs(ctx, "Bridge", bridge.uuid, "controller"))) {
    ctx.output.push(`${target}\n`);
  }
}

function replaceTargets(
  ctx: Context,
  table: string,
  owner: string,
  ownerUuid: string,
  column: string,
  wanted: string[],
): void {
  for (const uuid of refs(ctx, owner, ownerUuid, column)) ctx.txn.delete(table, uuid);
  const rows = wanted.map((target) => {
    const uuid = ctx.txn.insert(table);
    ctx.txn.write(table, uuid, "target", str(target));
    return uuid;
  });
  ctx.txn.verify(owner, ownerUuid, column);
  ctx.txn.write(owner, ownerUuid, column, set(rows));
}

function setController(ctx: Context): void {
  const bridge = bridgeRow(ctx);
  replaceTargets(ctx, "Controller", "Bridge", bridge.uuid, "controller", ctx.args.slice(1));
}

function delController(ctx: Context): void {
  const bridge = bridgeRow(ctx);
  replaceTargets(ctx, "Controller", "Bridge", bridge.uuid, "controller", []);
}

function getManager(ctx: Context): void {
  for (
    const target of targets(ctx, "Manager", refs(ctx, "Open_vSwitch", root(ctx), "manager_options"))
  ) {
    ctx.output.push(`${target}\n`);
  }
}

function setManager(ctx: Context): void {
  replaceTargets(ctx, "Manager", "Open_vSwitch", root(ctx), "manager_options", ctx.args);
}

function delManager(ctx: Context): void {
  replaceTargets(ctx, "Manager", "Open_vSwitch", root(ctx), "manager_options", []);
}

function init(ctx: Context): void {
  if (ctx.idl.first("Open_vSwitch") || ctx.txn.insertedRows("Open_vSwitch").length > 0) return;
  ctx.txn.insert("Open_vSwitch");
}

/** What `show` prints for each table: the naming column and the columns shown beneath. */
const SHOW: Record<string, { name?: string; columns: string[] }> = {
  Open_vSwitch: { columns: ["manager_options", "bridges", "ovs_version"] },
  Bridge: { name: "name", columns: ["controller", "fail_mode", "datapath_type", "ports"] },
  Port: { name: "name", columns: ["tag", "trunks", "interfaces"] },
  Interface: { name: "name", columns: ["type", "options", "error", "bfd_status"] },
  Controller: { name: "target", columns: ["is_connected"] },
  Manager: { name: "target", columns: ["is_connected"] },
};

function showRow(
  ctx: Context,
  table: string,
  uuid: string,
  level: number,
  shown: Set<string>,
): void {
  const schema = ctx.idl.schema!.tables.get(table)!;
  const spec = SHOW[table];
  const indent = " ".repeat(level * 4);
  if (spec?.name) {
    const column = schema.columns.get(spec.name) as ColumnSchema;
    ctx.output.push(
      `${indent}${table} ${
        datumToString(read(ctx, { uuid, table: schema }, spec.name), column.type)
      }\n`,
    );
  } else ctx.output.push(`${indent}${uuid}\n`);
  if (!spec || shown.has(table)) return;
  shown.add(table);
  for (const name of spec.columns) {
    const column = schema.columns.get(name);
    if (!column) continue;
    const datum = read(ctx, { uuid, table: schema }, name);
    const refTable = column.type.key.refTable;
    if (column.type.key.type === "uuid" && refTable && SHOW[refTable]) {
      for (const ref of datum.keys) {
        const exists = ctx.idl.row(refTable, String(ref)) || ctx.txn.isInserted(String(ref));
        if (exists) showRow(ctx, refTable, String(ref), level + 1, shown);
      }
      continue;
    }
    const isDefault = datum.keys.length === 0 ||
      (column.type.min === 1 && column.type.max === 1 &&
        (datum.keys[0] === "" || datum.keys[0] === 0n || datum.keys[0] === false));
    if (!isDefault) {
      ctx.output.push(
        `${" ".repeat((level + 1) * 4)}${name}: ${datumToString(datum, column.type)}\n`,
      );
    }
  }
  shown.delete(table);
}

function show(ctx: Context): void {
  const uuid = rootUuid(ctx);
  if (uuid !== undefined) showRow(ctx, "Open_vSwitch", uuid, 0, new Set());
}

export const BRIDGE_COMMANDS: CommandSpec[] = [
  { name: "init", minArgs: 0, maxArgs: 0, options: [], run: init },
  { name: "show", minArgs: 0, maxArgs: 0, options: [], run: show },
  { name: "add-br", minArgs: 1, maxArgs: 3, options: ["--may-exist"], run: addBridge },
  { name: "del-br", minArgs: 1, maxArgs: 1, options: ["--if-exists"], run: deleteBridge },
  { name: "list-br", minArgs: 0, maxArgs: 0, options: ["--real", "--fake"], run: listBridges },
  { name: "br-exists", minArgs: 1, maxArgs: 1, options: [], run: bridgeExists },
  { name: "list-ports", minArgs: 1, maxArgs: 1, options: [], run: listPorts },
  {
    name: "add-port",
    minArgs: 2,
    maxArgs: Number.POSITIVE_INFINITY,
    options: ["--may-exist"],
    run: addPort,
  },
  {
    name: "del-port",
    minArgs: 1,
    maxArgs: 2,
    options: ["--if-exists", "--with-iface"],
    run: deletePort,
  },
  { name: "port-to-br", minArgs: 1, maxArgs: 1, options: [], run: portToBridge },
  { name: "list-ifaces", minArgs: 1, maxArgs: 1, options: [], run: listIfaces },
  { name: "iface-to-br", minArgs: 1, maxArgs: 1, options: [], run: ifaceToBridge },
  { name: "get-fail-mode", minArgs: 1, maxArgs: 1, options: [], run: getFailMode },
  { name: "set-fail-mode", minArgs: 2, maxArgs: 2, options: [], run: setFailMode },
  { name: "del-fail-mode", minArgs: 1, maxArgs: 1, options: [], run: delFailMode },
  { name: "get-controller", minArgs: 1, maxArgs: 1, options: [], run: getController },
  {
    name: "set-controller",
    minArgs: 1,
    maxArgs: Number.POSITIVE_INFINITY,
    options: [],
    run: setController,
  },
  { name: "del-controller", minArgs: 1, maxArgs: 1, options: [], run: delController },
  { name: "get-manager", minArgs: 0, maxArgs: 0, options: [], run: getManager },
  {
    name: "set-manager",
    minArgs: 0,
    maxArgs: Number.POSITIVE_INFINITY,
    options: [],
    run: setManager,
  },
  { name: "del-manager", minArgs: 0, maxArgs: 0, options: [], run: delManager },
];
