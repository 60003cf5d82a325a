// Flow hashing for the actions that pick one of several outputs: the NX_HASH_FIELDS_* hashes
// (upstream's flow_hash_fields and the symmetric hashes of lib/flow.c, bit-exact, reading the
// same bytes upstream reads from struct flow in memory), the wildcard bits each hash implies
// (flow_mask_hash_fields), multipath's link algorithms (lib/multipath.c) and the bundle action's
// member choice (lib/bundle.c). Pure functions of the flow; scratch bytes are module-level, so
// nothing allocates.

import {
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  FLOW_NW_FRAG_ANY,
  FLOW_NW_FRAG_LATER,
  IPPROTO_ICMP,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  VLAN_CFI,
  VLAN_VID_MASK,
  W_DL_DST,
  W_DL_SRC,
  W_IPV6_DST,
  W_IPV6_SRC,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_PACKET_TYPE,
  W_TP,
} from "../../datapath/flow.ts";
import {
  NX_BD_ALG_ACTIVE_BACKUP,
  NX_HASH_FIELDS_ETH_SRC,
  NX_HASH_FIELDS_NW_DST,
  NX_HASH_FIELDS_NW_SRC,
  NX_HASH_FIELDS_SYMMETRIC_L3,
  NX_HASH_FIELDS_SYMMETRIC_L3L4,
  NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP,
  NX_HASH_FIELDS_SYMMETRIC_L4,
  NX_MP_ALG_HASH_THRESHOLD,
  NX_MP_ALG_HRW,
  NX_MP_ALG_ITER_HASH,
  NX_MP_ALG_MODULO_N,
} from "../actions/types.ts";
import { hash2Words, hashAdd, hashAdd64, hashFinish, jhashBytes } from "./hash.ts";
import {
  isIpAny,
  maskTpDst,
  maskTpSrc,
  maskVlanTci,
  rawDlType,
  vlanTci,
  type XFlow,
} from "./xflow.ts";

const scratch = new Uint8Array(64);

function put16(at: number, v: number): void {
  scratch[at] = (v >>> 8) & 0xff;
  scratch[at + 1] = v & 0xff;
}

function put32(at: number, v: number): void {
  scratch[at] = v >>> 24;
  scratch[at + 1] = (v >>> 16) & 0xff;
  scratch[at + 2] = (v >>> 8) & 0xff;
  scratch[at + 3] = v & 0xff;
}

function putMac(at: number, flow: XFlow, word: number): void {
  put16(at, flow[word]! & 0xffff);
  put32(at + 2, flow[word + 1]!);
}

