// The OpenFlow field registry (upstream's meta-flow): one declarative row per field a switch can
// match or rewrite — its names, width, maskability, prerequisite, text format, NXM and OXM codes,
// and where it lives in the flow words of core/datapath/flow.ts. Wire codecs, flow syntax,
// subfield references (`NXM_NX_REG0[0..15]`), xlate and the classifier all read this table; none
// keeps its own list of fields.
//
// Promises: rows are in upstream's field order (ids are indices); every name, extra name, NXM
// name and OXM name finds its row through `fieldByName`; field values cross this module as
// big-endian byte arrays of the field's width (upstream's mf_value), and `readField`/`writeField`
// move them in and out of flow words, touching only the field's own bits. Semantics beyond plain
// bits (dl_vlan's "present" bit, port number mapping between OpenFlow 1.0 and 1.1+) are for
// callers: the table records the storage and says which fields need them.
//
// Storage: fields the datapath extracts from packets live in its FLOW_WORDS; the OpenFlow-only
// ones (ERSPAN, GTP-U, NSH, tun_metadata) live in the words flow.ts places after them, up to
// MATCH_WORDS, so they cost datapath keys nothing. tun_metadata<n> is variable-length and has no
// fixed word at all (`variable`): tun_metadata.ts places it in the match's option area.

import {
  W_ACTSET_OUTPUT,
  W_ARP_OP,
  W_ARP_SHA,
  W_ARP_THA,
  W_CONJ_ID,
  W_CT_IPV6_DST,
  W_CT_IPV6_SRC,
  W_CT_LABEL,
  W_CT_MARK,
  W_CT_NW_DST,
  W_CT_NW_SRC,
  W_CT_STATE,
  W_CT_TP,
  W_CT_ZONE,
  W_DL_DST,
  W_DL_SRC,
  W_DL_TYPE_VLAN,
  W_DP_HASH,
  W_IN_PORT,
  W_IPV6_DST,
  W_IPV6_LABEL,
  W_IPV6_SRC,
  W_METADATA,
  W_MPLS_LSE,
  W_ND_RESERVED,
  W_ND_TARGET,
  W_NSH_BASE,
  W_NSH_CONTEXT,
  W_NSH_PATH,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_PACKET_TYPE,
  W_PKT_MARK,
  W_RECIRC_ID,
  W_REGS,
  W_SKB_PRIORITY,
  W_TCP_FLAGS,
  W_TP,
  W_TUN_DST,
  W_TUN_ERSPAN,
  W_TUN_ERSPAN_IDX,
  W_TUN_GBP,
  W_TUN_GTPU,
  W_TUN_ID,
  W_TUN_IPV6_DST,
  W_TUN_IPV6_SRC,
  W_TUN_METADATA_OPTS,
  W_TUN_MISC,
  W_TUN_SRC,
} from "../datapath/flow.ts";

/** How a field's value is written and read as text (upstream's MFS_*). */
export type FieldFormat =
  | "decimal"
  | "hexadecimal"
  | "ethernet"
  | "ipv4"
  | "ipv6"
  | "ofp_port"
  | "ofp_port_oxm"
  | "frag"
  | "tunnel_flags"
  | "tcp_flags"
  | "ct_state"
  | "packet_type";

/** What a match must already say before it may match a field (upstream's MFP_*). */
export type Prerequisite =
  | "none"
  | "ethernet"
  | "arp"
  | "vlan_vid"
  | "ipv4"
  | "ipv6"
  | "ip_any"
  | "mpls"
  | "tcp"
  | "udp"
  | "sctp"
  | "icmpv4"
  | "icmpv6"
  | "nd"
  | "nd_solicit"
  | "nd_advert"
  | "ct";

/**
 * Every prerequisite a field can have: Prerequisite plus "nsh" (the Ethertype is NSH, 0x894f),
 * which only the NSH fields have. `Field.prerequisite` carries it; `Field.prereq` predates it.
 */
export type FieldPrerequisite = Prerequisite | "nsh";

/** An NXM or OXM header's class and field; experimenter classes (0xffff) carry an id. */
export interface OxmCode {
  /** The header's name as upstream spells it (NXM_OF_ETH_SRC, OXM_OF_IN_PORT, ...). */
  name: string;
  oxmClass: number;
  field: number;
  /** The experimenter id for class 0xffff, else 0. */
  experimenter: number;
  /** The first OpenFlow version (0x03 = 1.2, ...) whose OXM has it; 0 for NXM-only codes. */
  version: number;
}

export interface Field {
  /** Index in FIELDS, in upstream's order. */
  id: number;
  name: string;
  /** The other name upstream accepts (dl_src for eth_src), if any. */
  extraName: string | undefined;
  /** Width of the value as it crosses the wire and this module's API. */
  nBytes: number;
  /** Meaningful bits of the value (the low ones). */
  nBits: number;
  /** Whether arbitrary bitwise masks are allowed (otherwise exact match or wildcard). */
  maskable: boolean;
  /** Whether actions may write it (set_field, load, move destination). */
  writable: boolean;
  /**
   * A value of variable length, up to nBytes, right-aligned in its nBytes (tun_metadata<n>). Such
   * a field has no fixed place in flow words: where its bytes sit is a match's or the switch's
   * TLV map's business (tun_metadata.ts), so the word-level helpers here read it as zeros and
   * write nothing, as upstream's mf_get_value/mf_set_flow_value do without a TLV table.
   */
  variable: boolean;
  format: FieldFormat;
  /** upstream's prerequisite (MFP_*). */
  prerequisite: FieldPrerequisite;
  /**
   * The prerequisite for code written before the NSH fields existed: the same as
   * `prerequisite`, except that the NSH fields say "none" here (nothing earlier knows their
   * Ethertype). Prefer `prerequisite`.
   */
  prereq: Prerequisite;
  /** The NXM (classes 0 and 1) code, if the field has one. */
  nxm: OxmCode | undefined;
  /** The OXM code (standard or experimenter class), if the field has one. */
  oxm: OxmCode | undefined;
  /** First word of the field in flow words. */
  word: number;
  /** Words the field spans (1 for fields of up to 32 bits). */
  nWords: number;
  /** For one-word fields: the bit offset of the value's least significant bit. */
  shift: number;
  /**
   * For one-word fields: the word bits that store the field (a 16-bit in_port_oxm stored in 16
   * bits, nw_tos's value whose low two bits are not stored).
   */
  wordMask: number;
}

