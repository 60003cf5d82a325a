// The Bridge's flow_tables column applied to its OpenFlow tables (upstream's
// bridge_configure_tables): each Flow_Table row names a table, limits its flows, chooses what a
// full table does (refuse or evict), and picks the classifier's prefix-lookup fields. Promises:
// every table is configured on every pass (a table without a row gets the defaults back); bad
// values are logged as upstream logs them and skipped, never thrown. Eviction "groups" are
// parsed and checked but eviction itself keeps one group (flow_table.ts).

import type { Idl, IdlRow } from "../db/idl.ts";
import { vlogModule } from "../net/vlog.ts";
import { CLS_MAX_TRIES, defaultPrefixFields, isPrefixField } from "../ofproto/classifier.ts";
import type { Field } from "../ofproto/fields.ts";
import type { Ofproto } from "../ofproto/ofproto.ts";
import { fieldByOwnName, parseSubfieldPrefix } from "../ofproto/subfield.ts";
import { scalar, text } from "./bridge.ts";

const log = vlogModule("bridge");

/** Applies `row`'s flow_tables to `ofproto`'s tables. */
export function configureFlowTables(
  bridgeName: string,
  row: IdlRow,
  idl: Idl,
  ofproto: Ofproto,
): void {
  const datum = row.columns.get("flow_tables");
  const configs = new Map<number, IdlRow | undefined>();
  datum?.keys.forEach((key, i) => {
    configs.set(Number(key), idl.row("Flow_Table", String(datum.values?.[i] ?? "")));
  });
  const tables = ofproto.tables.tables;
  for (const table of tables) {
    const cfg = configs.get(table.tableId);
    configs.delete(table.tableId);
    table.name = cfg ? text(cfg, "name").slice(0, 32) : "";
    if (table.readonly) continue;
    let maxFlows = Infinity;
    let evict = false;
    let prefixes: Field[] | undefined;
    if (cfg) {
      const limit = scalar(cfg, "flow_limit");
      if (typeof limit === "bigint" && limit < 0xffffffffn) maxFlows = Number(limit);
      evict = text(cfg, "overflow_policy") === "evict";
      checkGroups(bridgeName, table.tableId, cfg);
      prefixes = prefixFields(bridgeName, table.tableId, cfg);
    }
    table.cls.setPrefixFields(prefixes ?? defaultPrefixFields());
    table.maxFlows = maxFlows;
    table.evictByClient = evict;
    ofproto.tables.evictToLimit(table.tableId);
  }
  for (const tableId of configs.keys()) {
    log.warn(
      `bridge ${bridgeName}: ignoring configuration for flow table ${tableId} not supported ` +
        `by this datapath`,
    );
  }
}

function checkGroups(bridgeName: string, tableId: number, cfg: IdlRow): void {
  for (const group of (cfg.columns.get("groups")?.keys ?? []).map(String)) {
    try {
      const { end } = parseSubfieldPrefix(group);
      if (end < group.length) {
        log.warn(
          `bridge ${bridgeName} table ${tableId}: 'groups' element '${group}' contains ` +
            `trailing garbage`,
        );
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.warn(`bridge ${bridgeName} table ${tableId}: error parsing 'groups' (${message})`);
    }
  }
}

/** The table's prefix fields, or undefined for the defaults (no usable "prefixes" given). */
function prefixFields(bridgeName: string, tableId: number, cfg: IdlRow): Field[] | undefined {
  const chosen: Field[] = [];
  let useDefault = true;
  for (const name of (cfg.columns.get("prefixes")?.keys ?? []).map(String)) {
    if (name === "none") {
      useDefault = false;
      chosen.length = 0;
      break;
    }
    const field = fieldByOwnName(name);
    if (!field) {
      log.warn(`bridge ${bridgeName}: 'prefixes' with unknown field: ${name}`);
      continue;
    }
    if (!isPrefixField(field)) {
      log.warn(`bridge ${bridgeName}: 'prefixes' with incompatible field: ${name}`);
      continue;
    }
    if (chosen.length >= CLS_MAX_TRIES) {
      log.warn(
        `bridge ${bridgeName}: 'prefixes' with too many fields, field not used: ${name}`,
      );
      continue;
    }
    useDefault = false;
    chosen.push(field);
  }
  if (useDefault) return undefined;
  const names = chosen.map((f) => f.name).join(",") || "none";
  log.info(`bridge ${bridgeName} table ${tableId}: Prefix lookup with: ${names}.`);
  return chosen;
}
