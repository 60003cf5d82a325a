// What translation (xlate) may see of the switch: a read-mostly view of each bridge — its
// OpenFlow tables, ports, VLAN bundles, groups, MAC learning table and configuration — as
// upstream's xbridge/xbundle/xport give ofproto-dpif-xlate.c. ofproto implements these
// interfaces; xlate only reads them, except for the few effects it may cause directly (MAC
// learning when `mayLearn`, rule and group statistics through the result), and it never holds on
// to a view across calls. Keeping the seam this small is what lets xlate be a pure function of
// (view, flow) → (datapath actions, wildcard mask), testable without a running switch.
//
// Iteration order matters (it decides the order of outputs in the datapath actions): `ports()`
// and `bundles()` return arrays in the order the bridge created them, and a *new* array whenever
// the set changes, so that xlate may cache what it derives from them (upstream's hmap order of
// the ports) keyed by the array.

import type { FlowWords } from "../../datapath/flow.ts";
import type { Packet } from "../../datapath/packet.ts";
import type { Ofpact } from "../actions/types.ts";
import type { Field } from "../fields.ts";
import type { Match } from "../match.ts";
import type { MacLearning } from "../mac_learning.ts";

/** OpenFlow port config bits (OFPUTIL_PC_*), as ofproto keeps them. */
export const PC_PORT_DOWN = 1 << 0;
export const PC_NO_RECV = 1 << 2;
export const PC_NO_FWD = 1 << 5;
export const PC_NO_PACKET_IN = 1 << 6;
export const PC_NO_STP = 1 << 1;
export const PC_NO_RECV_STP = 1 << 3;
export const PC_NO_FLOOD = 1 << 4;

/** OpenFlow port state bits (OFPUTIL_PS_*). */
export const PS_LINK_DOWN = 1 << 0;
export const PS_BLOCKED = 1 << 1;
export const PS_LIVE = 1 << 2;

/** The table id of ofproto's internal table (upstream's TBL_INTERNAL). */
export const TBL_INTERNAL = 254;

export type VlanMode =
  | "access"
  | "trunk"
  | "native-tagged"
  | "native-untagged"
  | "dot1q-tunnel";

/** other_config:priority-tags of a Port (upstream's enum port_priority_tags_mode). */
export type PriorityTags = "never" | "if-nonzero" | "always";

/** A rule as xlate sees it. ofproto owns the rule; xlate reads it and reports hits. */
export interface XlateRule {
  readonly tableId: number;
  readonly priority: number;
  readonly cookie: bigint;
  readonly match: Match;
  readonly ofpacts: readonly Ofpact[];
  /**
   * A table-miss flow (priority 0, matching everything) added by a controller: its controller
   * actions send OFPR_EXPLICIT_MISS packet-ins (upstream's rule_is_table_miss).
   */
  readonly isTableMiss: boolean;
  /** Hidden rules (in-band, fail-open) are not shown by dump-flows but are in traces. */
  readonly hidden: boolean;
}

/** A port as xlate sees it (upstream's xport). */
export interface XlatePort {
  readonly ofport: number;
  /** The datapath port number, or undefined when the port is not in the datapath (patch). */
  readonly odpPort: number | undefined;
  readonly name: string;
  /** OpenFlow config (PC_*) and state (PS_*). */
  readonly config: number;
  readonly state: number;
  /**
   * Whether the port may carry traffic: link up and, for bond members, enabled (upstream's
   * may_enable). Decides group bucket liveness (watch_port) and bundle action members.
   */
  readonly mayEnable: boolean;
  readonly bundle: XlateBundle | undefined;
  /** For a patch port: the bridge and port on the other side. */
  readonly peer: { bridge: XlateBridge; port: XlatePort } | undefined;
  readonly hwAddr: Uint8Array;
  /**
   * The DSCP the port's QoS queues set (Queue other_config dscp), keyed by the queue's
   * skb_priority (equal to the queue id on the netdev datapath); values are already in the TOS
   * byte's DSCP position ((dscp << 2) & 0xfc). Undefined or empty: none.
   */
  readonly queueDscp?: ReadonlyMap<number, number> | undefined;
  /** A patch port's netdev counters, which translation feeds (netdev_vport_inc_rx/tx). */
  readonly vportStats?: { rxPackets: number; rxBytes: number; txPackets: number; txBytes: number };
}