const NXM_OF = 0x0000;
const NXM_NX = 0x0001;
const OXM_OF = 0x8000;
const OXM_PKT_REGS = 0x8001;
const EXPERIMENTER = 0xffff;
export const NX_VENDOR_ID = 0x00002320;
export const ONF_VENDOR_ID = 0x4f4e4600;
/** The experimenter id of the NXOXM_NSH_* fields. */
export const NSH_VENDOR_ID = 0x005ad650;
/** Number of tun_metadata<n> fields (upstream's TUN_METADATA_NUM_OPTS). */
export const TUN_METADATA_FIELDS = 64;

/** OpenFlow wire versions. */
export const OFP10 = 0x01;
export const OFP11 = 0x02;
export const OFP12 = 0x03;
export const OFP13 = 0x04;
export const OFP14 = 0x05;
export const OFP15 = 0x06;

const nxmOf = (name: string, field: number): OxmCode => ({
  name: `NXM_OF_${name}`,
  oxmClass: NXM_OF,
  field,
  experimenter: 0,
  version: 0,
});
const nxmNx = (name: string, field: number): OxmCode => ({
  name: `NXM_NX_${name}`,
  oxmClass: NXM_NX,
  field,
  experimenter: 0,
  version: 0,
});
const oxmOf = (name: string, field: number, version: number): OxmCode => ({
  name: `OXM_OF_${name}`,
  oxmClass: OXM_OF,
  field,
  experimenter: 0,
  version,
});
const onfOxm = (name: string, field: number, version: number): OxmCode => ({
  name: `ONFOXM_ET_${name}`,
  oxmClass: EXPERIMENTER,
  field,
  experimenter: ONF_VENDOR_ID,
  version,
});
const nxOxm = (name: string, field: number): OxmCode => ({
  name: `NXOXM_ET_${name}`,
  oxmClass: EXPERIMENTER,
  field,
  experimenter: NX_VENDOR_ID,
  version: OFP12,
});

const nshOxm = (name: string, field: number): OxmCode => ({
  name: `NXOXM_NSH_${name}`,
  oxmClass: EXPERIMENTER,
  field,
  experimenter: NSH_VENDOR_ID,
  version: OFP12,
});

interface Row {
  name: string;
  extra?: string;
  bytes: number;
  bits?: number;
  mask: boolean;
  ro?: boolean;
  variable?: boolean;
  format: FieldFormat;
  prereq: FieldPrerequisite;
  nxm?: OxmCode;
  oxm?: OxmCode;
  /** Storage: word, then for one-word fields the shift and the stored bits. */
  at: number;
  shift?: number;
  wordMask?: number;
}

