// The switch daemon's link protocols and per-port extras, across its bridges: for each bridge
// the BundleLinks (LACP and bonds of its bundles) and Mirrors, configured from the database
// after its bundles and addresses (bond_config.ts, mirror_config.ts, qos_config.ts); the main
// loop's share of them — passes of port_run and bundle_run whenever something changed (a PDU
// arrived, a carrier moved, the configuration changed) and at the protocols' own deadlines on
// the daemon's clock, repeated at once while a pass leaves work for the next as upstream's
// loop wakes itself; bond rebalancing after each revalidator dump; and the status upstream
// writes back: Port bond_active_slave, Interface lacp_current, Mirror statistics.
//
// Promises: passes never nest (one that is asked for while another runs becomes a further
// pass); every timer goes through core/net/timeval.ts, so time/warp drives LACP, updelay and
// downdelay; a bridge's protocols go away with it. Does not parse OpenFlow or touch the
// datapath except through the bridge's backer.

import type { Datum } from "../db/datum.ts";
import type { Idl, IdlRow } from "../db/idl.ts";
import type { IdlTransaction } from "../db/idl_txn.ts";
import type { Netdev } from "../datapath/netdev.ts";
import { cancelTimer, setTimerAt, timeMsec } from "../net/timeval.ts";
import { type Bond } from "../ofproto/bond.ts";
import { BundleLinks } from "../ofproto/bundle_links.ts";
import { formatMac } from "../ofproto/mac_learning.ts";
import { Mirrors } from "../ofproto/mirror.ts";
import { hashBytes, hmapOrder } from "../ofproto/xlate/hash.ts";
import type { OfPort } from "../ofproto/ofproto.ts";
import type { BridgeState } from "./bridge.ts";
import type { Datapaths } from "./datapaths.ts";
import { bundleLinkSettings, rowRefs, rowScalar } from "./bond_config.ts";
import { configureMirrors, writeMirrorStats } from "./mirror_config.ts";
import { queueDscpMap, setPortQueues } from "./qos_config.ts";
import type { SwitchBridge } from "./switch_bridge.ts";

/** Passes in a row before the loop gives up waiting for quiet (upstream has no bound). */
const MAX_PASSES = 32;

interface BridgeProtocols {
  bridge: BridgeState;
  links: BundleLinks;
  mirrors: Mirrors;
  /** Bonds whose active member changed at least once: their MAC goes to bond_active_slave. */
  activeMacs: Map<string, string>;
}

function text(row: IdlRow | undefined, column: string): string {
  const v = rowScalar(row, column);
  return typeof v === "string" ? v : "";
}

/** hash_string(name, 0): the key of upstream's maps of bridges and ports. */
function hashName(name: string): number {
  const bytes = new TextEncoder().encode(name);
  return hashBytes(bytes, bytes.length, 0);
}

function macText(mac: Uint8Array): string {
  let v = 0;
  for (let i = 0; i < 6; i++) v = v * 256 + (mac[i] ?? 0);
  return formatMac(v);
}

/** Every live instance, for the commands that change a bond (link_commands.ts). */
const instances = new Set<BundleProtocols>();

/** Asks every daemon's protocols for a pass soon (a bond command changed something). */
export function wakeBundleProtocols(): void {
  for (const p of instances) p.wake();
}

export class BundleProtocols {
  readonly #bridges = new Map<SwitchBridge, BridgeProtocols>();
  readonly #datapaths: Datapaths;
  readonly #netdevs = new Map<Netdev, () => void>();
  #timer: number | undefined;
  #timerAt = Infinity;
  #running = false;
  #again = false;
  #wakeQueued = false;
  /** Configurations staged during a reconciliation (see configureBridge). */
  readonly #configs = new Map<SwitchBridge, { idl: Idl; row: IdlRow }>();
  #order: BridgeProtocols[] = [];
  #orderKey = "";
  /** What the status columns last said (lacp_current, bond_active_slave), to notice changes. */
  #lastStatus = "";
  /**
   * Called when what the daemon writes back changed (upstream's connectivity seq, which starts
   * a status transaction): the daemon should write its status soon.
   */
  statusChanged: (() => void) | undefined;

  constructor(datapaths: Datapaths) {
    this.#datapaths = datapaths;
    instances.add(this);
    // Rebalancing wants fresh statistics: right after each revalidator dump, as upstream.
    const previous = datapaths.afterRevalidate;
    datapaths.afterRevalidate = () => {
      previous?.();
      this.#rebalance();
    };
  }