/**
 * A bond's decisions (upstream's lib/bond.c), which translation asks for but does not make: the
 * bond module owns member state, the active member, SLB hash buckets and rebalancing.
 */
export interface XlateBond {
  /**
   * bond_check_admissibility for a packet to `dlDst` (48-bit MAC) received on member `port`:
   * accepted, dropped, or (balance-slb) dropped if its source MAC was learned on another bundle.
   */
  admissibility(port: XlatePort, dlDst: number): "accept" | "drop" | "drop-if-moved";
  /**
   * bond_choose_output_member: the member for a packet of `flow` in VLAN `vlan`, or undefined
   * when no member is enabled. Un-wildcards into `wc`, when given, what the choice depends on.
   */
  chooseOutput(flow: FlowWords, wc: FlowWords | undefined, vlan: number): XlatePort | undefined;
  /**
   * balance-tcp: the recirculation id and hash basis of the bond's post-recirculation rules
   * (bond_update_post_recirc_rules when `mayLearn`, else bond_get_recirc_id_and_hash_basis), or
   * undefined when the bond does not recirculate (then chooseOutput picks the member).
   */
  recirculation(mayLearn: boolean): { recircId: number; hashBasis: number } | undefined;
  /** other_config:lb-output-action: lb_output(id) instead of hash + recirc. */
  readonly useLbOutput: boolean;
  /**
   * bond_account: `bytes` more were sent for `flow` in `vlan` through chooseOutput (without
   * recirculation), for rebalancing. Translation reports it with the packets' statistics.
   */
  account?(flow: FlowWords, vlan: number, bytes: number): void;
}

/**
 * A bundle's LACP as translation sees it (upstream's process_special for ETH_TYPE_LACP): the
 * slow path hands it the PDUs received on the bundle's members.
 */
export interface XlateLacp {
  /** lacp_process_packet for `packet` received on `port` (a member of the bundle). */
  processPacket(port: XlatePort, packet: Packet): void;
}

/** A Port row's VLAN configuration (upstream's xbundle). */
export interface XlateBundle {
  readonly name: string;
  readonly vlanMode: VlanMode;
  /** The access or native VLAN, or -1 for a trunk port. */
  readonly vlan: number;
  /** Trunked VLANs; undefined means every VLAN. */
  readonly trunks: ReadonlySet<number> | undefined;
  /** dot1q-tunnel customer VLANs; undefined means every VLAN. */
  readonly cvlans: ReadonlySet<number> | undefined;
  /** The Ethertype a dot1q-tunnel port pushes (0x8100 or 0x88a8). */
  readonly qinqEthtype: number;
  readonly priorityTags: PriorityTags;
  /** False when some member port has PC_NO_FLOOD. */
  readonly floodable: boolean;
  /** other_config:protected: protected ports never forward to each other. */
  readonly protected: boolean;
  /** Member ports, in the order upstream would iterate them. */
  readonly ports: readonly XlatePort[];
  /** The bond, for a bundle of more than one interface. */
  readonly bond?: XlateBond | undefined;
  /** The bundle's LACP, when its Port has lacp=active or passive. */
  readonly lacp?: XlateLacp | undefined;
  /** Bits (XlateMirror.index) of the mirrors selecting packets received on this bundle. */
  readonly srcMirrors: number;
  /** Bits of the mirrors selecting packets sent on this bundle. */
  readonly dstMirrors: number;
  /** Bits of the mirrors that output to this bundle (it then carries nothing else). */
  readonly mirrorOut: number;
}

/**
 * A port mirror as ofproto-dpif-mirror.c keeps it. select_all makes every bundle a source and a
 * destination; the selection itself is in the bundles' srcMirrors / dstMirrors bits.
 */
