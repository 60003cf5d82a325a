// Turning header changes into datapath actions (upstream's commit_odp_actions in lib/odp-util.c):
// compares the flow translation has been editing with the "base" flow (the packet as the datapath
// will have it at this point) and appends the set / set-masked / push / pop actions that make the
// one into the other, then brings the base up to date. The wildcard bits each commit adds are
// upstream's: a changed field is matched on (so a masked set only carries the bits that were
// looked at), an unmasked set matches every field of its attribute.
//
// Assumes the userspace datapath's abilities (masked set actions). Knows attributes field by field
// as upstream's OFFSETOF_SIZEOF arrays do, so that unchanged fields drop out of a masked set.
// Allocates only for the actions it appends.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  ETH_TYPE_MPLS,
  FLOW_WORDS,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  W_ARP_OP,
  W_ARP_SHA,
  W_ARP_THA,
  W_DL_DST,
  W_DL_SRC,
  W_IPV6_DST,
  W_IPV6_LABEL,
  W_IPV6_SRC,
  W_ND_RESERVED,
  W_ND_TARGET,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_PACKET_TYPE,
  W_PKT_MARK,
  W_SKB_PRIORITY,
  W_TCP_FLAGS,
  W_TP,
} from "../../datapath/flow.ts";
import { type DpAction, setAction } from "../../datapath/dp_actions.ts";
import {
  type BytesAttrName,
  type BytesKeyAttr,
  newKeyAttr,
  writeBytesBE,
} from "../../datapath/odp_key_attr.ts";
import { keyAttrFromFlow } from "../../datapath/odp_key_attr_flow.ts";
import {
  countCommonMplsLabels,
  countMplsLabels,
  countVlanHeaders,
  ethTypeMpls,
  isIcmpv4,
  isIcmpv6,
  isIpAny,
  maskVlanAll,
  mplsLse,
  nwProto,
  popMpls,
  pushMpls,
  rawDlType,
  setMplsLse,
  setVlan,
  vlanQtag,
  vlanTci,
  vlanTpid,
  type XFlow,
  XFLOW_WORDS,
} from "./xflow.ts";

/** Slow-path reason bits (upstream's enum slow_path_reason). */
export const SLOW_CFM = 1 << 0;
export const SLOW_BFD = 1 << 1;
export const SLOW_LACP = 1 << 2;
export const SLOW_STP = 1 << 3;
export const SLOW_LLDP = 1 << 4;
export const SLOW_ACTION = 1 << 5;
export const SLOW_MATCH = 1 << 6;

/** One field of an attribute: the flow word bits it occupies. */
interface FieldBits {
  readonly words: readonly number[];
  readonly bits: readonly number[];
}

const ALL = 0xffffffff;

function one(word: number, bits = ALL): FieldBits {
  return { words: [word], bits: [bits] };
}

function mac(word: number): FieldBits {
  return { words: [word, word + 1], bits: [0xffff, ALL] };
}

function in6(word: number): FieldBits {
  return { words: [word, word + 1, word + 2, word + 3], bits: [ALL, ALL, ALL, ALL] };
}

interface AttrSpec {
  readonly name: BytesAttrName;
  readonly fields: readonly FieldBits[];
  /** Fields the datapath cannot write: their mask bits are cleared before deciding. */
  readonly readOnly: readonly FieldBits[];
}

