// The link protocols of one bridge's bundles (the LACP and bond halves of upstream's
// ofproto-dpif.c bundle_set, bundle_run, port_run and send_pdu_cb): a Lacp for each bundle
// whose Port runs LACP, a Bond for each bundle of several interfaces, the members registered
// with both, the bond's post-recirculation rules in ofproto's internal table and its
// recirculation ID, the PDUs translation hands over (XlateLacp), what LACP says about each
// port's may_enable, and the packets the protocols send (LACP PDUs, gratuitous learning RARPs
// after a failover), which go out through the host as the switch's own packets.
//
// Promises: `run()` is one pass of upstream's ofproto run over these bundles and never nests:
// packets that arrive while it runs (over patch ports, synchronously) are processed at once
// but their consequences wait for the next pass, which `run()` asks for by returning true.
// Owns its Lacps and Bonds (created and destroyed here) but not the bundles or ports.

import { ETH_TYPE_RARP, ETH_TYPE_VLAN_8021Q, FLOW_WORDS } from "../datapath/flow.ts";
import type { Packet } from "../datapath/packet.ts";
import { vlogModule } from "../net/vlog.ts";
import { Bond, type BondHost, type BondSettings, RECIRC_RULE_PRIORITY } from "./bond.ts";
import { field } from "./fields.ts";
import { numberToBytes, setFieldInMatch, setFieldValue } from "./field_set.ts";
import { FF_HIDDEN_FIELDS, FF_NO_READONLY, RR_DELETE, type Rule } from "./rule.ts";
import { OFPFC_ADD, OFPG_ANY, OFPP_ANY } from "./flow_table.ts";
import {
  ETH_ADDR_LACP,
  ETH_TYPE_LACP,
  Lacp,
  type LacpMemberSettings,
  type LacpSettings,
  type LacpStatus,
} from "./lacp.ts";
import { Match } from "./match.ts";
import type { OfBundle, OfPort, Ofproto } from "./ofproto.ts";
import type { RecircTable } from "./xlate/rid.ts";
import { portsInHashOrder } from "./xlate/output.ts";
import { TBL_INTERNAL, type XlatePort } from "./xlate/view.ts";

const log = vlogModule("ofproto_dpif");

const OFPP_NONE = 0xffff;

/** What bridge.c's port_configure decides about a Port's link protocols. */
export interface BundleLinkSettings {
  lacp: LacpSettings | undefined;
  /** Each member's LACP settings, by interface name (when `lacp` is set). */
  lacpMembers: ReadonlyMap<string, LacpMemberSettings>;
  /** The bond, for a Port of more than one interface. */
  bond: BondSettings | undefined;
}

export interface BundleLinksHost {
  now(): number;
  readonly recirc: RecircTable;
  /** netdev_get_carrier (true for ports without a device, such as patch ports). */
  carrier(port: OfPort): boolean;
  etherAddr(port: OfPort): Uint8Array | undefined;
  /** ofproto_dpif_send_packet: `frame` out of `port`. */
  send(port: OfPort, frame: Uint8Array): void;
  /** A port's may_enable may have changed: recompute it and its OpenFlow state. */
  refreshPort(port: OfPort): void;
  /** Something arrived that the next `run()` must look at. */
  wake(): void;
  /** Whether the datapath offers lb_output, and its buckets (see BondHost). */
  lbOutputSupported(): boolean;
  setLbOutputBuckets?(recircId: number, odpPorts: readonly number[]): void;
  deleteLbOutputBuckets?(recircId: number): void;
  lbOutputBytes?(recircId: number): readonly number[];
}

interface BundleState {
  lacp: Lacp<OfPort> | undefined;
  bond: Bond<OfPort> | undefined;
}

/** The offset of the payload after the Ethernet header and any VLAN tags. */
function l3Offset(frame: Uint8Array): number {
  let at = 12;
  while (at + 4 <= frame.length) {
    const type = (frame[at]! << 8) | frame[at + 1]!;
    if (type !== 0x8100 && type !== 0x88a8) break;
    at += 4;
  }
  return at + 2;
}

export class BundleLinks {
  readonly #bundles = new Map<OfBundle, BundleState>();
  readonly #host: BundleLinksHost;
  /** Set when a pass changed something another pass must see (upstream's seq_change). */
  #pending = false;

  constructor(readonly ofproto: Ofproto, host: BundleLinksHost) {
    this.#host = host;
  }