const ROWS: Row[] = [
  {
    name: "dp_hash",
    bytes: 4,
    mask: true,
    ro: true,
    format: "hexadecimal",
    prereq: "none",
    nxm: nxmNx("DP_HASH", 35),
    oxm: nxOxm("DP_HASH", 0),
    at: W_DP_HASH,
  },
  {
    name: "recirc_id",
    bytes: 4,
    mask: false,
    ro: true,
    format: "decimal",
    prereq: "none",
    nxm: nxmNx("RECIRC_ID", 36),
    at: W_RECIRC_ID,
  },
  {
    name: "packet_type",
    bytes: 4,
    mask: false,
    ro: true,
    format: "packet_type",
    prereq: "none",
    oxm: oxmOf("PACKET_TYPE", 44, OFP15),
    at: W_PACKET_TYPE,
  },
  {
    name: "conj_id",
    bytes: 4,
    mask: false,
    ro: true,
    format: "decimal",
    prereq: "none",
    nxm: nxmNx("CONJ_ID", 37),
    at: W_CONJ_ID,
  },
  {
    name: "tun_id",
    extra: "tunnel_id",
    bytes: 8,
    mask: true,
    format: "hexadecimal",
    prereq: "none",
    nxm: nxmNx("TUN_ID", 16),
    oxm: oxmOf("TUNNEL_ID", 38, OFP13),
    at: W_TUN_ID,
  },
  {
    name: "tun_src",
    bytes: 4,
    mask: true,
    format: "ipv4",
    prereq: "none",
    nxm: nxmNx("TUN_IPV4_SRC", 31),
    at: W_TUN_SRC,
  },
  {
    name: "tun_dst",
    bytes: 4,
    mask: true,
    format: "ipv4",
    prereq: "none",
    nxm: nxmNx("TUN_IPV4_DST", 32),
    at: W_TUN_DST,
  },
  {
    name: "tun_ipv6_src",
    bytes: 16,
    mask: true,
    format: "ipv6",
    prereq: "none",
    nxm: nxmNx("TUN_IPV6_SRC", 109),
    at: W_TUN_IPV6_SRC,
  },
  {
    name: "tun_ipv6_dst",
    bytes: 16,
    mask: true,
    format: "ipv6",
    prereq: "none",
    nxm: nxmNx("TUN_IPV6_DST", 110),
    at: W_TUN_IPV6_DST,
  },
  {
    name: "tun_flags",
    bytes: 2,
    bits: 1,
    mask: true,
    format: "tunnel_flags",
    prereq: "none",
    nxm: nxmNx("TUN_FLAGS", 104),
    at: W_TUN_MISC,
    shift: 0,
    wordMask: 0x0000ffff,
  },
  {
    name: "tun_ttl",
    bytes: 1,
    mask: false,
    ro: true,
    format: "decimal",
    prereq: "none",
    at: W_TUN_MISC,
    shift: 24,
  },
  {
    name: "tun_tos",
    bytes: 1,
    mask: false,
    ro: true,
    format: "decimal",
    prereq: "none",
    at: W_TUN_MISC,
    shift: 16,
  },
  {
    name: "tun_gbp_id",
    bytes: 2,
    mask: true,
    format: "decimal",
    prereq: "none",
    nxm: nxmNx("TUN_GBP_ID", 38),
    at: W_TUN_GBP,
    shift: 0,
  },
  {
    name: "tun_gbp_flags",
    bytes: 1,
    mask: true,
    format: "hexadecimal",
    prereq: "none",
    nxm: nxmNx("TUN_GBP_FLAGS", 39),
    at: W_TUN_GBP,
    shift: 16,
  },
  // The ERSPAN and GTP-U fields keep whole bytes (upstream's flow_tnl members), whatever their
  // meaningful bits.
  {
    name: "tun_erspan_idx",
    bytes: 4,
    bits: 20,
    mask: true,
    format: "hexadecimal",
    prereq: "none",
    oxm: nxOxm("ERSPAN_IDX", 11),
    at: W_TUN_ERSPAN_IDX,
    wordMask: 0xffffffff,
  },
  {
    name: "tun_erspan_ver",
    bytes: 1,
    bits: 4,
    mask: true,
    format: "decimal",
    prereq: "none",
    oxm: nxOxm("ERSPAN_VER", 12),
    at: W_TUN_ERSPAN,
    shift: 24,
    wordMask: 0xff000000,
  },
  {
    name: "tun_erspan_dir",
    bytes: 1,
    bits: 1,
    mask: true,
    format: "decimal",
    prereq: "none",
    oxm: nxOxm("ERSPAN_DIR", 13),
    at: W_TUN_ERSPAN,
    shift: 16,
    wordMask: 0x00ff0000,
  },
  {
    name: "tun_erspan_hwid",
    bytes: 1,
    bits: 6,
    mask: true,
    format: "hexadecimal",
    prereq: "none",
    oxm: nxOxm("ERSPAN_HWID", 14),
    at: W_TUN_ERSPAN,
    shift: 8,
    wordMask: 0x0000ff00,
  },
  {
    name: "tun_gtpu_flags",
    bytes: 1,
    mask: true,
    ro: true,
    format: "hexadecimal",
    prereq: "none",
    oxm: nxOxm("GTPU_FLAGS", 15),
    at: W_TUN_GTPU,
    shift: 8,
  },
  {
    name: "tun_gtpu_msgtype",
    bytes: 1,
    mask: true,
    ro: true,
    format: "decimal",
    prereq: "none",
    oxm: nxOxm("GTPU_MSGTYPE", 16),
    at: W_TUN_GTPU,
    shift: 0,
  },
  ...Array.from({ length: TUN_METADATA_FIELDS }, (_, n): Row => ({
    name: `tun_metadata${n}`,
    bytes: 124,
    mask: true,
    variable: true,
    format: "hexadecimal",
    prereq: "none",
    nxm: nxmNx(`TUN_METADATA${n}`, 40 + n),
    at: W_TUN_METADATA_OPTS,
    wordMask: 0,
  })),
  {
    name: "metadata",
    bytes: 8,
    mask: true,
    format: "hexadecimal",
    prereq: "none",
    oxm: oxmOf("METADATA", 2, OFP12),
    at: W_METADATA,
  },
  {
    name: "in_port",
    bytes: 2,
    mask: false,
    format: "ofp_port",
    prereq: "none",
    nxm: nxmOf("IN_PORT", 0),
    at: W_IN_PORT,
    shift: 0,
  },
  {
    name: "in_port_oxm",
    bytes: 4,
    mask: false,
    format: "ofp_port_oxm",
    prereq: "none",
    oxm: oxmOf("IN_PORT", 0, OFP12),
    at: W_IN_PORT,
    shift: 0,
    wordMask: 0x0000ffff,
  },
  {
    name: "actset_output",
    bytes: 4,
    mask: false,
    ro: true,
    format: "ofp_port_oxm",
    prereq: "none",
    oxm: onfOxm("ACTSET_OUTPUT", 43, OFP13),
    at: W_ACTSET_OUTPUT,
    shift: 0,
    wordMask: 0x0000ffff,
  },
  {
    name: "skb_priority",
    bytes: 4,
    mask: false,
    format: "hexadecimal",
    prereq: "none",
    at: W_SKB_PRIORITY,
  },
  {
    name: "pkt_mark",
    bytes: 4,
    mask: true,
    format: "hexadecimal",
    prereq: "none",
    nxm: nxmNx("PKT_MARK", 33),
    at: W_PKT_MARK,
  },
  {
    name: "ct_state",
    bytes: 4,
    mask: true,
    ro: true,
    format: "ct_state",
    prereq: "none",
    nxm: nxmNx("CT_STATE", 105),
    at: W_CT_STATE,
    // Upstream stores 8 bits (match_set_ct_state_masked truncates).
    wordMask: 0x000000ff,
  },
  {
    name: "ct_zone",
    bytes: 2,
    mask: false,
    ro: true,
    format: "hexadecimal",
    prereq: "none",
    nxm: nxmNx("CT_ZONE", 106),
    at: W_CT_ZONE,
    shift: 0,
  },
  {
    name: "ct_mark",
    bytes: 4,
    mask: true,
    format: "hexadecimal",
    prereq: "none",
    nxm: nxmNx("CT_MARK", 107),
    at: W_CT_MARK,
  },
  {
    name: "ct_label",
    bytes: 16,
    mask: true,
    format: "hexadecimal",
    prereq: "none",
    nxm: nxmNx("CT_LABEL", 108),
    at: W_CT_LABEL,
  },
  {
    name: "ct_nw_proto",
    bytes: 1,
    mask: false,
    ro: true,
    format: "decimal",
    prereq: "ct",
    nxm: nxmNx("CT_NW_PROTO", 119),
    at: W_CT_ZONE,
    shift: 16,
  },
  {
    name: "ct_nw_src",
    bytes: 4,
    mask: true,
    ro: true,
    format: "ipv4",
    prereq: "ct",
    nxm: nxmNx("CT_NW_SRC", 120),
    at: W_CT_NW_SRC,
  },
  {
    name: "ct_nw_dst",
    bytes: 4,
    mask: true,
    ro: true,
    format: "ipv4",
    prereq: "ct",
    nxm: nxmNx("CT_NW_DST", 121),
    at: W_CT_NW_DST,
  },
  {
    name: "ct_ipv6_src",
    bytes: 16,
    mask: true,
    ro: true,
    format: "ipv6",
    prereq: "ct",
    nxm: nxmNx("CT_IPV6_SRC", 122),
    at: W_CT_IPV6_SRC,
  },
  {
    name: "ct_ipv6_dst",
    bytes: 16,
    mask: true,
    ro: true,
    format: "ipv6",
    prereq: "ct",
    nxm: nxmNx("CT_IPV6_DST", 123),
    at: W_CT_IPV6_DST,
  },
  {
    name: "ct_tp_src",
    bytes: 2,
    mask: true,
    ro: true,
    format: "decimal",
    prereq: "ct",
    nxm: nxmNx("CT_TP_SRC", 124),
    at: W_CT_TP,
    shift: 16,
  },
  {
    name: "ct_tp_dst",
    bytes: 2,
    mask: true,
    ro: true,
    format: "decimal",
    prereq: "ct",
    nxm: nxmNx("CT_TP_DST", 125),
    at: W_CT_TP,
    shift: 0,
  },
  ...Array.from({ length: 16 }, (_, n): Row => ({
    name: `reg${n}`,
    bytes: 4,
    mask: true,
    format: "hexadecimal",
    prereq: "none",
    nxm: nxmNx(`REG${n}`, n),
    at: W_REGS + n,
  })),
  ...Array.from({ length: 8 }, (_, n): Row => ({
    name: `xreg${n}`,
    bytes: 8,
    mask: true,
    format: "hexadecimal",
    prereq: "none",
    oxm: {
      name: `OXM_OF_PKT_REG${n}`,
      oxmClass: OXM_PKT_REGS,
      field: n,
      experimenter: 0,
      version: OFP13,
    },
    at: W_REGS + 2 * n,
  })),
  // Upstream 3.1 has four 128-bit registers (FLOW_N_XXREGS): xxreg4 and up would overlap the
  // tunnel words.
  ...Array.from({ length: 4 }, (_, n): Row => ({
    name: `xxreg${n}`,
    bytes: 16,
    mask: true,
    format: "hexadecimal",
    prereq: "none",
    nxm: nxmNx(`XXREG${n}`, 111 + n),
    at: W_REGS + 4 * n,
  })),
  {
    name: "eth_src",
    extra: "dl_src",
    bytes: 6,
    mask: true,
    format: "ethernet",
    prereq: "ethernet",
    nxm: nxmOf("ETH_SRC", 2),
    oxm: oxmOf("ETH_SRC", 4, OFP12),
    at: W_DL_SRC,
  },
  {
    name: "eth_dst",
    extra: "dl_dst",
    bytes: 6,
    mask: true,
    format: "ethernet",
    prereq: "ethernet",
    nxm: nxmOf("ETH_DST", 1),
    oxm: oxmOf("ETH_DST", 3, OFP12),
    at: W_DL_DST,
  },
  {
    name: "eth_type",
    extra: "dl_type",
    bytes: 2,
    mask: false,
    ro: true,
    format: "hexadecimal",
    prereq: "ethernet",
    nxm: nxmOf("ETH_TYPE", 3),
    oxm: oxmOf("ETH_TYPE", 5, OFP12),
    at: W_DL_TYPE_VLAN,
    shift: 16,
  },
  {
    name: "vlan_tci",
    bytes: 2,
    mask: true,
    format: "hexadecimal",
    prereq: "ethernet",
    nxm: nxmOf("VLAN_TCI", 4),
    at: W_DL_TYPE_VLAN,
    shift: 0,
  },
  {
    name: "dl_vlan",
    bytes: 2,
    bits: 12,
    mask: false,
    format: "decimal",
    prereq: "ethernet",
    at: W_DL_TYPE_VLAN,
    shift: 0,
  },
  {
    // Stored with the VLAN-present bit (bit 12), which OXM's OFPVID_PRESENT maps onto.
    name: "vlan_vid",
    bytes: 2,
    bits: 12,
    mask: true,
    format: "decimal",
    prereq: "ethernet",
    oxm: oxmOf("VLAN_VID", 6, OFP12),
    at: W_DL_TYPE_VLAN,
    shift: 0,
    wordMask: 0x1fff,
  },
  {
    name: "dl_vlan_pcp",
    bytes: 1,
    bits: 3,
    mask: false,
    format: "decimal",
    prereq: "ethernet",
    at: W_DL_TYPE_VLAN,
    shift: 13,
  },
  {
    name: "vlan_pcp",
    bytes: 1,
    bits: 3,
    mask: false,
    format: "decimal",
    prereq: "vlan_vid",
    oxm: oxmOf("VLAN_PCP", 7, OFP12),
    at: W_DL_TYPE_VLAN,
    shift: 13,
  },
  {
    name: "mpls_label",
    bytes: 4,
    bits: 20,
    mask: false,
    format: "decimal",
    prereq: "mpls",
    oxm: oxmOf("MPLS_LABEL", 34, OFP12),
    at: W_MPLS_LSE,
    shift: 12,
  },
  {
    name: "mpls_tc",
    bytes: 1,
    bits: 3,
    mask: false,
    format: "decimal",
    prereq: "mpls",
    oxm: oxmOf("MPLS_TC", 35, OFP12),
    at: W_MPLS_LSE,
    shift: 9,
  },
  {
    name: "mpls_bos",
    bytes: 1,
    bits: 1,
    mask: false,
    ro: true,
    format: "decimal",
    prereq: "mpls",
    oxm: oxmOf("MPLS_BOS", 36, OFP13),
    at: W_MPLS_LSE,
    shift: 8,
  },
  {
    name: "mpls_ttl",
    bytes: 1,
    mask: false,
    format: "decimal",
    prereq: "mpls",
    nxm: nxmNx("MPLS_TTL", 30),
    at: W_MPLS_LSE,
    shift: 0,
  },
  {
    name: "ip_src",
    extra: "nw_src",
    bytes: 4,
    mask: true,
    format: "ipv4",
    prereq: "ipv4",
    nxm: nxmOf("IP_SRC", 7),
    oxm: oxmOf("IPV4_SRC", 11, OFP12),
    at: W_NW_SRC,
  },
  {
    name: "ip_dst",
    extra: "nw_dst",
    bytes: 4,
    mask: true,
    format: "ipv4",
    prereq: "ipv4",
    nxm: nxmOf("IP_DST", 8),
    oxm: oxmOf("IPV4_DST", 12, OFP12),
    at: W_NW_DST,
  },
  {
    name: "ipv6_src",
    bytes: 16,
    mask: true,
    format: "ipv6",
    prereq: "ipv6",
    nxm: nxmNx("IPV6_SRC", 19),
    oxm: oxmOf("IPV6_SRC", 26, OFP12),
    at: W_IPV6_SRC,
  },
  {
    name: "ipv6_dst",
    bytes: 16,
    mask: true,
    format: "ipv6",
    prereq: "ipv6",
    nxm: nxmNx("IPV6_DST", 20),
    oxm: oxmOf("IPV6_DST", 27, OFP12),
    at: W_IPV6_DST,
  },
  {
    name: "ipv6_label",
    bytes: 4,
    bits: 20,
    mask: true,
    format: "hexadecimal",
    prereq: "ipv6",
    nxm: nxmNx("IPV6_LABEL", 27),
    oxm: oxmOf("IPV6_FLABEL", 28, OFP12),
    at: W_IPV6_LABEL,
    shift: 0,
    // Upstream keeps the whole 32-bit word (an exact match has mask 0xffffffff).
    wordMask: 0xffffffff,
  },
  {
    name: "nw_proto",
    extra: "ip_proto",
    bytes: 1,
    mask: false,
    ro: true,
    format: "decimal",
    prereq: "ip_any",
    nxm: nxmOf("IP_PROTO", 6),
    oxm: oxmOf("IP_PROTO", 10, OFP12),
    at: W_NW_MISC,
    shift: 24,
  },
  {
    // The DSCP bits in place (tos & 0xfc): the low two bits are ECN's.
    name: "nw_tos",
    bytes: 1,
    mask: false,
    format: "decimal",
    prereq: "ip_any",
    nxm: nxmOf("IP_TOS", 5),
    at: W_NW_MISC,
    shift: 16,
    wordMask: 0x00fc0000,
  },
  {
    name: "ip_dscp",
    bytes: 1,
    bits: 6,
    mask: false,
    format: "decimal",
    prereq: "ip_any",
    oxm: oxmOf("IP_DSCP", 8, OFP12),
    at: W_NW_MISC,
    shift: 18,
  },
  {
    name: "nw_ecn",
    extra: "ip_ecn",
    bytes: 1,
    bits: 2,
    mask: false,
    format: "decimal",
    prereq: "ip_any",
    nxm: nxmNx("IP_ECN", 28),
    oxm: oxmOf("IP_ECN", 9, OFP12),
    at: W_NW_MISC,
    shift: 16,
  },
  {
    name: "nw_ttl",
    bytes: 1,
    mask: false,
    format: "decimal",
    prereq: "ip_any",
    nxm: nxmNx("IP_TTL", 29),
    at: W_NW_MISC,
    shift: 8,
  },
  {
    name: "ip_frag",
    extra: "nw_frag",
    bytes: 1,
    bits: 2,
    mask: true,
    ro: true,
    format: "frag",
    prereq: "ip_any",
    nxm: nxmNx("IP_FRAG", 26),
    at: W_NW_MISC,
    shift: 0,
  },
  {
    name: "arp_op",
    bytes: 2,
    mask: false,
    format: "decimal",
    prereq: "arp",
    nxm: nxmOf("ARP_OP", 15),
    oxm: oxmOf("ARP_OP", 21, OFP12),
    at: W_ARP_OP,
    shift: 0,
  },
  {
    name: "arp_spa",
    bytes: 4,
    mask: true,
    format: "ipv4",
    prereq: "arp",
    nxm: nxmOf("ARP_SPA", 16),
    oxm: oxmOf("ARP_SPA", 22, OFP12),
    at: W_NW_SRC,
  },
  {
    name: "arp_tpa",
    bytes: 4,
    mask: true,
    format: "ipv4",
    prereq: "arp",
    nxm: nxmOf("ARP_TPA", 17),
    oxm: oxmOf("ARP_TPA", 23, OFP12),
    at: W_NW_DST,
  },
  {
    name: "arp_sha",
    bytes: 6,
    mask: true,
    format: "ethernet",
    prereq: "arp",
    nxm: nxmNx("ARP_SHA", 17),
    oxm: oxmOf("ARP_SHA", 24, OFP12),
    at: W_ARP_SHA,
  },
  {
    name: "arp_tha",
    bytes: 6,
    mask: true,
    format: "ethernet",
    prereq: "arp",
    nxm: nxmNx("ARP_THA", 18),
    oxm: oxmOf("ARP_THA", 25, OFP12),
    at: W_ARP_THA,
  },
  {
    name: "tcp_src",
    extra: "tp_src",
    bytes: 2,
    mask: true,
    format: "decimal",
    prereq: "tcp",
    nxm: nxmOf("TCP_SRC", 9),
    oxm: oxmOf("TCP_SRC", 13, OFP12),
    at: W_TP,
    shift: 16,
  },
  {
    name: "tcp_dst",
    extra: "tp_dst",
    bytes: 2,
    mask: true,
    format: "decimal",
    prereq: "tcp",
    nxm: nxmOf("TCP_DST", 10),
    oxm: oxmOf("TCP_DST", 14, OFP12),
    at: W_TP,
    shift: 0,
  },
  {
    name: "tcp_flags",
    bytes: 2,
    bits: 12,
    mask: true,
    ro: true,
    format: "tcp_flags",
    prereq: "tcp",
    nxm: nxmNx("TCP_FLAGS", 34),
    oxm: onfOxm("TCP_FLAGS", 42, OFP13),
    at: W_TCP_FLAGS,
    shift: 0,
    // Upstream keeps 16 bits (a mask of 0xffff differs from 0x0fff on the wire).
    wordMask: 0x0000ffff,
  },
  {
    name: "udp_src",
    bytes: 2,
    mask: true,
    format: "decimal",
    prereq: "udp",
    nxm: nxmOf("UDP_SRC", 11),
    oxm: oxmOf("UDP_SRC", 15, OFP12),
    at: W_TP,
    shift: 16,
  },
  {
    name: "udp_dst",
    bytes: 2,
    mask: true,
    format: "decimal",
    prereq: "udp",
    nxm: nxmOf("UDP_DST", 12),
    oxm: oxmOf("UDP_DST", 16, OFP12),
    at: W_TP,
    shift: 0,
  },
  {
    name: "sctp_src",
    bytes: 2,
    mask: true,
    format: "decimal",
    prereq: "sctp",
    oxm: oxmOf("SCTP_SRC", 17, OFP12),
    at: W_TP,
    shift: 16,
  },
  {
    name: "sctp_dst",
    bytes: 2,
    mask: true,
    format: "decimal",
    prereq: "sctp",
    oxm: oxmOf("SCTP_DST", 18, OFP12),
    at: W_TP,
    shift: 0,
  },
  {
    name: "icmp_type",
    bytes: 1,
    mask: false,
    format: "decimal",
    prereq: "icmpv4",
    nxm: nxmOf("ICMP_TYPE", 13),
    oxm: oxmOf("ICMPV4_TYPE", 19, OFP12),
    at: W_TP,
    shift: 16,
    // The whole 16-bit tp_src/tp_dst, as upstream's match_set_icmp_type sets it.
    wordMask: 0xffff0000,
  },
  {
    name: "icmp_code",
    bytes: 1,
    mask: false,
    format: "decimal",
    prereq: "icmpv4",
    nxm: nxmOf("ICMP_CODE", 14),
    oxm: oxmOf("ICMPV4_CODE", 20, OFP12),
    at: W_TP,
    shift: 0,
    // The whole 16-bit tp_src/tp_dst, as upstream's match_set_icmp_type sets it.
    wordMask: 0x0000ffff,
  },
  {
    name: "icmpv6_type",
    bytes: 1,
    mask: false,
    format: "decimal",
    prereq: "icmpv6",
    nxm: nxmNx("ICMPV6_TYPE", 21),
    oxm: oxmOf("ICMPV6_TYPE", 29, OFP12),
    at: W_TP,
    shift: 16,
    // The whole 16-bit tp_src/tp_dst, as upstream's match_set_icmp_type sets it.
    wordMask: 0xffff0000,
  },
  {
    name: "icmpv6_code",
    bytes: 1,
    mask: false,
    format: "decimal",
    prereq: "icmpv6",
    nxm: nxmNx("ICMPV6_CODE", 22),
    oxm: oxmOf("ICMPV6_CODE", 30, OFP12),
    at: W_TP,
    shift: 0,
    // The whole 16-bit tp_src/tp_dst, as upstream's match_set_icmp_type sets it.
    wordMask: 0x0000ffff,
  },
  {
    name: "nd_target",
    bytes: 16,
    mask: true,
    format: "ipv6",
    prereq: "nd",
    nxm: nxmNx("ND_TARGET", 23),
    oxm: oxmOf("IPV6_ND_TARGET", 31, OFP12),
    at: W_ND_TARGET,
  },
  {
    name: "nd_sll",
    bytes: 6,
    mask: true,
    format: "ethernet",
    prereq: "nd_solicit",
    nxm: nxmNx("ND_SLL", 24),
    oxm: oxmOf("IPV6_ND_SLL", 32, OFP12),
    at: W_ARP_SHA,
  },
  {
    name: "nd_tll",
    bytes: 6,
    mask: true,
    format: "ethernet",
    prereq: "nd_advert",
    nxm: nxmNx("ND_TLL", 25),
    oxm: oxmOf("IPV6_ND_TLL", 33, OFP12),
    at: W_ARP_THA,
  },
  {
    name: "nd_reserved",
    bytes: 4,
    mask: false,
    format: "decimal",
    prereq: "nd",
    oxm: {
      name: "ERICOXM_OF_ICMPV6_ND_RESERVED",
      oxmClass: 0x1000,
      field: 1,
      experimenter: 0,
      version: OFP12,
    },
    at: W_ND_RESERVED,
  },
  {
    name: "nd_options_type",
    bytes: 1,
    mask: false,
    format: "decimal",
    prereq: "nd",
    oxm: {
      name: "ERICOXM_OF_ICMPV6_ND_OPTIONS_TYPE",
      oxmClass: 0x1000,
      field: 2,
      experimenter: 0,
      version: OFP12,
    },
    at: W_TCP_FLAGS,
    shift: 16,
  },
  {
    name: "nsh_flags",
    bytes: 1,
    mask: true,
    format: "decimal",
    prereq: "nsh",
    oxm: nshOxm("FLAGS", 1),
    at: W_NSH_BASE,
    shift: 24,
  },
  {
    name: "nsh_mdtype",
    bytes: 1,
    mask: false,
    ro: true,
    format: "decimal",
    prereq: "nsh",
    oxm: nshOxm("MDTYPE", 2),
    at: W_NSH_BASE,
    shift: 8,
  },
  {
    name: "nsh_np",
    bytes: 1,
    mask: false,
    ro: true,
    format: "decimal",
    prereq: "nsh",
    oxm: nshOxm("NP", 3),
    at: W_NSH_BASE,
    shift: 0,
  },
  {
    name: "nsh_spi",
    extra: "nsp",
    bytes: 4,
    bits: 24,
    mask: false,
    format: "hexadecimal",
    prereq: "nsh",
    oxm: nshOxm("SPI", 4),
    at: W_NSH_PATH,
    shift: 8,
    wordMask: 0xffffff00,
  },
  {
    name: "nsh_si",
    extra: "nsi",
    bytes: 1,
    mask: false,
    format: "decimal",
    prereq: "nsh",
    oxm: nshOxm("SI", 5),
    at: W_NSH_PATH,
    shift: 0,
  },
  ...Array.from({ length: 4 }, (_, n): Row => ({
    name: `nsh_c${n + 1}`,
    extra: `nshc${n + 1}`,
    bytes: 4,
    mask: true,
    format: "hexadecimal",
    prereq: "nsh",
    oxm: nshOxm(`C${n + 1}`, 6 + n),
    at: W_NSH_CONTEXT + n,
  })),
  {
    name: "nsh_ttl",
    bytes: 1,
    mask: false,
    format: "decimal",
    prereq: "nsh",
    oxm: nshOxm("TTL", 10),
    at: W_NSH_BASE,
    shift: 16,
  },
];

