// More of ovs-vsctl's switch commands: bonds (add-bond, add-bond-iface, del-bond-iface), bridge
// external ids, br-to-vlan / br-to-parent, SSL settings. Same contract as bridge_commands.ts:
// stage changes in the transaction, write output lines, throw VsctlError with upstream's text.

import type { Datum } from "../db/datum.ts";
import type { CommandSpec } from "./bridge_commands.ts";
import { addPortWithInterfaces } from "./bridge_commands.ts";
import {
  buildCache,
  type Context,
  findBridge,
  findIface,
  findPort,
  refs,
  rootUuid,
  rowsOf,
  text,
  VsctlError,
} from "./context.ts";

function smapOf(datum: Datum): Map<string, string> {
  const out = new Map<string, string>();
  datum.keys.forEach((key, i) => out.set(String(key), String(datum.values?.[i] ?? "")));
  return out;
}

function smapDatum(map: Map<string, string>): Datum {
  const keys = [...map.keys()].sort();
  return { keys, values: keys.map((k) => map.get(k) as string) };
}

function addBond(ctx: Context): void {
  const [bridge = "", port = "", ...rest] = ctx.args;
  let count = rest.findIndex((arg) => arg.includes("="));
  if (count < 0) count = rest.length;
  if (count < 2) {
    throw new VsctlError(
      `add-bond requires at least 2 interfaces, but only ${count} were specified`,
    );
  }
  addPortWithInterfaces(ctx, bridge, port, rest.slice(0, count), rest.slice(count));
}

function addBondIface(ctx: Context): void {
  const cache = buildCache(ctx);
  const port = findPort(cache, ctx.args[0] ?? "", true)!;
  const name = ctx.args[1] ?? "";
  const existing = findIface(cache, name, false);
  if (ctx.options.has("--may-exist") && existing) {
    if (existing.port === port.name) return;
    throw new VsctlError(
      `"--may-exist add-bond-iface ${port.name} ${name}" but ${name} is actually attached to port ${existing.port}`,
    );
  }
  const iface = ctx.txn.insert("Interface");
  ctx.txn.write("Interface", iface, "name", { keys: [name], values: null });
  const current = refs(ctx, "Port", port.uuid, "interfaces");
  ctx.txn.verify("Port", port.uuid, "interfaces");
  ctx.txn.write("Port", port.uuid, "interfaces", {
    keys: [...current, iface].sort(),
    values: null,
  });
}

function delBondIface(ctx: Context): void {
  const cache = buildCache(ctx);
  const name = ctx.args[ctx.args.length - 1] ?? "";
  const iface = findIface(cache, name, !ctx.options.has("--if-exists"));
  if (!iface) return;
  const port = cache.ports.get(iface.port)!;
  if (ctx.args.length === 2 && ctx.args[0] !== port.name) {
    throw new VsctlError(`port ${ctx.args[0]} does not have an interface ${name}`);
  }
  const current = refs(ctx, "Port", port.uuid, "interfaces");
  if (current.length === 1) {
    throw new VsctlError(`cannot delete last interface from port ${port.name}`);
  }
  ctx.txn.delete("Interface", iface.uuid);
  ctx.txn.verify("Port", port.uuid, "interfaces");
  ctx.txn.write("Port", port.uuid, "interfaces", {
    keys: current.filter((u) => u !== iface.uuid),
    values: null,
  });
}

/** Where a bridge keeps external ids: its Bridge row, or for a fake bridge its Port row with
 * keys prefixed "fake-bridge-", as upstream. */
function externalIdsOf(ctx: Context): { table: string; uuid: string; prefix: string } {
  const bridge = findBridge(buildCache(ctx), ctx.args[0] ?? "", true)!;
  return bridge.parent === undefined
    ? { table: "Bridge", uuid: bridge.uuid, prefix: "" }
    : { table: "Port", uuid: bridge.uuid, prefix: "fake-bridge-" };
}

function brSetExternalId(ctx: Context): void {
  const { table, uuid, prefix } = externalIdsOf(ctx);
  const ids = smapOf(ctx.txn.read(table, uuid, "external_ids"));
  const [, key = "", value] = ctx.args;
  if (value === undefined) ids.delete(prefix + key);
  else ids.set(prefix + key, value);
  ctx.txn.verify(table, uuid, "external_ids");
  ctx.txn.write(table, uuid, "external_ids", smapDatum(ids));
}

function brGetExternalId(ctx: Context): void {
  const { table, uuid, prefix } = externalIdsOf(ctx);
  const ids = smapOf(ctx.txn.read(table, uuid, "external_ids"));
  const key = ctx.args[1];
  if (key !== undefined) {
    const value = ids.get(prefix + key);
    if (value !== undefined) ctx.output.push(`${value}\n`);
    return;
  }
  for (const name of [...ids.keys()].sort()) {
    if (name.startsWith(prefix)) ctx.output.push(`${name.slice(prefix.length)}=${ids.get(name)}\n`);
  }
}

function brToVlan(ctx: Context): void {
  const bridge = findBridge(buildCache(ctx), ctx.args[0] ?? "", true)!;
  ctx.output.push(`${bridge.vlan}\n`);
}

function brToParent(ctx: Context): void {
  const bridge = findBridge(buildCache(ctx), ctx.args[0] ?? "", true)!;
  ctx.output.push(`${bridge.parent ?? bridge.name}\n`);
}

function root(ctx: Context): string {
  const uuid = rootUuid(ctx);
  if (uuid === undefined) throw new VsctlError("database has no Open_vSwitch row");
  return uuid;
}

