// The match part of ovs-ofctl flow syntax, both ways, as upstream: parsing one item
// (`tcp`, `nw_src=10.0.0.0/8`, `reg0[0..3]=5`, `in_port=LOCAL` ...) into a Match while
// narrowing the usable protocols (parse_ofp_str__'s match keys), the checks parse_ofp_str__ makes
// after the last item, and formatting a Match exactly as match_format prints it in dump-flows
// lines and ofproto/trace's "Megaflow:" line (field order, protocol shorthands, masks, the
// priority when it is not the default). Errors are ParseError with upstream's text.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MPLS,
  ETH_TYPE_MPLS_MCAST,
  ETH_TYPE_NSH,
  ETH_TYPE_RARP,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  VLAN_CFI,
  VLAN_PCP_MASK,
  VLAN_VID_MASK,
  W_ACTSET_OUTPUT,
  W_ARP_OP,
  W_CONJ_ID,
  W_CT_MARK,
  W_CT_STATE,
  W_CT_TP,
  W_CT_ZONE,
  W_DL_TYPE_VLAN,
  W_DP_HASH,
  W_IN_PORT,
  W_MPLS_LSE,
  W_ND_RESERVED,
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
  W_TUN_MISC,
  W_TUN_SRC,
} from "../datapath/flow.ts";
import { ParseError } from "./errors.ts";
import { type Field, field, isFieldWildcarded, readField, readFieldBig } from "./fields.ts";
import { formatTunMetadataMatch } from "./tun_metadata.ts";
import { Match } from "./match.ts";
import { P_ANY, P_NXM_OXM_ANY, type Protocols } from "./protocols.ts";
import { formatEthernetMasked, formatIpv4Masked, formatIpv6Masked } from "./addr_text.ts";
import {
  addEthernetPrereq,
  ctStateName,
  flowDlType,
  formatFieldValue,
  formatFlags,
  formatFlagsMasked,
  formatHexBytes,
  formatPacketTypeMasked,
  getField,
  hasDefaultPacketType,
  OFPHTN_ETHERTYPE,
  parseFieldValue,
  PT_ETH,
  setDefaultPacketType,
  setFieldInMatch,
  tcpFlagName,
  tunFlagName,
} from "./field_text.ts";
import { formatPort, type PortMap } from "./port_text.ts";
import { fieldByOwnName, parseSubfield } from "./subfield.ts";
import { parseIntString } from "./text_scan.ts";
import { nextKeyValue } from "./key_value.ts";

/** OFP_DEFAULT_PRIORITY: the priority that goes unprinted. */
export const OFP_DEFAULT_PRIORITY = 0x8000;

/** What parsing a match needs and learns: names for ports, and the protocols still usable. */
export interface MatchParseContext {
  portMap?: PortMap | undefined;
  /** Narrowed by every item; start at P_ANY. */
  usableProtocols: Protocols;
}

export function newMatchParseContext(portMap?: PortMap): MatchParseContext {
  return { portMap, usableProtocols: P_ANY };
}

/** ofp_parse_protocol's shorthands: Ethertype and IP protocol. */
export const PROTOCOL_SHORTHANDS: Readonly<Record<string, readonly [number, number]>> = {
  ip: [ETH_TYPE_IP, 0],
  ipv4: [ETH_TYPE_IP, 0],
  ip4: [ETH_TYPE_IP, 0],
  arp: [ETH_TYPE_ARP, 0],
  icmp: [ETH_TYPE_IP, IPPROTO_ICMP],
  tcp: [ETH_TYPE_IP, IPPROTO_TCP],
  udp: [ETH_TYPE_IP, IPPROTO_UDP],
  sctp: [ETH_TYPE_IP, IPPROTO_SCTP],
  ipv6: [ETH_TYPE_IPV6, 0],
  ip6: [ETH_TYPE_IPV6, 0],
  icmp6: [ETH_TYPE_IPV6, IPPROTO_ICMPV6],
  tcp6: [ETH_TYPE_IPV6, IPPROTO_TCP],
  udp6: [ETH_TYPE_IPV6, IPPROTO_UDP],
  sctp6: [ETH_TYPE_IPV6, IPPROTO_SCTP],
  rarp: [ETH_TYPE_RARP, 0],
  mpls: [ETH_TYPE_MPLS, 0],
  mplsm: [ETH_TYPE_MPLS_MCAST, 0],
};

