import assert from "node:assert/strict";
import {
  parseBridgeFlows,
  parseDatapathFlows,
  parseDpifShow,
  parseFdb,
  parseUpcallShow,
} from "../../core/monitor/parse.ts";

Deno.test("bridge/dump-flows lines give table, priority, match, actions and counters", () => {
  const text = [
    "duration=12s, n_packets=3, n_bytes=318, in_port=1,actions=output:2",
    "duration=0s, n_packets=0, n_bytes=0, ,actions=NORMAL",
    "table_id=1, duration=5s, n_packets=0, n_bytes=0, priority=100,ip,nw_dst=10.0.0.1,actions=drop",
    "table_id=254, duration=7s, n_packets=0, n_bytes=0, priority=0,reg0=0x1,actions=controller(reason=)",
    "duration=1s, n_packets=9, n_bytes=900, n_offload_packets=0, n_offload_bytes=0, priority=5,actions=learn(table=1,output:NXM_OF_IN_PORT[])",
    "not a flow",
    "",
  ].join("\n");
  const { items, unparsed } = parseBridgeFlows(text);
  assert.deepEqual(items, [
    {
      table: 0,
      priority: 32768,
      match: "in_port=1",
      actions: "output:2",
      duration: 12,
      packets: 3,
      bytes: 318,
    },
    { table: 0, priority: 32768, match: "", actions: "NORMAL", duration: 0, packets: 0, bytes: 0 },
    {
      table: 1,
      priority: 100,
      match: "ip,nw_dst=10.0.0.1",
      actions: "drop",
      duration: 5,
      packets: 0,
      bytes: 0,
    },
    {
      table: 254,
      priority: 0,
      match: "reg0=0x1",
      actions: "controller(reason=)",
      duration: 7,
      packets: 0,
      bytes: 0,
    },
    {
      table: 0,
      priority: 5,
      match: "",
      actions: "learn(table=1,output:NXM_OF_IN_PORT[])",
      duration: 1,
      packets: 9,
      bytes: 900,
    },
  ]);
  assert.deepEqual(unparsed, ["not a flow"]);
});

Deno.test("fdb/show entries give port, VLAN, MAC and age, static entries without an age", () => {
  const text = " port  VLAN  MAC                Age\n" +
    "    1     0  50:54:00:00:00:01    3\n" +
    "LOCAL    10  AA:55:AA:55:00:00  299\n" +
    "    2     0  50:54:00:00:02:02  static\n";
  const { items, unparsed } = parseFdb(text);
  assert.deepEqual(items, [
    { port: "1", vlan: 0, mac: "50:54:00:00:00:01", age: 3 },
    { port: "LOCAL", vlan: 10, mac: "aa:55:aa:55:00:00", age: 299 },
    { port: "2", vlan: 0, mac: "50:54:00:00:02:02", age: null },
  ]);
  assert.deepEqual(unparsed, []);
});

Deno.test("dpif/show gives each datapath's hits and misses and its bridges' ports", () => {
  // As upstream's tests/mpls-xlate.at and ofproto-dpif.at show it (patch and tunnel ports).
  const text = "dummy@ovs-dummy: hit:7 missed:2\n" +
    "  br0:\n" +
    "    br0 65534/100: (dummy-internal)\n" +
    "    p0 1/1: (gre: key=5, local_ip=2.2.2.2, remote_ip=1.1.1.1)\n" +
    "    p1 2/none: (patch: peer=p2)\n" +
    "  br1:\n" +
    "    br1 65534/101: (dummy-internal)\n" +
    "    p2 1/none: (patch: peer=p1)\n";
  const { items, unparsed } = parseDpifShow(text);
  assert.deepEqual(unparsed, []);
  assert.equal(items.length, 1);
  const dp = items[0]!;
  assert.deepEqual([dp.name, dp.hit, dp.missed], ["dummy@ovs-dummy", 7, 2]);
  assert.deepEqual(dp.bridges.map((b) => b.name), ["br0", "br1"]);
  assert.deepEqual(dp.bridges[0]!.ports, [
    { name: "br0", ofport: 65534, dpPort: 100, type: "dummy-internal", config: "" },
    {
      name: "p0",
      ofport: 1,
      dpPort: 1,
      type: "gre",
      config: "key=5, local_ip=2.2.2.2, remote_ip=1.1.1.1",
    },
    { name: "p1", ofport: 2, dpPort: null, type: "patch", config: "peer=p2" },
  ]);
});

Deno.test("upcall/show gives the flow count against its limit and the dump duration", () => {
  const text = "dummy@ovs-dummy:\n" +
    "  flows         : (current 12) (avg 10) (max 40) (limit 10000)\n" +
    "  offloaded flows : 0\n" +
    "  dump duration : 3ms\n" +
    "  ufid enabled : true\n" +
    "\n" +
    "  5: (keys 7)\n" +
    "  6: (keys 5)\n";
  const { items, unparsed } = parseUpcallShow(text);
  assert.deepEqual(unparsed, []);
  assert.deepEqual(items, [{
    datapath: "dummy@ovs-dummy",
    flows: 12,
    average: 10,
    maximum: 40,
    limit: 10000,
    dumpDuration: 3,
    revalidatorKeys: [7, 5],
  }]);
});

Deno.test("dpctl/dump-flows lines give key, counters, last use, TCP flags and actions", () => {
  const text = "flow-dump from the main thread:\n" +
    "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(frag=no), packets:3, bytes:318, used:0.512s, actions:2\n" +
    "recirc_id(0),in_port(2),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80), packets:0, bytes:0, used:never, actions:drop\n" +
    "recirc_id(0),in_port(1),eth_type(0x0800),ipv4(proto=6,frag=no), packets:5, bytes:370, used:1.000s, flags:SFP., actions:set(tunnel(dst=1.1.1.1)),3\n" +
    "ufid:1234, recirc_id(0),in_port(1), packets:1, bytes:60, used:2.5s, dp:ovs, actions:userspace(pid=0,slow_path(controller)), dp-extra-info:miniflow_bits(4,1)\n" +
    "garbage\n";
  const { items, unparsed } = parseDatapathFlows(text);
  assert.deepEqual(unparsed, ["garbage"]);
  assert.deepEqual(items, [
    {
      key: "recirc_id(0),in_port(1),packet_type(ns=0,id=0),eth_type(0x0800),ipv4(frag=no)",
      packets: 3,
      bytes: 318,
      used: 0.512,
      flags: "",
      actions: "2",
    },
    {
      key: "recirc_id(0),in_port(2),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80)",
      packets: 0,
      bytes: 0,
      used: null,
      flags: "",
      actions: "drop",
    },
    {
      key: "recirc_id(0),in_port(1),eth_type(0x0800),ipv4(proto=6,frag=no)",
      packets: 5,
      bytes: 370,
      used: 1,
      flags: "SFP.",
      actions: "set(tunnel(dst=1.1.1.1)),3",
    },
    {
      key: "ufid:1234, recirc_id(0),in_port(1)",
      packets: 1,
      bytes: 60,
      used: 2.5,
      flags: "",
      actions: "userspace(pid=0,slow_path(controller))",
    },
  ]);
});
