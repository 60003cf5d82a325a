// A bridge's Geneve option map (upstream's tun_table in lib/tun-metadata.c): which option
// class/type/length each tun_metadata<n> field stands for, and the 256 bytes of option space the
// mapped options share. Promises: a table-mod applies entirely or not at all, failing with
// upstream's NXTTMFC_* codes; the reply lists mappings by field index. It does not yet refuse
// deleting a mapping flows still use (upstream's NXTTMFC_INVALID_TLV_DEL).

import { OfpError } from "./errors.ts";
import {
  NXTTMC_ADD,
  NXTTMC_CLEAR,
  NXTTMC_DELETE,
  type TlvMap,
  type TlvTableMod,
  type TlvTableReply,
  TUN_METADATA_NUM_OPTS,
} from "./msg/tlv_table.ts";

/** Bytes of option space all mappings share (TUN_METADATA_TOT_OPT_SIZE). */
export const TUN_METADATA_TOT_OPT_SIZE = 256;

export class TunMetadataTable {
  #entries: (TlvMap | undefined)[] = new Array(TUN_METADATA_NUM_OPTS);

  /** Applies NXT_TLV_TABLE_MOD; throws OfpError and leaves the table as it was. */
  modify(ttm: TlvTableMod): void {
    const next = ttm.command === NXTTMC_CLEAR
      ? new Array<TlvMap | undefined>(TUN_METADATA_NUM_OPTS)
      : [...this.#entries];
    if (ttm.command === NXTTMC_ADD) {
      for (const map of ttm.mappings) {
        if (map.index >= TUN_METADATA_NUM_OPTS) throw new OfpError("NXTTMFC_BAD_FIELD_IDX");
        if (next[map.index]) throw new OfpError("NXTTMFC_ALREADY_MAPPED");
        const sameKey = next.some((e) =>
          e && e.optionClass === map.optionClass && e.optionType === map.optionType
        );
        if (sameKey) throw new OfpError("NXTTMFC_DUP_ENTRY");
        if (used(next) + map.optionLen > TUN_METADATA_TOT_OPT_SIZE) {
          throw new OfpError("NXTTMFC_TABLE_FULL");
        }
        next[map.index] = { ...map };
      }
    } else if (ttm.command === NXTTMC_DELETE) {
      for (const map of ttm.mappings) {
        if (map.index >= TUN_METADATA_NUM_OPTS) throw new OfpError("NXTTMFC_BAD_FIELD_IDX");
        next[map.index] = undefined;
      }
    }
    this.#entries = next;
  }

  /** NXT_TLV_TABLE_REPLY's content. */
  reply(): TlvTableReply {
    return {
      maxOptionSpace: TUN_METADATA_TOT_OPT_SIZE,
      maxFields: TUN_METADATA_NUM_OPTS,
      mappings: this.#entries.filter((e): e is TlvMap => e !== undefined),
    };
  }

  /** The mapping of tun_metadata<index>, if any. */
  mapping(index: number): TlvMap | undefined {
    return this.#entries[index];
  }
}

function used(entries: readonly (TlvMap | undefined)[]): number {
  let total = 0;
  for (const e of entries) if (e) total += e.optionLen;
  return total;
}
