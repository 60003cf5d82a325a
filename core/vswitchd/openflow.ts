// The OpenFlow side of the switch daemon: one connection manager per bridge (management socket,
// controllers, fail mode) and the SwitchHost each bridge's message handlers work through — port
// descriptions and statistics from the netdevs, port-mods, meters, role changes — plus the
// routing of what the datapath and flow tables report (packet-ins, flow-removed, port-status,
// learned flows) to the bridge they belong to. Reads the Bridge and Controller rows bridge.ts
// hands over, and reports Controller status for the database.

import type { Idl, IdlRow } from "../db/idl.ts";
import { NETDEV_UP } from "../datapath/netdev.ts";
import { timeMsec } from "../net/timeval.ts";
import { hashInt, hmapOrder } from "../ofproto/xlate/hash.ts";
import { Connmgr, type ControllerConfig, type ControllerStatus } from "../ofproto/connmgr.ts";
import { OfpError } from "../ofproto/errors.ts";
import { OFPFC_MODIFY_STRICT, OFPG_ANY, OFPP_ANY } from "../ofproto/flow_table.ts";
import { Match } from "../ofproto/match.ts";
import {
  OFPPR_ADD,
  OFPPR_DELETE,
  OFPPR_MODIFY,
  type PhyPort,
  type PortMod,
} from "../ofproto/msg/port.ts";
import {
  BASIC_COUNTERS,
  ETHERNET_COUNTERS,
  type PortStats,
  RFC2819_COUNTERS,
  UINT64_MAX,
} from "../ofproto/msg/port_stats.ts";
import type { Ofconn } from "../ofproto/ofconn.ts";
import { MeterStore } from "../ofproto/ofconn_groups.ts";
import type { SwitchHost } from "../ofproto/ofconn_handlers.ts";
import type { OfPort, Ofproto } from "../ofproto/ofproto.ts";
import { FF_SEND_FLOW_REM } from "../ofproto/rule.ts";
import type { LearnedFlow } from "../ofproto/xlate/context.ts";
import type { PacketInDescription } from "../ofproto/xlate/packet_in.ts";
import {
  PC_NO_FLOOD,
  PC_NO_FWD,
  PC_NO_PACKET_IN,
  PC_NO_RECV,
  PC_PORT_DOWN,
} from "../ofproto/xlate/view.ts";
import { refs, smap, text } from "./bridge.ts";
import { configureFlowTables } from "./flow_table_config.ts";
import type { InBandLookups, InBandRemote } from "../ofproto/in_band.ts";
import { arpLookup, nextHop } from "../datapath/sys_route.ts";
import { OFPP_LOCAL } from "../ofproto/port_numbers.ts";
import { DpError } from "../datapath/dp_errors.ts";
import type { BridgeState } from "./bridge.ts";
import type { SwitchServices } from "./vswitchd.ts";
import type { SwitchBridge } from "./switch_bridge.ts";

const VERSION_NAMES: Record<string, number> = {
  OpenFlow10: 1,
  OpenFlow11: 2,
  OpenFlow12: 3,
  OpenFlow13: 4,
  OpenFlow14: 5,
  OpenFlow15: 6,
};

interface BridgeOpenflow {
  bridge: BridgeState;
  connmgr: Connmgr;
  meters: MeterStore;
  dpDesc: string;
}

function integer(row: IdlRow, column: string): number | undefined {
  const v = row.columns.get(column)?.keys[0];
  return typeof v === "bigint" ? Number(v) : undefined;
}

function controllerConfig(row: IdlRow): ControllerConfig {
  const target = text(row, "target");
  const probe = integer(row, "inactivity_probe");
  const backoff = integer(row, "max_backoff");
  const typeColumn = text(row, "type");
  const active = /^(tcp|unix|ssl):/.test(target);
  return {
    target,
    probeInterval: probe === undefined
      ? 5
      : probe === 0
      ? 0
      : probe < 1000
      ? 1
      : Math.floor(probe / 1000),
    maxBackoff: backoff ? Math.floor(backoff / 1000) : 8,
    rateLimit: integer(row, "controller_rate_limit") ?? 0,
    burstLimit: integer(row, "controller_burst_limit") ?? 0,
    queueSize: integer(row, "controller_queue_size") ?? 100,
    type: typeColumn
      ? (typeColumn === "primary" ? "primary" : "service")
      : active
      ? "primary"
      : "service",
  };
}

