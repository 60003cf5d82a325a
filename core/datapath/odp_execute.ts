// Runs a datapath action list on a batch of packets (upstream's odp-execute.c plus the
// datapath-assisted actions of dpif-netdev's dp_execute_cb). Header rewrites, VLAN/MPLS pushes
// and pops, trunc, sample, clone and check_pkt_len happen here; output, userspace, recirculation,
// meters, lb_output and tnl_pop are handed to the datapath through `ExecuteHooks`.
//
// Promises: no allocation per packet once warm (clones, samples and recirculated copies use
// scratch packets kept per nesting level; set actions' flow-word forms are computed once per
// action object and cached); a nested action list never changes the packets of its parent unless
// it is the last action (where upstream "steals" the packet); output is synchronous, so the
// packet may be changed by later actions right after. Sample's randomness is injectable.
// Not executed: ct (conntrack is not implemented; the action is skipped), ct_clear (no conntrack
// state), set(tunnel(...)) (no tunnel metadata on packets yet), push_eth/pop_eth.

import type { DpAction } from "./dp_actions.ts";
import { HASH_ALG_SYM_L4 } from "./dp_actions.ts";
import { FLOW_WORDS, type FlowWords, W_NW_DST, W_NW_MISC, W_NW_SRC, W_TP } from "./flow.ts";
import { extractFlow } from "./flow_extract.ts";
import { flowHash5Tuple, flowHashInt } from "./flow_hash.ts";
import { attrDesc, type BytesKeyAttr, readBytesBE } from "./odp_key_attr.ts";
import { keyAttrToFlow } from "./odp_key_attr_flow.ts";
import { Packet } from "./packet.ts";
import {
  l4End,
  popMpls,
  popVlan,
  pushMpls,
  pushVlan,
  setArp,
  setEthernet,
  setIcmp,
  setIpv4,
  setIpv6,
  setMplsLse,
  setNd,
  setNdExt,
  setSctp,
  setTcp,
  setUdp,
} from "./packet_edit.ts";

export type UserspaceAction = Extract<DpAction, { type: "userspace" }>;

/** What only the datapath can do. Packets passed in stay the executor's: copy what you keep. */
export interface ExecuteHooks {
  /** Transmits `batch[0..count)` on `port` now (frames already truncated as trunc asked). */
  output(port: number, batch: readonly Packet[], count: number): void;
  /** A userspace action reached `packet`: the owner's "action" upcall. */
  userspace(packet: Packet, action: UserspaceAction): void;
  /** Feeds `batch[0..count)` (recirc_id already set) back into the datapath's lookup. */
  recirculate(batch: Packet[], count: number): void;
  /** Applies meter `id`: compacts `batch[0..count)` to the packets that pass, returns how many. */
  meter(id: number, batch: Packet[], count: number): number;
  lbOutput?(bond: number, batch: readonly Packet[], count: number): void;
  tnlPop?(port: number, batch: Packet[], count: number): void;
}

export interface ExecutorOptions {
  /** A uniformly random 32-bit unsigned integer, for sample(). */
  random32?: () => number;
  /** The largest batch the executor will be given (NETDEV_MAX_BURST). */
  maxBatch?: number;
}

export const NETDEV_MAX_BURST = 32;
/** How deep clone/sample/check_pkt_len may nest before the executor drops (a guard). */
const MAX_DEPTH = 64;

interface SetForm {
  key: FlowWords;
  mask: FlowWords | null;
}

const setForms = new WeakMap<DpAction, SetForm>();

/**
 * Upstream applies a masked set as `key | (old & ~mask)`, with the key not necessarily within
 * the mask; packet_edit applies `(old & ~mask) | (key & mask)`. Widening each field's nonzero
 * mask by its key bits makes the two agree (a field with a zero mask stays untouched).
 */