function build(row: Row, id: number): Field {
  const nBits = row.bits ?? row.bytes * 8;
  const nWords = row.variable ? 1 : Math.ceil(row.bytes / 4);
  const shift = row.shift ?? 0;
  const storedBits = row.bytes > 4 ? 32 : Math.min(row.bits ?? row.bytes * 8, 32 - shift);
  const defaultMask = storedBits >= 32 ? 0xffffffff : ((1 << storedBits) - 1) << shift;
  return {
    id,
    name: row.name,
    extraName: row.extra,
    nBytes: row.bytes,
    nBits,
    maskable: row.mask,
    writable: !row.ro,
    variable: row.variable === true,
    format: row.format,
    prerequisite: row.prereq,
    prereq: row.prereq === "nsh" ? "none" : row.prereq,
    nxm: row.nxm,
    oxm: row.oxm,
    word: row.at,
    nWords,
    shift,
    wordMask: (row.wordMask ?? defaultMask) >>> 0,
  };
}

export const FIELDS: readonly Field[] = ROWS.map(build);

const BY_NAME = new Map<string, Field>();
for (const field of FIELDS) {
  BY_NAME.set(field.name, field);
  if (field.extraName) BY_NAME.set(field.extraName, field);
  if (field.nxm) BY_NAME.set(field.nxm.name, field);
  if (field.oxm) BY_NAME.set(field.oxm.name, field);
}

