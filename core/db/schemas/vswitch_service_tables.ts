// The service tables of the Open_vSwitch schema (version 8.3.1): QoS, flow export and
// sampling, controller and manager connections, SSL. Written in our schema notation; names,
// types and constraints are those upstream's clients and daemon expect.

import {
  bool,
  ephemeral,
  int,
  mapOf,
  one,
  oneOf,
  optional,
  ref,
  setOf,
  smap,
  str,
  table,
  type TableSpec,
} from "./schema_dsl.ts";

export const SERVICE_TABLES: Record<string, TableSpec> = {
  // A quality-of-service policy and its queues.
  QoS: table({ isRoot: true }, {
    type: one(str()),
    queues: mapOf(int(0, 4294967295), ref("Queue")),
    other_config: smap(),
    external_ids: smap(),
  }),
  // One queue of a QoS policy.
  Queue: table({ isRoot: true }, {
    dscp: optional(int(0, 63)),
    other_config: smap(),
    external_ids: smap(),
  }),
  // NetFlow export from a bridge.
  NetFlow: table({}, {
    targets: setOf(str(), { min: 1 }),
    engine_type: optional(int(0, 255)),
    engine_id: optional(int(0, 255)),
    add_id_to_interface: one(bool()),
    active_timeout: one(int(-1)),
    external_ids: smap(),
  }),
  // sFlow sampling of a bridge.
  sFlow: table({}, {
    targets: setOf(str(), { min: 1 }),
    sampling: optional(int()),
    polling: optional(int()),
    header: optional(int()),
    agent: optional(str()),
    external_ids: smap(),
  }),
  // IPFIX export from a bridge.
  IPFIX: table({}, {
    targets: setOf(str()),
    sampling: optional(int(1, 4294967295)),
    obs_domain_id: optional(int(0, 4294967295)),
    obs_point_id: optional(int(0, 4294967295)),
    cache_active_timeout: optional(int(0, 4200)),
    cache_max_flows: optional(int(0, 4294967295)),
    other_config: smap(),
    external_ids: smap(),
  }),
  // An IPFIX collector set that flows sample into.
  Flow_Sample_Collector_Set: table({ isRoot: true, indexes: [["id", "bridge"]] }, {
    id: one(int(0, 4294967295)),
    bridge: one(ref("Bridge")),
    ipfix: optional(ref("IPFIX")),
    external_ids: smap(),
  }),
  // An OpenFlow controller of a bridge, with connection status.
  Controller: table({}, {
    type: optional(oneOf("primary", "service")),
    target: one(str()),
    max_backoff: optional(int(1000)),
    inactivity_probe: optional(int()),
    connection_mode: optional(oneOf("in-band", "out-of-band")),
    local_ip: optional(str()),
    local_netmask: optional(str()),
    local_gateway: optional(str()),
    enable_async_messages: optional(bool()),
    controller_queue_size: optional(int(1, 512)),
    controller_rate_limit: optional(int(100)),
    controller_burst_limit: optional(int(25)),
    other_config: smap(),
    external_ids: smap(),
    is_connected: ephemeral(one(bool())),
    role: ephemeral(optional(oneOf("other", "master", "slave"))),
    status: ephemeral(smap()),
  }),
  // An OVSDB manager connection, with its status.
  Manager: table({ indexes: [["target"]] }, {
    target: one(str()),
    max_backoff: optional(int(1000)),
    inactivity_probe: optional(int()),
    connection_mode: optional(oneOf("in-band", "out-of-band")),
    other_config: smap(),
    external_ids: smap(),
    is_connected: ephemeral(one(bool())),
    status: ephemeral(smap()),
  }),
  // Keys and certificates for SSL connections.
  SSL: table({ maxRows: 1 }, {
    private_key: one(str()),
    certificate: one(str()),
    ca_cert: one(str()),
    bootstrap_ca_cert: one(bool()),
    external_ids: smap(),
  }),
};
