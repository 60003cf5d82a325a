// QoS on a Port (upstream's bridge.c iface_configure_qos with ofproto-dpif's set_queues, on a
// userspace datapath): the Port's QoS row and its Queue rows give each of the Port's
// interfaces the DSCP its queues set, keyed by skb_priority — which the netdev datapath numbers
// as the queue ID itself (dpif_netdev_queue_to_priority) — so translation rewrites the DSCP of
// packets enqueued there. Shaping itself (linux-htb, linux-hfsc, egress-policer ...) is what
// the device would do; a dummy or userspace device does not do it, and, like upstream's
// netdev-dummy, nothing is reported for it either: no error, no status. Pure apart from the
// port it updates.

import type { Idl, IdlRow } from "../db/idl.ts";
import type { OfPort } from "../ofproto/ofproto.ts";
import { rowRefs, rowScalar } from "./bond_config.ts";

const IP_DSCP_MASK = 0xfc;

/** The queue → DSCP (in the TOS byte's position) map of a Port's QoS, or undefined for none. */
export function queueDscpMap(idl: Idl, port: IdlRow): Map<number, number> | undefined {
  const [qosUuid] = rowRefs(port, "qos");
  const qos = qosUuid ? idl.row("QoS", qosUuid) : undefined;
  const type = rowScalar(qos, "type");
  if (!qos || typeof type !== "string" || type === "") return undefined;
  const queues = qos.columns.get("queues");
  const out = new Map<number, number>();
  queues?.keys.forEach((key, i) => {
    const queue = idl.row("Queue", String(queues.values?.[i] ?? ""));
    const dscp = rowScalar(queue, "dscp");
    if (typeof dscp === "bigint") out.set(Number(key), (Number(dscp) << 2) & IP_DSCP_MASK);
  });
  return out;
}

function sameMap(a: ReadonlyMap<number, number> | undefined, b: ReadonlyMap<number, number>) {
  if (!a) return b.size === 0;
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

/** ofproto_port_set_queues: returns whether translations must be redone. */
export function setPortQueues(
  port: OfPort,
  dscp: ReadonlyMap<number, number> | undefined,
): boolean {
  const wanted = dscp ?? new Map<number, number>();
  if (sameMap(port.queueDscp, wanted)) return false;
  port.queueDscp = wanted.size ? wanted : undefined;
  return true;
}
