// Bridge reconciliation (upstream's vswitchd/bridge.c): turns the Open_vSwitch database, as the
// IDL replicates it, into running bridges — one SwitchBridge per Bridge row, its interfaces with
// OpenFlow port numbers chosen as upstream chooses them, Port rows as VLAN bundles, the bridge's
// MAC and datapath id, its switching options and patch links — and stages what upstream writes
// back: each Interface's ofport or error and live status, each Bridge's datapath_id, and the
// Open_vSwitch row's cur_cfg, datapath_types and iface_types.
//
// Promises: reconciliation is idempotent (same database, no change); cur_cfg is written only
// after the configuration it acknowledges has been applied; a port that cannot be created gets
// its `error` column set and never stops the others. OpenFlow connections are configured
// through `BridgeListener` (the daemon wires connmgr there).

import type { Atom, Datum } from "../db/datum.ts";
import type { Idl, IdlRow } from "../db/idl.ts";
import type { IdlTransaction } from "../db/idl_txn.ts";
import { registerDummyNetdevs } from "../datapath/netdev_dummy.ts";
import { netdevTypes } from "../datapath/netdev.ts";
import { vlogModule } from "../net/vlog.ts";
import { OFPP_LOCAL, OFPP_NONE, PortNumbers } from "../ofproto/port_numbers.ts";
import { Datapaths } from "./datapaths.ts";
import { bundleSettings } from "./port_config.ts";
import { SwitchBridge, type SwitchBridgeHooks } from "./switch_bridge.ts";
import { BundleProtocols } from "./bundle_protocols.ts";
import { hashBytes, hmapOrder } from "../ofproto/xlate/hash.ts";

/** upstream's hash_string(s, 0). */
function hashString(s: string): number {
  const bytes = new TextEncoder().encode(s);
  return hashBytes(bytes, bytes.length, 0);
}

const log = vlogModule("bridge");

/** Interface types this build offers, besides the dummy ones (Open_vSwitch:iface_types). */
const BASE_IFACE_TYPES = ["internal", "patch", "system", "tap"];

export interface InterfaceState {
  uuid: string;
  name: string;
  type: string;
  ofport: number;
  /** Why the interface could not be created, as written to its `error` column. */
  error: string | undefined;
}

export interface BridgeState {
  uuid: string;
  name: string;
  datapathType: string;
  datapathId: bigint;
  hwAddr: Uint8Array;
  numbers: PortNumbers;
  interfaces: Map<string, InterfaceState>;
  running: SwitchBridge;
}

export interface VswitchdOptions {
  /** --enable-dummy: dummy datapath and netdevs exist. */
  enableDummy: boolean;
  /** --enable-dummy=override: system interfaces and datapaths become dummy ones. */
  dummyOverride: boolean;
  /** --disable-system: no system datapath. */
  disableSystem: boolean;
}

/** Hears about bridges so OpenFlow connections can follow them. */
export interface BridgeListener extends SwitchBridgeHooks {
  bridgeCreated?(bridge: BridgeState): void;
  bridgeDestroyed?(bridge: BridgeState): void;
  /** The Bridge row was (re)applied: fail mode, controllers, protocols. */
  bridgeConfigured?(bridge: BridgeState, row: IdlRow, idl: Idl): void;
}

export function scalar(
  row: IdlRow | undefined,
  column: string,
): string | bigint | number | boolean | undefined {
  return row?.columns.get(column)?.keys[0];
}

export function text(row: IdlRow | undefined, column: string): string {
  const value = scalar(row, column);
  return typeof value === "string" ? value : "";
}

export function smap(row: IdlRow, column: string): Map<string, string> {
  const datum = row.columns.get(column);
  const out = new Map<string, string>();
  if (!datum?.values) return out;
  datum.keys.forEach((key, i) => out.set(String(key), String(datum.values?.[i] ?? "")));
  return out;
}

export function refs(row: IdlRow, column: string): string[] {
  return (row.columns.get(column)?.keys ?? []).map(String);
}

