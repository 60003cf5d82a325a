// Bridge reconciliation: turns the Open_vSwitch database, as the IDL replicates it, into running
// bridges, and reports back what upstream's vswitchd/bridge.c reports: each Interface's ofport
// (or its error), each Bridge's datapath_id and datapath_version, and the Open_vSwitch row's
// cur_cfg, datapath_types and iface_types. Owns the bridges and their port numbering. Promises:
// reconciliation is idempotent (same database, no change); cur_cfg is written only after the
// configuration it acknowledges has been applied; a port that cannot be created gets its
// `error` column set and never stops the others. Must not speak OpenFlow or touch packets: the
// switch behind each bridge plugs in through `BridgeHooks`.

import type { Datum } from "../db/datum.ts";
import type { Idl, IdlRow } from "../db/idl.ts";
import { IdlTransaction } from "../db/idl_txn.ts";
import { vlogModule } from "../net/vlog.ts";
import { OFPP_LOCAL, OFPP_NONE, PortNumbers } from "../ofproto/port_numbers.ts";

const log = vlogModule("bridge");

/** Interface types this build can create, by datapath type (iface_types lists their union). */
export const IFACE_TYPES = [
  "dummy",
  "dummy-internal",
  "internal",
  "patch",
  "system",
  "tap",
] as const;

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
  numbers: PortNumbers;
  interfaces: Map<string, InterfaceState>;
}

export interface VswitchdOptions {
  /** --enable-dummy: dummy datapath and netdevs exist. */
  enableDummy: boolean;
  /** --enable-dummy=override: system interfaces and datapaths become dummy ones. */
  dummyOverride: boolean;
  /** --disable-system: no system datapath. */
  disableSystem: boolean;
}

function scalar(
  row: IdlRow | undefined,
  column: string,
): string | bigint | number | boolean | undefined {
  return row?.columns.get(column)?.keys[0];
}

function text(row: IdlRow | undefined, column: string): string {
  const value = scalar(row, column);
  return typeof value === "string" ? value : "";
}

function smap(row: IdlRow, column: string): Map<string, string> {
  const datum = row.columns.get(column);
  const out = new Map<string, string>();
  if (!datum?.values) return out;
  datum.keys.forEach((key, i) => out.set(String(key), String(datum.values?.[i] ?? "")));
  return out;
}

function refs(row: IdlRow, column: string): string[] {
  return (row.columns.get(column)?.keys ?? []).map(String);
}

function parseMac(textValue: string | undefined): bigint | undefined {
  if (!textValue || !/^([0-9a-fA-F]{1,2}:){5}[0-9a-fA-F]{1,2}$/.test(textValue)) return undefined;
  return textValue.split(":").reduce((acc, part) => (acc << 8n) | BigInt(parseInt(part, 16)), 0n);
}

/** Upstream's datapath ID choice: other_config:datapath-id, else from the bridge's MAC. */
function pickDatapathId(bridge: IdlRow, name: string): bigint {
  const other = smap(bridge, "other_config");
  const configured = other.get("datapath-id");
  if (configured && /^[0-9a-fA-F]{16}$/.test(configured)) {
    const id = BigInt(`0x${configured}`);
    if (id !== 0n && id !== 0xffffffffffffffffn) return id;
  }
  const mac = parseMac(other.get("hwaddr"));
  if (mac !== undefined) return mac;
  // No configured address: derive a stable locally administered one from the name.
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(name)) {
    hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  }
  return (0x02n << 40n) | BigInt(hash);
}

export function formatDatapathId(id: bigint): string {
  return id.toString(16).padStart(16, "0");
}

/** Hooks the switch implementation provides; all optional until the datapath is wired in. */
export interface BridgeHooks {
  bridgeAdded?(bridge: BridgeState): void;
  bridgeRemoved?(bridge: BridgeState): void;
  /** Creates the port behind an interface; returns an error text to report, or undefined. */
  interfaceAdded?(
    bridge: BridgeState,
    iface: InterfaceState,
    options: Map<string, string>,
  ): string | undefined;
  interfaceRemoved?(bridge: BridgeState, iface: InterfaceState): void;
}

