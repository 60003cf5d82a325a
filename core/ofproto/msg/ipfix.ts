// IPFIX statistics (upstream's ofp-ipfix): the Nicira bridge and per-flow IPFIX statistics
// replies, their encoding for the switch and their texts for `dump-ipfix-bridge` and
// `dump-ipfix-flow`. Unknown counters are all ones and print as "?".

import { WireReader } from "../wire.ts";
import type { MultipartReply } from "./multipart.ts";

export interface IpfixStats {
  collectorSetId: number;
  totalFlows: bigint;
  currentFlows: bigint;
  pkts: bigint;
  ipv4Pkts: bigint;
  ipv6Pkts: bigint;
  errorPkts: bigint;
  ipv4ErrorPkts: bigint;
  ipv6ErrorPkts: bigint;
  txPkts: bigint;
  txErrors: bigint;
}

const COUNTERS = [
  "totalFlows",
  "currentFlows",
  "pkts",
  "ipv4Pkts",
  "ipv6Pkts",
  "errorPkts",
  "ipv4ErrorPkts",
  "ipv6ErrorPkts",
  "txPkts",
  "txErrors",
] as const;

/** One element at `r` (88 bytes); undefined at the end. */
export function pullIpfixStats(r: WireReader): IpfixStats | undefined {
  if (r.remaining === 0) return undefined;
  const s = {} as IpfixStats;
  for (const c of COUNTERS) s[c] = r.u64();
  s.collectorSetId = r.u32();
  r.skip(4);
  return s;
}

export function decodeIpfixStatsReply(msg: Uint8Array, bodyOffset: number): IpfixStats[] {
  const r = new WireReader(msg, bodyOffset);
  const out: IpfixStats[] = [];
  for (;;) {
    const s = pullIpfixStats(r);
    if (!s) return out;
    out.push(s);
  }
}

export function appendIpfixStats(reply: MultipartReply, s: IpfixStats): void {
  reply.append((w) => {
    for (const c of COUNTERS) w.u64(s[c]);
    w.u32(s.collectorSetId).zeros(4);
  });
}

const MAX = 0xffffffffffffffffn;

function stat(leader: string, v: bigint, more: boolean): string {
  return leader + (v !== MAX ? v.toString() : "?") + (more ? ", " : "\n");
}

function body(s: IpfixStats, indent: number): string {
  return stat("flows=", s.totalFlows, true) + stat("current flows=", s.currentFlows, true) +
    stat("sampled pkts=", s.pkts, true) + stat("ipv4 ok=", s.ipv4Pkts, true) +
    stat("ipv6 ok=", s.ipv6Pkts, true) + stat("tx pkts=", s.txPkts, false) +
    " ".repeat(indent) + stat("pkts errs=", s.errorPkts, true) +
    stat("ipv4 errs=", s.ipv4ErrorPkts, true) + stat("ipv6 errs=", s.ipv6ErrorPkts, true) +
    stat("tx errs=", s.txErrors, false);
}

export function formatIpfixBridgeStats(s: IpfixStats): string {
  return "\n  bridge ipfix: " + body(s, 16);
}

export function formatIpfixFlowStats(s: IpfixStats): string {
  return "  id " + String(s.collectorSetId).padStart(3) + ": " + body(s, 10);
}