/**
 * collect_in_band_managers: the managers' addresses (port 6640 by default), except loopback
 * ones and those whose Manager row says out-of-band.
 */
function inBandManagers(idl: Idl): InBandRemote[] {
  const root = idl.first("Open_vSwitch");
  if (!root) return [];
  const targets = new Set<string>();
  for (const uuid of refs(root, "manager_options")) {
    const m = idl.row("Manager", uuid);
    if (!m) continue;
    const target = text(m, "target");
    if (text(m, "connection_mode") === "out-of-band") targets.delete(target);
    else targets.add(target);
  }
  const out: InBandRemote[] = [];
  for (const target of targets) {
    const m = /^(?:tcp|ssl):(\d+\.\d+\.\d+\.\d+)(?::(\d+))?$/.exec(target);
    if (m && m[1] !== "127.0.0.1") out.push({ ip: m[1]!, port: m[2] ? Number(m[2]) : 6640 });
  }
  return out;
}

/**
 * Where in-band control finds the next hop: upstream asks the local port's netdev, and dummy
 * netdevs cannot say (EOPNOTSUPP); Linux ones read the host's routes and neighbours.
 */
function inBandLookups(bridge: SwitchBridge): InBandLookups {
  const dummy = () => {
    const netdev = bridge.netdev(bridge.name);
    return !netdev || netdev.type.startsWith("dummy");
  };
  return {
    localMac: () => bridge.ofproto.port(OFPP_LOCAL)?.hwAddr,
    nextHop: (ip) => {
      if (dummy()) throw new DpError("EOPNOTSUPP");
      return nextHop(ip);
    },
    arpLookup: (device, ip) => dummy() ? undefined : arpLookup(device, ip),
  };
}

/** ofputil_phy_port of a bridge port. */
function phyPort(port: OfPort): PhyPort {
  return {
    portNo: port.ofport,
    hwAddr: port.hwAddr,
    name: port.name,
    config: port.config,
    // The encoder drops OFPPS_LIVE where the version lacks it (OpenFlow 1.0).
    state: port.state,
    curr: port.features.curr,
    advertised: port.features.advertised,
    supported: port.features.supported,
    peer: port.features.peer,
    currSpeed: port.features.currSpeed,
    maxSpeed: port.features.maxSpeed,
  };
}

export class OpenflowServices implements SwitchServices {
  readonly #bridges = new Map<SwitchBridge, BridgeOpenflow>();
  readonly #byOfproto = new Map<Ofproto, BridgeOpenflow>();