/** The field with this name, extra name, NXM name or OXM name (case as upstream spells it). */
export function fieldByName(name: string): Field | undefined {
  return BY_NAME.get(name);
}

/** The field by upstream's short name, for code that names fields it knows exist. */
export function field(name: string): Field {
  const found = BY_NAME.get(name);
  if (!found) throw new RangeError(`no field named ${name}`);
  return found;
}

/**
 * The field's value in `words` (a flow or a mask) as big-endian bytes of its width, written into
 * `out` when given (no allocation on hot paths).
 */
export function readField(
  words: Uint32Array,
  f: Field,
  out: Uint8Array = new Uint8Array(f.nBytes),
): Uint8Array {
  if (f.nWords === 1) {
    let value = ((words[f.word]! & f.wordMask) >>> f.shift) >>> 0;
    for (let i = f.nBytes - 1; i >= 0; i--) {
      out[i] = value & 0xff;
      value >>>= 8;
    }
    return out;
  }
  // Multi-word: the last word holds the least significant 32 bits.
  let byte = f.nBytes - 1;
  for (let w = f.word + f.nWords - 1; w >= f.word && byte >= 0; w--) {
    let value = words[w]!;
    for (let k = 0; k < 4 && byte >= 0; k++) {
      out[byte--] = value & 0xff;
      value >>>= 8;
    }
  }
  return out;
}

