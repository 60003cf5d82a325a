// A bridge's Mirror rows as upstream's bridge.c applies them (bridge_configure_mirrors,
// mirror_configure, mirror_collect_ports, mirror_refresh_stats): each Mirror the Bridge lists,
// in the column's (UUID) order, becomes a mirror of the bridge's Mirrors — its output port or
// VLAN, snaplen, selected source and destination ports (or all of them) and VLANs — with
// upstream's errors for a mirror without output or with an output port not on the bridge; and
// the statistics each mirror has sent, for the Mirror row's statistics column. Reads rows and
// logs; the mirrors themselves are ofproto/mirror.ts's.

import type { Datum } from "../db/datum.ts";
import type { Idl, IdlRow } from "../db/idl.ts";
import type { IdlTransaction } from "../db/idl_txn.ts";
import { vlogModule } from "../net/vlog.ts";
import type { MirrorBundle, Mirrors } from "../ofproto/mirror.ts";
import type { Ofproto } from "../ofproto/ofproto.ts";
import { rowRefs, rowScalar } from "./bond_config.ts";

const log = vlogModule("bridge");

function text(row: IdlRow | undefined, column: string): string {
  const v = rowScalar(row, column);
  return typeof v === "string" ? v : "";
}

/** bridge_configure_mirrors: makes `mirrors` what the Bridge row's mirrors column says. */
export function configureMirrors(
  idl: Idl,
  bridgeName: string,
  bridgeRow: IdlRow,
  ofproto: Ofproto,
  mirrors: Mirrors,
): void {
  mirrors.forgetRemovedBundles();
  const wanted = rowRefs(bridgeRow, "mirrors").sort();
  for (const key of mirrors.keys()) if (!wanted.includes(key)) mirrors.destroy(key);
  // The bridge's ports by name (port_lookup): only those with a bundle can be mirrored.
  const bundleOf = (portUuid: string) => ofproto.bundle(text(idl.row("Port", portUuid), "name"));
  for (const uuid of wanted) {
    const row = idl.row("Mirror", uuid);
    if (!row) continue;
    if (!configureMirror(idl, bridgeName, row, ofproto, mirrors, bundleOf)) mirrors.destroy(uuid);
  }
}

/** mirror_configure: false when the mirror cannot exist as configured. */
function configureMirror(
  idl: Idl,
  bridgeName: string,
  row: IdlRow,
  ofproto: Ofproto,
  mirrors: Mirrors,
  bundleOf: (portUuid: string) => MirrorBundle | undefined,
): boolean {
  const name = text(row, "name");
  const [outPortUuid] = rowRefs(row, "output_port");
  const outputVlan = rowScalar(row, "output_vlan");
  let outBundle: MirrorBundle | undefined;
  let outVlan: number;
  if (outPortUuid !== undefined) {
    outBundle = bundleOf(outPortUuid);
    if (!outBundle) {
      log.err(`bridge ${bridgeName}: mirror ${name} outputs to port not on bridge`);
      return false;
    }
    outVlan = 0xffff;
    if (outputVlan !== undefined) {
      log.err(
        `bridge ${bridgeName}: mirror ${name} specifies both output port and output vlan; ignoring output vlan`,
      );
    }
  } else if (typeof outputVlan === "bigint") {
    outVlan = Number(outputVlan);
  } else {
    log.err(`bridge ${bridgeName}: mirror ${name} does not specify output; ignoring`);
    return false;
  }
  const snaplen = rowScalar(row, "snaplen");
  let srcs: MirrorBundle[];
  let dsts: MirrorBundle[];
  if (rowScalar(row, "select_all") === true) {
    srcs = [...ofproto.bundles()];
    dsts = srcs;
  } else {
    const collect = (column: string) => {
      const out: MirrorBundle[] = [];
      for (const uuid of rowRefs(row, column)) {
        const bundle = bundleOf(uuid);
        if (bundle) {
          out.push(bundle);
        } else {
          log.warn(
            `bridge ${bridgeName}: mirror ${name} cannot match on nonexistent port ${
              text(idl.row("Port", uuid), "name")
            }`,
          );
        }
      }
      return out;
    };
    srcs = collect("select_src_port");
    dsts = collect("select_dst_port");
  }
  const vlans = (row.columns.get("select_vlan")?.keys ?? [])
    .filter((k): k is bigint => typeof k === "bigint").map(Number).filter((v) => v < 4096);
  mirrors.set(row.uuid, {
    name,
    srcs,
    dsts,
    srcVlans: vlans.length ? new Set(vlans) : undefined,
    outBundle,
    outVlan,
    snaplen: typeof snaplen === "bigint" ? Number(snaplen) : 0,
  });
  return true;
}

/** mirror_refresh_stats for every mirror of the bridge. */
export function writeMirrorStats(idl: Idl, txn: IdlTransaction, mirrors: Mirrors): void {
  for (const key of mirrors.keys()) {
    const row = idl.row("Mirror", key);
    const stats = mirrors.stats(key);
    if (!row || !stats) continue;
    const value: Datum = {
      keys: ["tx_bytes", "tx_packets"],
      values: [BigInt(stats.bytes), BigInt(stats.packets)],
    };
    const current = row.columns.get("statistics");
    const same = current && current.keys.length === 2 && current.keys[0] === "tx_bytes" &&
      current.values?.[0] === value.values![0] && current.values?.[1] === value.values![1];
    if (!same) txn.write("Mirror", key, "statistics", value);
  }
}