const ETH_TYPE = field("eth_type");
const NW_PROTO = field("nw_proto");

function bitwiseIsZeroAbove(bytes: Uint8Array, nBits: number): boolean {
  const total = bytes.length * 8;
  for (let bit = nBits; bit < total; bit++) {
    const byte = bytes.length - 1 - (bit >>> 3);
    if ((bytes[byte]! >>> (bit & 7)) & 1) return false;
  }
  return true;
}

function setBitRange(out: Uint8Array, from: Uint8Array, ofs: number, nBits: number): void {
  for (let i = 0; i < nBits; i++) {
    const srcByte = from.length - 1 - (i >>> 3);
    const bit = (from[srcByte]! >>> (i & 7)) & 1;
    const dst = ofs + i;
    const dstByte = out.length - 1 - (dst >>> 3);
    const m = 1 << (dst & 7);
    out[dstByte] = bit ? out[dstByte]! | m : out[dstByte]! & ~m;
  }
}

/** parse_subfield: "field[start..end]=value" sets just those bits, exactly. */
function parseSubfieldItem(m: Match, name: string, value: string, ctx: MatchParseContext): void {
  const sf = parseSubfield(name);
  const f = sf.field;
  const v = parseIntString(value, f.nBytes);
  if (!v.ok || v.tail !== value.length) {
    throw new ParseError(`${name}: cannot parse integer value: ${value}`);
  }
  if (!bitwiseIsZeroAbove(v.bytes, sf.nBits)) {
    const shown = formatFieldValue(f, v.bytes);
    throw new ParseError(`${name}: value ${shown} does not fit into ${sf.nBits} bits`);
  }
  const { value: cur, mask } = getField(m, f);
  setBitRange(cur, v.bytes, sf.ofs, sf.nBits);
  setBitRange(mask, new Uint8Array(f.nBytes).fill(0xff), sf.ofs, sf.nBits);
  ctx.usableProtocols &= setFieldInMatch(m, f, cur, mask);
  addEthernetPrereq(m, f);
}

/**
 * One item of a flow string, if it is part of the match: protocol shorthands, "eth", field
 * names and aliases (an empty value matches on the field's existence, as "0/0"), subfields, and
 * the ignored "no_readonly_table"/"allow_hidden_fields". Returns false for other keys (priority,
 * cookie, actions ...), which the caller handles.
 */
export function parseMatchItem(
  m: Match,
  key: string,
  value: string | undefined,
  ctx: MatchParseContext,
): boolean {
  const shorthand = PROTOCOL_SHORTHANDS[key];
  if (shorthand) {
    const [dlType, proto] = shorthand;
    setFieldInMatch(m, ETH_TYPE, new Uint8Array([dlType >>> 8, dlType & 0xff]));
    if (proto) setFieldInMatch(m, NW_PROTO, new Uint8Array([proto]));
    setDefaultPacketType(m);
    return true;
  }
  if (key === "eth") {
    m.flow[W_PACKET_TYPE] = PT_ETH;
    m.mask[W_PACKET_TYPE] = 0xffffffff;
    return true;
  }
  if (key === "no_readonly_table" || key === "allow_hidden_fields") return true;
  const f = fieldByOwnName(key);
  if (f) {
    const parsed = parseFieldValue(f, value || "0/0", ctx.portMap);
    ctx.usableProtocols &= setFieldInMatch(m, f, parsed.value, parsed.mask);
    addEthernetPrereq(m, f);
    return true;
  }
  if (key.includes("[")) {
    parseSubfieldItem(m, key, value ?? "", ctx);
    return true;
  }
  return false;
}

function isArpType(t: number): boolean {
  return t === ETH_TYPE_ARP || t === ETH_TYPE_RARP;
}

/**
 * What parse_ofp_str__ does after the last item: upstream keeps the ARP opcode in nw_proto, so
 * an arp_op on a non-ARP match is a protocol number and an IP protocol on an ARP match is an
 * opcode; and L3/L4 matches within IPv6 need NXM or OXM.
 */
