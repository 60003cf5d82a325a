// The 5-tuple flow hash (upstream's flow_hash_5tuple and miniflow_hash_5tuple, lib/flow.c and
// lib/flow.h): what balance-tcp bonds hash a flow with and what the netdev datapath's
// hash(l4(BASIS)) action computes. Bit-exact with x86-64 upstream: the addresses and ports are
// mixed in as the 32-bit words struct flow holds them in memory (network byte order read
// little-endian). Also the few lib/hash.h primitives it needs, since the datapath layer cannot
// use the slow path's hash module. Pure functions; nothing allocates.

import {
  ETH_TYPE_ARP,
  ETH_TYPE_IP,
  ETH_TYPE_IPV6,
  type FlowWords,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  W_DL_TYPE_VLAN,
  W_IPV6_DST,
  W_IPV6_SRC,
  W_NW_DST,
  W_NW_MISC,
  W_NW_SRC,
  W_TP,
} from "./flow.ts";

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** hash_add (the "mhash" flavour of lib/hash.h). */
function mhashAdd(hash: number, data: number): number {
  data >>>= 0;
  if (data !== 0) {
    let d = Math.imul(data, 0xcc9e2d51);
    d = rotl(d >>> 0, 15);
    d = Math.imul(d, 0x1b873593);
    hash = (hash ^ d) >>> 0;
  }
  hash = rotl(hash >>> 0, 13);
  return (Math.imul(hash, 5) + 0xe6546b64) >>> 0;
}

/** hash_finish(hash, final). */
function mhashFinish(hash: number, final: number): number {
  hash = (hash ^ final) >>> 0;
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/** hash_int(x, basis). */
export function flowHashInt(x: number, basis: number): number {
  return mhashFinish(mhashAdd(mhashAdd(x >>> 0, 0), basis >>> 0), 8);
}

/** A big-endian word of the flow as a little-endian load of the same bytes reads it. */
function memoryWord(v: number): number {
  return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
}

/** flow_hash_5tuple(flow, basis): addresses, protocol and (for port-carrying protocols) ports. */
export function flowHash5Tuple(flow: FlowWords, basis: number): number {
  let hash = basis >>> 0;
  const type = flow[W_DL_TYPE_VLAN]! >>> 16;
  if (type === ETH_TYPE_IPV6) {
    // hash_add64 over the two 64-bit halves of each address: low word first.
    for (let i = 0; i < 4; i++) hash = mhashAdd(hash, memoryWord(flow[W_IPV6_SRC + i]!));
    for (let i = 0; i < 4; i++) hash = mhashAdd(hash, memoryWord(flow[W_IPV6_DST + i]!));
  } else if (type === ETH_TYPE_IP || type === ETH_TYPE_ARP) {
    hash = mhashAdd(hash, memoryWord(flow[W_NW_SRC]!));
    hash = mhashAdd(hash, memoryWord(flow[W_NW_DST]!));
  } else {
    return mhashFinish(hash, 42);
  }
  const proto = flow[W_NW_MISC]! >>> 24;
  hash = mhashAdd(hash, proto);
  if (
    proto === IPPROTO_TCP || proto === IPPROTO_UDP || proto === IPPROTO_SCTP ||
    proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6
  ) {
    // Both ports at once, as one word of struct flow.
    hash = mhashAdd(hash, memoryWord(flow[W_TP]!));
  }
  return mhashFinish(hash, 42);
}
