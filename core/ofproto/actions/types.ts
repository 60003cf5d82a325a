// The version-independent model of OpenFlow actions and instructions (upstream's "ofpacts"): one
// plain object per action, tagged by `type`, holding what the action means rather than how some
// OpenFlow version spells it. Text syntax, wire codecs for every version, consistency checks and
// translation all work on these objects.
//
// Promises: every kind that upstream's ofp-actions models is here, with the same fields; a few
// kinds remember which wire form they arrived in (`raw`-style members), so that an action read from
// the wire is written back the same way, as upstream promises ("action reproduction"); a few carry
// annotations that only `checkActions` fills in (`flowHasVlan`, `flowIpProto`), which the encoders
// read. Values that are 64 bits wide are bigint; field values are big-endian byte arrays of the
// field's width; port numbers are OpenFlow 1.0 style 16-bit numbers (OFPP_*), as upstream keeps
// them. Owns no behaviour: codecs, text and checks live in the family files.

import type { Field } from "../fields.ts";
import type { Subfield } from "../subfield.ts";

export type { Subfield };

/** Instructions in upstream's canonical order (OVSINST_*): the order they must appear in. */
export type InstructionType =
  | "meter"
  | "apply_actions"
  | "clear_actions"
  | "write_actions"
  | "write_metadata"
  | "goto_table";

export const INSTRUCTION_ORDER: readonly InstructionType[] = [
  "meter",
  "apply_actions",
  "clear_actions",
  "write_actions",
  "write_metadata",
  "goto_table",
];

/** OFPR_* packet-in reasons. */
export const OFPR_NO_MATCH = 0;
export const OFPR_ACTION = 1;
export const OFPR_INVALID_TTL = 2;
export const OFPR_ACTION_SET = 3;
export const OFPR_GROUP = 4;
export const OFPR_PACKET_OUT = 5;
export const OFPR_EXPLICIT_MISS = 6;
export const OFPR_IMPLICIT_MISS = 7;

/** The "no meter" value of a controller action. */
export const NX_CTLR_NO_METER = 0;

/** NX_HASH_FIELDS_* for bundle and multipath. */
export const NX_HASH_FIELDS_ETH_SRC = 0;
export const NX_HASH_FIELDS_SYMMETRIC_L4 = 1;
export const NX_HASH_FIELDS_SYMMETRIC_L3L4 = 2;
export const NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP = 3;
export const NX_HASH_FIELDS_NW_SRC = 4;
export const NX_HASH_FIELDS_NW_DST = 5;
export const NX_HASH_FIELDS_SYMMETRIC_L3 = 6;

export const NX_BD_ALG_ACTIVE_BACKUP = 0;
export const NX_BD_ALG_HRW = 1;

export const NX_MP_ALG_MODULO_N = 0;
export const NX_MP_ALG_HASH_THRESHOLD = 1;
export const NX_MP_ALG_HRW = 2;
export const NX_MP_ALG_ITER_HASH = 3;

export const NX_CT_F_COMMIT = 1 << 0;
export const NX_CT_F_FORCE = 1 << 1;
/** ct's "no recirculation" table. */
export const NX_CT_RECIRC_NONE = 0xff;

export const NX_NAT_F_SRC = 1 << 0;
export const NX_NAT_F_DST = 1 << 1;
export const NX_NAT_F_PERSISTENT = 1 << 2;
export const NX_NAT_F_PROTO_HASH = 1 << 3;
export const NX_NAT_F_PROTO_RANDOM = 1 << 4;
export const NX_NAT_F_MASK = 0x1f;

export const NX_LEARN_F_SEND_FLOW_REM = 1 << 0;
export const NX_LEARN_F_DELETE_LEARNED = 1 << 1;
export const NX_LEARN_F_WRITE_RESULT = 1 << 2;