const ETH: AttrSpec = { name: "eth", fields: [mac(W_DL_SRC), mac(W_DL_DST)], readOnly: [] };
const PROTO = one(W_NW_MISC, 0xff000000);
const FRAG = one(W_NW_MISC, 0x00000003);
const IPV4: AttrSpec = {
  name: "ipv4",
  fields: [
    one(W_NW_SRC),
    one(W_NW_DST),
    PROTO,
    one(W_NW_MISC, 0x00ff0000),
    one(W_NW_MISC, 0x0000ff00),
    FRAG,
  ],
  readOnly: [PROTO, FRAG],
};
const IPV6: AttrSpec = {
  name: "ipv6",
  fields: [
    in6(W_IPV6_SRC),
    in6(W_IPV6_DST),
    one(W_IPV6_LABEL, 0x000fffff),
    PROTO,
    one(W_NW_MISC, 0x00ff0000),
    one(W_NW_MISC, 0x0000ff00),
    FRAG,
  ],
  readOnly: [PROTO, FRAG],
};
const TP_FIELDS = [one(W_TP, 0xffff0000), one(W_TP, 0x0000ffff)];
const TCP: AttrSpec = { name: "tcp", fields: TP_FIELDS, readOnly: [] };
const UDP: AttrSpec = { name: "udp", fields: TP_FIELDS, readOnly: [] };
const SCTP: AttrSpec = { name: "sctp", fields: TP_FIELDS, readOnly: [] };
const ICMP_FIELDS = [one(W_TP, 0x00ff0000), one(W_TP, 0x000000ff)];
const ICMP: AttrSpec = { name: "icmp", fields: ICMP_FIELDS, readOnly: [] };
const ICMPV6: AttrSpec = { name: "icmpv6", fields: ICMP_FIELDS, readOnly: [] };
const ARP: AttrSpec = {
  name: "arp",
  fields: [one(W_NW_SRC), one(W_NW_DST), one(W_ARP_OP, 0xffff), mac(W_ARP_SHA), mac(W_ARP_THA)],
  readOnly: [],
};
const ND: AttrSpec = {
  name: "nd",
  fields: [in6(W_ND_TARGET), mac(W_ARP_SHA), mac(W_ARP_THA)],
  readOnly: [],
};
const ND_EXT: AttrSpec = {
  name: "nd_ext",
  fields: [one(W_ND_RESERVED), one(W_TCP_FLAGS, 0x00ff0000)],
  readOnly: [],
};
const PRIORITY: AttrSpec = { name: "skb_priority", fields: [one(W_SKB_PRIORITY)], readOnly: [] };
const PKT_MARK: AttrSpec = { name: "skb_mark", fields: [one(W_PKT_MARK)], readOnly: [] };

function fieldDiffers(f: FieldBits, a: XFlow, b: XFlow): boolean {
  for (let i = 0; i < f.words.length; i++) {
    const w = f.words[i]!;
    if (((a[w]! ^ b[w]!) & f.bits[i]!) !== 0) return true;
  }
  return false;
}

function fieldCovered(f: FieldBits, m: XFlow): boolean {
  for (let i = 0; i < f.words.length; i++) {
    const bits = f.bits[i]!;
    if (((m[f.words[i]!]! & bits) >>> 0) !== (bits >>> 0)) return false;
  }
  return true;
}

function copyField(f: FieldBits, from: XFlow, to: XFlow, fromMask?: XFlow): void {
  for (let i = 0; i < f.words.length; i++) {
    const w = f.words[i]!;
    const bits = f.bits[i]!;
    const v = fromMask ? from[w]! & fromMask[w]! : from[w]!;
    to[w] = ((to[w]! & ~bits) | (v & bits)) >>> 0;
  }
}

function orField(f: FieldBits, from: XFlow, to: XFlow): void {
  for (let i = 0; i < f.words.length; i++) {
    const w = f.words[i]!;
    to[w] = (to[w]! | (from[w]! & f.bits[i]!)) >>> 0;
  }
}

function setFieldBits(f: FieldBits, to: XFlow): void {
  for (let i = 0; i < f.words.length; i++) {
    const w = f.words[i]!;
    to[w] = (to[w]! | f.bits[i]!) >>> 0;
  }
}

function clearFieldBits(f: FieldBits, to: XFlow): void {
  for (let i = 0; i < f.words.length; i++) {
    const w = f.words[i]!;
    to[w] = (to[w]! & ~f.bits[i]!) >>> 0;
  }
}

/** Builds the attribute of `spec` holding `flow`'s values under `mask` (words). */
function buildAttr(spec: AttrSpec, flow: XFlow, mask: XFlow): BytesKeyAttr {
  if (spec.name === "nd_ext") {
    const attr = newKeyAttr("nd_ext");
    const res = flow[W_ND_RESERVED]! & mask[W_ND_RESERVED]!;
    const opt = ((flow[W_TCP_FLAGS]! & mask[W_TCP_FLAGS]!) >>> 16) & 0xff;
    writeBytesBE(attr.key, 0, 4, res >>> 0);
    attr.key[4] = opt;
    writeBytesBE(attr.mask, 0, 4, mask[W_ND_RESERVED]! >>> 0);
    attr.mask[4] = (mask[W_TCP_FLAGS]! >>> 16) & 0xff;
    return attr;
  }
  return keyAttrFromFlow(spec.name, flow, mask);
}

/**
 * The commit state for one translation: scratch words reused across commits so that a commit
 * that changes nothing allocates nothing.
 */
export class Committer {
  readonly #m = new Uint32Array(XFLOW_WORDS);