function getSsl(ctx: Context): void {
  const ssl = ctx.txn.read("Open_vSwitch", root(ctx), "ssl").keys[0];
  if (typeof ssl !== "string") return;
  const field = (column: string) => text(ctx.txn.read("SSL", ssl, column));
  ctx.output.push(`Private key: ${field("private_key")}\n`);
  ctx.output.push(`Certificate: ${field("certificate")}\n`);
  ctx.output.push(`CA Certificate: ${field("ca_cert")}\n`);
  const bootstrap = ctx.txn.read("SSL", ssl, "bootstrap_ca_cert").keys[0] === true;
  ctx.output.push(`Bootstrap: ${bootstrap ? "true" : "false"}\n`);
}

function delSsl(ctx: Context): void {
  const rootRow = root(ctx);
  const ssl = ctx.txn.read("Open_vSwitch", rootRow, "ssl").keys[0];
  if (typeof ssl !== "string") return;
  ctx.txn.verify("Open_vSwitch", rootRow, "ssl");
  ctx.txn.delete("SSL", ssl);
  ctx.txn.write("Open_vSwitch", rootRow, "ssl", { keys: [], values: null });
}

function setSsl(ctx: Context): void {
  const rootRow = root(ctx);
  const old = ctx.txn.read("Open_vSwitch", rootRow, "ssl").keys[0];
  ctx.txn.verify("Open_vSwitch", rootRow, "ssl");
  if (typeof old === "string") ctx.txn.delete("SSL", old);
  const ssl = ctx.txn.insert("SSL");
  const [key = "", certificate = "", ca = ""] = ctx.args;
  ctx.txn.write("SSL", ssl, "private_key", { keys: [key], values: null });
  ctx.txn.write("SSL", ssl, "certificate", { keys: [certificate], values: null });
  ctx.txn.write("SSL", ssl, "ca_cert", { keys: [ca], values: null });
  ctx.txn.write("SSL", ssl, "bootstrap_ca_cert", {
    keys: [ctx.options.has("--bootstrap")],
    values: null,
  });
  ctx.txn.write("Open_vSwitch", rootRow, "ssl", { keys: [ssl], values: null });
}

const EMPTY: Datum = { keys: [], values: null };
const EMPTY_MAP: Datum = { keys: [], values: [] };

/** emer-reset: back to a configuration with no controllers, managers, mirrors or exports. */
function emergencyReset(ctx: Context): void {
  const rootRow = root(ctx);
  ctx.txn.write("Open_vSwitch", rootRow, "manager_options", EMPTY);
  ctx.txn.write("Open_vSwitch", rootRow, "ssl", EMPTY);
  for (const bridge of rowsOf(ctx, "Bridge")) {
    for (
      const column of [
        "controller",
        "fail_mode",
        "mirrors",
        "netflow",
        "sflow",
        "ipfix",
        "flood_vlans",
      ]
    ) {
      ctx.txn.write("Bridge", bridge.uuid, column, EMPTY);
    }
    // Of other_config, only the bridge's MAC address survives.
    const hwaddr = smapOf(ctx.txn.read("Bridge", bridge.uuid, "other_config")).get("hwaddr");
    ctx.txn.write(
      "Bridge",
      bridge.uuid,
      "other_config",
      hwaddr === undefined ? EMPTY_MAP : { keys: ["hwaddr"], values: [hwaddr] },
    );
  }
  for (const port of rowsOf(ctx, "Port")) {
    ctx.txn.write("Port", port.uuid, "other_config", EMPTY_MAP);
  }
  for (const iface of rowsOf(ctx, "Interface")) {
    ctx.txn.write("Interface", iface.uuid, "ingress_policing_rate", { keys: [0n], values: null });
    ctx.txn.write("Interface", iface.uuid, "ingress_policing_burst", { keys: [0n], values: null });
  }
  for (
    const table of [
      "Mirror",
      "Controller",
      "Manager",
      "NetFlow",
      "SSL",
      "sFlow",
      "IPFIX",
      "Flow_Sample_Collector_Set",
    ]
  ) {
    for (const row of rowsOf(ctx, table)) ctx.txn.delete(table, row.uuid);
  }
}

export const EXTRA_COMMANDS: CommandSpec[] = [
  { name: "emer-reset", minArgs: 0, maxArgs: 0, options: [], run: emergencyReset },
  {
    name: "add-bond",
    minArgs: 4,
    maxArgs: Number.POSITIVE_INFINITY,
    options: ["--may-exist", "--fake-iface"],
    run: addBond,
  },
  { name: "add-bond-iface", minArgs: 2, maxArgs: 2, options: ["--may-exist"], run: addBondIface },
  { name: "del-bond-iface", minArgs: 1, maxArgs: 2, options: ["--if-exists"], run: delBondIface },
  { name: "br-set-external-id", minArgs: 2, maxArgs: 3, options: [], run: brSetExternalId },
  { name: "br-get-external-id", minArgs: 1, maxArgs: 2, options: [], run: brGetExternalId },
  { name: "br-to-vlan", minArgs: 1, maxArgs: 1, options: [], run: brToVlan },
  { name: "br-to-parent", minArgs: 1, maxArgs: 1, options: [], run: brToParent },
  { name: "get-ssl", minArgs: 0, maxArgs: 0, options: [], run: getSsl },
  { name: "del-ssl", minArgs: 0, maxArgs: 0, options: [], run: delSsl },
  { name: "set-ssl", minArgs: 3, maxArgs: 3, options: ["--bootstrap"], run: setSsl },
];