export function finishMatchParse(m: Match, ctx: MatchParseContext): void {
  const flow = m.flow;
  const mask = m.mask;
  const dlType = flow[W_DL_TYPE_VLAN]! >>> 16;
  if (isArpType(dlType)) {
    if (mask[W_NW_MISC]! >>> 24 && !(mask[W_ARP_OP]! & 0xffff)) {
      mask[W_ARP_OP] = 0xffff;
      flow[W_ARP_OP] = flow[W_NW_MISC]! >>> 24;
      mask[W_NW_MISC] = mask[W_NW_MISC]! & 0x00ffffff;
      flow[W_NW_MISC] = flow[W_NW_MISC]! & 0x00ffffff;
    }
  } else if (mask[W_ARP_OP]! & 0xffff) {
    if (!(mask[W_NW_MISC]! >>> 24)) {
      mask[W_NW_MISC] = (mask[W_NW_MISC]! | 0xff000000) >>> 0;
      flow[W_NW_MISC] = ((flow[W_NW_MISC]! & 0x00ffffff) | (flow[W_ARP_OP]! << 24)) >>> 0;
    }
    mask[W_ARP_OP] = 0;
    flow[W_ARP_OP] = 0;
  }
  // Likewise nd_options_type is upstream's tcp_flags word: it means TCP flags outside ICMPv6.
  const icmpv6 = dlType === ETH_TYPE_IPV6 && flow[W_NW_MISC]! >>> 24 === IPPROTO_ICMPV6;
  const optionsMask = (mask[W_TCP_FLAGS]! >>> 16) & 0xff;
  const tcpFlagsMask = mask[W_TCP_FLAGS]! & 0xffff;
  if (!icmpv6 && optionsMask) {
    const option = (flow[W_TCP_FLAGS]! >>> 16) & 0xff;
    if (!tcpFlagsMask) mask[W_TCP_FLAGS] = 0xffff;
    if (!tcpFlagsMask) flow[W_TCP_FLAGS] = option;
    else flow[W_TCP_FLAGS] = flow[W_TCP_FLAGS]! & 0xffff;
    mask[W_TCP_FLAGS] = mask[W_TCP_FLAGS]! & 0xffff;
  } else if (icmpv6 && tcpFlagsMask && !optionsMask) {
    // Upstream's encoders then send the word's low byte as an exact nd_options_type.
    mask[W_TCP_FLAGS] = 0x00ff0000;
    flow[W_TCP_FLAGS] = (flow[W_TCP_FLAGS]! & 0xff) << 16;
  }
  // With an exact packet_type in the Ethertype namespace, upstream copies its type into the
  // flow's dl_type (unmasked) before this check.
  const pt = flow[W_PACKET_TYPE]!;
  const effectiveType = mask[W_PACKET_TYPE] === 0xffffffff && pt >>> 16 === OFPHTN_ETHERTYPE
    ? pt & 0xffff
    : dlType;
  if (effectiveType === ETH_TYPE_IPV6) {
    if ((mask[W_NW_MISC]! & 0xffff0000) || mask[W_TP]) ctx.usableProtocols &= P_NXM_OXM_ANY;
  }
}

/**
 * A string that is only a match (as `ovs-ofctl dump-flows br0 "tcp,tp_dst=80"` takes one):
 * every item must be a match item.
 */
export function parseMatch(text: string, ctx: MatchParseContext = newMatchParseContext()): Match {
  const m = new Match();
  let pos = 0;
  for (;;) {
    const r = nextKeyValue(text, pos);
    if (!r) break;
    pos = r.next;
    const { key, value } = r.item;
    if (parseMatchItem(m, key, value, ctx)) continue;
    if (!value) throw new ParseError(`field ${key} missing value`);
    throw new ParseError(`unknown keyword ${key}`);
  }
  finishMatchParse(m, ctx);
  return m;
}

// ---- formatting (match_format) ----

const hex = (v: number | bigint) => v.toString(16);
/** C's "%#x": "0" for zero, else "0x..." */
const altHex = (v: number | bigint) => (v ? `0x${hex(v)}` : "0");