  /** bundle_set's LACP and bond part, after ofproto's setBundle gave `bundle` its ports. */
  configure(bundle: OfBundle, s: BundleLinkSettings): void {
    let state = this.#bundles.get(bundle);
    if (!state) {
      state = { lacp: undefined, bond: undefined };
      this.#bundles.set(bundle, state);
    }
    const wasLacp = state.lacp !== undefined;
    if (s.lacp) {
      if (!state.lacp) {
        state.lacp = new Lacp<OfPort>(() => this.#host.now());
        this.ofproto.invalidate();
      }
      state.lacp.configure(s.lacp);
    } else if (state.lacp) {
      state.lacp.destroy();
      state.lacp = undefined;
    }
    if (state.lacp) {
      for (const port of bundle.ports) {
        const member = s.lacpMembers.get(port.name);
        if (member) state.lacp.memberRegister(port, member);
      }
    }
    if (bundle.ports.length > 1 && s.bond) {
      if (state.bond) {
        if (state.bond.reconfigure(s.bond)) this.ofproto.invalidate();
      } else {
        state.bond = new Bond<OfPort>(s.bond, this.#bondHost());
        this.ofproto.invalidate();
      }
      for (const port of bundle.ports) state.bond.memberRegister(port, port.name, port.ofport);
    } else if (state.bond) {
      state.bond.destroy();
      state.bond = undefined;
      this.ofproto.invalidate();
    }
    this.#dropGoneMembers(bundle, state);
    bundle.bond = state.bond;
    bundle.lacp = state.lacp ? this.#xlateLacp(bundle) : undefined;
    if (wasLacp !== (state.lacp !== undefined)) {
      for (const port of bundle.ports) this.#host.refreshPort(port);
    }
    this.#pending = true;
    this.#host.wake();
  }

  /** bundle_del_port for every member that left `bundle`. */
  #dropGoneMembers(bundle: OfBundle, state: BundleState): void {
    const current = new Set<XlatePort>(bundle.ports);
    if (state.bond) {
      for (const port of state.bond.memberHandles()) {
        if (!current.has(port)) state.bond.memberUnregister(port);
      }
    }
    if (state.lacp) {
      for (const port of state.lacp.memberHandles()) {
        if (!current.has(port)) state.lacp.memberUnregister(port);
      }
    }
  }

  /** bundle_destroy's part: `bundle` went away (or lost its Port). */
  remove(bundle: OfBundle): void {
    const state = this.#bundles.get(bundle);
    if (!state) return;
    state.lacp?.destroy();
    state.bond?.destroy();
    this.#bundles.delete(bundle);
    bundle.bond = undefined;
    bundle.lacp = undefined;
    this.ofproto.invalidate();
  }

  /** Forgets the bundles ofproto no longer has. */
  sync(): void {
    const live = new Set(this.ofproto.bundles());
    for (const bundle of [...this.#bundles.keys()]) if (!live.has(bundle)) this.remove(bundle);
  }

  destroy(): void {
    for (const bundle of [...this.#bundles.keys()]) this.remove(bundle);
  }

  #xlateLacp(bundle: OfBundle) {
    return {
      processPacket: (port: XlatePort, packet: Packet) => this.#lacpPacket(bundle, port, packet),
    };
  }

  /** process_special's LACP branch: a PDU received on `port`. */
  #lacpPacket(bundle: OfBundle, port: XlatePort, packet: Packet): void {
    const state = this.#bundles.get(bundle);
    const lacp = state?.lacp;
    if (!state || !lacp) return;
    const frame = packet.frame();
    const mayEnable = lacp.processPacket(port as OfPort, frame.subarray(l3Offset(frame)));
    // Let the bond use the member at once, before the next pass enables it.
    if (state.bond && mayEnable) state.bond.memberSetMayEnable(port, true);
    this.#pending = true;
    this.#host.wake();
  }

  /**
   * may_enable_port's LACP part: a member of a LACP bundle needs LACP's consent. Only a pass
   * asks LACP itself (which marks the member's carrier up, as upstream's port_run does); in
   * between, the port's state is computed from what LACP last said.
   */
  portMayEnable(port: OfPort): boolean {
    const lacp = port.bundle ? this.#bundles.get(port.bundle)?.lacp : undefined;
    return lacp ? lacp.memberMayEnableNow(port) : true;
  }

  #portRunMayEnable(port: OfPort): boolean {
    const lacp = port.bundle ? this.#bundles.get(port.bundle)?.lacp : undefined;
    return lacp ? lacp.memberMayEnable(port) : true;
  }

  /** port_is_lacp_current: undefined when the port's bundle runs no LACP. */
  lacpCurrent(port: OfPort): boolean | undefined {
    const lacp = port.bundle ? this.#bundles.get(port.bundle)?.lacp : undefined;
    return lacp ? lacp.memberIsCurrent(port) : undefined;
  }

  /** The bonds, by bundle name (for the Port's bond_active_slave). */
  bonds(): Map<string, Bond<OfPort>> {
    const out = new Map<string, Bond<OfPort>>();
    for (const [bundle, state] of this.#bundles) if (state.bond) out.set(bundle.name, state.bond);
    return out;
  }

  /**
   * One pass: port_run for every port (may_enable from carrier and LACP), then bundle_run for
   * every bundle. Returns true when another pass should follow at once.
   */
  run(): boolean {
    this.#pending = false;
    let changed = false;
    for (const port of portsInHashOrder(this.ofproto) as readonly OfPort[]) {
      const enable = this.#host.carrier(port) && this.#portRunMayEnable(port);
      if (enable !== port.mayEnable) {
        this.#host.refreshPort(port);
        changed = true;
      }
    }
    for (const [bundle, state] of this.#bundles) {
      if (state.lacp) {
        const lacp = state.lacp;
        const hadUpdate = lacp.update;
        let sent = 0;
        lacp.run((port, pdu) => {
          this.#sendPdu(port, pdu);
          sent++;
        });
        if (hadUpdate || sent) changed = true;
      }
      const bond = state.bond;
      if (!bond) continue;
      for (const port of bundle.ports) bond.memberSetMayEnable(port, port.mayEnable);
      const status: LacpStatus = state.lacp ? state.lacp.status : "off";
      if (bond.run(status)) {
        this.ofproto.invalidate();
        changed = true;
      }
      if (bond.shouldSendLearningPackets()) this.#sendLearningPackets(bundle, bond);
    }
    return changed || this.#pending;
  }

  /** bond_rebalance for every bond (after a revalidator dump, when statistics are fresh). */
  rebalance(): void {
    for (const state of this.#bundles.values()) {
      if (!state.bond) continue;
      state.bond.rebalance();
      if (state.bond.revalidate) this.ofproto.invalidate();
    }
  }

  /** lacp_wait and bond_wait: the earliest time a pass has work, or undefined. */
  nextWake(): number | undefined {
    let wake: number | undefined;
    for (const state of this.#bundles.values()) {
      for (const t of [state.lacp?.nextWake(), state.bond?.nextWake()]) {
        if (t !== undefined && (wake === undefined || t < wake)) wake = t;
      }
    }
    return wake;
  }

  /** send_pdu_cb: the PDU in an Ethernet frame from the member's own address. */
  #sendPdu(port: OfPort, pdu: Uint8Array): void {
    const ea = this.#host.etherAddr(port);
    if (!ea) {
      log.err(
        `port ${
          port.bundle?.name ?? port.name
        }: cannot obtain Ethernet address of iface ${port.name}`,
      );
      return;
    }
    const frame = new Uint8Array(14 + pdu.length);
    frame.set(ETH_ADDR_LACP, 0);
    frame.set(ea.subarray(0, 6), 6);
    frame[12] = ETH_TYPE_LACP >> 8;
    frame[13] = ETH_TYPE_LACP & 0xff;
    frame.set(pdu, 14);
    this.#host.send(port, frame);
  }

  /** bundle_send_learning_packets: a RARP for every MAC learned elsewhere. */
  #sendLearningPackets(bundle: OfBundle, bond: Bond<OfPort>): void {
    const packets: { member: OfPort; frame: Uint8Array }[] = [];
    for (const e of this.ofproto.macLearning.entries()) {
      if (e.port === bundle) continue;
      const member = bond.learningPacketMember(e.mac, e.vlan);
      if (member) packets.push({ member, frame: composeRarp(e.mac, e.vlan) });
    }
    for (const p of packets) this.#host.send(p.member, p.frame);
    log.dbg(`bond ${bundle.name}: sent ${packets.length} gratuitous learning packets`);
  }

  #bondHost(): BondHost<OfPort> {
    const ofproto = this.ofproto;
    const host = this.#host;
    const ruleMatch = (recircId: number, bucket: number) => {
      const match = new Match();
      setFieldValue(match, field("recirc_id"), numberToBytes(recircId, 4));
      setFieldInMatch(
        match,
        field("dp_hash"),
        numberToBytes(bucket, 4),
        numberToBytes(0xff, 4),
      );
      return match;
    };
    const findRule = (match: Match): Rule | undefined =>
      ofproto.tables.tables[TBL_INTERNAL]?.cls.findExactly(match, RECIRC_RULE_PRIORITY)?.payload;
    return {
      now: () => host.now(),
      carrier: (port) => host.carrier(port),
      etherAddr: (port) => host.etherAddr(port),
      allocRecircId: () => {
        // recirc_alloc_id: resumes in the internal table, from OFPP_NONE, never shared.
        const metadata = new Uint32Array(FLOW_WORDS);
        metadata[0] = OFPP_NONE;
        return host.recirc.allocUnique({
          tableId: TBL_INTERNAL,
          bridgeUuid: ofproto.uuid,
          metadata,
          stack: [],
          mirrors: 0,
          conntracked: false,
          wasMpls: false,
          xportOfport: undefined,
          ofpacts: [],
          actionSet: [],
          userdata: undefined,
        });
      },
      freeRecircId: (id) => host.recirc.unref(id),
      addPostRecircRule: (recircId, bucket, ofport) => {
        const match = ruleMatch(recircId, bucket);
        try {
          ofproto.tables.apply({
            command: OFPFC_ADD,
            match,
            priority: RECIRC_RULE_PRIORITY,
            cookie: 0n,
            cookieMask: 0n,
            newCookie: 0n,
            modifyCookie: false,
            tableId: TBL_INTERNAL,
            idleTimeout: 0,
            hardTimeout: 0,
            bufferId: 0xffffffff,
            outPort: OFPP_ANY,
            outGroup: OFPG_ANY,
            flags: FF_HIDDEN_FIELDS | FF_NO_READONLY,
            importance: 0,
            ofpacts: [{ type: "output", port: ofport, maxLen: 0 }],
          });
        } catch {
          return undefined;
        }
        return findRule(match);
      },
      deletePostRecircRule: (recircId, bucket) => {
        const rule = findRule(ruleMatch(recircId, bucket));
        if (rule) ofproto.tables.removeRules([rule], RR_DELETE);
      },
      lbOutputSupported: () => host.lbOutputSupported(),
      setLbOutputBuckets: (recircId, ofports) => {
        // ofp_port_to_odp_port: no port (OFPP_NONE) is ODPP_NONE.
        const odp = ofports.map((p) => ofproto.port(p)?.odpPort ?? 0xffffffff);
        host.setLbOutputBuckets?.(recircId, odp);
      },
      deleteLbOutputBuckets: (recircId) => host.deleteLbOutputBuckets?.(recircId),
      lbOutputBytes: (recircId) => host.lbOutputBytes?.(recircId) ?? [],
    };
  }
}

/** compose_rarp, with eth_push_vlan when `vlan` is nonzero. */
export function composeRarp(mac: number, vlan: number): Uint8Array {
  const macBytes = new Uint8Array(6);
  for (let i = 0; i < 6; i++) macBytes[i] = Math.floor(mac / 2 ** (8 * (5 - i))) & 0xff;
  const body = new Uint8Array(28);
  const v = new DataView(body.buffer);
  v.setUint16(0, 1); // hardware type: Ethernet
  v.setUint16(2, 0x0800); // protocol type: IPv4
  body[4] = 6;
  body[5] = 4;
  v.setUint16(6, 3); // reverse request
  body.set(macBytes, 8);
  body.set(macBytes, 18);
  const tag = vlan ? 4 : 0;
  const frame = new Uint8Array(14 + tag + body.length);
  frame.fill(0xff, 0, 6);
  frame.set(macBytes, 6);
  const fv = new DataView(frame.buffer);
  if (vlan) {
    fv.setUint16(12, ETH_TYPE_VLAN_8021Q);
    fv.setUint16(14, vlan & 0xffff);
  }
  fv.setUint16(12 + tag, ETH_TYPE_RARP);
  frame.set(body, 14 + tag);
  return frame;
}
