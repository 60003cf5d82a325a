// A Port row's link protocols as upstream's bridge.c reads them (enable_lacp,
// port_configure_lacp, iface_configure_lacp, port_configure_bond): `lacp` and its
// other_config keys (lacp-system-id, lacp-system-priority, lacp-time, lacp-fallback-ab), each
// Interface's lacp-port-id, lacp-port-priority and lacp-aggregation-key, and the bond's mode,
// delays, hash basis, rebalance interval, primary, lb-output-action and all-members-active,
// with upstream's defaults, clamps and warnings. Also the small row readers the other
// configuration modules of this directory share (smap_get_int / smap_get_bool semantics).
// Pure apart from logging: rows in, settings out.

import type { IdlRow } from "../db/idl.ts";
import { RateLimit, vlogModule } from "../net/vlog.ts";
import { type BondMode, bondModeFromString, type BondSettings } from "../ofproto/bond.ts";
import type { BundleLinkSettings } from "../ofproto/bundle_links.ts";
import type { LacpMemberSettings, LacpSettings } from "../ofproto/lacp.ts";

const log = vlogModule("bridge");
const defaultModeRl = new RateLimit(1, 1);

/** A map column as a Map of strings. */
export function rowSmap(row: IdlRow | undefined, column: string): Map<string, string> {
  const out = new Map<string, string>();
  const datum = row?.columns.get(column);
  if (!datum?.values) return out;
  datum.keys.forEach((key, i) => out.set(String(key), String(datum.values?.[i] ?? "")));
  return out;
}

/** The single value of an optional column, or undefined. */
export function rowScalar(
  row: IdlRow | undefined,
  column: string,
): string | bigint | number | boolean | undefined {
  return row?.columns.get(column)?.keys[0];
}

/** A set-of-references column's UUIDs, in the datum's (UUID) order. */
export function rowRefs(row: IdlRow | undefined, column: string): string[] {
  return (row?.columns.get(column)?.keys ?? []).map(String);
}

/** smap_get_int: the whole value as a decimal int, else `def`. */
export function smapInt(map: ReadonlyMap<string, string>, key: string, def: number): number {
  const value = map.get(key);
  if (value === undefined || !/^\s*[-+]?[0-9]+$/.test(value)) return def;
  const n = Number(value.trim());
  return n >= -2147483648 && n <= 2147483647 ? n : def;
}

/** smap_get_bool. */
export function smapBool(map: ReadonlyMap<string, string>, key: string, def: boolean): boolean {
  const value = (map.get(key) ?? "").toLowerCase();
  return def ? value !== "false" : value === "true";
}

/** ovs_scan with ETH_ADDR_SCAN_FMT: six 1-2 digit hex bytes (trailing text ignored). */
export function scanMac(text: string): Uint8Array | undefined {
  const m =
    /^\s*([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})/
      .exec(text);
  if (!m) return undefined;
  return new Uint8Array(m.slice(1, 7).map((h) => parseInt(h, 16)));
}

/** enable_lacp: whether the Port runs LACP, and actively. */
function enableLacp(port: IdlRow, name: string): { active: boolean } | undefined {
  const mode = rowScalar(port, "lacp");
  if (typeof mode !== "string" || mode === "off") return undefined;
  if (mode === "active") return { active: true };
  if (mode === "passive") return { active: false };
  log.warn(`port ${name}: unknown LACP mode ${mode}`);
  return undefined;
}

/** port_configure_lacp. `bridgeMac` is the bridge's Ethernet address (its default system ID). */
export function lacpSettings(
  port: IdlRow,
  name: string,
  nInterfaces: number,
  bridgeMac: Uint8Array,
): LacpSettings | undefined {
  const enabled = enableLacp(port, name);
  if (!enabled) return undefined;
  const other = rowSmap(port, "other_config");
  let sysId = bridgeMac;
  const configured = other.get("lacp-system-id");
  if (configured !== undefined) {
    const mac = scanMac(configured);
    if (!mac) {
      log.warn(`port ${name}: LACP system ID (${configured}) must be an Ethernet address.`);
      return undefined;
    }
    sysId = mac;
  }
  if (sysId.every((b) => b === 0)) {
    log.warn(`port ${name}: Invalid zero LACP system ID.`);
    return undefined;
  }
  // Bondable links are preferred when nothing is configured.
  const priority = smapInt(other, "lacp-system-priority", 0);
  return {
    name,
    sysId: sysId.slice(0, 6),
    sysPriority: priority > 0 && priority <= 65535 ? priority : 65535 - (nInterfaces > 1 ? 1 : 0),
    active: enabled.active,
    fast: (other.get("lacp-time") ?? "").toLowerCase() === "fast",
    fallbackAb: smapBool(other, "lacp-fallback-ab", false),
  };
}