  bridgeCreated(bridge: BridgeState): void {
    const running = bridge.running;
    const entry: BridgeOpenflow = {
      bridge,
      connmgr: undefined as unknown as Connmgr,
      meters: new MeterStore(running.backer.datapath, running.ofproto, timeMsec),
      dpDesc: "None",
    };
    entry.connmgr = new Connmgr(bridge.name, this.#host(entry));
    this.#bridges.set(running, entry);
    this.#byOfproto.set(running.ofproto, entry);
    entry.connmgr.start();
  }

  bridgeDestroyed(bridge: BridgeState): void {
    const entry = this.#bridges.get(bridge.running);
    if (!entry) return;
    entry.connmgr.close();
    entry.meters.destroy();
    this.#bridges.delete(bridge.running);
    this.#byOfproto.delete(bridge.running.ofproto);
  }

  bridgeConfigured(bridge: BridgeState, row: IdlRow, idl: Idl): void {
    const entry = this.#bridges.get(bridge.running);
    if (!entry) return;
    let versions = 0;
    for (const name of (row.columns.get("protocols")?.keys ?? []).map(String)) {
      const v = VERSION_NAMES[name];
      if (v) versions |= 1 << v;
    }
    entry.connmgr.setAllowedVersions(versions);
    const other = smap(row, "other_config");
    const disableInBand = other.get("disable-in-band") === "true";
    const controllers: ControllerConfig[] = [];
    for (const uuid of refs(row, "controller")) {
      const c = idl.row("Controller", uuid);
      if (!c || !text(c, "target")) continue;
      const mode = text(c, "connection_mode");
      controllers.push({
        ...controllerConfig(c),
        inBand: (!mode || mode === "in-band") && !disableInBand,
      });
    }
    entry.connmgr.setControllers(controllers);
    const queue = Number(other.get("in-band-queue") ?? "-1");
    entry.connmgr.setInBand({
      extraRemotes: disableInBand ? [] : inBandManagers(idl),
      queue: Number.isInteger(queue) ? queue : -1,
      lookups: inBandLookups(bridge.running),
    });
    const failMode = text(row, "fail_mode");
    entry.connmgr.setFailMode(failMode === "secure" ? "secure" : "standalone");
    entry.dpDesc = smap(row, "other_config").get("dp-desc") ?? "None";
    configureFlowTables(bridge.name, row, idl, bridge.running.ofproto);
  }

  ruleRemoved(
    bridge: SwitchBridge,
    rule: Parameters<Connmgr["flowRemoved"]>[0],
    reason: number,
  ): void {
    this.#bridges.get(bridge)?.connmgr.flowRemoved(rule, reason);
  }

  portChanged(bridge: SwitchBridge, port: OfPort, reason: "add" | "delete" | "modify"): void {
    const entry = this.#bridges.get(bridge);
    if (!entry) return;
    const code = reason === "add" ? OFPPR_ADD : reason === "delete" ? OFPPR_DELETE : OFPPR_MODIFY;
    this.#announce(entry, port, code, undefined);
  }

  /** The port as last announced, for connmgr to leave out modifications nobody could see. */
  readonly #announced = new WeakMap<OfPort, PhyPort>();

  #announce(entry: BridgeOpenflow, port: OfPort, code: number, source: Ofconn | undefined): void {
    const pp = phyPort(port);
    const old = this.#announced.get(port);
    if (code === OFPPR_DELETE) this.#announced.delete(port);
    else this.#announced.set(port, pp);
    entry.connmgr.portStatus(pp, code, source, old);
  }

  packetIn(ofproto: Ofproto, packetIn: PacketInDescription): void {
    this.#byOfproto.get(ofproto)?.connmgr.packetIn(packetIn);
  }

