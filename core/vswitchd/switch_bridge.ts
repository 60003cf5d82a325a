// One running bridge: the Ofproto that holds its OpenFlow state, the datapath backer it shares
// with the other bridges of its type, and the netdevs behind its ports. Applies what bridge.ts
// reads from the database — interfaces added and removed, Port rows as VLAN bundles, the
// bridge's MAC, datapath id and switching options — and reports each interface's live status
// for the database. Owns its netdevs (opened here, closed here). Never reads the database
// itself and never speaks OpenFlow (connmgr does).

import { closeNetdev, type Netdev, NETDEV_UP, openNetdev } from "../datapath/netdev.ts";
import { dpifPortOpenType } from "../datapath/dpif.ts";
import { DpError } from "../datapath/dp_errors.ts";
import { vlogModule } from "../net/vlog.ts";
import { timeMsec } from "../net/timeval.ts";
import { ofpactsOutputToGroup, ofpactsOutputToPort } from "../ofproto/actions/mod.ts";
import { type BundleConfig, OfPort, Ofproto } from "../ofproto/ofproto.ts";
import type { Backer } from "../ofproto/ofproto_dpif.ts";
import type { Rule } from "../ofproto/rule.ts";
import { OFPP_LOCAL } from "../ofproto/port_numbers.ts";
import { GroupStore } from "../ofproto/group_store.ts";
import { PC_PORT_DOWN, PS_LINK_DOWN, PS_LIVE } from "../ofproto/xlate/view.ts";

const log = vlogModule("bridge");

export interface InterfaceStatus {
  macInUse: string | undefined;
  adminState: "up" | "down";
  linkState: "up" | "down";
  mtu: number | undefined;
  ifindex: number;
  statistics: Map<string, number>;
}

interface PortEntry {
  created: number;
  port: OfPort;
  netdev: Netdev | undefined;
  type: string;
  options: Map<string, string>;
}

