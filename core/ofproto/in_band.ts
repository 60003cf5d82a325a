// In-band control (upstream's ofproto/in-band.c): when a bridge reaches its controllers or
// managers through its own ports, hidden table-0 flows at priorities 180000-180008 send the
// control traffic (DHCP from the local port, ARP to and from the local port and the next hop,
// ARP and TCP to and from each remote) to NORMAL before any OpenFlow flow can drop it.
// Promises: flows are added only when new and deleted only when no longer wanted, so their
// counters survive refreshes; the local MAC is re-read every second and each remote's next hop
// every second until its MAC is known, then every 10 s. Knows nothing of netdevs: the next-hop
// and MAC lookups are injected.

import { RateLimit, vlogModule } from "../net/vlog.ts";
import type { Ofpact } from "./actions/types.ts";
import { OFPFC_ADD, OFPFC_DELETE_STRICT, OFPG_ANY, OFPP_ANY } from "./flow_table.ts";
import type { FlowTables } from "./flow_table.ts";
import { parseMatch } from "./match_text.ts";
import { FF_HIDDEN_FIELDS, FF_NO_READONLY } from "./rule.ts";

const log = vlogModule("in_band");
const rl = new RateLimit(60, 60);

/** The in-band flows' priorities (upstream's enum in_band_rule_priority). */
const IBR_FROM_LOCAL_DHCP = 180000;
const IBR_TO_LOCAL_ARP = 180001;
const IBR_FROM_LOCAL_ARP = 180002;
const IBR_TO_NEXT_HOP_ARP = 180003;
const IBR_FROM_NEXT_HOP_ARP = 180004;
const IBR_TO_REMOTE_ARP = 180005;
const IBR_FROM_REMOTE_ARP = 180006;
const IBR_TO_REMOTE_TCP = 180007;
const IBR_FROM_REMOTE_TCP = 180008;
const OFPP_NORMAL = 0xfffa;

/** A controller or manager the bridge reaches in band: an IPv4 address and TCP port. */
export interface InBandRemote {
  ip: string;
  port: number;
}

/** How the next hop toward an address is found; throws an Error whose message is the reason. */
export interface InBandLookups {
  /** The local port's MAC, or undefined while it has none. */
  localMac(): Uint8Array | undefined;
  /** The next hop's IPv4 address toward `ip` (itself when directly reachable) and device. */
  nextHop(ip: string): { gateway: string; device: string };
  /** The MAC of `ip` on `device` from the neighbour table, or undefined when not known. */
  arpLookup(device: string, ip: string): Uint8Array | undefined;
}

interface RemoteState extends InBandRemote {
  mac: Uint8Array | undefined;
}

