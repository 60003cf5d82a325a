// The switching configuration of one Port row, read as upstream's bridge.c port_configure reads
// it: the access VLAN (`tag`), trunks and customer VLANs, the VLAN mode (explicit, or access when
// a tag is set and trunk otherwise), the dot1q-tunnel Ethertype, priority tags and protected
// mode. Pure: a row in, a settings object out; applying it is ofproto's business.

import type { IdlRow } from "../db/idl.ts";
import { vlogModule } from "../net/vlog.ts";
import type { VlanMode } from "../ofproto/xlate/view.ts";

const log = vlogModule("bridge");

export interface BundleSettings {
  name: string;
  vlanMode: VlanMode;
  /** The access or native VLAN, -1 when none. */
  vlan: number;
  /** Trunked VLANs, or undefined for all. */
  trunks: Set<number> | undefined;
  cvlans: Set<number> | undefined;
  qinqEthtype: number;
  priorityTags: "never" | "if-nonzero" | "always";
  protected: boolean;
}

function integers(row: IdlRow, column: string): number[] {
  return (row.columns.get(column)?.keys ?? [])
    .filter((k): k is bigint => typeof k === "bigint")
    .map(Number);
}

function vlanSet(values: number[]): Set<number> | undefined {
  const valid = values.filter((v) => v >= 0 && v <= 4095);
  return values.length ? new Set(valid) : undefined;
}

function otherConfig(row: IdlRow, key: string): string {
  const datum = row.columns.get("other_config");
  if (!datum?.values) return "";
  const index = datum.keys.indexOf(key);
  return index < 0 ? "" : String(datum.values[index] ?? "");
}

export function bundleSettings(row: IdlRow, name: string): BundleSettings {
  const [tag] = integers(row, "tag");
  const vlan = tag !== undefined && tag >= 0 && tag <= 4095 ? tag : -1;
  const trunkList = integers(row, "trunks");
  const cvlanList = integers(row, "cvlans");
  const modeText = row.columns.get("vlan_mode")?.keys[0];
  let vlanMode: VlanMode;
  if (typeof modeText === "string") {
    const known: readonly string[] = [
      "access",
      "trunk",
      "native-tagged",
      "native-untagged",
      "dot1q-tunnel",
    ];
    if (known.includes(modeText)) {
      vlanMode = modeText as VlanMode;
    } else {
      log.warn(`port ${name}: unknown VLAN mode ${modeText}, falling back to trunk mode`);
      vlanMode = "trunk";
    }
  } else if (vlan >= 0) {
    vlanMode = "access";
    if (trunkList.length || cvlanList.length) {
      log.warn(`port ${name}: ignoring trunks in favor of implicit vlan`);
    }
  } else {
    vlanMode = "trunk";
  }
  const qinq = otherConfig(row, "qinq-ethtype");
  const tags = otherConfig(row, "priority-tags");
  const isProtected = row.columns.get("protected")?.keys[0] === true;
  return {
    name,
    vlanMode,
    vlan,
    trunks: vlanSet(trunkList),
    cvlans: vlanSet(cvlanList),
    qinqEthtype: qinq === "802.1q" ? 0x8100 : 0x88a8,
    priorityTags: tags === "if-nonzero" || tags === "true"
      ? "if-nonzero"
      : tags === "always"
      ? "always"
      : "never",
    protected: isProtected,
  };
}