/** iface_configure_lacp. `ofport` is the interface's OpenFlow port (the default port ID). */
export function lacpMemberSettings(
  iface: IdlRow,
  name: string,
  ofport: number,
): LacpMemberSettings {
  const other = rowSmap(iface, "other_config");
  let portId = smapInt(other, "lacp-port-id", 0);
  let priority = smapInt(other, "lacp-port-priority", 0);
  let key = smapInt(other, "lacp-aggregation-key", 0);
  if (portId <= 0 || portId > 65535) portId = ofport & 0xffff;
  if (priority <= 0 || priority > 65535) priority = 65535;
  if (key < 0 || key > 65535) key = 0;
  return { name, portId, portPriority: priority, key };
}

/** port_configure_bond. `floodVlans` says whether the Bridge has flood_vlans. */
export function bondSettings(port: IdlRow, name: string, floodVlans: boolean): BondSettings {
  const other = rowSmap(port, "other_config");
  let mode: BondMode = "active-backup";
  const modeText = rowScalar(port, "bond_mode");
  if (typeof modeText === "string") {
    const parsed = bondModeFromString(modeText);
    if (parsed) {
      mode = parsed;
    } else {
      log.warn(`port ${name}: unknown bond_mode ${modeText}, defaulting to ${mode}`);
    }
  } else {
    log.rateLimited(
      defaultModeRl,
      "warn",
      `port ${name}: Using the default bond_mode ${mode}. Note that in previous versions, the default bond_mode was balance-slb`,
    );
  }
  if (mode === "balance-slb" && floodVlans) {
    log.warn(
      `port ${name}: SLB bonds are incompatible with flood_vlans, please use another bond type or disable flood_vlans`,
    );
  }
  const detect = other.get("bond-detect-mode");
  if (detect !== undefined && detect !== "carrier" && detect !== "miimon") {
    log.warn(`port ${name}: unsupported bond-detect-mode ${detect}, defaulting to carrier`);
  }
  const int = (column: string) => {
    const v = rowScalar(port, column);
    return typeof v === "bigint" ? Number(v) : 0;
  };
  let rebalance = smapInt(other, "bond-rebalance-interval", 10000);
  if (rebalance && rebalance < 1000) rebalance = 1000;
  const fallback = smapBool(other, "lacp-fallback-ab", false);
  return {
    name,
    mode,
    upDelay: Math.max(0, int("bond_updelay")),
    downDelay: Math.max(0, int("bond_downdelay")),
    basis: smapInt(other, "bond-hash-basis", 0) >>> 0,
    rebalanceInterval: rebalance,
    lacpFallbackAb: fallback,
    primary: mode === "active-backup" || fallback ? other.get("bond-primary") : undefined,
    useLbOutput: mode === "balance-tcp" && smapBool(other, "lb-output-action", false),
    allMembersActive: smapBool(other, "all-members-active", false),
  };
}

/**
 * port_configure's link part: the Port's LACP (with each interface's member settings) and, for
 * more than one interface, its bond. `interfaces` are the Port's usable interfaces.
 */
export function bundleLinkSettings(
  port: IdlRow,
  name: string,
  interfaces: readonly { row: IdlRow; name: string; ofport: number }[],
  bridgeMac: Uint8Array,
  floodVlans: boolean,
): BundleLinkSettings {
  const lacp = lacpSettings(port, name, interfaces.length, bridgeMac);
  const lacpMembers = new Map<string, LacpMemberSettings>();
  if (lacp) {
    for (const iface of interfaces) {
      lacpMembers.set(iface.name, lacpMemberSettings(iface.row, iface.name, iface.ofport));
    }
  }
  return {
    lacp,
    lacpMembers,
    bond: interfaces.length > 1 ? bondSettings(port, name, floodVlans) : undefined,
  };
}