function macText(mac: Uint8Array): string {
  return [...mac].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function isZero(mac: Uint8Array | undefined): boolean {
  return !mac || mac.every((b) => b === 0);
}

export class InBand {
  readonly #bridge: string;
  readonly #tables: FlowTables;
  readonly #lookups: InBandLookups;
  #remotes: RemoteState[] = [];
  #queueId = -1;
  #localMac: Uint8Array | undefined;
  #nextLocalRefresh = -Infinity;
  #nextRemoteRefresh = -Infinity;
  /** Installed flows by "priority match" text. */
  readonly #installed = new Map<string, { priority: number; match: string }>();

  constructor(bridge: string, tables: FlowTables, lookups: InBandLookups) {
    this.#bridge = bridge;
    this.#tables = tables;
    this.#lookups = lookups;
  }

  /** in_band_set_remotes: a changed list forces a refresh on the next run. */
  setRemotes(remotes: readonly InBandRemote[]): void {
    const same = remotes.length === this.#remotes.length &&
      remotes.every((r, i) => r.ip === this.#remotes[i]!.ip && r.port === this.#remotes[i]!.port);
    if (same) return;
    this.#remotes = remotes.map((r) => ({ ...r, mac: undefined }));
    this.#nextRemoteRefresh = -Infinity;
  }

  /** The OpenFlow queue the flows set (other_config:in-band-queue), or -1 for none. */
  setQueue(queueId: number): void {
    if (queueId === this.#queueId) return;
    this.#queueId = queueId;
    // The actions changed: every flow is put again.
    this.#removeAll();
  }

  get ruleCount(): number {
    return this.#installed.size;
  }

  get hasRemotes(): boolean {
    return this.#remotes.length > 0;
  }

  /**
   * in_band_run at `now` (seconds): refreshes what is due and brings the flows in line. Returns
   * false once there are no remotes and no flows left, when the caller may drop this object.
   */
  run(now: number): boolean {
    if (now >= this.#nextLocalRefresh) {
      this.#nextLocalRefresh = now + 1;
      this.#localMac = this.#lookups.localMac();
    }
    if (now >= this.#nextRemoteRefresh) {
      this.#nextRemoteRefresh = Infinity;
      for (const remote of this.#remotes) {
        this.#nextRemoteRefresh = Math.min(this.#nextRemoteRefresh, now + this.#refresh(remote));
      }
    }
    this.#sync(this.#wanted());
    return this.#remotes.length > 0 || this.#installed.size > 0;
  }

  /** Removes every in-band flow (the bridge is going away or in-band control is off). */
  destroy(): void {
    this.#removeAll();
    this.#remotes = [];
  }

  /** refresh_remote: seconds until the next refresh (1 while the MAC is unknown, else 10). */
  #refresh(remote: RemoteState): number {
    remote.mac = undefined;
    let hop;
    try {
      hop = this.#lookups.nextHop(remote.ip);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      log.rateLimited(
        rl,
        "warn",
        `${this.#bridge}: cannot find route for controller (${remote.ip}): ${reason}`,
      );
      return 1;
    }
    const gateway = hop.gateway === "0.0.0.0" ? remote.ip : hop.gateway;
    remote.mac = this.#lookups.arpLookup(hop.device, gateway);
    return isZero(remote.mac) ? 1 : 10;
  }

  #wanted(): Map<string, { priority: number; match: string }> {
    const wanted = new Map<string, { priority: number; match: string }>();
    const add = (priority: number, match: string) =>
      wanted.set(`${priority} ${match}`, { priority, match });
    if (this.#remotes.length && !isZero(this.#localMac)) {
      const local = macText(this.#localMac!);
      add(IBR_FROM_LOCAL_DHCP, `udp,in_port=LOCAL,dl_src=${local},tp_src=68,tp_dst=67`);
      add(IBR_TO_LOCAL_ARP, `arp,dl_dst=${local},arp_op=2`);
      add(IBR_FROM_LOCAL_ARP, `arp,dl_src=${local},arp_op=1`);
    }
    for (const remote of this.#remotes) {
      if (isZero(remote.mac)) continue;
      const mac = macText(remote.mac!);
      add(IBR_TO_NEXT_HOP_ARP, `arp,dl_dst=${mac},arp_op=2`);
      add(IBR_FROM_NEXT_HOP_ARP, `arp,dl_src=${mac},arp_op=1`);
    }
    for (const remote of this.#remotes) {
      add(IBR_TO_REMOTE_ARP, `arp,arp_tpa=${remote.ip},arp_op=2`);
      add(IBR_FROM_REMOTE_ARP, `arp,arp_spa=${remote.ip},arp_op=1`);
      add(IBR_TO_REMOTE_TCP, `tcp,nw_dst=${remote.ip},tp_dst=${remote.port}`);
      add(IBR_FROM_REMOTE_TCP, `tcp,nw_src=${remote.ip},tp_src=${remote.port}`);
    }
    return wanted;
  }

  #sync(wanted: Map<string, { priority: number; match: string }>): void {
    for (const [key, flow] of [...this.#installed]) {
      if (wanted.has(key)) continue;
      this.#put(OFPFC_DELETE_STRICT, flow.priority, flow.match);
      this.#installed.delete(key);
    }
    for (const [key, flow] of wanted) {
      if (this.#installed.has(key)) continue;
      this.#put(OFPFC_ADD, flow.priority, flow.match);
      this.#installed.set(key, flow);
    }
  }

  #removeAll(): void {
    for (const flow of this.#installed.values()) {
      this.#put(OFPFC_DELETE_STRICT, flow.priority, flow.match);
    }
    this.#installed.clear();
  }

  #put(command: number, priority: number, match: string): void {
    const ofpacts: Ofpact[] = [];
    if (this.#queueId >= 0) ofpacts.push({ type: "set_queue", queueId: this.#queueId });
    ofpacts.push({ type: "output", port: OFPP_NORMAL, maxLen: 0 });
    this.#tables.apply({
      command,
      match: parseMatch(match),
      priority,
      cookie: 0n,
      cookieMask: 0n,
      newCookie: 0n,
      modifyCookie: false,
      tableId: 0,
      idleTimeout: 0,
      hardTimeout: 0,
      bufferId: 0xffffffff,
      outPort: OFPP_ANY,
      outGroup: OFPG_ANY,
      flags: FF_HIDDEN_FIELDS | FF_NO_READONLY,
      importance: 0,
      ofpacts: command === OFPFC_ADD ? ofpacts : [],
    });
  }
}