  learn(fm: LearnedFlow): boolean {
    const ofproto = fm.bridge as Ofproto;
    if (!this.#byOfproto.has(ofproto)) return false;
    const match = new Match(fm.matchFlow.slice(), fm.matchMask.slice());
    try {
      ofproto.tables.apply({
        command: OFPFC_MODIFY_STRICT,
        match,
        priority: fm.priority,
        cookie: 0n,
        cookieMask: 0n,
        newCookie: fm.cookie,
        modifyCookie: true,
        tableId: fm.tableId,
        idleTimeout: fm.idleTimeout,
        hardTimeout: fm.hardTimeout,
        bufferId: 0xffffffff,
        outPort: OFPP_ANY,
        outGroup: OFPG_ANY,
        flags: fm.sendFlowRem ? FF_SEND_FLOW_REM : 0,
        importance: 0,
        ofpacts: fm.ofpacts,
      });
      return true;
    } catch {
      return false;
    }
  }

  afterRevalidate(): void {
    for (const entry of this.#bridges.values()) entry.connmgr.run();
  }

  /** The Controller rows' status columns, by bridge name then target. */
  controllerStatus(): Map<string, Map<string, ControllerStatus>> {
    const out = new Map<string, Map<string, ControllerStatus>>();
    for (const entry of this.#bridges.values()) {
      out.set(entry.bridge.name, entry.connmgr.controllerStatus());
    }
    return out;
  }

  close(): void {
    for (const entry of this.#bridges.values()) {
      entry.connmgr.close();
    }
    this.#bridges.clear();
    this.#byOfproto.clear();
  }

  #host(entry: BridgeOpenflow): SwitchHost {
    const running = entry.bridge.running;
    // Replies list ports as upstream's port hmap visits them (hash_ofp_port over insertion
    // order), which dump-ports prints unsorted.
    const ports = () =>
      hmapOrder(running.ofproto.portsByAddition(), (p) => hashInt(p.ofport, 0)).map((p) =>
        phyPort(p)
      );
    return {
      get ofproto() {
        return running.ofproto;
      },
      get backer() {
        return running.backer;
      },
      get meters() {
        return entry.meters;
      },
      now: timeMsec,
      phyPorts: ports,
      phyPort: (ofport) => {
        const port = running.ofproto.port(ofport);
        return port ? phyPort(port) : undefined;
      },
      portStats: (ofport) => this.#portStats(running, ofport),
      portQueues: (ofport) => {
        const port = running.ofproto.port(ofport);
        const netdev = port ? running.netdev(port.name) : undefined;
        return (netdev?.queues?.() ?? []).map((queue) => ({
          queue,
          ...netdev?.queueStats?.(queue),
        }));
      },
      modPort: (pm, source) => this.#modPort(entry, pm, source),
      dpDesc: () => entry.dpDesc,
      connections: () => entry.connmgr.connections(),
      sendRoleStatus: (conn: Ofconn, role: number, reason: number) =>
        entry.connmgr.roleStatus(conn, role, reason),
    };
  }

  #portStats(running: SwitchBridge, ofport: number): PortStats | undefined {
    const port = running.ofproto.port(ofport);
    if (!port) return undefined;
    const netdev = running.netdev(port.name);
    // A patch port has no netdev here; its counters are those translation kept.
    const s = netdev?.getStats() ?? (port.type === "patch" ? { ...port.vportStats } : {});
    const counters = {} as PortStats["stats"];
    const big = (v: number | undefined) => v === undefined ? UINT64_MAX : BigInt(v);
    const all = [...BASIC_COUNTERS, ...ETHERNET_COUNTERS, ...RFC2819_COUNTERS];
    for (const name of all) counters[name] = UINT64_MAX;
    counters.rxPackets = big(s.rxPackets);
    counters.txPackets = big(s.txPackets);
    counters.rxBytes = big(s.rxBytes);
    counters.txBytes = big(s.txBytes);
    counters.rxDropped = big(s.rxDropped);
    counters.txDropped = big(s.txDropped);
    counters.rxErrors = big(s.rxErrors);
    counters.txErrors = big(s.txErrors);
    counters.rxFrameErrors = big(s.rxFrameErrors);
    counters.rxOverErrors = big(s.rxOverErrors);
    counters.rxCrcErrors = big(s.rxCrcErrors);
    counters.collisions = big(s.collisions);
    const created = running.portCreated(port.name) ?? timeMsec();
    const ms = Math.max(0, timeMsec() - created);
    return {
      portNo: ofport,
      stats: counters,
      durationSec: Math.floor(ms / 1000),
      durationNsec: (ms % 1000) * 1000000,
      custom: (netdev?.getCustomStats?.() ?? []).map((c) => ({
        name: c.name,
        value: BigInt(c.value),
      })),
    };
  }

  #modPort(entry: BridgeOpenflow, pm: PortMod, source: Ofconn): void {
    const running = entry.bridge.running;
    const port = running.ofproto.port(pm.portNo);
    if (!port) throw new OfpError("OFPPMFC_BAD_PORT");
    if (!pm.hwAddr.every((b, i) => b === port.hwAddr[i])) throw new OfpError("OFPPMFC_BAD_HW_ADDR");
    const changeable = PC_PORT_DOWN | PC_NO_RECV | PC_NO_FWD | PC_NO_FLOOD | PC_NO_PACKET_IN;
    const mask = pm.mask & changeable;
    const config = (port.config & ~mask) | (pm.config & mask);
    if (config === port.config) return;
    const netdev = running.netdev(port.name);
    const toggled = (config ^ port.config) & PC_PORT_DOWN;
    // update_port_config: the new config is announced with the old state; the device's own
    // change (link down or up) is announced after it, as upstream notices it later.
    port.config = config;
    running.ofproto.invalidate();
    this.#announce(entry, port, OFPPR_MODIFY, source);
    if (toggled && netdev) {
      if (config & PC_PORT_DOWN) netdev.updateFlags(NETDEV_UP, 0);
      else netdev.updateFlags(0, NETDEV_UP);
    }
  }
}
