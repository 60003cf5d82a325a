// The scenario tests' own normalization must mask only what legitimately differs: these cases
// prove that a port-order difference compares equal while a difference in what a port receives,
// a count, or a VLAN tag does not.

import assert from "node:assert/strict";
import { canonicalActions, normalize } from "./scenario_support.ts";

Deno.test("flood order does not matter to canonical datapath actions, deliveries do", () => {
  assert.equal(
    canonicalActions("push_vlan(vid=10,pcp=0),2,3,100,pop_vlan,4"),
    canonicalActions("push_vlan(vid=10,pcp=0),100,3,2,pop_vlan,4"),
  );
  assert.equal(
    canonicalActions("1,push_vlan(vid=10,pcp=0),3,2,100"),
    canonicalActions("push_vlan(vid=10,pcp=0),3,pop_vlan,1,push_vlan(vid=10,pcp=0),2,100"),
  );
  // The same ports, but one of them gets the frame untagged: different.
  assert.notEqual(
    canonicalActions("push_vlan(vid=10,pcp=0),2,3,pop_vlan,4"),
    canonicalActions("push_vlan(vid=10,pcp=0),2,pop_vlan,3,4"),
  );
  assert.notEqual(canonicalActions("2,3"), canonicalActions("2"));
  assert.notEqual(canonicalActions("set(ipv4(ttl=63)),2"), canonicalActions("2"));
  assert.equal(
    canonicalActions("userspace(pid=0,controller(reason=1,dont_send=0)),3"),
    "=>3 =>userspace(pid=0,controller(reason=1,dont_send=0))",
  );
});

Deno.test("normalization masks times, ufids and dump order, but keeps counters", () => {
  const a = "flow-dump from the main thread:\n" +
    "ufid:1b2c3d4e-0000-0000-0000-000000000001 in_port(1), packets:2, bytes:84, used:0.5s, actions:2,3\n" +
    "in_port(2), packets:0, bytes:0, used:never, actions:1";
  const b = "flow-dump from the main thread:\n" +
    "in_port(2), packets:0, bytes:0, used:never, actions:1\n" +
    "ufid:99999999-0000-0000-0000-000000000002 in_port(1), packets:2, bytes:84, used:1.2s, actions:3,2";
  const step = "ovs-appctl dpctl/dump-flows -m";
  assert.equal(normalize(step, a, "/tmp/x"), normalize(step, b, "/tmp/y"));
  assert.notEqual(
    normalize(step, a, "/tmp/x"),
    normalize(step, b.replace("packets:2", "packets:3"), "/tmp/y"),
  );
  const flows = " cookie=0x0, duration=1.234s, table=0, n_packets=3, idle_age=1, actions=NORMAL";
  assert.equal(
    normalize("ovs-ofctl dump-flows br0", flows, "/d"),
    " cookie=0x0, duration=?s, table=0, n_packets=3, idle_age=?, actions=NORMAL",
  );
  // Under time/stop a step may ask for exact times.
  assert.equal(normalize("!exact ovs-ofctl dump-flows br0", flows, "/d"), flows);
});