function macText(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

export interface SwitchBridgeHooks {
  ruleRemoved?(bridge: SwitchBridge, rule: Rule, reason: number): void;
  ruleAdded?(bridge: SwitchBridge, rule: Rule, replaced: Rule | undefined, command: number): void;
  portChanged?(bridge: SwitchBridge, port: OfPort, reason: "add" | "delete" | "modify"): void;
  /** A port's netdev has frames waiting (the datapath should poll soon). */
  rxReady?(): void;
  /**
   * Whether the link protocols let `port` carry traffic besides its carrier (LACP's consent,
   * upstream's may_enable_port); absent means yes. Asked whenever the port's state is computed.
   */
  portMayEnable?(bridge: SwitchBridge, port: OfPort): boolean;
}

export class SwitchBridge {
  readonly ofproto: Ofproto;
  readonly #entries = new Map<string, PortEntry>();
  readonly #hooks: SwitchBridgeHooks;

  constructor(
    readonly name: string,
    uuid: string,
    readonly datapathType: string,
    readonly backer: Backer,
    hooks: SwitchBridgeHooks = {},
  ) {
    this.#hooks = hooks;
    this.ofproto = new Ofproto({
      name,
      uuid,
      now: timeMsec,
      invalidate: () => {
        this.backer.needRevalidate = true;
      },
    }, {
      outputsTo: (ofpacts, port) => ofpactsOutputToPort(ofpacts, port),
      outputsToGroup: (ofpacts, group) => ofpactsOutputToGroup(ofpacts, group),
      // get_conjunctions: a rule whose actions are conjunction clauses joins conjunctive
      // matches in the classifier instead of acting on its own.
      conjunctions: (ofpacts) =>
        ofpacts.flatMap((a) =>
          a.type === "conjunction" ? [{ id: a.id, clause: a.clause, nClauses: a.nClauses }] : []
        ),
      ruleRemoved: (rule, reason) => this.#hooks.ruleRemoved?.(this, rule, reason),
      ruleAdded: (rule, replaced, command) =>
        this.#hooks.ruleAdded?.(this, rule, replaced, command),
    });
    this.ofproto.groups = new GroupStore({
      now: timeMsec,
      changed: () => this.ofproto.invalidate(),
      groupsDeleted: (groups) => {
        for (const group of groups) {
          this.ofproto.deleteRulesOfGroup(
            group.groupId,
            (ofpacts) => ofpactsOutputToGroup(ofpacts, group.groupId),
          );
        }
      },
    });
    backer.addBridge(this.ofproto);
  }

  /**
   * Creates the port behind an interface: opens its netdev (`type` as the Interface row says,
   * mapped to what this datapath type opens), applies `options`, adds it to the datapath (patch
   * ports stay out), and registers the OpenFlow port. Returns the text for the Interface's error
   * column, or undefined on success.
   */
  addInterface(
    name: string,
    type: string,
    ofport: number,
    options: Map<string, string>,
  ): string | undefined {
    if (type === "patch") {
      const port = new OfPort(ofport, name, randomLocalMac(), type, undefined);
      port.patchPeer = options.get("peer");
      this.#entries.set(name, { created: timeMsec(), port, netdev: undefined, type, options });
      // A patch port is always up, with carrier (bond_config: its state follows LACP too).
      this.#installState(port, undefined);
      this.ofproto.addPort(port);
      this.#hooks.portChanged?.(this, port, "add");
      return undefined;
    }
    const netdevType = dpifPortOpenType(
      this.backer.type,
      type === "system" || type === "" ? "system" : type,
    );
    let netdev: Netdev;
    try {
      netdev = openNetdev(name, netdevType);
    } catch (error) {
      const reason = error instanceof DpError ? error.strerror : String(error);
      return `could not open network device ${name} (${reason})`;
    }
    try {
      netdev.setConfig(options);
    } catch (error) {
      closeNetdev(netdev);
      const reason = error instanceof DpError ? error.strerror : String(error);
      return `could not configure network device ${name} (${reason})`;
    }
    const port = new OfPort(ofport, name, netdev.getEtherAddr(), type, undefined);
    this.#installState(port, netdev);
    try {
      this.backer.addPort(this.ofproto, port, netdev);
    } catch (error) {
      closeNetdev(netdev);
      const reason = error instanceof DpError ? error.strerror : String(error);
      return `could not add network device ${name} to ofproto (${reason})`;
    }
    netdev.onChange(() => this.#netdevChanged(name));
    netdev.onRxReady(() => this.#hooks.rxReady?.());
    this.#entries.set(name, { created: timeMsec(), port, netdev, type, options });
    this.ofproto.addPort(port);
    this.#hooks.portChanged?.(this, port, "add");
    return undefined;
  }

  removeInterface(name: string): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    this.#entries.delete(name);
    this.ofproto.removePort(entry.port.ofport);
    this.backer.removePort(entry.port);
    if (entry.netdev) closeNetdev(entry.netdev);
    this.#hooks.portChanged?.(this, entry.port, "delete");
  }

  /** Re-applies an existing interface's options (tx_pcap, ifindex ...). */
  reconfigureInterface(name: string, options: Map<string, string>): void {
    const entry = this.#entries.get(name);
    if (!entry || sameMap(entry.options, options)) return;
    if (!entry.netdev) {
      // A patch port: a new peer takes effect at the next linkPatchPorts.
      entry.options = options;
      entry.port.patchPeer = options.get("peer");
      return;
    }
    entry.options = options;
    try {
      entry.netdev.setConfig(options);
    } catch (error) {
      log.warn(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  #updatePortState(port: OfPort, netdev: Netdev | undefined): boolean {
    const up = netdev ? (netdev.getFlags() & NETDEV_UP) !== 0 : true;
    const carrier = netdev ? netdev.getCarrier() : true;
    const config = up ? port.config & ~PC_PORT_DOWN : port.config | PC_PORT_DOWN;
    // may_enable_port: carrier, and the link protocols' consent (bond_config.ts).
    const mayEnable = carrier && (this.#hooks.portMayEnable?.(this, port) ?? true);
    // normalize_state: a port is live only when it is up, has carrier and may be enabled.
    const state = !carrier ? PS_LINK_DOWN : config & PC_PORT_DOWN || !mayEnable ? 0 : PS_LIVE;
    const changed = config !== port.config || state !== port.state;
    // Translation reads may_enable (bond members, group liveness) even when the state stays.
    if (mayEnable !== port.mayEnable && !changed) this.ofproto.invalidate();
    port.config = config;
    port.state = state;
    port.mayEnable = mayEnable;
    if (netdev) port.hwAddr = netdev.getEtherAddr();
    return changed;
  }

  /**
   * ofport_install: a new port is announced not yet enabled (not live); the first port_run
   * (bundle_protocols.ts, before the configuration is acknowledged) enables it.
   */
  #installState(port: OfPort, netdev: Netdev | undefined): void {
    this.#updatePortState(port, netdev);
    port.mayEnable = false;
    port.state &= ~PS_LIVE;
  }

  /**
   * Recomputes a port's may_enable and OpenFlow state now (the link protocols changed their
   * mind about it, bond_config.ts), telling OpenFlow when the state changed.
   */
  refreshPortState(name: string): void {
    const entry = this.#entries.get(name);
    if (!entry) return;
    if (this.#updatePortState(entry.port, entry.netdev)) {
      this.ofproto.invalidate();
      this.#hooks.portChanged?.(this, entry.port, "modify");
    }
  }

  #netdevChanged(name: string): void {
    const entry = this.#entries.get(name);
    if (!entry?.netdev) return;
    if (this.#updatePortState(entry.port, entry.netdev)) {
      this.ofproto.invalidate();
      this.#hooks.portChanged?.(this, entry.port, "modify");
    }
  }

  /** When the port was added (port statistics' duration). */
  portCreated(name: string): number | undefined {
    return this.#entries.get(name)?.created;
  }

  port(name: string): OfPort | undefined {
    return this.#entries.get(name)?.port;
  }

  netdev(name: string): Netdev | undefined {
    return this.#entries.get(name)?.netdev;
  }

  /** Configures the Port row `portName` as a bundle of its interfaces (upstream's port_configure). */
  configureBundle(portName: string, config: BundleConfig, interfaces: readonly string[]): void {
    const members = interfaces.map((n) => this.#entries.get(n)?.port).filter((p): p is OfPort =>
      p !== undefined
    );
    this.ofproto.setBundle(portName, config, members);
  }

  removeBundle(portName: string): void {
    this.ofproto.removeBundle(portName);
  }

  bundleNames(): string[] {
    return this.ofproto.bundles().map((b) => b.name);
  }

  /** Sets the bridge's MAC on its LOCAL port's netdev (and so in the port description). */
  setLocalMac(mac: Uint8Array): void {
    const local = [...this.#entries.values()].find((e) => e.port.ofport === OFPP_LOCAL);
    if (!local?.netdev) return;
    try {
      local.netdev.setEtherAddr(mac);
    } catch {
      // Devices that cannot change their MAC keep theirs.
    }
    local.port.hwAddr = local.netdev.getEtherAddr();
  }

  /** Connects patch ports to their peers across bridges (called after every reconfiguration). */
  linkPatchPorts(
    findPeer: (peerName: string) => { bridge: SwitchBridge; port: OfPort } | undefined,
  ) {
    for (const entry of this.#entries.values()) {
      if (entry.type !== "patch") continue;
      const peerName = entry.options.get("peer");
      const found = peerName ? findPeer(peerName) : undefined;
      const peer =
        found && found.bridge.#entries.get(peerName!)?.options.get("peer") === entry.port.name
          ? { bridge: found.bridge.ofproto, port: found.port }
          : undefined;
      if (peer?.port !== entry.port.peer?.port) {
        entry.port.peer = peer;
        this.ofproto.invalidate();
      }
    }
  }

  /** What the database's Interface row should say about `name` now. */
  interfaceStatus(name: string): InterfaceStatus | undefined {
    const entry = this.#entries.get(name);
    if (!entry) return undefined;
    if (!entry.netdev) {
      const v = entry.port.vportStats;
      return {
        macInUse: macText(entry.port.hwAddr),
        adminState: "up",
        linkState: "up",
        mtu: undefined,
        ifindex: 0,
        statistics: new Map([
          ["rx_bytes", v.rxBytes],
          ["rx_packets", v.rxPackets],
          ["tx_bytes", v.txBytes],
          ["tx_packets", v.txPackets],
        ]),
      };
    }
    const netdev = entry.netdev;
    const stats = netdev.getStats();
    const statistics = new Map<string, number>();
    const put = (key: string, value: number | undefined) => {
      if (value !== undefined) statistics.set(key, value);
    };
    put("rx_packets", stats.rxPackets);
    put("rx_bytes", stats.rxBytes);
    put("tx_packets", stats.txPackets);
    put("tx_bytes", stats.txBytes);
    put("rx_errors", stats.rxErrors);
    put("tx_errors", stats.txErrors);
    put("rx_dropped", stats.rxDropped);
    put("tx_dropped", stats.txDropped);
    put("collisions", stats.collisions);
    return {
      macInUse: macText(netdev.getEtherAddr()),
      adminState: (netdev.getFlags() & NETDEV_UP) ? "up" : "down",
      linkState: netdev.getCarrier() ? "up" : "down",
      mtu: netdev.getMtu(),
      ifindex: netdev.getIfindex() ?? 0,
      statistics,
    };
  }

  interfaceNames(): string[] {
    return [...this.#entries.keys()];
  }

  destroy(): void {
    for (const name of [...this.#entries.keys()]) this.removeInterface(name);
    this.backer.removeBridge(this.ofproto);
  }
}

/** eth_addr_random: a random unicast, locally administered MAC (netdev-vport's for patches). */
function randomLocalMac(): Uint8Array {
  const mac = crypto.getRandomValues(new Uint8Array(6));
  mac[0] = (mac[0]! & ~0x01) | 0x02;
  return mac;
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