function parseMac(textValue: string | undefined): Uint8Array | undefined {
  if (!textValue || !/^([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}$/.test(textValue)) return undefined;
  return new Uint8Array(textValue.split(":").map((part) => parseInt(part, 16)));
}

function macToBig(mac: Uint8Array): bigint {
  let v = 0n;
  for (const b of mac) v = (v << 8n) | BigInt(b);
  return v;
}

/**
 * The bridge's MAC when nothing better is configured: the first six bytes of the Bridge row's
 * UUID as it lies in memory (four 32-bit words, little-endian here), marked locally
 * administered, as upstream's bridge_create does.
 */
export function defaultBridgeMac(uuid: string): Uint8Array {
  const hex = uuid.replaceAll("-", "");
  const bytes: number[] = [];
  for (let word = 0; word < 2; word++) {
    const value = hex.slice(word * 8, word * 8 + 8);
    for (let i = 3; i >= 0; i--) bytes.push(parseInt(value.slice(i * 2, i * 2 + 2), 16) || 0);
  }
  const mac = new Uint8Array(bytes.slice(0, 6));
  mac[0] = (mac[0]! & ~0x01) | 0x02;
  return mac;
}

function isUsableMac(mac: Uint8Array): boolean {
  const first = mac[0]!;
  if (first & 0x01) return false; // multicast
  if (first & 0x02) return false; // locally administered
  if (mac.every((b) => b === 0)) return false;
  // 01:80:c2:00:00:0x (reserved) is multicast already; nothing more to exclude.
  return true;
}

export function formatDatapathId(id: bigint): string {
  return id.toString(16).padStart(16, "0");
}

export class Bridges {
  readonly bridges = new Map<string, BridgeState>();
  readonly datapaths: Datapaths;
  readonly #options: VswitchdOptions;
  readonly #listener: BridgeListener;
  readonly #now: () => number;
  /** Bonds, LACP, mirrors and QoS queues of every bridge (bundle_protocols.ts). */
  readonly #protocols: BundleProtocols;
  /** Set by the daemon: LACP or a bond changed what writeStatus would write (write it soon). */
  onStatusChanged: (() => void) | undefined;

  constructor(
    options: VswitchdOptions,
    datapaths: Datapaths,
    listener: BridgeListener = {},
    now: () => number = Date.now,
  ) {
    this.#options = options;
    this.#listener = listener;
    this.#now = now;
    this.datapaths = datapaths;
    // Link protocols, mirrors and QoS (bundle_protocols.ts): configured per bridge below.
    this.#protocols = new BundleProtocols(datapaths);
    this.#protocols.statusChanged = () => this.onStatusChanged?.();
    if (options.enableDummy) registerDummyNetdevs();
  }

  /** Datapath types this build offers, for Open_vSwitch:datapath_types. */
  datapathTypes(): string[] {
    const types = ["netdev"];
    if (this.#options.enableDummy) types.push("dummy");
    if (!this.#options.disableSystem) types.push("system");
    return types.sort();
  }

  ifaceTypes(): string[] {
    const types = new Set(BASE_IFACE_TYPES);
    for (const t of netdevTypes()) types.add(t);
    if (!this.#options.enableDummy) {
      for (const t of [...types]) if (t.startsWith("dummy")) types.delete(t);
    }
    types.delete("afpacket");
    return [...types].sort();
  }

  /** Why an interface of `type` cannot exist here, in the `error` column's words, if so. */
  #interfaceError(name: string, type: string): string | undefined {
    const known = new Set([...BASE_IFACE_TYPES, ...netdevTypes(), ""]);
    if (!known.has(type)) {
      return `could not open network device ${name} (Address family not supported by protocol)`;
    }
    return undefined;
  }

  #effectiveType(type: string): string {
    if (!this.#options.dummyOverride) return type || "system";
    return type === "" || type === "system" ? "dummy" : type === "internal" ? "internal" : type;
  }

  /** Brings the bridges in line with the database. */
  reconcile(idl: Idl): void {
    const root = idl.first("Open_vSwitch");
    if (root) {
      const other = smap(root, "other_config");
      // smap_get_uint: a value that is not a decimal unsigned number means the default.
      const uint = (key: string, fallback: number) => {
        const value = other.get(key);
        const n = value !== undefined && /^\s*[+-]?[0-9]+$/.test(value) ? Number(value) : NaN;
        return n >= 0 && n <= 0xffffffff ? n : fallback;
      };
      const maxRevalidator = uint("max-revalidator", 500);
      this.datapaths.configure(
        uint("flow-limit", 200000),
        uint("max-idle", 10000),
        // ofproto_set_max_revalidator ignores values under 100 ms.
        maxRevalidator >= 100 ? maxRevalidator : this.datapaths.maxRevalidator,
      );
    }
    const wanted = new Map<string, IdlRow>();
    for (const uuid of root ? refs(root, "bridges") : []) {
      const row = idl.row("Bridge", uuid);
      if (row) wanted.set(text(row, "name"), row);
    }
    for (const [name, bridge] of [...this.bridges]) {
      const row = wanted.get(name);
      if (!row || this.#datapathTypeOf(row) !== bridge.datapathType) this.#destroy(bridge);
    }
    for (const [name, row] of wanted) {
      try {
        this.#reconcileBridge(idl, name, row);
      } catch (error) {
        // One bridge's trouble must not stop the others (or the daemon).
        log.err(
          `bridge ${name}: reconfiguration failed: ${
            error instanceof Error ? error.stack ?? error.message : String(error)
          }`,
        );
      }
    }
    for (const bridge of this.bridges.values()) {
      bridge.running.linkPatchPorts((peer) => this.#findPatchPort(peer));
    }
    this.datapaths.prune();
    // bridge_run__: LACP and bonds catch up with the new configuration before cur_cfg.
    this.#protocols.afterReconfigure();
  }

  #findPatchPort(name: string) {
    for (const bridge of this.bridges.values()) {
      const port = bridge.running.port(name);
      if (port && port.type === "patch") return { bridge: bridge.running, port };
    }
    return undefined;
  }

  #datapathTypeOf(row: IdlRow): string {
    if (this.#options.dummyOverride) return "dummy";
    return text(row, "datapath_type") || "system";
  }

  #destroy(bridge: BridgeState): void {
    this.#listener.bridgeDestroyed?.(bridge);
    this.#protocols.bridgeDestroyed(bridge);
    bridge.running.destroy();
    this.bridges.delete(bridge.name);
  }

  #reconcileBridge(idl: Idl, name: string, row: IdlRow): void {
    const datapathType = this.#datapathTypeOf(row);
    let bridge = this.bridges.get(name);
    if (!bridge) {
      const backer = this.datapaths.backer(datapathType);
      bridge = {
        uuid: row.uuid,
        name,
        datapathType,
        datapathId: 0n,
        hwAddr: new Uint8Array(6),
        numbers: new PortNumbers(),
        interfaces: new Map(),
        // The listener is usually a class instance: its hooks are prototype methods, which a
        // spread would not copy, so each is forwarded explicitly.
        running: new SwitchBridge(name, row.uuid, datapathType, backer, {
          ruleRemoved: (b, rule, reason) => this.#listener.ruleRemoved?.(b, rule, reason),
          ruleAdded: (b, rule, replaced, command) =>
            this.#listener.ruleAdded?.(b, rule, replaced, command),
          portChanged: (b, port, reason) => this.#listener.portChanged?.(b, port, reason),
          rxReady: () => this.datapaths.schedulePoll(),
          // LACP's say in whether a port may carry traffic (bundle_protocols.ts).
          portMayEnable: (b, port) => this.#protocols.portMayEnable(b, port),
        }),
      };
      this.bridges.set(name, bridge);
      this.#listener.bridgeCreated?.(bridge);
    }
    bridge.uuid = row.uuid;
    this.#reconcileInterfaces(idl, bridge, row);
    this.#configureBundles(idl, bridge, row);
    this.#configureAddresses(idl, bridge, row);
    this.#configureOptions(bridge, row);
    // Bonds, LACP, QoS queues and mirrors, now that bundles and the bridge MAC are set.
    this.#protocols.configureBridge(idl, bridge, row);
    this.#listener.bridgeConfigured?.(bridge, row, idl);
  }

  #reconcileInterfaces(idl: Idl, bridge: BridgeState, row: IdlRow): void {
    const wanted = new Map<string, IdlRow>();
    for (const portUuid of refs(row, "ports")) {
      const port = idl.row("Port", portUuid);
      if (!port) continue;
      for (const ifaceUuid of refs(port, "interfaces")) {
        const iface = idl.row("Interface", ifaceUuid);
        if (iface) wanted.set(text(iface, "name"), iface);
      }
    }
    const remove = (iface: InterfaceState) => {
      bridge.running.removeInterface(iface.name);
      if (iface.ofport !== OFPP_LOCAL && iface.ofport !== OFPP_NONE) {
        bridge.numbers.release(iface.ofport, this.#now());
      }
      bridge.interfaces.delete(iface.name);
    };
    for (const iface of [...bridge.interfaces.values()]) {
      if (!bridge.interfaces.has(iface.name)) continue;
      const ifaceRow = wanted.get(iface.name);
      const type = ifaceRow ? this.#effectiveType(text(ifaceRow, "type")) : "";
      if (!ifaceRow || type !== iface.type || iface.error !== undefined) {
        remove(iface);
        continue;
      }
      // An interface not on the number it asks for is re-added to get it, as upstream does;
      // an interface squatting on that number without having asked for it moves too.
      const requested = scalar(ifaceRow, "ofport_request");
      if (typeof requested !== "bigint" || iface.ofport === OFPP_LOCAL) continue;
      const want = Number(requested);
      if (want === iface.ofport) continue;
      const victim = [...bridge.interfaces.values()].find((other) => other.ofport === want);
      if (victim) {
        const victimRow = wanted.get(victim.name);
        const victimRequest = victimRow ? scalar(victimRow, "ofport_request") : undefined;
        if (typeof victimRequest === "bigint" && Number(victimRequest) === want) continue;
        remove(victim);
      }
      remove(iface);
    }
    for (const [ifaceName, ifaceRow] of wanted) {
      const requested = scalar(ifaceRow, "ofport_request");
      bridge.numbers.setRequest(
        ifaceName,
        typeof requested === "bigint" ? Number(requested) : undefined,
      );
    }
    // Like upstream, interfaces that ask for a port number are added before the others, so an
    // automatically numbered interface never takes a number someone asked for; within each
    // pass ports go in the iteration order of upstream's wanted_ports hash map (which decides,
    // say, the dummy netdevs' MAC addresses).
    const portOrder = hmapOrder(
      refs(row, "ports").map((u) => idl.row("Port", u)).filter((p): p is IdlRow => !!p),
      (port) => hashString(text(port, "name")),
    );
    const flat: [string, IdlRow][] = [];
    for (const port of portOrder) {
      for (const ifaceUuid of refs(port, "interfaces")) {
        const iface = idl.row("Interface", ifaceUuid);
        if (iface) flat.push([text(iface, "name"), iface]);
      }
    }
    const requested = (r: IdlRow) => scalar(r, "ofport_request") !== undefined;
    const order = [
      ...flat.filter(([, r]) => requested(r)),
      ...flat.filter(([, r]) => !requested(r)),
    ];
    for (const [ifaceName, ifaceRow] of order) {
      const options = smap(ifaceRow, "options");
      let iface = bridge.interfaces.get(ifaceName);
      if (iface) {
        iface.uuid = ifaceRow.uuid;
        bridge.running.reconfigureInterface(ifaceName, options);
        continue;
      }
      const type = this.#effectiveType(text(ifaceRow, "type"));
      iface = { uuid: ifaceRow.uuid, name: ifaceName, type, ofport: OFPP_NONE, error: undefined };
      iface.error = this.#interfaceError(ifaceName, type);
      if (iface.error === undefined) {
        const isLocal = ifaceName === bridge.name && type === "internal";
        iface.ofport = isLocal ? OFPP_LOCAL : bridge.numbers.allocate(ifaceName, this.#now());
        iface.error = bridge.running.addInterface(ifaceName, type, iface.ofport, options);
        if (iface.error === undefined) {
          log.info(`bridge ${bridge.name}: added interface ${ifaceName} on port ${iface.ofport}`);
        } else {
          if (iface.ofport !== OFPP_LOCAL) bridge.numbers.release(iface.ofport, this.#now());
          iface.ofport = OFPP_NONE;
        }
      }
      if (iface.error !== undefined) log.warn(`${ifaceName}: ${iface.error}`);
      bridge.interfaces.set(ifaceName, iface);
    }
  }

  #configureBundles(idl: Idl, bridge: BridgeState, row: IdlRow): void {
    const wanted = new Set<string>();
    for (const portUuid of refs(row, "ports")) {
      const port = idl.row("Port", portUuid);
      if (!port) continue;
      const portName = text(port, "name");
      const members = refs(port, "interfaces")
        .map((u) => idl.row("Interface", u))
        .filter((r): r is IdlRow => r !== undefined)
        .map((r) => text(r, "name"))
        .filter((n) => bridge.interfaces.get(n)?.error === undefined);
      if (members.length === 0) continue;
      wanted.add(portName);
      bridge.running.configureBundle(portName, bundleSettings(port, portName), members);
    }
    for (const name of bridge.running.bundleNames()) {
      if (!wanted.has(name)) bridge.running.removeBundle(name);
    }
  }

  #configureAddresses(idl: Idl, bridge: BridgeState, row: IdlRow): void {
    const other = smap(row, "other_config");
    let mac = parseMac(other.get("hwaddr"));
    if (mac && (mac[0]! & 0x01 || mac.every((b) => b === 0))) mac = undefined;
    if (!mac) {
      // The smallest universally administered MAC among the ports' first interfaces.
      for (const portUuid of refs(row, "ports")) {
        const port = idl.row("Port", portUuid);
        if (!port) continue;
        const names = refs(port, "interfaces").map((u) => text(idl.row("Interface", u), "name"))
          .sort();
        const first = names[0];
        if (first === undefined || bridge.interfaces.get(first)?.ofport === OFPP_LOCAL) continue;
        const netdev = bridge.running.netdev(first);
        if (!netdev) continue;
        const candidate = netdev.getEtherAddr();
        if (isUsableMac(candidate) && (!mac || macToBig(candidate) < macToBig(mac))) {
          mac = candidate;
        }
      }
    }
    mac ??= defaultBridgeMac(row.uuid);
    bridge.hwAddr = mac;
    bridge.running.setLocalMac(mac);
    const configured = other.get("datapath-id");
    let datapathId = macToBig(mac);
    if (configured && /^(0x)?[0-9a-fA-F]{16}$/.test(configured)) {
      const id = BigInt(configured.startsWith("0x") ? configured : `0x${configured}`);
      if (id !== 0n && id !== 0xffffffffffffffffn) datapathId = id;
    }
    if (datapathId !== bridge.datapathId) {
      bridge.datapathId = datapathId;
      bridge.running.ofproto.datapathId = datapathId;
      log.info(`bridge ${bridge.name}: using datapath ID ${formatDatapathId(datapathId)}`);
    }
  }

  #configureOptions(bridge: BridgeState, row: IdlRow): void {
    const other = smap(row, "other_config");
    const ofproto = bridge.running.ofproto;
    ofproto.forwardBpdu = other.get("forward-bpdu") === "true";
    const idle = parseInt(other.get("mac-aging-time") ?? "", 10);
    ofproto.macLearning.setIdleTime(Number.isFinite(idle) && idle !== 0 ? idle : 300);
    const size = parseInt(other.get("mac-table-size") ?? "", 10);
    ofproto.macLearning.setMaxEntries(Number.isFinite(size) && size !== 0 ? size : 8192);
    const flood = (row.columns.get("flood_vlans")?.keys ?? [])
      .filter((k): k is bigint => typeof k === "bigint").map(Number);
    if (ofproto.macLearning.setFloodVlans(new Set(flood))) ofproto.invalidate();
  }

  /** Stages what upstream writes back; `withStatistics` adds the periodic counters. */
  writeStatus(idl: Idl, txn: IdlTransaction, withStatistics: boolean): void {
    const root = idl.first("Open_vSwitch");
    const setIfChanged = (table: string, row: IdlRow, column: string, value: Datum) => {
      const current = row.columns.get(column);
      const same = current !== undefined && current.keys.length === value.keys.length &&
        current.keys.every((k, i) => k === value.keys[i]) &&
        (current.values ?? []).length === (value.values ?? []).length &&
        (current.values ?? []).every((v, i) => v === value.values?.[i]);
      if (!same) txn.write(table, row.uuid, column, value);
    };
    const one = (v: Atom): Datum => ({ keys: [v], values: null });
    const none: Datum = { keys: [], values: null };
    for (const bridge of this.bridges.values()) {
      const bridgeRow = idl.row("Bridge", bridge.uuid);
      if (!bridgeRow) continue;
      setIfChanged("Bridge", bridgeRow, "datapath_id", one(formatDatapathId(bridge.datapathId)));
      setIfChanged("Bridge", bridgeRow, "datapath_version", one("<built-in>"));
      for (const iface of bridge.interfaces.values()) {
        const ifaceRow = idl.row("Interface", iface.uuid);
        if (!ifaceRow) continue;
        const ok = iface.error === undefined;
        setIfChanged(
          "Interface",
          ifaceRow,
          "ofport",
          one(BigInt(ok && iface.ofport !== OFPP_NONE ? iface.ofport : -1)),
        );
        setIfChanged("Interface", ifaceRow, "error", ok ? none : one(iface.error!));
        const status = ok ? bridge.running.interfaceStatus(iface.name) : undefined;
        if (!status) continue;
        if (status.macInUse !== undefined) {
          setIfChanged("Interface", ifaceRow, "mac_in_use", one(status.macInUse));
        }
        setIfChanged("Interface", ifaceRow, "admin_state", one(status.adminState));
        setIfChanged("Interface", ifaceRow, "link_state", one(status.linkState));
        if (status.mtu !== undefined) {
          setIfChanged("Interface", ifaceRow, "mtu", one(BigInt(status.mtu)));
        }
        setIfChanged("Interface", ifaceRow, "ifindex", one(BigInt(status.ifindex)));
        setIfChanged("Interface", ifaceRow, "link_resets", one(0n));
        if (withStatistics || !ifaceRow.columns.get("statistics")?.keys.length) {
          const keys = [...status.statistics.keys()].sort();
          setIfChanged("Interface", ifaceRow, "statistics", {
            keys,
            values: keys.map((k) => BigInt(status.statistics.get(k)!)),
          });
        }
      }
    }
    // bond_active_slave, lacp_current and Mirror statistics (bundle_protocols.ts).
    this.#protocols.writeStatus(idl, txn, withStatistics);
    if (root) {
      setIfChanged("Open_vSwitch", root, "datapath_types", {
        keys: this.datapathTypes(),
        values: null,
      });
      setIfChanged("Open_vSwitch", root, "iface_types", { keys: this.ifaceTypes(), values: null });
      setIfChanged("Open_vSwitch", root, "dpdk_initialized", one(false));
      setIfChanged("Open_vSwitch", root, "dpdk_version", one("none"));
      const next = root.columns.get("next_cfg")?.keys[0];
      if (typeof next === "bigint") setIfChanged("Open_vSwitch", root, "cur_cfg", one(next));
    }
  }

  close(): void {
    for (const bridge of [...this.bridges.values()]) this.#destroy(bridge);
    this.#protocols.close();
    this.datapaths.close();
  }
}