  #protocols(bridge: BridgeState): BridgeProtocols {
    let p = this.#bridges.get(bridge.running);
    if (!p) {
      const running = bridge.running;
      const backer = running.backer;
      const netdevOf = (port: OfPort) => running.netdev(port.name);
      p = {
        bridge,
        links: new BundleLinks(running.ofproto, {
          now: timeMsec,
          recirc: this.#datapaths.recirc,
          carrier: (port) => netdevOf(port)?.getCarrier() ?? true,
          etherAddr: (port) => netdevOf(port)?.getEtherAddr() ?? port.hwAddr,
          send: (port, frame) => backer.sendPacket(running.ofproto, port, frame),
          refreshPort: (port) => running.refreshPortState(port.name),
          wake: () => this.#wake(),
          // The userspace datapath has lb_output (the Worker one may not: then upstream's
          // warning for a datapath without it).
          lbOutputSupported: () => typeof backer.datapath.bondAdd === "function",
          setLbOutputBuckets: (id, odpPorts) => backer.datapath.bondAdd?.(id, odpPorts),
          deleteLbOutputBuckets: (id) => backer.datapath.bondDel?.(id),
          lbOutputBytes: (id) => backer.datapath.bondStats?.(id) ?? [],
        }),
        mirrors: new Mirrors(running.ofproto),
        activeMacs: new Map(),
      };
      this.#bridges.set(running, p);
    }
    p.bridge = bridge;
    return p;
  }

  /**
   * port_configure's link protocols, iface_configure_qos and bridge_configure_mirrors for one
   * bridge, once its bundles, interfaces and Ethernet address are in place.
   */
  configureBridge(idl: Idl, bridge: BridgeState, row: IdlRow): void {
    // Applied once every bridge is reconciled, in upstream's order of bridges and ports, which
    // decides the order LACP objects are listed in and bonds get recirculation IDs.
    this.#protocols(bridge);
    this.#configs.set(bridge.running, { idl, row });
  }

  #configure(p: BridgeProtocols, idl: Idl, row: IdlRow): void {
    const bridge = p.bridge;
    const ofproto = bridge.running.ofproto;
    p.links.sync();
    const floodVlans = (row.columns.get("flood_vlans")?.keys.length ?? 0) > 0;
    let invalidate = false;
    const watched = new Set<Netdev>();
    const portRows = rowRefs(row, "ports").map((u) => idl.row("Port", u))
      .filter((r): r is IdlRow => r !== undefined);
    for (const portRow of hmapOrder(portRows, (r) => hashName(text(r, "name")))) {
      const name = text(portRow, "name");
      const bundle = ofproto.bundle(name);
      if (!bundle) continue;
      const rows = new Map<string, IdlRow>();
      for (const ifaceUuid of rowRefs(portRow, "interfaces")) {
        const ifaceRow = idl.row("Interface", ifaceUuid);
        if (ifaceRow) rows.set(text(ifaceRow, "name"), ifaceRow);
      }
      const interfaces = bundle.ports.flatMap((port) => {
        const ifaceRow = rows.get(port.name);
        return ifaceRow ? [{ row: ifaceRow, name: port.name, ofport: port.ofport }] : [];
      });
      const settings = bundleLinkSettings(portRow, name, interfaces, bridge.hwAddr, floodVlans);
      p.links.configure(bundle, settings);
      if (settings.lacp || settings.bond) {
        for (const port of bundle.ports) {
          const netdev = bridge.running.netdev(port.name);
          if (netdev) watched.add(netdev);
        }
      }
      const queues = queueDscpMap(idl, portRow);
      for (const port of bundle.ports) if (setPortQueues(port, queues)) invalidate = true;
    }
    if (invalidate) ofproto.invalidate();
    configureMirrors(idl, bridge.name, row, ofproto, p.mirrors);
    this.#watch(bridge.running, watched);
  }

  /** Carrier changes of bond and LACP members start a pass (upstream's connectivity seq). */
  #watch(running: SwitchBridge, wanted: Set<Netdev>): void {
    const mine = new Set<Netdev>();
    for (const name of running.interfaceNames()) {
      const netdev = running.netdev(name);
      if (netdev) mine.add(netdev);
    }
    for (const [netdev, stop] of [...this.#netdevs]) {
      if (mine.has(netdev) && !wanted.has(netdev)) {
        stop();
        this.#netdevs.delete(netdev);
      }
    }
    for (const netdev of wanted) {
      if (!this.#netdevs.has(netdev)) {
        this.#netdevs.set(
          netdev,
          netdev.onChange(() => this.#wake()),
        );
      }
    }
  }

  bridgeDestroyed(bridge: BridgeState): void {
    this.#configs.delete(bridge.running);
    const p = this.#bridges.get(bridge.running);
    if (!p) return;
    p.links.destroy();
    for (const key of p.mirrors.keys()) p.mirrors.destroy(key);
    this.#bridges.delete(bridge.running);
    this.#watch(bridge.running, new Set());
  }

  /** may_enable_port's protocol part for `port` of `running` (SwitchBridge's hook). */
  portMayEnable(running: SwitchBridge, port: OfPort): boolean {
    return this.#bridges.get(running)?.links.portMayEnable(port) ?? true;
  }

  /** port_is_lacp_current, for a bridge's port. */
  lacpCurrent(running: SwitchBridge, port: OfPort): boolean | undefined {
    return this.#bridges.get(running)?.links.lacpCurrent(port);
  }

  /** bridge_run__ after a reconfiguration: the protocols catch up before cur_cfg is told. */
  afterReconfigure(): void {
    for (const p of this.#inBridgeOrder()) {
      const config = this.#configs.get(p.bridge.running);
      if (config) this.#configure(p, config.idl, config.row);
    }
    this.#configs.clear();
    this.#runAll();
  }

  /** A pass soon, after the current task. */
  wake(): void {
    this.#wake();
  }

  #wake(): void {
    if (this.#wakeQueued) return;
    this.#wakeQueued = true;
    queueMicrotask(() => {
      this.#wakeQueued = false;
      this.#runAll();
    });
  }

  /** Passes over every bridge until one leaves nothing for the next, then the next deadline. */
  #runAll(): void {
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#running = true;
    try {
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        this.#again = false;
        let more = false;
        for (const p of this.#inBridgeOrder()) {
          if (p.links.run()) more = true;
          p.mirrors.run();
          for (const [name, bond] of p.links.bonds()) {
            const mac = bond.takeChangedActiveMember(false);
            if (mac) p.activeMacs.set(name, macText(mac));
          }
        }
        if (!more && !this.#again) break;
      }
    } finally {
      this.#running = false;
    }
    this.#schedule();
    this.#noticeStatus();
  }

  #noticeStatus(): void {
    let status = "";
    for (const p of this.#bridges.values()) {
      for (const port of p.bridge.running.ofproto.ports()) {
        const current = p.links.lacpCurrent(port);
        if (current !== undefined) status += `${p.bridge.name}/${port.name}=${current};`;
      }
      for (const [name, mac] of p.activeMacs) status += `${p.bridge.name}/${name}@${mac};`;
    }
    if (status === this.#lastStatus) return;
    this.#lastStatus = status;
    const notify = this.statusChanged;
    if (notify) queueMicrotask(notify);
  }

  /** The bridges in upstream's all_bridges order (a hash map keyed by name). */
  #inBridgeOrder(): BridgeProtocols[] {
    const all = [...this.#bridges.values()];
    const key = all.map((p) => p.bridge.name).join("\0");
    if (key !== this.#orderKey) {
      this.#orderKey = key;
      this.#order = hmapOrder(all, (p) => hashName(p.bridge.name));
    }
    return this.#order;
  }

  #schedule(): void {
    let wake = Infinity;
    for (const p of this.#bridges.values()) {
      const t = p.links.nextWake();
      if (t !== undefined && t < wake) wake = t;
    }
    // Something due now that a pass did not take would spin: look again a moment later.
    if (wake !== Infinity) wake = Math.max(wake, timeMsec() + 1);
    if (wake === this.#timerAt) return;
    if (this.#timer !== undefined) cancelTimer(this.#timer);
    this.#timer = undefined;
    this.#timerAt = wake;
    if (wake === Infinity) return;
    this.#timer = setTimerAt(wake, () => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.#runAll();
    });
  }

  #rebalance(): void {
    for (const p of this.#bridges.values()) p.links.rebalance();
    this.#runAll();
  }

  /** The status upstream writes back for the protocols (run_status_update, run_stats_update). */
  writeStatus(idl: Idl, txn: IdlTransaction, withStatistics: boolean): void {
    for (const p of this.#bridges.values()) {
      const bridgeRow = idl.row("Bridge", p.bridge.uuid);
      if (!bridgeRow) continue;
      const bonds = p.links.bonds();
      for (const portUuid of rowRefs(bridgeRow, "ports")) {
        const portRow = idl.row("Port", portUuid);
        const name = text(portRow, "name");
        if (!portRow) continue;
        const mac = bonds.has(name) ? p.activeMacs.get(name) : undefined;
        if (mac !== undefined && text(portRow, "bond_active_slave") !== mac) {
          txn.write("Port", portUuid, "bond_active_slave", { keys: [mac], values: null });
        }
        for (const ifaceUuid of rowRefs(portRow, "interfaces")) {
          const ifaceRow = idl.row("Interface", ifaceUuid);
          const port = p.bridge.running.port(text(ifaceRow, "name"));
          if (!ifaceRow || !port) continue;
          const current = this.lacpCurrent(p.bridge.running, port);
          const value: Datum = { keys: current === undefined ? [] : [current], values: null };
          const old = ifaceRow.columns.get("lacp_current")?.keys ?? [];
          if (old.length !== value.keys.length || old[0] !== value.keys[0]) {
            txn.write("Interface", ifaceUuid, "lacp_current", value);
          }
        }
      }
      if (withStatistics) writeMirrorStats(idl, txn, p.mirrors);
    }
  }

  close(): void {
    instances.delete(this);
    for (const p of [...this.#bridges.values()]) this.bridgeDestroyed(p.bridge);
    if (this.#timer !== undefined) cancelTimer(this.#timer);
    this.#timer = undefined;
  }

  /** The bonds of every bridge (for tests and commands). */
  bonds(): Bond<OfPort>[] {
    return [...this.#bridges.values()].flatMap((p) => [...p.links.bonds().values()]);
  }
}