function effectiveAttr(attr: BytesKeyAttr): BytesKeyAttr {
  const mask = attr.mask.slice();
  const fields = attr.name === "mpls"
    ? [{ offset: 0, size: attr.key.length }]
    : attrDesc(attr.name).fields.length
    ? attrDesc(attr.name).fields
    : [{ offset: 0, size: attr.key.length }];
  for (const fd of fields) {
    let any = false;
    for (let i = fd.offset; i < fd.offset + fd.size; i++) if (mask[i]) any = true;
    if (!any) continue;
    for (let i = fd.offset; i < fd.offset + fd.size; i++) mask[i] = mask[i]! | attr.key[i]!;
  }
  return { name: attr.name, key: attr.key, mask };
}

function setFormOf(action: Extract<DpAction, { type: "set" }>, attr: BytesKeyAttr): SetForm {
  let form = setForms.get(action);
  if (!form) {
    const words = keyAttrToFlow(action.masked ? effectiveAttr(attr) : attr);
    form = { key: words.key, mask: action.masked ? words.mask : null };
    setForms.set(action, form);
  }
  return form;
}

function defaultRandom32(): number {
  return (Math.random() * 0x100000000) >>> 0;
}

/** A masked set of a 32-bit value as upstream applies it: key | (old & ~mask). */
function masked32(old: number, key: number, mask: number): number {
  return (key | (old & ~mask)) >>> 0;
}

/** Applies one set/set-masked action to one packet (odp_execute_[masked_]set_action). */
export function applySet(p: Packet, action: Extract<DpAction, { type: "set" }>): void {
  const attr = action.attr;
  if (attr.name === "tunnel") return;
  const mask = action.masked ? attr.mask : undefined;
  switch (attr.name) {
    case "skb_priority":
      p.skbPriority = mask
        ? masked32(p.skbPriority, readBytesBE(attr.key, 0, 4), readBytesBE(mask, 0, 4))
        : readBytesBE(attr.key, 0, 4);
      return;
    case "skb_mark":
      p.pktMark = mask
        ? masked32(p.pktMark, readBytesBE(attr.key, 0, 4), readBytesBE(mask, 0, 4))
        : readBytesBE(attr.key, 0, 4);
      return;
    case "dp_hash":
      p.dpHash = mask
        ? masked32(p.dpHash, readBytesBE(attr.key, 0, 4), readBytesBE(mask, 0, 4))
        : readBytesBE(attr.key, 0, 4);
      return;
    case "recirc_id":
      p.recircId = mask
        ? masked32(p.recircId, readBytesBE(attr.key, 0, 4), readBytesBE(mask, 0, 4))
        : readBytesBE(attr.key, 0, 4);
      return;
    default:
      break;
  }
  const form = setFormOf(action, attr);
  switch (attr.name) {
    case "eth":
      return setEthernet(p, form.key, form.mask);
    case "ipv4":
      return setIpv4(p, form.key, form.mask);
    case "ipv6":
      return setIpv6(p, form.key, form.mask);
    case "tcp":
      return setTcp(p, form.key, form.mask);
    case "udp":
      return setUdp(p, form.key, form.mask);
    case "sctp":
      return setSctp(p, form.key, form.mask);
    case "icmp":
    case "icmpv6":
      return setIcmp(p, form.key);
    case "arp":
      return setArp(p, form.key, form.mask);
    case "nd":
      return setNd(p, form.key, form.mask);
    case "nd_ext":
      return setNdExt(p, form.key, form.mask);
    case "mpls": {
      const key = readBytesBE(attr.key, 0, 4);
      return setMplsLse(p, key, mask ? (readBytesBE(mask, 0, 4) | key) >>> 0 : undefined);
    }
    default:
      // in_port, eth_type, vlan: not settable in a datapath (upstream asserts); ignored.
      return;
  }
}

export class OdpExecutor {
  private readonly random32: () => number;
  private readonly maxBatch: number;
  /** frames[d]: the working batch (packet references) at nesting depth d. */
  private readonly frames: Packet[][] = [];
  /** scratch[d][i]: a packet owned by the executor, for copies made at depth d. */
  private readonly scratch: Packet[][] = [];
  private readonly hashKey: FlowWords = new Uint32Array(FLOW_WORDS);
  private depth = 0;