export const NX_LEARN_N_BITS_MASK = 0x3ff;
export const NX_LEARN_SRC_FIELD = 0 << 13;
export const NX_LEARN_SRC_IMMEDIATE = 1 << 13;
export const NX_LEARN_SRC_MASK = 1 << 13;
export const NX_LEARN_DST_MATCH = 0 << 11;
export const NX_LEARN_DST_LOAD = 1 << 11;
export const NX_LEARN_DST_OUTPUT = 2 << 11;
export const NX_LEARN_DST_RESERVED = 3 << 11;
export const NX_LEARN_DST_MASK = 3 << 11;

export const NX_ACTION_SAMPLE_DEFAULT = 0;
export const NX_ACTION_SAMPLE_INGRESS = 1;
export const NX_ACTION_SAMPLE_EGRESS = 2;

/** Packet types (namespace << 16 | type) used by encap/decap. */
export const PT_ETH = 0x00000000;
export const PT_USE_NEXT_PROTO = 0x0000fffe;
export const PT_NSH = 0x0001894f;
export const PT_MPLS = 0x00018847;
export const PT_MPLS_MC = 0x00018848;
export const PT_UNKNOWN = 0xffffffff;
export const OFPHTN_ETHERTYPE = 1;
export const OFPHTN_N_TYPES = 5;

/** Encap property classes and NSH property types. */
export const OFPPPC_BASIC = 0;
export const OFPPPC_MPLS = 1;
export const OFPPPC_GRE = 2;
export const OFPPPC_GTP = 3;
export const OFPPPC_NSH = 4;
export const OFPPPT_PROP_NSH_MDTYPE = 1;
export const OFPPPT_PROP_NSH_TLV = 2;

/** One encap property (only NSH's are defined). */
export type EncapProp =
  | { kind: "nsh_md_type"; mdType: number }
  | { kind: "nsh_tlv"; tlvClass: number; tlvType: number; data: Uint8Array };

/** One flow_mod_spec of a learn action. */
export interface LearnSpec {
  srcType: number;
  dstType: number;
  nBits: number;
  /** The source bits, for NX_LEARN_SRC_FIELD. */
  src?: Subfield;
  /** The destination, for NX_LEARN_DST_MATCH and NX_LEARN_DST_LOAD. */
  dst?: Subfield;
  /** For NX_LEARN_SRC_IMMEDIATE: ceil(nBits / 8) big-endian bytes. */
  imm?: Uint8Array;
}