/** Stores big-endian `value` (the field's width) into the field's bits of `words`. */
export function writeField(words: Uint32Array, f: Field, value: Uint8Array): void {
  if (f.nWords === 1) {
    let v = 0;
    for (let i = 0; i < f.nBytes; i++) v = (v * 256 + (value[i] ?? 0)) >>> 0;
    words[f.word] = ((words[f.word]! & ~f.wordMask) | ((v << f.shift) & f.wordMask)) >>> 0;
    return;
  }
  let byte = f.nBytes - 1;
  for (let w = f.word + f.nWords - 1; w >= f.word && byte >= 0; w--) {
    let v = 0;
    let k = 0;
    for (; k < 4 && byte >= 0; k++) v = (v | ((value[byte--] ?? 0) << (8 * k))) >>> 0;
    words[w] = v;
  }
}

/** The field's value in `words` as an unsigned bigint (any width). */
export function readFieldBig(words: Uint32Array, f: Field): bigint {
  if (f.nWords === 1) return BigInt(((words[f.word]! & f.wordMask) >>> f.shift) >>> 0);
  let v = 0n;
  for (let w = f.word; w < f.word + f.nWords; w++) v = (v << 32n) | BigInt(words[w]!);
  return v;
}

/** Stores an unsigned bigint into the field's bits of `words` (extra high bits are dropped). */
export function writeFieldBig(words: Uint32Array, f: Field, value: bigint): void {
  if (f.nWords === 1) {
    const v = Number(value & 0xffffffffn);
    words[f.word] = ((words[f.word]! & ~f.wordMask) | ((v << f.shift) & f.wordMask)) >>> 0;
    return;
  }
  let rest = value;
  for (let w = f.word + f.nWords - 1; w >= f.word; w--) {
    words[w] = Number(rest & 0xffffffffn);
    rest >>= 32n;
  }
  if (f.nBytes === 6) words[f.word] = words[f.word]! & 0xffff;
}