  constructor(private readonly hooks: ExecuteHooks, options: ExecutorOptions = {}) {
    this.random32 = options.random32 ?? defaultRandom32;
    this.maxBatch = options.maxBatch ?? NETDEV_MAX_BURST;
  }

  /** Runs `actions` on `batch[0..count)`. The packets may be changed (they are the caller's). */
  execute(batch: readonly Packet[], count: number, actions: readonly DpAction[]): void {
    if (this.depth >= MAX_DEPTH) return;
    const frame = this.frame(this.depth);
    for (let i = 0; i < count; i++) frame[i] = batch[i]!;
    this.depth++;
    try {
      this.run(frame, count, actions, 0);
    } finally {
      this.depth--;
    }
  }

  private frame(depth: number): Packet[] {
    let frame = this.frames[depth];
    if (!frame) {
      frame = new Array<Packet>(this.maxBatch);
      this.frames[depth] = frame;
    }
    return frame;
  }

  /** A scratch packet for index `i` at the current depth, holding a copy of `source`. */
  private copy(source: Packet, i: number): Packet {
    let pool = this.scratch[this.depth];
    if (!pool) {
      pool = [];
      this.scratch[this.depth] = pool;
    }
    let p = pool[i];
    if (!p) {
      p = new Packet();
      pool[i] = p;
    }
    p.copyFrom(source);
    p.l2_5 = source.l2_5;
    return p;
  }

  /**
   * Runs the nested list `actions` on copies of `batch[0..count)` (or on the packets themselves
   * when `steal`), one level deeper.
   */
  private nested(
    batch: Packet[],
    count: number,
    actions: readonly DpAction[],
    steal: boolean,
    cutlen: number,
  ): void {
    if (this.depth >= MAX_DEPTH) return;
    const frame = this.frame(this.depth);
    for (let i = 0; i < count; i++) frame[i] = steal ? batch[i]! : this.copy(batch[i]!, i);
    this.depth++;
    try {
      this.run(frame, count, actions, cutlen);
    } finally {
      this.depth--;
    }
  }

  private run(batch: Packet[], count: number, actions: readonly DpAction[], cutlen: number): void {
    const hooks = this.hooks;
    for (let ai = 0; ai < actions.length && count > 0; ai++) {
      const a = actions[ai]!;
      const last = ai === actions.length - 1;
      switch (a.type) {
        case "output":
          if (cutlen) this.cut(batch, count, cutlen);
          hooks.output(a.port, batch, count);
          if (cutlen) this.uncut(batch, count);
          cutlen = 0;
          break;
        case "lb_output":
          if (cutlen) this.cut(batch, count, cutlen);
          hooks.lbOutput?.(a.bond, batch, count);
          if (cutlen) this.uncut(batch, count);
          cutlen = 0;
          break;
        case "userspace":
          if (cutlen) this.cut(batch, count, cutlen);
          for (let i = 0; i < count; i++) hooks.userspace(batch[i]!, a);
          if (cutlen) this.uncut(batch, count);
          cutlen = 0;
          break;
        case "tnl_pop": {
          if (!hooks.tnlPop) return;
          const b = last ? batch : this.copies(batch, count);
          if (!last) this.depth++;
          try {
            hooks.tnlPop(a.port, b, count);
          } finally {
            if (!last) this.depth--;
          }
          if (last) return;
          break;
        }
        case "recirc": {
          const b = last ? batch : this.copies(batch, count);
          for (let i = 0; i < count; i++) b[i]!.recircId = a.id >>> 0;
          if (!last) this.depth++;
          try {
            hooks.recirculate(b, count);
          } finally {
            if (!last) this.depth--;
          }
          if (last) return;
          break;
        }
        case "meter":
          count = hooks.meter(a.id, batch, count);
          break;
        case "set":
          for (let i = 0; i < count; i++) applySet(batch[i]!, a);
          break;
        case "push_vlan":
          for (let i = 0; i < count; i++) pushVlan(batch[i]!, a.tpid, a.tci);
          break;
        case "pop_vlan":
          for (let i = 0; i < count; i++) popVlan(batch[i]!);
          break;
        case "push_mpls":
        case "add_mpls":
          for (let i = 0; i < count; i++) pushMpls(batch[i]!, a.ethertype, a.lse);
          break;
        case "pop_mpls":
          for (let i = 0; i < count; i++) popMpls(batch[i]!, a.ethertype);
          break;
        case "hash":
          for (let i = 0; i < count; i++) this.hash(batch[i]!, a.alg, a.basis);
          break;
        case "trunc":
          // dp_packet_set_cutlen never cuts into the Ethernet header.
          cutlen = Math.max(14, a.maxLen >>> 0);
          break;
        case "clone":
          this.nested(batch, count, a.actions, last, cutlen);
          if (last) return;
          cutlen = 0;
          break;
        case "sample":
          for (let i = 0; i < count; i++) {
            if (this.random32() >>> 0 >= a.probability >>> 0) continue;
            // A sample runs on a batch of its own, which is not truncated (upstream's trunc
            // flag belongs to the batch).
            this.nestedOne(batch[i]!, a.actions, last, 0);
          }
          if (last) return;
          break;
        case "check_pkt_len":
          for (let i = 0; i < count; i++) {
            const p = batch[i]!;
            // The length sent (after trunc) less the Ethernet padding, as upstream measures.
            const pad = p.l3 >= 0 ? p.start + p.length - l4End(p) : 0;
            const size = (cutlen && cutlen < p.length ? cutlen : p.length) - pad;
            this.nestedOne(p, size > a.size ? a.gt : a.le, last, 0);
          }
          if (last) return;
          break;
        case "drop":
          return;
        case "ct":
        case "ct_clear":
        case "push_eth":
        case "pop_eth":
          break;
      }
    }
  }