export type Ofpact =
  // Output.
  | { type: "output"; port: number; maxLen: number }
  | { type: "group"; groupId: number }
  | {
    type: "controller";
    maxLen: number;
    controllerId: number;
    reason: number;
    pause: boolean;
    userdata: Uint8Array;
    meterId: number;
    /** Arrived as NXAST_CONTROLLER2 (and so goes back out that way). */
    controller2: boolean;
  }
  | { type: "enqueue"; port: number; queue: number }
  | { type: "output_reg"; src: Subfield; maxLen: number; reg2: boolean }
  | {
    type: "bundle";
    algorithm: number;
    fields: number;
    basis: number;
    /** Set for bundle_load. */
    dst: Subfield | undefined;
    members: number[];
  }
  // Header changes.
  | {
    type: "set_field";
    field: Field;
    value: Uint8Array;
    mask: Uint8Array;
    /** Which extension it came in as (or was parsed as, for "load"). */
    raw: "reg_load" | "reg_load2" | undefined;
    flowHasVlan: boolean;
  }
  | { type: "set_vlan_vid"; vlanVid: number; pushVlanIfNeeded: boolean; flowHasVlan: boolean }
  | { type: "set_vlan_pcp"; vlanPcp: number; pushVlanIfNeeded: boolean; flowHasVlan: boolean }
  | { type: "strip_vlan"; popVlan: boolean }
  | { type: "push_vlan"; ethertype: number }
  | { type: "set_eth_src"; mac: Uint8Array }
  | { type: "set_eth_dst"; mac: Uint8Array }
  | { type: "set_ipv4_src"; ipv4: number }
  | { type: "set_ipv4_dst"; ipv4: number }
  | { type: "set_ip_dscp"; dscp: number }
  | { type: "set_ip_ecn"; ecn: number }
  | { type: "set_ip_ttl"; ttl: number }
  | { type: "set_l4_src_port"; port: number; flowIpProto: number }
  | { type: "set_l4_dst_port"; port: number; flowIpProto: number }
  | { type: "reg_move"; src: Subfield; dst: Subfield; raw: "reg_move" | "copy_field" | undefined }
  | { type: "stack_push"; subfield: Subfield }
  | { type: "stack_pop"; subfield: Subfield }
  | { type: "dec_ttl"; ids: number[]; cntIds: boolean }
  | { type: "set_mpls_label"; label: number }
  | { type: "set_mpls_tc"; tc: number }
  | { type: "set_mpls_ttl"; ttl: number }
  | { type: "dec_mpls_ttl" }
  | { type: "push_mpls"; ethertype: number }
  | { type: "pop_mpls"; ethertype: number }
  | { type: "dec_nsh_ttl" }
  | { type: "delete_field"; field: Field }
  // Generic encap and decap.
  | { type: "encap"; newPktType: number; hdrSize: number; props: EncapProp[] }
  | { type: "decap"; newPktType: number }
  // Metadata.
  | { type: "set_tunnel"; tunId: bigint; tun64: boolean }
  | { type: "set_queue"; queueId: number }
  | { type: "pop_queue" }
  | { type: "fin_timeout"; idleTimeout: number; hardTimeout: number }
  // Flow table interaction.
  | {
    type: "resubmit";
    inPort: number;
    tableId: number;
    withCtOrig: boolean;
    raw: "resubmit" | "resubmit_table" | "resubmit_table_ct" | undefined;
  }
  | {
    type: "learn";
    idleTimeout: number;
    hardTimeout: number;
    priority: number;
    tableId: number;
    flags: number;
    cookie: bigint;
    finIdleTimeout: number;
    finHardTimeout: number;
    limit: number;
    /** Used only with NX_LEARN_F_WRITE_RESULT. */
    resultDst: Subfield | undefined;
    specs: LearnSpec[];
    /** Arrived as NXAST_LEARN2. */
    learn2: boolean;
  }
  | { type: "conjunction"; id: number; clause: number; nClauses: number }
  // Arithmetic.
  | {
    type: "multipath";
    fields: number;
    basis: number;
    algorithm: number;
    maxLink: number;
    arg: number;
    dst: Subfield;
  }
  // Other.
  | { type: "note"; data: Uint8Array }
  | { type: "exit" }
  | {
    type: "sample";
    probability: number;
    collectorSetId: number;
    obsDomainId: number;
    obsPointId: number;
    samplingPort: number;
    direction: number;
    raw: "sample" | "sample2" | "sample3" | undefined;
  }
  | { type: "unroll_xlate"; ruleTableId: number; ruleCookie: bigint }
  | {
    type: "ct";
    flags: number;
    zoneImm: number;
    zoneSrc: Subfield | undefined;
    alg: number;
    recircTable: number;
    actions: Ofpact[];
  }
  | { type: "ct_clear" }
  | {
    type: "nat";
    flags: number;
    rangeAf: "none" | "ipv4" | "ipv6";
    ipv4Min: number;
    ipv4Max: number;
    ipv6Min: Uint8Array;
    ipv6Max: Uint8Array;
    protoMin: number;
    protoMax: number;
  }
  | { type: "output_trunc"; port: number; maxLen: number }
  | { type: "clone"; actions: Ofpact[] }
  | { type: "check_pkt_larger"; pktLen: number; dst: Subfield }
  // Debugging (accepted from the wire only by a switch started with --enable-dummy).
  | { type: "debug_recirc" }
  | { type: "debug_slow" }
  // Instructions ("meter" is an action in OpenFlow 1.5+).
  | { type: "meter"; meterId: number; providerMeterId: number }
  | { type: "clear_actions" }
  | { type: "write_actions"; actions: Ofpact[] }
  | { type: "write_metadata"; metadata: bigint; mask: bigint }
  | { type: "goto_table"; tableId: number };

export type OfpactType = Ofpact["type"];

/** The member of the union with tag `T`. */
export type OfpactOf<T extends OfpactType> = Extract<Ofpact, { type: T }>;