class Out {
  parts: string[] = [];
  push(s: string): void {
    this.parts.push(s);
  }
  /** format_uint32_masked / format_be64_masked. */
  altHexMasked(name: string, value: number | bigint, mask: number | bigint, max: number | bigint) {
    if (!mask) return;
    this.push(`${name}=${altHex(value)}${mask !== max ? `/${altHex(mask)}` : ""}`);
  }
  /** format_be16_masked / format_uint16_masked. */
  decimalOrHex16(name: string, value: number, mask: number) {
    if (!mask) return;
    this.push(mask === 0xffff ? `${name}=${value}` : `${name}=0x${hex(value)}/0x${hex(mask)}`);
  }
  ip(name: string, value: number, mask: number) {
    if (mask) this.push(`${name}=${formatIpv4Masked(value, mask)}`);
  }
  /** An IPv6 field, read only when its mask is not all zeros. */
  ipv6(name: string, m: Match, f: Field) {
    if (isFieldWildcarded(m.mask, f)) return;
    this.push(`${name}=${formatIpv6Masked(readField(m.flow, f), readField(m.mask, f))}`);
  }
  /** An Ethernet address field, read only when its mask is not all zeros. */
  eth(name: string, m: Match, f: Field) {
    if (isFieldWildcarded(m.mask, f)) return;
    this.push(`${name}=${formatEthernetMasked(readField(m.flow, f), readField(m.mask, f))}`);
  }
  /** format_uint8_masked. */
  uint8Masked(name: string, value: number, mask: number) {
    if (!mask) return;
    this.push(
      mask === 0xff
        ? `${name}=${value}`
        : `${name}=0x${hex(value).padStart(2, "0")}/0x${hex(mask).padStart(2, "0")}`,
    );
  }
  /** format_be32_masked_hex. */
  hex32Masked(name: string, value: number, mask: number) {
    if (!mask) return;
    this.push(
      mask >>> 0 === 0xffffffff
        ? `${name}=0x${hex(value >>> 0)}`
        : `${name}=0x${hex(value >>> 0)}/0x${hex(mask >>> 0)}`,
    );
  }
}

/** format_nsh_masked. */
function formatNsh(o: Out, flow: Uint32Array, mask: Uint32Array): void {
  const base = flow[W_NSH_BASE]!;
  const baseMask = mask[W_NSH_BASE]!;
  o.uint8Masked("nsh_flags", base >>> 24, baseMask >>> 24);
  o.uint8Masked("nsh_ttl", (base >>> 16) & 0xff, (baseMask >>> 16) & 0xff);
  const mdtype = (base >>> 8) & 0xff;
  const mdtypeMask = (baseMask >>> 8) & 0xff;
  o.uint8Masked("nsh_mdtype", mdtype, mdtypeMask);
  o.uint8Masked("nsh_np", base & 0xff, baseMask & 0xff);
  const spiMask = mask[W_NSH_PATH]! >>> 8;
  o.hex32Masked("nsh_spi", flow[W_NSH_PATH]! >>> 8, spiMask === 0xffffff ? 0xffffffff : spiMask);
  o.uint8Masked("nsh_si", flow[W_NSH_PATH]! & 0xff, mask[W_NSH_PATH]! & 0xff);
  if (mdtypeMask === 0xff && mdtype === 1) {
    for (let i = 0; i < 4; i++) {
      o.hex32Masked(`nsh_c${i + 1}`, flow[W_NSH_CONTEXT + i]!, mask[W_NSH_CONTEXT + i]!);
    }
  }
}

const FMT = {
  ctLabel: field("ct_label"),
  ctNwSrc: field("ct_nw_src"),
  ctNwDst: field("ct_nw_dst"),
  ctIpv6Src: field("ct_ipv6_src"),
  ctIpv6Dst: field("ct_ipv6_dst"),
  tunId: field("tun_id"),
  tunIpv6Src: field("tun_ipv6_src"),
  tunIpv6Dst: field("tun_ipv6_dst"),
  metadata: field("metadata"),
  ethSrc: field("eth_src"),
  ethDst: field("eth_dst"),
  ipv6Src: field("ipv6_src"),
  ipv6Dst: field("ipv6_dst"),
  ndTarget: field("nd_target"),
  ipv6Label: field("ipv6_label"),
  arpSha: field("arp_sha"),
  arpTha: field("arp_tha"),
};