/** A field of up to 32 bits as a number (in_port, dl_type, tp_dst ...); hot-path friendly. */
export function readFieldNumber(words: Uint32Array, f: Field): number {
  return ((words[f.word]! & f.wordMask) >>> f.shift) >>> 0;
}

/** Stores a number into a field of up to 32 bits. */
export function writeFieldNumber(words: Uint32Array, f: Field, value: number): void {
  words[f.word] = ((words[f.word]! & ~f.wordMask) | ((value << f.shift) & f.wordMask)) >>> 0;
}

/** Sets every stored bit of the field in a mask (xlate's "this decision looked at f"). */
export function unwildcardField(mask: Uint32Array, f: Field): void {
  if (f.nWords === 1) {
    mask[f.word] = (mask[f.word]! | f.wordMask) >>> 0;
    return;
  }
  for (let w = f.word; w < f.word + f.nWords; w++) mask[w] = 0xffffffff;
  if (f.nBytes === 6) mask[f.word] = 0xffff;
}

/** Whether every stored bit of the field is zero in a mask (the field is wildcarded). */
export function isFieldWildcarded(mask: Uint32Array, f: Field): boolean {
  if (f.nWords === 1) return (mask[f.word]! & f.wordMask) === 0;
  for (let w = f.word; w < f.word + f.nWords; w++) if (mask[w] !== 0) return false;
  return true;
}

/** Whether every stored bit of the field is one in a mask (the field is matched exactly). */
export function isFieldExact(mask: Uint32Array, f: Field): boolean {
  if (f.nWords === 1) return ((mask[f.word]! & f.wordMask) >>> 0) === f.wordMask;
  const top = f.nBytes === 6 ? 0xffff : 0xffffffff;
  if (mask[f.word] !== top) return false;
  for (let w = f.word + 1; w < f.word + f.nWords; w++) if (mask[w] !== 0xffffffff) return false;
  return true;
}

/**
 * Bit `i` of a field (0 = least significant) as a position in flow words: which word and which
 * bit of it. Subfield operations (load, move, learn) work bit range by bit range through this.
 */
export function fieldBitPosition(f: Field, i: number): { word: number; bit: number } {
  if (f.nWords === 1) return { word: f.word, bit: f.shift + i };
  return { word: f.word + f.nWords - 1 - (i >>> 5), bit: i & 31 };
}