  /**
   * upstream's commit(): appends a set action for `spec` if any of its fields differ between
   * `flow` and `base`; returns whether it did.
   */
  #commit(
    spec: AttrSpec,
    useMasked: boolean,
    flow: XFlow,
    base: XFlow,
    wc: XFlow,
    out: DpAction[],
  ): boolean {
    let differ = false;
    for (const f of spec.fields) {
      if (fieldDiffers(f, flow, base)) {
        differ = true;
        break;
      }
    }
    if (!differ) return false;
    const m = this.#m;
    m.fill(0);
    for (const f of spec.fields) if (fieldDiffers(f, flow, base)) copyField(f, wc, m);
    for (const f of spec.readOnly) clearFieldBits(f, m);
    let fullyMasked = true;
    for (const f of spec.fields) {
      if (!fieldCovered(f, m)) {
        fullyMasked = false;
        break;
      }
    }
    if (!(useMasked && !fullyMasked)) {
      for (const f of spec.fields) setFieldBits(f, m);
    }
    const attr = buildAttr(spec, flow, m);
    out.push(setAction(attr));
    for (const f of spec.fields) {
      copyField(f, flow, base);
      orField(f, m, wc);
    }
    return true;
  }

  /**
   * commit_odp_actions: appends the actions that turn `base` into `flow` and updates `base`.
   * Returns SLOW_ACTION when a change needs the userspace slow path (ARP, ICMP, ND rewrites).
   */
  commit(
    flow: XFlow,
    base: XFlow,
    wc: XFlow,
    out: DpAction[],
    useMasked: boolean,
    pendingEncap: boolean,
    pendingDecap: boolean,
  ): number {
    let mplsDone = false;
    this.#encapDecap(flow, base, wc, out, pendingEncap, pendingDecap);
    if (flow[W_PACKET_TYPE] === 0 && base[W_PACKET_TYPE] === 0) {
      this.#commit(ETH, useMasked, flow, base, wc, out);
    }
    if (ethTypeMpls(rawDlType(base)) && !ethTypeMpls(rawDlType(flow))) {
      commitMpls(flow, base, out, false);
      mplsDone = true;
    }
    const slow1 = this.#commitNw(flow, base, wc, out, useMasked);
    this.#commitPorts(flow, base, wc, out, useMasked);
    const slow2 = this.#commitIcmp(flow, base, wc, out);
    if (!mplsDone) commitMpls(flow, base, out, false);
    commitVlan(flow, base, wc, out);
    this.#commit(PRIORITY, useMasked, flow, base, wc, out);
    this.#commit(PKT_MARK, useMasked, flow, base, wc, out);
    return slow1 ? slow1 : slow2;
  }

  #encapDecap(
    flow: XFlow,
    base: XFlow,
    wc: XFlow,
    out: DpAction[],
    pendingEncap: boolean,
    pendingDecap: boolean,
  ): void {
    const pt = flow[W_PACKET_TYPE]!;
    if (pendingEncap) {
      if (pt === 0) {
        const src = new Uint8Array(6);
        const dst = new Uint8Array(6);
        macBytes(flow, W_DL_SRC, src);
        macBytes(flow, W_DL_DST, dst);
        out.push({ type: "push_eth", src, dst });
        base[W_PACKET_TYPE] = pt;
        copyField(mac(W_DL_SRC), flow, base);
        copyField(mac(W_DL_DST), flow, base);
      } else if (pt === 0x00018847 || pt === 0x00018848) {
        commitMpls(flow, base, out, true);
      }
    } else if (pendingDecap || pt !== base[W_PACKET_TYPE]) {
      if (pt >>> 16 === 1 && base[W_PACKET_TYPE] === 0) {
        out.push({ type: "pop_eth" });
        base[W_PACKET_TYPE] = pt;
        clearFieldBits(mac(W_DL_SRC), base);
        clearFieldBits(mac(W_DL_DST), base);
      } else {
        const bpt = base[W_PACKET_TYPE]!;
        if (bpt === 0x00018847 || bpt === 0x00018848) commitMpls(flow, base, out, false);
      }
    }
    wc[W_PACKET_TYPE] = 0xffffffff;
  }

  #commitNw(flow: XFlow, base: XFlow, wc: XFlow, out: DpAction[], useMasked: boolean): number {
    if (!nwProto(flow)) return 0;
    switch (rawDlType(base)) {
      case ETH_TYPE_IP:
        this.#commit(IPV4, useMasked, flow, base, wc, out);
        break;
      case ETH_TYPE_IPV6: {
        this.#commit(IPV6, useMasked, flow, base, wc, out);
        if (nwProto(base) === IPPROTO_ICMPV6) {
          let slow = this.#commit(ND_EXT, useMasked, flow, base, wc, out) ? SLOW_ACTION : 0;
          if (this.#commit(ND, useMasked, flow, base, wc, out)) slow |= SLOW_ACTION;
          return slow;
        }
        break;
      }
      case ETH_TYPE_ARP:
        return this.#commit(ARP, true, flow, base, wc, out) ? SLOW_ACTION : 0;
    }
    return 0;
  }

  #commitPorts(flow: XFlow, base: XFlow, wc: XFlow, out: DpAction[], useMasked: boolean): void {
    const proto = nwProto(flow);
    if (!proto || !isIpAny(base)) return;
    const spec = proto === IPPROTO_TCP
      ? TCP
      : proto === IPPROTO_UDP
      ? UDP
      : proto === IPPROTO_SCTP
      ? SCTP
      : undefined;
    if (spec) this.#commit(spec, useMasked, flow, base, wc, out);
  }

  #commitIcmp(flow: XFlow, base: XFlow, wc: XFlow, out: DpAction[]): number {
    const spec = isIcmpv4(flow, undefined) ? ICMP : isIcmpv6(flow, undefined) ? ICMPV6 : undefined;
    if (!spec) return 0;
    return this.#commit(spec, false, flow, base, wc, out) ? SLOW_ACTION : 0;
  }
}