function bswap32(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

function bswap16(v: number): number {
  return ((v & 0xff) << 8) | ((v >>> 8) & 0xff);
}

function nwProtoIp(flow: XFlow): number {
  return flow[W_NW_MISC]! >>> 24;
}

function vlanVidXor(flow: XFlow): number {
  return (vlanTci(flow, 0) & VLAN_VID_MASK) ^ (vlanTci(flow, 1) & VLAN_VID_MASK);
}

/** flow_hash_symmetric_l4. */
export function hashSymmetricL4(flow: XFlow, basis: number): number {
  scratch.fill(0, 0, 32);
  const type = rawDlType(flow);
  // The Ethernet address pair, XORed 16 bits at a time.
  const dl = (flow[W_DL_SRC]! ^ flow[W_DL_DST]!) & 0xffff;
  const dl2 = (flow[W_DL_SRC + 1]! ^ flow[W_DL_DST + 1]!) >>> 0;
  put16(22, dl);
  put32(24, dl2);
  put16(18, vlanVidXor(flow));
  put16(16, type);
  if (type === ETH_TYPE_IP) {
    put32(0, (flow[W_NW_SRC]! ^ flow[W_NW_DST]!) >>> 0);
    const proto = nwProtoIp(flow);
    scratch[28] = proto;
    if (proto === IPPROTO_TCP || proto === IPPROTO_SCTP) {
      put16(20, (flow[W_TP]! >>> 16) ^ (flow[W_TP]! & 0xffff));
    }
  } else if (type === ETH_TYPE_IPV6) {
    for (let i = 0; i < 4; i++) put32(4 * i, (flow[W_IPV6_SRC + i]! ^ flow[W_IPV6_DST + i]!) >>> 0);
    const proto = nwProtoIp(flow);
    scratch[28] = proto;
    if (proto === IPPROTO_TCP || proto === IPPROTO_SCTP) {
      put16(20, (flow[W_TP]! >>> 16) ^ (flow[W_TP]! & 0xffff));
    }
  }
  return jhashBytes(scratch, 32, basis);
}

/** flow_hash_symmetric_l2. */
function hashSymmetricL2(flow: XFlow, basis: number): number {
  if (flow[W_PACKET_TYPE] !== 0) return 0;
  const type = rawDlType(flow);
  const tci = vlanVidXor(flow);
  const w0 = ((type >>> 8) | ((type & 0xff) << 8) | ((tci >>> 8) << 16) | ((tci & 0xff) << 24)) >>>
    0;
  scratch.fill(0, 0, 12);
  put16(4, (flow[W_DL_SRC]! ^ flow[W_DL_DST]!) & 0xffff);
  put32(6, (flow[W_DL_SRC + 1]! ^ flow[W_DL_DST + 1]!) >>> 0);
  const w1 = (scratch[4]! | (scratch[5]! << 8) | (scratch[6]! << 16) | (scratch[7]! << 24)) >>> 0;
  const w2 = (scratch[8]! | (scratch[9]! << 8)) >>> 0;
  let hash = basis >>> 0;
  hash = hashAdd(hash, w0);
  hash = hashAdd(hash, w1);
  hash = hashAdd(hash, w2);
  return hashFinish(hash, basis);
}

/** flow_hash_symmetric_l3l4. */
function hashSymmetricL3L4(flow: XFlow, basis: number, incUdpPorts: boolean): number {
  let hash = basis >>> 0;
  const type = rawDlType(flow);
  if (type === ETH_TYPE_IP) {
    hash = hashAdd(hash, bswap32((flow[W_NW_SRC]! ^ flow[W_NW_DST]!) >>> 0));
  } else if (type === ETH_TYPE_IPV6) {
    for (let i = 0; i < 4; i += 2) {
      const lo = bswap32((flow[W_IPV6_SRC + i]! ^ flow[W_IPV6_DST + i]!) >>> 0);
      const hi = bswap32((flow[W_IPV6_SRC + i + 1]! ^ flow[W_IPV6_DST + i + 1]!) >>> 0);
      hash = hashAdd64(hash, lo, hi);
    }
  } else {
    return hashSymmetricL2(flow, basis);
  }
  const proto = nwProtoIp(flow);
  hash = hashAdd(hash, proto);
  if (
    !(flow[W_NW_MISC]! & 3) &&
    (proto === IPPROTO_TCP || proto === IPPROTO_SCTP || (incUdpPorts && proto === IPPROTO_UDP))
  ) {
    hash = hashAdd(hash, bswap16((flow[W_TP]! >>> 16) ^ (flow[W_TP]! & 0xffff)));
  }
  return hashFinish(hash, basis);
}

/** flow_hash_symmetric_l3. */
function hashSymmetricL3(flow: XFlow, basis: number): number {
  scratch.fill(0, 0, 20);
  const type = rawDlType(flow);
  put16(16, type);
  if (type === ETH_TYPE_IP) {
    put32(0, (flow[W_NW_SRC]! ^ flow[W_NW_DST]!) >>> 0);
  } else if (type === ETH_TYPE_IPV6) {
    for (let i = 0; i < 4; i++) put32(4 * i, (flow[W_IPV6_SRC + i]! ^ flow[W_IPV6_DST + i]!) >>> 0);
  }
  return jhashBytes(scratch, 20, basis);
}

function hashWordsBytes(flow: XFlow, word: number, n: number, basis: number): number {
  for (let i = 0; i < n; i++) put32(4 * i, flow[word + i]!);
  return jhashBytes(scratch, 4 * n, basis);
}

/** flow_hash_fields. */
export function flowHashFields(flow: XFlow, fields: number, basis: number): number {
  const type = rawDlType(flow);
  switch (fields) {
    case NX_HASH_FIELDS_ETH_SRC:
      putMac(0, flow, W_DL_SRC);
      return jhashBytes(scratch, 6, basis);
    case NX_HASH_FIELDS_SYMMETRIC_L4:
      return hashSymmetricL4(flow, basis);
    case NX_HASH_FIELDS_SYMMETRIC_L3L4:
      return hashSymmetricL3L4(flow, basis, false);
    case NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP:
      return hashSymmetricL3L4(flow, basis, true);
    case NX_HASH_FIELDS_NW_SRC:
      if (type === ETH_TYPE_IP) return hashWordsBytes(flow, W_NW_SRC, 1, basis);
      if (type === ETH_TYPE_IPV6) return hashWordsBytes(flow, W_IPV6_SRC, 4, basis);
      return basis;
    case NX_HASH_FIELDS_NW_DST:
      if (type === ETH_TYPE_IP) return hashWordsBytes(flow, W_NW_DST, 1, basis);
      if (type === ETH_TYPE_IPV6) return hashWordsBytes(flow, W_IPV6_DST, 4, basis);
      return basis;
    case NX_HASH_FIELDS_SYMMETRIC_L3:
      return hashSymmetricL3(flow, basis);
  }
  return basis;
}

function maskWords(wc: XFlow, word: number, n: number): void {
  for (let i = 0; i < n; i++) wc[word + i] = 0xffffffff;
}

function maskMac(wc: XFlow, word: number): void {
  wc[word] = (wc[word]! | 0xffff) >>> 0;
  wc[word + 1] = 0xffffffff;
}

function maskNwProtoIp(wc: XFlow): void {
  wc[W_NW_MISC] = (wc[W_NW_MISC]! | 0xff000000) >>> 0;
}

/** flow_mask_hash_fields. */
export function maskHashFields(flow: XFlow, wc: XFlow, fields: number): void {
  const type = rawDlType(flow);
  const proto = nwProtoIp(flow);
  const frag = flow[W_NW_MISC]! & (FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER);
  switch (fields) {
    case NX_HASH_FIELDS_ETH_SRC:
      maskMac(wc, W_DL_SRC);
      return;
    case NX_HASH_FIELDS_SYMMETRIC_L4:
      maskMac(wc, W_DL_SRC);
      maskMac(wc, W_DL_DST);
      if (type === ETH_TYPE_IP) {
        maskWords(wc, W_NW_SRC, 1);
        maskWords(wc, W_NW_DST, 1);
      } else if (type === ETH_TYPE_IPV6) {
        maskWords(wc, W_IPV6_SRC, 4);
        maskWords(wc, W_IPV6_DST, 4);
      }
      if (isIpAny(flow)) {
        maskNwProtoIp(wc);
        if (proto !== IPPROTO_UDP) {
          if (proto !== IPPROTO_ICMP) {
            maskTpSrc(wc);
            maskTpDst(wc);
          } else {
            maskTpSrc(wc, 0xff);
            maskTpDst(wc, 0xff);
          }
        }
      }
      for (let i = 0; i < 2; i++) maskVlanTci(wc, i, VLAN_VID_MASK | VLAN_CFI);
      return;
    case NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP:
    case NX_HASH_FIELDS_SYMMETRIC_L3L4:
      if (
        fields === NX_HASH_FIELDS_SYMMETRIC_L3L4_UDP && isIpAny(flow) && proto === IPPROTO_UDP &&
        !frag
      ) {
        maskTpSrc(wc);
        maskTpDst(wc);
      }
      if (type === ETH_TYPE_IP) {
        maskWords(wc, W_NW_SRC, 1);
        maskWords(wc, W_NW_DST, 1);
      } else if (type === ETH_TYPE_IPV6) {
        maskWords(wc, W_IPV6_SRC, 4);
        maskWords(wc, W_IPV6_DST, 4);
      } else {
        return;
      }
      maskNwProtoIp(wc);
      if ((proto === IPPROTO_TCP || proto === IPPROTO_SCTP) && !frag) {
        maskTpSrc(wc);
        maskTpDst(wc);
      }
      return;
    case NX_HASH_FIELDS_NW_SRC:
      if (type === ETH_TYPE_IP) maskWords(wc, W_NW_SRC, 1);
      else if (type === ETH_TYPE_IPV6) maskWords(wc, W_IPV6_SRC, 4);
      return;
    case NX_HASH_FIELDS_NW_DST:
      if (type === ETH_TYPE_IP) maskWords(wc, W_NW_DST, 1);
      else if (type === ETH_TYPE_IPV6) maskWords(wc, W_IPV6_DST, 4);
      return;
    case NX_HASH_FIELDS_SYMMETRIC_L3:
      if (type === ETH_TYPE_IP) {
        maskWords(wc, W_NW_SRC, 1);
        maskWords(wc, W_NW_DST, 1);
      } else if (type === ETH_TYPE_IPV6) {
        maskWords(wc, W_IPV6_SRC, 4);
        maskWords(wc, W_IPV6_DST, 4);
      }
      return;
  }
}

function roundUpPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function iterHash(hash: number, nLinks: number, modulo: number): number {
  if (modulo < nLinks || Math.floor(modulo / 2) > nLinks) modulo = roundUpPow2(nLinks);
  let i = 0;
  let link: number;
  do {
    link = hash2Words(hash, i++) % modulo;
  } while (link >= nLinks);
  return link;
}

function hrw(hash: number, nLinks: number): number {
  let best = 0;
  let bestWeight = hash2Words(hash, 0);
  for (let link = 1; link < nLinks; link++) {
    const weight = hash2Words(hash, link);
    if (weight > bestWeight) {
      best = link;
      bestWeight = weight;
    }
  }
  return best;
}

/** multipath_algorithm. */
export function multipathAlgorithm(
  hash: number,
  algorithm: number,
  nLinks: number,
  arg: number,
): number {
  switch (algorithm) {
    case NX_MP_ALG_MODULO_N:
      return (hash >>> 0) % nLinks;
    case NX_MP_ALG_HASH_THRESHOLD:
      if (nLinks === 1) return 0;
      return Math.floor((hash >>> 0) / (Math.floor(0xffffffff / nLinks) + 1));
    case NX_MP_ALG_HRW:
      return nLinks <= 64 ? hrw(hash, nLinks) : iterHash(hash, nLinks, 0);
    case NX_MP_ALG_ITER_HASH:
      return iterHash(hash, nLinks, arg);
  }
  return 0;
}

/** bundle_execute: the chosen member, or OFPP_NONE (0xffff) when none is enabled. */
export function bundleExecute(
  algorithm: number,
  fields: number,
  basis: number,
  members: readonly number[],
  flow: XFlow,
  wc: XFlow,
  enabled: (port: number) => boolean,
): number {
  if (algorithm === NX_BD_ALG_ACTIVE_BACKUP) {
    for (const m of members) if (enabled(m)) return m;
    return 0xffff;
  }
  if (members.length > 1) maskHashFields(flow, wc, fields);
  const flowHash = flowHashFields(flow, fields, basis);
  let best = -1;
  let bestHash = 0;
  for (let i = 0; i < members.length; i++) {
    if (enabled(members[i]!)) {
      const h = hash2Words(i, flowHash);
      if (best < 0 || h > bestHash) {
        bestHash = h;
        best = i;
      }
    }
  }
  return best >= 0 ? members[best]! : 0xffff;
}