export class Bridges {
  readonly bridges = new Map<string, BridgeState>();
  readonly #options: VswitchdOptions;
  readonly #hooks: BridgeHooks;
  readonly #now: () => number;

  constructor(options: VswitchdOptions, hooks: BridgeHooks = {}, now: () => number = Date.now) {
    this.#options = options;
    this.#hooks = hooks;
    this.#now = now;
  }

  /** Datapath types this build offers, for Open_vSwitch:datapath_types. */
  datapathTypes(): string[] {
    const types = ["netdev"];
    if (this.#options.enableDummy) types.push("dummy");
    if (!this.#options.disableSystem) types.push("system");
    return types.sort();
  }

  ifaceTypes(): string[] {
    return [...IFACE_TYPES].filter((t) => this.#options.enableDummy || !t.startsWith("dummy"))
      .sort();
  }

  /**
   * Why an interface of `type` cannot exist on a `datapathType` bridge, in the words of the
   * `error` column, or undefined when it can.
   */
  #interfaceError(name: string, type: string, datapathType: string): string | undefined {
    const unsupported =
      `could not open network device ${name} (Address family not supported by protocol)`;
    if (!(IFACE_TYPES as readonly string[]).includes(type)) return unsupported;
    if (type.startsWith("dummy")) return this.#options.enableDummy ? undefined : unsupported;
    if (type === "patch" || datapathType === "dummy") return undefined;
    // system, tap and internal on a netdev/system bridge need real Linux devices (issue 8).
    return `could not open network device ${name} (real network devices are not supported yet)`;
  }

  /** Brings the bridges in line with the database. */
  reconcile(idl: Idl): void {
    const root = idl.first("Open_vSwitch");
    const wanted = new Map<string, IdlRow>();
    for (const uuid of root ? refs(root, "bridges") : []) {
      const row = idl.row("Bridge", uuid);
      if (row) wanted.set(text(row, "name"), row);
    }
    for (const [name, bridge] of [...this.bridges]) {
      if (!wanted.has(name)) {
        for (const iface of bridge.interfaces.values()) {
          this.#hooks.interfaceRemoved?.(bridge, iface);
        }
        this.#hooks.bridgeRemoved?.(bridge);
        this.bridges.delete(name);
      }
    }
    for (const [name, row] of wanted) this.#reconcileBridge(idl, name, row);
  }

  #reconcileBridge(idl: Idl, name: string, row: IdlRow): void {
    const datapathType = this.#options.dummyOverride
      ? "dummy"
      : text(row, "datapath_type") || "system";
    let bridge = this.bridges.get(name);
    if (bridge && bridge.datapathType !== datapathType) {
      for (const iface of bridge.interfaces.values()) this.#hooks.interfaceRemoved?.(bridge, iface);
      this.#hooks.bridgeRemoved?.(bridge);
      this.bridges.delete(name);
      bridge = undefined;
    }
    if (!bridge) {
      bridge = {
        uuid: row.uuid,
        name,
        datapathType,
        datapathId: 0n,
        numbers: new PortNumbers(),
        interfaces: new Map(),
      };
      this.bridges.set(name, bridge);
      this.#hooks.bridgeAdded?.(bridge);
    }
    bridge.uuid = row.uuid;

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
      this.#hooks.interfaceRemoved?.(bridge, iface);
      if (iface.ofport !== OFPP_LOCAL && iface.ofport !== OFPP_NONE) {
        bridge.numbers.release(iface.ofport, this.#now());
      }
      bridge.interfaces.delete(iface.name);
    };
    for (const iface of [...bridge.interfaces.values()]) {
      if (!bridge.interfaces.has(iface.name)) continue;
      const ifaceRow = wanted.get(iface.name);
      const type = ifaceRow ? text(ifaceRow, "type") || "system" : "";
      if (!ifaceRow || type !== iface.type) {
        remove(iface);
        continue;
      }
      // An interface not on the number it asks for is re-added to get it, as upstream does;
      // an interface squatting on that number without having asked for it moves too.
      const requested = scalar(ifaceRow, "ofport_request");
      if (typeof requested !== "bigint" || iface.ofport === OFPP_LOCAL) continue;
      const want = Number(requested);
      if (want === iface.ofport || iface.error !== undefined) continue;
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
    // automatically numbered interface never takes a number someone asked for.
    const order = [...wanted].sort(([, a], [, b]) =>
      Number(scalar(b, "ofport_request") !== undefined) -
      Number(scalar(a, "ofport_request") !== undefined)
    );
    for (const [ifaceName, ifaceRow] of order) {
      let iface = bridge.interfaces.get(ifaceName);
      if (iface) {
        iface.uuid = ifaceRow.uuid;
        continue;
      }
      const type = text(ifaceRow, "type") || "system";
      iface = { uuid: ifaceRow.uuid, name: ifaceName, type, ofport: OFPP_NONE, error: undefined };
      iface.error = this.#interfaceError(ifaceName, type, datapathType);
      if (iface.error === undefined) {
        iface.ofport = ifaceName === name && (type === "internal" || type === "dummy-internal")
          ? OFPP_LOCAL
          : bridge.numbers.allocate(ifaceName, this.#now());
        iface.error = this.#hooks.interfaceAdded?.(bridge, iface, smap(ifaceRow, "options"));
        if (iface.error === undefined) {
          log.info(`bridge ${name}: added interface ${ifaceName} on port ${iface.ofport}`);
        } else if (iface.ofport !== OFPP_LOCAL) {
          bridge.numbers.release(iface.ofport, this.#now());
          iface.ofport = OFPP_NONE;
        }
      }
      if (iface.error !== undefined) log.warn(`${ifaceName}: ${iface.error}`);
      bridge.interfaces.set(ifaceName, iface);
    }
    const datapathId = pickDatapathId(row, name);
    if (datapathId !== bridge.datapathId) {
      bridge.datapathId = datapathId;
      log.info(`bridge ${name}: using datapath ID ${formatDatapathId(datapathId)}`);
    }
  }

  /**
   * Stages the status upstream writes back: ofport and error of every interface, datapath_id and
   * datapath_version of every bridge, and the Open_vSwitch row's types and cur_cfg.
   */
  writeStatus(idl: Idl, txn: IdlTransaction): void {
    const root = idl.first("Open_vSwitch");
    const setIfChanged = (table: string, row: IdlRow, column: string, value: Datum) => {
      const current = row.columns.get(column);
      const same = current !== undefined && current.keys.length === value.keys.length &&
        current.keys.every((k, i) => k === value.keys[i]) &&
        (current.values ?? []).every((v, i) => v === value.values?.[i]);
      if (!same) txn.write(table, row.uuid, column, value);
    };
    for (const bridge of this.bridges.values()) {
      const bridgeRow = idl.row("Bridge", bridge.uuid);
      if (!bridgeRow) continue;
      setIfChanged("Bridge", bridgeRow, "datapath_id", {
        keys: [formatDatapathId(bridge.datapathId)],
        values: null,
      });
      setIfChanged("Bridge", bridgeRow, "datapath_version", { keys: ["<built-in>"], values: null });
      for (const iface of bridge.interfaces.values()) {
        const ifaceRow = idl.row("Interface", iface.uuid);
        if (!ifaceRow) continue;
        const ofport = iface.error === undefined
          ? BigInt(iface.ofport === OFPP_NONE ? -1 : iface.ofport)
          : -1n;
        setIfChanged("Interface", ifaceRow, "ofport", { keys: [ofport], values: null });
        setIfChanged(
          "Interface",
          ifaceRow,
          "error",
          iface.error === undefined
            ? { keys: [], values: null }
            : { keys: [iface.error], values: null },
        );
      }
    }
    if (root) {
      setIfChanged("Open_vSwitch", root, "datapath_types", {
        keys: this.datapathTypes(),
        values: null,
      });
      setIfChanged("Open_vSwitch", root, "iface_types", { keys: this.ifaceTypes(), values: null });
      const next = root.columns.get("next_cfg")?.keys[0];
      if (typeof next === "bigint") {
        setIfChanged("Open_vSwitch", root, "cur_cfg", { keys: [next], values: null });
      }
    }
  }
}