function macBytes(flow: XFlow, word: number, out: Uint8Array): void {
  const hi = flow[word]!;
  const lo = flow[word + 1]!;
  out[0] = (hi >>> 8) & 0xff;
  out[1] = hi & 0xff;
  out[2] = lo >>> 24;
  out[3] = (lo >>> 16) & 0xff;
  out[4] = (lo >>> 8) & 0xff;
  out[5] = lo & 0xff;
}

/** commit_vlan_action: pops the base's differing headers, pushes the flow's. */
function commitVlan(flow: XFlow, base: XFlow, wc: XFlow, out: DpAction[]): void {
  let baseN = countVlanHeaders(base);
  let flowN = countVlanHeaders(flow);
  for (baseN--, flowN--; baseN >= 0 && flowN >= 0; baseN--, flowN--) {
    if (vlanQtag(base, baseN) !== vlanQtag(flow, flowN)) break;
  }
  for (; baseN >= 0; baseN--) {
    out.push({ type: "pop_vlan" });
    maskVlanAll(wc, baseN);
  }
  for (; flowN >= 0; flowN--) {
    out.push({
      type: "push_vlan",
      tpid: vlanTpid(flow, flowN) || 0x8100,
      tci: vlanTci(flow, flowN),
    });
  }
  for (let i = 0; i < 2; i++) setVlan(base, i, vlanTpid(flow, i), vlanTci(flow, i));
}

/** commit_mpls_action (the wildcards were set when the actions were translated). */
function commitMpls(flow: XFlow, base: XFlow, out: DpAction[], pendingEncap: boolean): void {
  let baseN = countMplsLabels(base, undefined);
  const flowN = countMplsLabels(flow, undefined);
  let commonN = countCommonMplsLabels(flow, flowN, base, baseN, undefined);
  while (baseN > commonN) {
    if (baseN - 1 === commonN && flowN > commonN) {
      const lse = mplsLse(flow, flowN - baseN);
      const attr = newKeyAttr("mpls");
      writeBytesBE(attr.key, 0, 4, lse);
      attr.mask.fill(0xff);
      out.push(setAction(attr));
      setMplsLse(base, 0, lse);
      commonN++;
    } else {
      const ethertype = !ethTypeMpls(rawDlType(flow)) && baseN > 1
        ? ETH_TYPE_MPLS
        : rawDlType(flow);
      out.push({ type: "pop_mpls", ethertype });
      popMpls(base, baseN, rawDlType(flow), undefined);
      baseN--;
    }
  }
  while (baseN < flowN) {
    const lse = mplsLse(flow, flowN - baseN - 1);
    const ethertype = rawDlType(flow);
    if (pendingEncap) out.push({ type: "add_mpls", lse, ethertype, l3Tunnel: false });
    else out.push({ type: "push_mpls", lse, ethertype });
    pushMpls(base, baseN, ethertype, undefined, false);
    setMplsLse(base, 0, lse);
    baseN++;
  }
}

/** The megaflow mask: the shared flow words of translation's wildcards. */
export function sharedWords(x: XFlow): Uint32Array {
  return x.subarray(0, FLOW_WORDS);
}