export interface XlateMirror {
  /** The mirror's bit number in the bundles' masks (0..31; the first free one at creation). */
  readonly index: number;
  /** select_vlan: the VLANs mirrored, or undefined for every VLAN. */
  readonly vlans: ReadonlySet<number> | undefined;
  /**
   * Bits of every mirror with the same output_port and output_vlan as this one, its own
   * included (upstream's dup_mirrors): a packet goes to one such output only once.
   */
  readonly dupMirrors: number;
  /** output_port's bundle, or undefined for a mirror to output_vlan. */
  readonly outBundle: XlateBundle | undefined;
  /** output_vlan, or -1 with an output bundle. */
  readonly outVlan: number;
  /** snaplen: bytes of each mirrored packet to keep (0: all). */
  readonly snaplen: number;
  /** mirror_update_stats: the packets a translation sent to this mirror. */
  credit?(packets: number, bytes: number): void;
}

/** OFPP_ANY and OFPG_ANY: "no watch port / group". */
export const WATCH_PORT_NONE = 0xffff;
export const WATCH_GROUP_NONE = 0xffffffff;

export interface XlateBucket {
  readonly bucketId: number;
  readonly weight: number;
  /** OpenFlow port number, or WATCH_PORT_NONE. */
  readonly watchPort: number;
  /** Group id, or WATCH_GROUP_NONE. */
  readonly watchGroup: number;
  readonly ofpacts: readonly Ofpact[];
}

/** A field of a select group's hash (the "fields(...)" of selection_method=hash). */
export interface XlateHashField {
  readonly field: Field;
  /** The field's width, big-endian; all ones when no mask was given. */
  readonly mask: Uint8Array;
}

export interface XlateGroup {
  readonly groupId: number;
  readonly type: "all" | "select" | "indirect" | "ff";
  /** In bucket order. xlate caches what it derives from them, keyed by this array. */
  readonly buckets: readonly XlateBucket[];
  /** Select groups: upstream's selection_method ("" default, "hash", "dp_hash"). */
  readonly selectionMethod: "" | "hash" | "dp_hash";
  readonly selectionMethodParam: bigint;
  /** selection_method=hash: the fields, in upstream's field order (ascending field ids). */
  readonly fields: readonly XlateHashField[];
}

/** What a table does when no rule matches (ofproto_table_get_miss_config). */
export type TableMiss = "default" | "controller" | "drop" | "continue";

/** IP fragment handling (OFPC_FRAG_*): how fragments meet the tables. */
export type FragHandling = "normal" | "drop" | "reassemble" | "nx-match";

export interface XlateBridge {
  readonly name: string;
  /** The bridge's (ofproto's) UUID, 16 bytes as upstream's struct uuid in memory. */
  readonly uuid: Uint8Array;
  readonly nTables: number;
  /**
   * The highest-priority rule in `tableId` matching `flow` (conjunctive matches resolved), or
   * undefined. Un-wildcards into `wc` exactly the bits the lookup examined. `flow` may be
   * longer than FLOW_WORDS (xlate's extra words); only its first FLOW_WORDS words matter.
   */
  lookup(tableId: number, flow: FlowWords, wc: FlowWords | undefined): XlateRule | undefined;
  /** What a miss in `tableId` does. */
  tableMiss(tableId: number): TableMiss;
  /**
   * Whether a table-miss in "default" mode sends packet-ins (upstream's
   * connmgr_wants_packet_in_on_miss: some OpenFlow < 1.3 controller connection wants them).
   */
  readonly packetInOnMiss: boolean;
  /** ofproto's internal rules (table 254): table miss with packet-in, miss without, frag drop. */
  readonly missRule: XlateRule;
  readonly noPacketInRule: XlateRule;
  readonly dropFragsRule: XlateRule;
  port(ofport: number): XlatePort | undefined;
  /** Every port, bundle by bundle in creation order (see the file comment). */
  ports(): readonly XlatePort[];
  /** Every bundle, in creation order (see the file comment). */
  bundles(): readonly XlateBundle[];
  group(groupId: number): XlateGroup | undefined;
  /** Whether the bridge has any mirror (upstream's mbridge_has_mirrors). */
  readonly hasMirrors: boolean;
  mirror(index: number): XlateMirror | undefined;
  /** The MAC table; its "port" is the bundle a MAC was learned on. */
  readonly macLearning: MacLearning<XlateBundle>;
  readonly fragHandling: FragHandling;
  /** Whether OFPP_NORMAL forwards BPDUs (other_config:forward-bpdu). */
  readonly forwardBpdu: boolean;
  /** In-band control is on: DHCP replies also go to the local port. */
  readonly hasInBand: boolean;
}