function get(m: Match, f: Field): [Uint8Array, Uint8Array] {
  return [readField(m.flow, f), readField(m.mask, f)];
}

export interface FormatMatchOptions {
  /** Printed first when given and not OFP_DEFAULT_PRIORITY. */
  priority?: number;
  portMap?: PortMap | undefined;
}

/** match_format: the match as ovs-ofctl and ofproto/trace print it. */
export function formatMatch(m: Match, opts: FormatMatchOptions = {}): string {
  const flow = m.flow;
  const mask = m.mask;
  const o = new Out();
  const portMap = opts.portMap;
  if (opts.priority !== undefined && opts.priority !== OFP_DEFAULT_PRIORITY) {
    o.push(`priority=${opts.priority}`);
  }
  o.altHexMasked("pkt_mark", flow[W_PKT_MARK]!, mask[W_PKT_MARK]!, 0xffffffff);
  let isMegaflow = false;
  if (mask[W_RECIRC_ID]) {
    o.altHexMasked("recirc_id", flow[W_RECIRC_ID]!, mask[W_RECIRC_ID]!, 0xffffffff);
    isMegaflow = true;
  }
  if (mask[W_DP_HASH]) o.altHexMasked("dp_hash", flow[W_DP_HASH]!, mask[W_DP_HASH]!, 0xffffffff);
  if (mask[W_CONJ_ID]) o.push(`conj_id=${flow[W_CONJ_ID]}`);
  if (mask[W_SKB_PRIORITY]) o.push(`skb_priority=${altHex(flow[W_SKB_PRIORITY]!)}`);
  if (mask[W_ACTSET_OUTPUT]! & 0xffff) {
    o.push(`actset_output=${formatPort(flow[W_ACTSET_OUTPUT]! & 0xffff, portMap)}`);
  }
  const ctState = flow[W_CT_STATE]! & 0xff;
  const ctStateMask = mask[W_CT_STATE]! & 0xff;
  if (ctStateMask) {
    if (ctStateMask === 0xff) {
      o.push(`ct_state=${ctState ? formatFlags(ctState, ctStateName) : "0"}`);
    } else {
      o.push(`ct_state=${formatFlagsMasked(ctState, ctStateMask, 0xff, ctStateName)}`);
    }
  }
  o.decimalOrHex16("ct_zone", flow[W_CT_ZONE]! & 0xffff, mask[W_CT_ZONE]! & 0xffff);
  o.altHexMasked("ct_mark", flow[W_CT_MARK]!, mask[W_CT_MARK]!, 0xffffffff);
  if (!isFieldWildcarded(mask, FMT.ctLabel)) {
    const [label, labelMask] = get(m, FMT.ctLabel);
    const masked = !labelMask.every((b) => b === 0xff);
    o.push(`ct_label=${formatHexBytes(label)}${masked ? `/${formatHexBytes(labelMask)}` : ""}`);
  }
  o.ip("ct_nw_src", flow[FMT.ctNwSrc.word]!, mask[FMT.ctNwSrc.word]!);
  o.ipv6("ct_ipv6_src", m, FMT.ctIpv6Src);
  o.ip("ct_nw_dst", flow[FMT.ctNwDst.word]!, mask[FMT.ctNwDst.word]!);
  o.ipv6("ct_ipv6_dst", m, FMT.ctIpv6Dst);
  if ((mask[W_CT_ZONE]! >>> 16) & 0xff) {
    o.push(`ct_nw_proto=${(flow[W_CT_ZONE]! >>> 16) & 0xff}`);
    o.decimalOrHex16("ct_tp_src", flow[W_CT_TP]! >>> 16, mask[W_CT_TP]! >>> 16);
    o.decimalOrHex16("ct_tp_dst", flow[W_CT_TP]! & 0xffff, mask[W_CT_TP]! & 0xffff);
  }

  let dlType = flow[W_DL_TYPE_VLAN]! >>> 16;
  const pt = flow[W_PACKET_TYPE]!;
  if (mask[W_PACKET_TYPE] && (!hasDefaultPacketType(m) || isMegaflow)) {
    o.push(formatPacketTypeMasked(pt, mask[W_PACKET_TYPE]!));
    if (pt >>> 16 === OFPHTN_ETHERTYPE) dlType = pt & 0xffff;
  }

  const nwProto = flow[W_NW_MISC]! >>> 24;
  const nwProtoMask = mask[W_NW_MISC]! >>> 24;
  let skipType = false;
  let skipProto = false;
  if (mask[W_DL_TYPE_VLAN]! >>> 16) {
    skipType = true;
    const shorthand = (names: Record<number, string>, base: string) => {
      if (!nwProtoMask) return base;
      const name = names[nwProto];
      if (name) {
        skipProto = true;
        return name;
      }
      return base;
    };
    if (dlType === ETH_TYPE_IP) {
      o.push(shorthand(
        {
          [IPPROTO_ICMP]: "icmp",
          [IPPROTO_TCP]: "tcp",
          [IPPROTO_UDP]: "udp",
          [IPPROTO_SCTP]: "sctp",
        },
        "ip",
      ));
    } else if (dlType === ETH_TYPE_IPV6) {
      o.push(shorthand(
        {
          [IPPROTO_ICMPV6]: "icmp6",
          [IPPROTO_TCP]: "tcp6",
          [IPPROTO_UDP]: "udp6",
          [IPPROTO_SCTP]: "sctp6",
        },
        "ipv6",
      ));
    } else if (dlType === ETH_TYPE_ARP) o.push("arp");
    else if (dlType === ETH_TYPE_RARP) o.push("rarp");
    else if (dlType === ETH_TYPE_MPLS) o.push("mpls");
    else if (dlType === ETH_TYPE_MPLS_MCAST) o.push("mplsm");
    else skipType = false;
  }

  for (let i = 0; i < 16; i++) {
    o.altHexMasked(`reg${i}`, flow[W_REGS + i]!, mask[W_REGS + i]!, 0xffffffff);
  }

  // format_flow_tunnel
  o.altHexMasked(
    "tun_id",
    readFieldBig(flow, FMT.tunId),
    readFieldBig(mask, FMT.tunId),
    (1n << 64n) - 1n,
  );
  o.ip("tun_src", flow[W_TUN_SRC]!, mask[W_TUN_SRC]!);
  o.ip("tun_dst", flow[W_TUN_DST]!, mask[W_TUN_DST]!);
  o.ipv6("tun_ipv6_src", m, FMT.tunIpv6Src);
  o.ipv6("tun_ipv6_dst", m, FMT.tunIpv6Dst);
  o.decimalOrHex16("tun_gbp_id", flow[W_TUN_GBP]! & 0xffff, mask[W_TUN_GBP]! & 0xffff);
  if ((mask[W_TUN_GBP]! >>> 16) & 0xff) {
    o.push(`tun_gbp_flags=${altHex((flow[W_TUN_GBP]! >>> 16) & 0xff)}`);
  }
  if ((mask[W_TUN_MISC]! >>> 16) & 0xff) {
    o.push(`tun_tos=${hex((flow[W_TUN_MISC]! >>> 16) & 0xff)}`);
  }
  if (mask[W_TUN_MISC]! >>> 24) o.push(`tun_ttl=${flow[W_TUN_MISC]! >>> 24}`);
  const erspan = flow[W_TUN_ERSPAN]!;
  const erspanMask = mask[W_TUN_ERSPAN]!;
  const erspanVer = erspan >>> 24;
  if (erspanMask >>> 24) o.push(`tun_erspan_ver=${erspanVer}`);
  if (mask[W_TUN_ERSPAN_IDX] && erspanVer === 1) {
    o.push(`tun_erspan_idx=${altHex(flow[W_TUN_ERSPAN_IDX]!)}`);
  }
  if ((erspanMask >>> 16) & 0xff && erspanVer === 2) {
    o.push(`tun_erspan_dir=${(erspan >>> 16) & 0xff}`);
  }
  if ((erspanMask >>> 8) & 0xff && erspanVer === 2) {
    o.push(`tun_erspan_hwid=${altHex((erspan >>> 8) & 0xff)}`);
  }
  // Upstream prints the GTP-U fields without their "tun_" prefix.
  const gtpu = flow[W_TUN_GTPU]!;
  const gtpuMask = mask[W_TUN_GTPU]!;
  if ((gtpuMask >>> 8) & 0xff) o.push(`gtpu_flags=${altHex((gtpu >>> 8) & 0xff)}`);
  if (gtpuMask & 0xff) o.push(`gtpu_msgtype=${gtpu & 0xff}`);
  if (mask[W_TUN_MISC]! & 0xf) {
    o.push(
      `tun_flags=${
        formatFlagsMasked(flow[W_TUN_MISC]! & 0xf, mask[W_TUN_MISC]! & 0xf, 0xf, tunFlagName)
      }`,
    );
  }
  formatTunMetadataMatch(m, o.parts);

  o.altHexMasked(
    "metadata",
    readFieldBig(flow, FMT.metadata),
    readFieldBig(mask, FMT.metadata),
    (1n << 64n) - 1n,
  );
  if (mask[W_IN_PORT]! & 0xffff) {
    o.push(`in_port=${formatPort(flow[W_IN_PORT]! & 0xffff, portMap)}`);
  }

  const tci = flow[W_DL_TYPE_VLAN]! & 0xffff;
  const tciMask = mask[W_DL_TYPE_VLAN]! & 0xffff;
  if (tciMask) {
    const vidMask = tciMask & VLAN_VID_MASK;
    const pcpMask = tciMask & VLAN_PCP_MASK;
    const cfi = tciMask & VLAN_CFI;
    if (
      cfi && tci & VLAN_CFI && (!vidMask || vidMask === VLAN_VID_MASK) &&
      (!pcpMask || pcpMask === VLAN_PCP_MASK) && (vidMask || pcpMask)
    ) {
      if (vidMask) o.push(`dl_vlan=${tci & VLAN_VID_MASK}`);
      if (pcpMask) o.push(`dl_vlan_pcp=${tci >>> 13}`);
    } else if (tciMask === 0xffff) {
      o.push(`vlan_tci=0x${hex(tci).padStart(4, "0")}`);
    } else {
      o.push(`vlan_tci=0x${hex(tci).padStart(4, "0")}/0x${hex(tciMask).padStart(4, "0")}`);
    }
  }

  o.eth("dl_src", m, FMT.ethSrc);
  o.eth("dl_dst", m, FMT.ethDst);
  if (!skipType && mask[W_DL_TYPE_VLAN]! >>> 16) {
    o.push(`dl_type=0x${hex(dlType).padStart(4, "0")}`);
  }
  const arp = isArpType(dlType);
  if (dlType === ETH_TYPE_IPV6) {
    o.ipv6("ipv6_src", m, FMT.ipv6Src);
    o.ipv6("ipv6_dst", m, FMT.ipv6Dst);
    const label = flow[field("ipv6_label").word]! & 0xfffff;
    const labelMask = mask[field("ipv6_label").word]! & 0xfffff;
    if (labelMask) {
      const l = hex(label).padStart(5, "0");
      o.push(
        labelMask === 0xfffff
          ? `ipv6_label=0x${l}`
          : `ipv6_label=0x${l}/0x${hex(labelMask).padStart(5, "0")}`,
      );
    }
  } else if (arp) {
    o.ip("arp_spa", flow[W_NW_SRC]!, mask[W_NW_SRC]!);
    o.ip("arp_tpa", flow[W_NW_DST]!, mask[W_NW_DST]!);
  } else if (dlType === ETH_TYPE_NSH) {
    formatNsh(o, flow, mask);
  } else {
    o.ip("nw_src", flow[W_NW_SRC]!, mask[W_NW_SRC]!);
    o.ip("nw_dst", flow[W_NW_DST]!, mask[W_NW_DST]!);
  }
  if (arp) {
    const opMask = (mask[W_ARP_OP]! & 0xffff) || nwProtoMask;
    if (opMask) {
      o.push(`arp_op=${(mask[W_ARP_OP]! & 0xffff ? flow[W_ARP_OP]! : nwProto) & 0xff}`);
    }
    o.eth("arp_sha", m, FMT.arpSha);
    o.eth("arp_tha", m, FMT.arpTha);
  } else if (!skipProto && nwProtoMask) {
    o.push(`nw_proto=${nwProto}`);
  }
  const tos = (flow[W_NW_MISC]! >>> 16) & 0xff;
  const tosMask = (mask[W_NW_MISC]! >>> 16) & 0xff;
  if (tosMask & 0xfc) o.push(`nw_tos=${tos & 0xfc}`);
  if (tosMask & 0x03) o.push(`nw_ecn=${tos & 0x03}`);
  if ((mask[W_NW_MISC]! >>> 8) & 0xff) o.push(`nw_ttl=${(flow[W_NW_MISC]! >>> 8) & 0xff}`);
  const lse = flow[W_MPLS_LSE]!;
  const lseMask = mask[W_MPLS_LSE]!;
  if (lseMask & 0xfffff000) o.push(`mpls_label=${lse >>> 12}`);
  if (lseMask & 0x00000e00) o.push(`mpls_tc=${(lse >>> 9) & 7}`);
  if (lseMask & 0x000000ff) o.push(`mpls_ttl=${lse & 0xff}`);
  if (lseMask & 0x00000100) o.push(`mpls_bos=${(lse >>> 8) & 1}`);

  const frag = flow[W_NW_MISC]! & 3;
  switch (mask[W_NW_MISC]! & 3) {
    case 3:
      o.push(`nw_frag=${frag & 1 ? (frag & 2 ? "later" : "first") : frag & 2 ? "<error>" : "no"}`);
      break;
    case 1:
      o.push(`nw_frag=${frag & 1 ? "yes" : "no"}`);
      break;
    case 2:
      o.push(`nw_frag=${frag & 2 ? "later" : "not_later"}`);
      break;
  }

  const tpSrc = flow[W_TP]! >>> 16;
  const tpDst = flow[W_TP]! & 0xffff;
  const tpSrcMask = mask[W_TP]! >>> 16;
  const tpDstMask = mask[W_TP]! & 0xffff;
  if (dlType === ETH_TYPE_IP && nwProto === IPPROTO_ICMP) {
    o.decimalOrHex16("icmp_type", tpSrc, tpSrcMask);
    o.decimalOrHex16("icmp_code", tpDst, tpDstMask);
  } else if (dlType === ETH_TYPE_IPV6 && nwProto === IPPROTO_ICMPV6) {
    o.decimalOrHex16("icmp_type", tpSrc, tpSrcMask);
    o.decimalOrHex16("icmp_code", tpDst, tpDstMask);
    o.ipv6("nd_target", m, FMT.ndTarget);
    o.eth("nd_sll", m, FMT.arpSha);
    o.eth("nd_tll", m, FMT.arpTha);
    const reservedMask = mask[W_ND_RESERVED]!;
    if (reservedMask) {
      const v = flow[W_ND_RESERVED]!;
      o.push(
        reservedMask === 0xffffffff
          ? `nd_reserved=${v}`
          : `nd_reserved=0x${hex(v).padStart(8, "0")}/0x${hex(reservedMask).padStart(8, "0")}`,
      );
    }
    o.decimalOrHex16(
      "nd_options_type",
      (flow[W_TCP_FLAGS]! >>> 16) & 0xff,
      (mask[W_TCP_FLAGS]! >>> 16) & 0xff ? 0xffff : 0,
    );
  } else {
    o.decimalOrHex16("tp_src", tpSrc, tpSrcMask);
    o.decimalOrHex16("tp_dst", tpDst, tpDstMask);
  }
  const tcpMask = mask[W_TCP_FLAGS]! & 0xffff;
  if (
    (flowDlType(flow) === ETH_TYPE_IP || flowDlType(flow) === ETH_TYPE_IPV6) &&
    nwProto === IPPROTO_TCP && tcpMask
  ) {
    o.push(
      `tcp_flags=${
        formatFlagsMasked(flow[W_TCP_FLAGS]! & 0xffff, tcpMask & 0x0fff, 0x0fff, tcpFlagName)
      }`,
    );
  }
  return o.parts.join(",");
}
