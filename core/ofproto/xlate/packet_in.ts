// From a userspace upcall to a packet-in (upstream's CONTROLLER_UPCALL handling in
// ofproto-dpif-upcall.c): the controller cookie of a userspace(controller(...)) action names a
// recirculation ID whose frozen state holds what the packet-in reports — the table id, the
// metadata at the point the controller action ran (in_port, registers, metadata, tunnel) and,
// for a paused pipeline, the continuation. The result is a plain description the caller turns
// into an OpenFlow packet-in; nothing here knows OpenFlow messages.

import { type FlowWords, W_CT_STATE, W_DL_TYPE_VLAN } from "../../datapath/flow.ts";
import { decodeUserCookie } from "../../datapath/user_cookie.ts";
import type { Ofpact } from "../actions/types.ts";
import { type Field, field, readField } from "../fields.ts";
import { setFieldInMatch } from "../field_set.ts";
import { Match } from "../match.ts";
import { frozenMetadataToFlow, type RecircTable } from "./rid.ts";
import { clearConntrack, isCtValid, newXFlow } from "./xflow.ts";

export interface PacketInContinuation {
  readonly bridgeUuid: Uint8Array;
  readonly stack: readonly { readonly value: bigint; readonly bytes: number }[];
  readonly mirrors: number;
  readonly conntracked: boolean;
  readonly actions: readonly Ofpact[];
  readonly actionSet: readonly Ofpact[];
  /** The datapath port the packet came in on. */
  readonly odpPort: number;
}

export interface PacketInDescription {
  /** OFPR_* (OFPR_EXPLICIT_MISS / OFPR_IMPLICIT_MISS as translation decided). */
  readonly reason: number;
  readonly tableId: number;
  readonly cookie: bigint;
  readonly controllerId: number;
  /** The pipeline metadata as a match (upstream's flow_get_metadata). */
  readonly metadata: Match;
  /** The packet as it reached the controller action. */
  readonly packet: Uint8Array;
  readonly totalLen: number;
  /** Bytes of the packet to send (65535: all). */
  readonly maxLen: number;
  readonly userdata: Uint8Array | undefined;
  readonly continuation: PacketInContinuation | undefined;
}

function bytesOfNumber(v: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    out[i] = v & 0xff;
    v = Math.floor(v / 256);
  }
  return out;
}

function isZero(b: Uint8Array): boolean {
  for (const x of b) if (x) return false;
  return true;
}

const META_FIELDS_IF_NONZERO = [
  "tun_id",
  "tun_src",
  "tun_dst",
  "tun_ipv6_src",
  "tun_ipv6_dst",
  "tun_gbp_id",
  "tun_gbp_flags",
  "metadata",
  ...Array.from({ length: 16 }, (_, i) => `reg${i}`),
  "pkt_mark",
].map((n) => field(n));

const CT_TUPLE4 = ["ct_nw_src", "ct_nw_dst", "ct_nw_proto", "ct_tp_src", "ct_tp_dst"].map((n) =>
  field(n)
);
const CT_TUPLE6 = ["ct_ipv6_src", "ct_ipv6_dst", "ct_nw_proto", "ct_tp_src", "ct_tp_dst"].map((n) =>
  field(n)
);

function setExact(m: Match, f: Field, flow: FlowWords): void {
  setFieldInMatch(m, f, readField(flow, f));
}

/** flow_get_metadata: the metadata fields of `flow` that are set, as a match. */
export function flowGetMetadata(flow: FlowWords): Match {
  const m = new Match();
  for (const f of META_FIELDS_IF_NONZERO) {
    if (f.name === "tun_flags") continue;
    if (!isZero(readField(flow, f))) setExact(m, f, flow);
  }
  const tunFlags = field("tun_flags");
  const flags = readField(flow, tunFlags);
  if ((flags[1]! & 1) !== 0) setFieldInMatch(m, tunFlags, Uint8Array.of(0, 1));
  setExact(m, field("in_port"), flow);
  const pt = field("packet_type");
  if (!isZero(readField(flow, pt))) setExact(m, pt, flow);
  if (flow[W_CT_STATE]! & 0xff) {
    setExact(m, field("ct_state"), flow);
    const dlType = flow[W_DL_TYPE_VLAN]! >>> 16;
    setFieldInMatch(m, field("eth_type"), bytesOfNumber(dlType, 2));
    const proto = field("ct_nw_proto");
    if (isCtValid(flow, undefined) && !isZero(readField(flow, proto))) {
      const tuple = dlType === 0x0800 ? CT_TUPLE4 : dlType === 0x86dd ? CT_TUPLE6 : [];
      for (const f of tuple) setExact(m, f, flow);
    }
  }
  for (const name of ["ct_zone", "ct_mark", "ct_label"]) {
    const f = field(name);
    if (!isZero(readField(flow, f))) setExact(m, f, flow);
  }
  return m;
}

/**
 * The packet-in a userspace action's cookie asks for, given the packet it carried and the
 * packet's flow (OpenFlow-level, as extracted). Undefined when the cookie is not a controller
 * cookie, asks not to send, or names a recirculation ID that no longer exists.
 */
export function packetInFromUpcall(
  recirc: RecircTable,
  userdata: Uint8Array,
  packet: Uint8Array,
  flow: FlowWords,
  odpInPort: number,
): PacketInDescription | undefined {
  const cookie = decodeUserCookie(userdata);
  if (!cookie || cookie.type !== "controller") return undefined;
  if (cookie.dontSend || !cookie.recircId) return undefined;
  const node = recirc.find(cookie.recircId);
  if (!node) return undefined;
  const state = node.state;
  const frozen = newXFlow();
  frozen.set(flow.subarray(0, Math.min(flow.length, frozen.length)));
  if (!state.conntracked) clearConntrack(frozen);
  frozenMetadataToFlow(state.metadata, frozen);
  return {
    reason: cookie.reason,
    tableId: state.tableId,
    cookie: cookie.ruleCookie,
    controllerId: cookie.controllerId,
    metadata: flowGetMetadata(frozen),
    packet: packet.slice(),
    totalLen: packet.length,
    maxLen: cookie.maxLen,
    userdata: state.userdata ? state.userdata.slice() : undefined,
    continuation: cookie.continuation
      ? {
        bridgeUuid: state.bridgeUuid,
        stack: state.stack,
        mirrors: state.mirrors,
        conntracked: state.conntracked,
        actions: state.ofpacts,
        actionSet: state.actionSet,
        odpPort: odpInPort,
      }
      : undefined,
  };
}
