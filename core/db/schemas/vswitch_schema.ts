// The built-in Open_vSwitch database schema, as `ovs start` and `ovsdb-tool create` use it when
// no schema file is given: upstream's version 8.3.1 (Open vSwitch 3.1), written in our own schema
// notation so the project needs no copy of upstream's file. Its checksum is the one upstream
// publishes for this version, so `ovsdb-tool schema-cksum` agrees with the real tool.

import type { JsonObject } from "../json.ts";
import { schemaJson } from "./schema_dsl.ts";
import { SERVICE_TABLES } from "./vswitch_service_tables.ts";
import { SWITCHING_TABLES } from "./vswitch_switching_tables.ts";

export const VSWITCH_SCHEMA_VERSION = "8.3.1";
export const VSWITCH_SCHEMA_CKSUM = "3012963480 26720";

/**
 * The order in which upstream's schema file lists its tables. Upstream keeps tables in a hash
 * table whose iteration order depends on insertion order, so this order makes schema records we
 * write byte-identical to upstream's.
 */
const TABLE_ORDER = [
  "Open_vSwitch",
  "Bridge",
  "Port",
  "Interface",
  "Flow_Table",
  "QoS",
  "Queue",
  "Mirror",
  "NetFlow",
  "sFlow",
  "IPFIX",
  "Flow_Sample_Collector_Set",
  "Controller",
  "Manager",
  "Datapath",
  "CT_Zone",
  "CT_Timeout_Policy",
  "SSL",
  "AutoAttach",
];

/** The Open_vSwitch schema as RFC 7047 JSON. */
export function vswitchSchemaJson(): JsonObject {
  const all = { ...SWITCHING_TABLES, ...SERVICE_TABLES };
  const tables = Object.fromEntries(TABLE_ORDER.map((name) => [name, all[name]!]));
  if (Object.keys(all).length !== TABLE_ORDER.length) {
    throw new Error("vswitch schema: a table is missing from TABLE_ORDER");
  }
  return schemaJson({
    name: "Open_vSwitch",
    version: VSWITCH_SCHEMA_VERSION,
    cksum: VSWITCH_SCHEMA_CKSUM,
    tables,
  });
}