  private readonly one: Packet[] = [];

  private nestedOne(p: Packet, actions: readonly DpAction[], steal: boolean, cutlen: number) {
    const one = this.one;
    one[0] = p;
    this.nested(one, 1, actions, steal, cutlen);
  }

  /** Copies of `batch[0..count)` in this depth's scratch packets, in the next depth's frame. */
  private copies(batch: Packet[], count: number): Packet[] {
    const frame = this.frame(this.depth);
    for (let i = 0; i < count; i++) frame[i] = this.copy(batch[i]!, i);
    return frame;
  }

  /** Shortens each packet to `cutlen` for an output (upstream's cutlen), saving lengths. */
  private cut(batch: Packet[], count: number, cutlen: number): void {
    let saved = this.savedLengths[this.depth];
    if (!saved) {
      saved = new Uint32Array(this.maxBatch);
      this.savedLengths[this.depth] = saved;
    }
    for (let i = 0; i < count; i++) {
      const p = batch[i]!;
      saved[i] = p.length;
      if (p.length > cutlen) p.length = cutlen;
    }
  }

  private uncut(batch: Packet[], count: number): void {
    const saved = this.savedLengths[this.depth]!;
    for (let i = 0; i < count; i++) batch[i]!.length = saved[i]!;
  }

  private readonly savedLengths: Uint32Array[] = [];

  private hash(p: Packet, alg: number, basis: number): void {
    const key = this.hashKey;
    extractFlow(p, key);
    if (alg === HASH_ALG_SYM_L4) {
      const addrs = (key[W_NW_SRC]! ^ key[W_NW_DST]!) >>> 0;
      const ports = ((key[W_TP]! >>> 16) ^ (key[W_TP]! & 0xffff)) >>> 0;
      p.dpHash = hashSymmetric(addrs, ports, key[W_NW_MISC]! >>> 24, basis);
    } else {
      // The netdev datapath hashes the packet's RSS hash (the 5-tuple hash with basis 0,
      // computed when the packet was received) with the basis, as upstream's odp_execute_hash.
      p.dpHash = flowHashInt(flowHash5Tuple(key, 0), basis);
    }
  }
}

function hashSymmetric(addrs: number, ports: number, proto: number, basis: number): number {
  let h = (basis ^ Math.imul(addrs >>> 0, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) ^ ports;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) ^ proto;
  return (h ^ (h >>> 16)) >>> 0;
}
