import assert from "node:assert/strict";
import {
  type DpAction,
  dpActionsNlSize,
  formatDpActions,
  parseDpActions,
  setAction,
} from "../../core/datapath/dp_actions.ts";
import { DpError } from "../../core/datapath/dp_errors.ts";
import { dpctlRunCommand, dpctlUnixctl, ODP_FLOW_CODEC } from "../../core/datapath/dpctl.ts";
import { backerDatapath, type NetdevDatapath } from "../../core/datapath/dpif.ts";
import { newFlowWords, W_NW_MISC, W_NW_SRC } from "../../core/datapath/flow.ts";
import { closeNetdev, openNetdev } from "../../core/datapath/netdev.ts";
import { DummyNetdev, registerDummyNetdevs } from "../../core/datapath/netdev_dummy.ts";
import { newKeyAttr, setKeyField } from "../../core/datapath/odp_key_attr.ts";
import { keyAttrFromFlow } from "../../core/datapath/odp_key_attr_flow.ts";
import { frameFromString, readPcapFile } from "../../core/datapath/pcap.ts";
import { encodeUserCookie, OFPP_NONE } from "../../core/datapath/user_cookie.ts";
import { extractFlow } from "../../core/datapath/flow_extract.ts";
import { Packet } from "../../core/datapath/packet.ts";
import { ipv4HeaderChecksum, transportChecksum } from "../../core/datapath/checksum.ts";
import { run } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";
import { must, REAL_SWITCH, startRealSwitch } from "./real_switch.ts";

/** The valid action forms of upstream's tests/odp.at (tnl_push excepted: not modelled). */
const ODP_AT_ACTIONS = [
  "1,2,3",
  "userspace(pid=6633,sFlow(vid=9,pcp=7,output=10),actions)",
  "userspace(pid=6633,sFlow(vid=9,pcp=7,output=10),actions,tunnel_out_port=10)",
  "userspace(pid=9765,slow_path(0))",
  "userspace(pid=9765,slow_path(0),tunnel_out_port=10)",
  "userspace(pid=9765,slow_path(cfm))",
  "userspace(pid=9765,slow_path(cfm),tunnel_out_port=10)",
  "userspace(pid=1234567,userdata(0102030405060708090a0b0c0d0e0f),actions)",
  "userspace(pid=1234567,userdata(0102030405060708090a0b0c0d0e0f),tunnel_out_port=10)",
  "userspace(pid=6633,flow_sample(probability=123,collector_set_id=1234,obs_domain_id=2345,obs_point_id=3456,output_port=10))",
  "userspace(pid=6633,flow_sample(probability=123,collector_set_id=1234,obs_domain_id=2345,obs_point_id=3456,output_port=10,ingress))",
  "userspace(pid=6633,flow_sample(probability=123,collector_set_id=1234,obs_domain_id=2345,obs_point_id=3456,output_port=10),tunnel_out_port=10)",
  "userspace(pid=6633,flow_sample(probability=123,collector_set_id=1234,obs_domain_id=2345,obs_point_id=3456,output_port=10,egress),tunnel_out_port=10)",
  "userspace(pid=6633,ipfix(output_port=10))",
  "userspace(pid=6633,ipfix(output_port=10),tunnel_out_port=10)",
  "userspace(pid=6633,controller(reason=1,dont_send=0,continuation=1,recirc_id=4444,rule_cookie=0x5555,controller_id=0,max_len=65535))",
  "userspace(pid=6633,controller(reason=1,dont_send=1,continuation=0,recirc_id=4444,rule_cookie=0x5555,controller_id=0,max_len=65535))",
  "set(in_port(2))",
  "set(eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15))",
  "set(eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15/ff:ff:ff:00:00:00))",
  "set(eth_type(0x1234))",
  "set(ipv4(src=35.8.2.41,dst=172.16.0.20,proto=5,tos=0x80,ttl=128,frag=no))",
  "set(ipv4(src=35.8.2.41,dst=172.16.0.20,proto=5,ttl=128,frag=no))",
  "set(ipv4(src=35.8.2.41/255.255.255.0,dst=172.16.0.20,proto=5,tos=0x80,ttl=128,frag=no))",
  "set(ipv4(src=35.8.2.41/255.255.255.0,tos=0x80,ttl=128,frag=no))",
  "set(ipv4(tos=0/0x3))",
  "set(ipv4(tos=0x80/0xfc))",
  "set(ipv4(ttl=128,frag=no))",
  "set(ipv4(frag=no))",
  "set(tcp(src=80,dst=8080))",
  "set(tcp(src=80/0xff00,dst=8080))",
  "set(tcp(src=80))",
  "set(tcp(dst=8080))",
  "set(udp(src=81,dst=6632))",
  "set(udp(src=81/0xff00,dst=6632))",
  "set(udp(src=81))",
  "set(udp(dst=6633))",
  "set(sctp(src=82,dst=6633))",
  "set(sctp(src=82/0xff00,dst=6633))",
  "set(sctp(src=82))",
  "set(sctp(dst=6632))",
  "set(icmp(type=1,code=2))",
  "set(ipv6(src=::1,dst=::2,label=0,proto=10,tclass=0x70,hlimit=128,frag=no))",
  "set(ipv6(src=::1,dst=::2))",
  "set(ipv6(label=0,proto=10,tclass=0x70,hlimit=128,frag=no))",
  "set(ipv6(label=0,proto=10,hlimit=128))",
  "set(ipv6(label=0/0xfff,proto=10,tclass=0x70/0x70))",
  "set(ipv6(label=0))",
  "set(icmpv6(type=1,code=2))",
  "set(vlan(vid=5))",
  "set(vlan(vid=3,pcp=5))",
  "set(vlan(vid=3,pcp=5,cfi=0))",
  "set(vlan(vid=5/0x3))",
  "set(vlan(vid=5/0x1)),3",
  "push_vlan(vid=12,pcp=0)",
  "push_vlan(vid=13,pcp=5,cfi=0)",
  "push_vlan(tpid=0x9100,vid=13,pcp=5)",
  "push_vlan(tpid=0x9100,vid=13,pcp=5,cfi=0)",
  "pop_vlan",
  "sample(sample=9.7%,actions(1,2,3,push_vlan(vid=1,pcp=2)))",
  "set(tunnel(tun_id=0xabcdef1234567890,src=1.1.1.1,dst=2.2.2.2,ttl=64,flags(df|csum|key)))",
  "set(tunnel(tun_id=0xabcdef1234567890,src=1.1.1.1,dst=2.2.2.2,ttl=64,flags(key)))",
  "tnl_pop(4)",
  "ct",
  "ct(commit)",
  "ct(commit,zone=5)",
  "ct(commit,mark=0xa0a0a0a0/0xfefefefe)",
  "ct(commit,label=0x1234567890abcdef1234567890abcdef/0xf1f2f3f4f5f6f7f8f9f0fafbfcfdfeff)",
  "ct(commit,helper=ftp)",
  "ct(commit,helper=tftp)",
  "ct(commit,timeout=ovs_tp_1_tcp4)",
  "ct(nat)",
  "ct(commit,nat(src))",
  "ct(commit,timeout=ovs_tp_1_tcp4,nat(src))",
  "ct(commit,nat(dst))",
  "ct(commit,timeout=ovs_tp_1_tcp4,nat(dst))",
  "ct(commit,nat(src=10.0.0.240,random))",
  "ct(commit,nat(src=10.0.0.240:32768-65535,random))",
  "ct(commit,nat(dst=10.0.0.128-10.0.0.254,hash))",
  "ct(commit,nat(src=10.0.0.240-10.0.0.254:32768-65535,persistent))",
  "ct(commit,nat(src=fe80::20c:29ff:fe88:a18b,random))",
  "ct(commit,nat(src=fe80::20c:29ff:fe88:1-fe80::20c:29ff:fe88:a18b,random))",
  "ct(commit,nat(src=[fe80::20c:29ff:fe88:1]-[fe80::20c:29ff:fe88:a18b]:255-4096,random))",
  "ct(commit,helper=ftp,nat(src=10.1.1.240-10.1.1.255))",
  "ct(force_commit)",
  "ct(force_commit,zone=5)",
  "ct(force_commit,mark=0xa0a0a0a0/0xfefefefe)",
  "ct(force_commit,label=0x1234567890abcdef1234567890abcdef/0xf1f2f3f4f5f6f7f8f9f0fafbfcfdfeff)",
  "ct(force_commit,helper=ftp)",
  "ct(nat)",
  "ct(force_commit,nat(src))",
  "ct(force_commit,nat(dst))",
  "ct(force_commit,nat(src=10.0.0.240,random))",
  "ct(force_commit,nat(src=10.0.0.240:32768-65535,random))",
  "ct(force_commit,nat(dst=10.0.0.128-10.0.0.254,hash))",
  "ct(force_commit,nat(src=10.0.0.240-10.0.0.254:32768-65535,persistent))",
  "ct(force_commit,nat(src=fe80::20c:29ff:fe88:a18b,random))",
  "ct(force_commit,nat(src=fe80::20c:29ff:fe88:1-fe80::20c:29ff:fe88:a18b,random))",
  "ct(force_commit,nat(src=[fe80::20c:29ff:fe88:1]-[fe80::20c:29ff:fe88:a18b]:255-4096,random))",
  "ct(force_commit,helper=ftp,nat(src=10.1.1.240-10.1.1.255))",
  "ct_clear",
  "trunc(100)",
  "clone(1)",
  "clone(clone(push_vlan(vid=12,pcp=0),2),1)",
  "set(tunnel(tun_id=0x1,dst=1.1.1.1,ttl=64,erspan(ver=1,idx=0x7),flags(df|key)))",
  "set(tunnel(tun_id=0x1,dst=1.1.1.1,ttl=64,erspan(ver=2,dir=1,hwid=0x1),flags(df|key)))",
  "check_pkt_len(size=200,gt(4),le(5))",
  "check_pkt_len(size=200,gt(drop),le(5))",
  "check_pkt_len(size=200,gt(ct(nat)),le(drop))",
  "check_pkt_len(size=200,gt(set(eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15))),le(set(eth(src=00:01:02:03:04:06,dst=10:11:12:13:14:16))))",
  "lb_output(1)",
  "add_mpls(label=200,tc=7,ttl=64,bos=1,eth_type=0x8847)",
];

Deno.test("every odp.at action form parses and formats back to the same text", () => {
  for (const text of ODP_AT_ACTIONS) {
    assert.equal(formatDpActions(parseDpActions(text)), text);
  }
});

Deno.test("an empty action list formats as drop and 'drop' parses to the explicit drop action", () => {
  assert.equal(formatDpActions([]), "drop");
  assert.deepEqual(parseDpActions("drop"), [{ type: "drop", reason: 0 }]);
  assert.deepEqual(parseDpActions("DROP"), [{ type: "drop", reason: 0 }]);
  assert.deepEqual(parseDpActions(""), []);
  assert.equal(formatDpActions(parseDpActions("drop")), "drop");
});

Deno.test("malformed action text fails with EINVAL and never throws anything else", () => {
  const bad = [
    "encap_nsh@:{@",
    "output(1)",
    "push_vlan(vid=4096,pcp=0)",
    "push_vlan(vid=1,pcp=8)",
    "set(ipv4(src=1.2.3))",
    "set(nosuch(1))",
    "clone(1",
    "sample(sample=101%,actions(1))",
    "ct(commit,force_commit)",
    "ct(nat(src,dst))",
    "ct(helper=abcdefghijklmnop)",
    "check_pkt_len(size=10,gt(1),le(2)",
    "userspace(pid=1,userdata(0g))",
    "1,,2x",
    "push_mpls(label=1,tc=0,ttl=64,bos=1,eth_type=0x8847)",
  ];
  for (const text of bad) {
    assert.throws(
      () => parseDpActions(text),
      (e: unknown) => e instanceof DpError && e.errno === "EINVAL",
      text,
    );
  }
});

Deno.test("userspace userdata is bounded by the Netlink attribute size as upstream bounds it", () => {
  const ok = (n: number, tail: string) =>
    `userspace(pid=1234567,userdata(${"a".repeat(2 * n)})${tail})`;
  assert.equal(parseDpActions(ok(65512, ",actions")).length, 1);
  assert.throws(
    () => parseDpActions(ok(65513, ",actions")),
    (e: unknown) => e instanceof DpError && e.errno === "E2BIG",
  );
  assert.equal(parseDpActions(ok(65508, ",tunnel_out_port=10")).length, 1);
  assert.throws(
    () => parseDpActions(ok(65509, ",tunnel_out_port=10")),
    (e: unknown) => e instanceof DpError && e.errno === "E2BIG",
  );
  // Short userdata is zero-padded to 8 bytes, as upstream always sends at least 8.
  assert.equal(
    formatDpActions(parseDpActions("userspace(pid=1,userdata(0102))")),
    "userspace(pid=1,userdata(0102000000000000))",
  );
});

Deno.test("an action list longer than a Netlink message fails with E2BIG", () => {
  const many = Array.from({ length: 8191 }, () => "1").join(",");
  assert.equal(parseDpActions(many).length, 8191);
  assert.equal(dpActionsNlSize(parseDpActions(many)), 8191 * 8);
  assert.throws(
    () => parseDpActions(many + ",1,1"),
    (e: unknown) => e instanceof DpError && e.errno === "E2BIG",
  );
});

Deno.test("actions built by the slow path format as upstream prints them", () => {
  const flow = newFlowWords();
  const mask = newFlowWords();
  flow[W_NW_SRC] = 0x0a000001;
  mask[W_NW_SRC] = 0xffffffff;
  flow[W_NW_MISC] = 0x06001e00; // proto 6, ttl 30
  mask[W_NW_MISC] = 0x0000ff00; // ttl only
  const eth = newKeyAttr("eth");
  setKeyField(eth, "src", new Uint8Array([0, 1, 2, 3, 4, 5]));
  setKeyField(eth, "dst", new Uint8Array([0x10, 0x11, 0x12, 0x13, 0x14, 0x15]));
  const cookie = encodeUserCookie({
    type: "controller",
    ofpInPort: OFPP_NONE,
    ofprotoUuid: new Uint8Array(16),
    dontSend: false,
    continuation: false,
    reason: 1,
    recircId: 1,
    ruleCookie: 0n,
    controllerId: 0,
    maxLen: 65535,
  });
  const actions: DpAction[] = [
    { type: "push_vlan", tpid: 0x8100, tci: 0x1000 | 10 },
    { type: "output", port: 4 },
    { type: "pop_vlan" },
    setAction(eth),
    setAction(keyAttrFromFlow("ipv4", flow, mask)),
    { type: "userspace", pid: 0, userdata: cookie },
    { type: "recirc", id: 1 },
    { type: "trunc", maxLen: 100 },
    { type: "check_pkt_len", size: 200, gt: [{ type: "output", port: 4 }], le: [] },
    { type: "clone", actions: [{ type: "output", port: 1 }] },
    { type: "push_mpls", lse: (100 << 12) | (1 << 8) | 64, ethertype: 0x8847 },
    { type: "pop_mpls", ethertype: 0x0800 },
    { type: "hash", alg: 0, basis: 7 },
    { type: "meter", id: 3 },
  ];
  assert.equal(
    formatDpActions(actions),
    "push_vlan(vid=10,pcp=0),4,pop_vlan,set(eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15))," +
      "set(ipv4(src=10.0.0.1,ttl=30)),userspace(pid=0,controller(reason=1,dont_send=0,continuation=0," +
      "recirc_id=1,rule_cookie=0,controller_id=0,max_len=65535)),recirc(0x1),trunc(100)," +
      "check_pkt_len(size=200,gt(4),le(drop)),clone(1)," +
      "push_mpls(label=100,tc=0,ttl=64,bos=1,eth_type=0x8847),pop_mpls(eth_type=0x800)," +
      "hash(l4(7)),meter(3)",
  );
  const names = new Map([[4, "p4"], [1, "p1"]]);
  assert.equal(
    formatDpActions(actions.slice(0, 2), { portName: (n) => names.get(n) }),
    "push_vlan(vid=10,pcp=0),p4",
  );
  // Masked and unmasked: a set with a partial mask is set_masked, printed with only its fields.
  const full = keyAttrFromFlow("tcp", flow);
  assert.equal(formatDpActions([setAction(full)]), "set(tcp(src=0,dst=0))");
  const src = keyAttrFromFlow("eth", flow, mask);
  assert.equal(formatDpActions([setAction(src)]), "set(eth())");
});

// ---------------------------------------------------------------------------------------------
// Differential: the real ovs-vswitchd on its dummy datapath against ours.

/** A flow file for dpctl/add-flows: one distinct key per action text. */
function actionFlowFile(): string {
  return ODP_AT_ACTIONS.map((actions, i) => {
    const mac = `00:00:00:00:${(i >> 8).toString(16).padStart(2, "0")}:${
      (i & 0xff).toString(16).padStart(2, "0")
    }`;
    return `in_port(1),eth(src=${mac},dst=00:00:00:00:00:02),eth_type(0x1234) ${actions}`;
  }).join("\n") + "\n";
}

function sortedDump(text: string): string {
  return text.split("\n").filter((l) => l !== "").sort().join("\n");
}

function ourDatapath(ports: string[]): NetdevDatapath {
  registerDummyNetdevs();
  const dp = backerDatapath("dummy");
  for (const name of ports) {
    if (dp.portByName(name)) continue;
    const netdev = openNetdev(name, name.startsWith("br") ? "dummy-internal" : "dummy");
    dp.portAdd(netdev);
    closeNetdev(netdev);
  }
  return dp;
}

function ourDpctl(...args: string[]): { error: boolean; text: string } {
  return dpctlUnixctl(args, {
    programName: "ovs-vswitchd",
    codec: ODP_FLOW_CODEC,
    readFile: (path) => Deno.readTextFileSync(path),
  });
}

testIf(
  REAL_SWITCH,
  "dpctl/dump-flows prints every odp.at action exactly as the real datapath does",
  async () => {
    const real = await startRealSwitch();
    const file = `${real.dir}/flows.txt`;
    Deno.writeTextFileSync(file, actionFlowFile());
    try {
      await must(
        real.vsctl(
          "add-br",
          "br0",
          "--",
          "set",
          "bridge",
          "br0",
          "datapath-type=dummy",
          "fail-mode=secure",
          "--",
          "add-port",
          "br0",
          "p1",
          "--",
          "set",
          "Interface",
          "p1",
          "type=dummy",
        ),
        "add-br",
      );
      // The revalidator would delete flows it did not install.
      await must(real.appctl("revalidator/pause"), "revalidator/pause");
      const added = await real.appctl("dpctl/add-flows", file);
      assert.equal(added.code, 0, added.stderr + added.stdout);
      const realDump = await must(real.appctl("dpctl/dump-flows"), "dump-flows");
      const dp = ourDatapath(["br0", "p1"]);
      dp.flowFlush();
      const ours = ourDpctl("add-flows", file);
      assert.equal(ours.text, added.stdout);
      const ourDump = ourDpctl("dump-flows");
      assert.equal(sortedDump(ourDump.text), sortedDump(realDump));
      assert.equal(realDump.split("\n").filter((l) => l.includes("actions:")).length, 112);
      dp.flowFlush();
    } finally {
      await real.stop();
    }
  },
);

interface ExecCase {
  /** The input frame, as flow text netdev-dummy/receive would compose. */
  packet: string;
  /** The datapath flow key (in_port $IN); packets match it. */
  key: string;
  /** Actions with $OUT and $OUT2 for the case's two output ports. */
  actions: string;
  /** Extra flows (e.g. after recirculation), same placeholders. */
  more?: [string, string][];
}

const TCP4 =
  "eth(src=50:54:00:00:00:01,dst=50:54:00:00:02:00),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=9)";
const UDP4 =
  "eth(src=50:54:00:00:00:01,dst=50:54:00:00:02:00),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=53,dst=4000)";
const ICMP4 =
  "eth(src=50:54:00:00:00:01,dst=50:54:00:00:02:00),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)";
const TCP6 =
  "eth(src=50:54:00:00:00:01,dst=50:54:00:00:02:00),eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::2,label=0,proto=6,tclass=0,hlimit=64,frag=no),tcp(src=80,dst=8080)";
const UDP6 =
  "eth(src=50:54:00:00:00:01,dst=50:54:00:00:02:00),eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::2,label=0,proto=17,tclass=0,hlimit=64,frag=no),udp(src=53,dst=53)";
const ARP =
  "eth(src=50:54:00:00:00:01,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.2,op=1,sha=50:54:00:00:00:01,tha=00:00:00:00:00:00)";
const VLAN4 =
  "eth(src=50:54:00:00:00:01,dst=50:54:00:00:02:00),eth_type(0x8100),vlan(vid=5,pcp=2),encap(eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=9))";
const K4 = "eth(),eth_type(0x0800),ipv4(frag=no)";
const K6 = "eth(),eth_type(0x86dd),ipv6(frag=no)";

const EXEC_CASES: ExecCase[] = [
  {
    packet: TCP4,
    key: K4,
    actions: "set(ipv4(src=192.168.1.1,dst=172.16.0.20,proto=6,tos=0x80,ttl=128,frag=no)),$OUT",
  },
  {
    packet: TCP4,
    key: K4,
    actions: "set(ipv4(src=192.168.1.1/255.255.255.0)),$OUT,set(ipv4(ttl=1)),$OUT2",
  },
  { packet: TCP4, key: K4, actions: "set(tcp(src=1000,dst=2000)),$OUT" },
  { packet: UDP4, key: K4, actions: "set(udp(src=1000/0xff00)),$OUT" },
  { packet: TCP4, key: K4, actions: "set(eth(src=00:01:02:03:04:05,dst=10:11:12:13:14:15)),$OUT" },
  {
    packet: TCP4,
    key: K4,
    actions: "push_vlan(vid=10,pcp=3),$OUT,push_vlan(tpid=0x88a8,vid=20,pcp=0),$OUT2",
  },
  {
    packet: VLAN4,
    key: "eth(),eth_type(0x8100),vlan(vid=5),encap(eth_type(0x0800),ipv4(frag=no))",
    actions: "pop_vlan,$OUT",
  },
  { packet: TCP4, key: K4, actions: "trunc(40),$OUT,$OUT2" },
  { packet: TCP4, key: K4, actions: "clone(set(ipv4(ttl=1)),$OUT),$OUT2" },
  { packet: TCP4, key: K4, actions: "check_pkt_len(size=100,gt($OUT),le(set(ipv4(ttl=2)),$OUT2))" },
  {
    packet: TCP4,
    key: K4,
    actions: "sample(sample=100.0%,actions(set(ipv4(tos=0x4/0xfc)),$OUT)),$OUT2",
  },
  { packet: TCP6, key: K6, actions: "set(ipv6(src=2001:db8::10,dst=2001:db8::20)),$OUT" },
  { packet: UDP6, key: K6, actions: "set(ipv6(label=0x12345,hlimit=1)),set(udp(dst=5353)),$OUT" },
  { packet: ICMP4, key: K4, actions: "set(icmp(type=0,code=0)),$OUT" },
  {
    packet: ARP,
    key: "eth(),eth_type(0x0806),arp()",
    actions:
      "set(arp(sip=1.2.3.4,tip=10.0.0.2,op=2,sha=00:00:00:00:00:01,tha=50:54:00:00:00:01)),$OUT",
  },
  {
    packet: TCP4,
    key: K4,
    actions: "recirc(7)",
    more: [[`recirc_id(7),in_port($IN),${K4}`, "set(ipv4(ttl=7)),$OUT"]],
  },
  { packet: TCP4, key: K4, actions: "$OUT,set(ipv4(dst=10.9.9.9)),$OUT2,$OUT" },
  { packet: UDP4, key: K4, actions: "set(ipv4(dst=10.1.1.1)),set(udp(src=99,dst=98)),$OUT" },
  // A runt padded to 60 bytes: check_pkt_len does not count the Ethernet padding.
  {
    packet: "50540000020050540000000108004500001c00000000401166cf0a0000010a000002" +
      "0035003500080000000000000000000000000000000000000000",
    key: K4,
    actions: "check_pkt_len(size=50,gt($OUT),le($OUT2))",
  },
  { packet: TCP4, key: K4, actions: "trunc(30),check_pkt_len(size=40,gt($OUT),le($OUT2))" },
  { packet: TCP4, key: K4, actions: "trunc(50),sample(sample=100.0%,actions($OUT)),$OUT2" },
  { packet: TCP4, key: K4, actions: "trunc(50),clone($OUT),$OUT2" },
  { packet: TCP4, key: K4, actions: "trunc(4),$OUT" },
];

function caseFlows(c: ExecCase, i: number): [string, string][] {
  const sub = (t: string) =>
    t.replaceAll("$IN", String(i)).replaceAll("$OUT2", String(300 + i)).replaceAll(
      "$OUT",
      String(200 + i),
    );
  const flows: [string, string][] = [[`in_port(${i}),${c.key}`, c.actions]];
  for (const [k, a] of c.more ?? []) flows.push([k, a]);
  return flows.map(([k, a]) => [sub(k), sub(a)]);
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Checks the IPv4 header checksum and the TCP/UDP/ICMP checksum of a frame. */
function assertChecksumsValid(frame: Uint8Array): void {
  const p = new Packet(4096);
  p.setFrame(frame);
  extractFlow(p, newFlowWords());
  if (p.l3 < 0) return;
  const b = p.buffer;
  const version = b[p.l3]! >> 4;
  let proto: number;
  let end: number;
  if (version === 4) {
    if (p.l3 + 20 > p.start + p.length) return;
    assert.equal(ipv4HeaderChecksum(b, p.l3), (b[p.l3 + 10]! << 8) | b[p.l3 + 11]!, "ipv4 csum");
    proto = b[p.l3 + 9]!;
    end = p.l3 + ((b[p.l3 + 2]! << 8) | b[p.l3 + 3]!);
  } else if (version === 6) {
    proto = b[p.l3 + 6]!;
    end = p.l3 + 40 + ((b[p.l3 + 4]! << 8) | b[p.l3 + 5]!);
  } else {
    return;
  }
  if (p.l4 < 0 || !(proto === 6 || proto === 17 || proto === 58)) return;
  // Truncated frames (trunc) and UDP over IPv4 without a checksum have nothing to verify.
  if (end > p.start + p.length) return;
  if (proto === 17 && version === 4 && ((b[p.l4 + 6]! << 8) | b[p.l4 + 7]!) === 0) return;
  assert.equal(transportChecksum(b, p.l3, proto, p.l4, end), 0, "l4 csum");
}

testIf(
  REAL_SWITCH,
  "datapath actions turn the same frames into the same bytes as the real datapath",
  async () => {
    const real = await startRealSwitch();
    const n = EXEC_CASES.length;
    try {
      const vsctl = [
        "add-br",
        "br0",
        "--",
        "set",
        "bridge",
        "br0",
        "datapath-type=dummy",
        "fail-mode=secure",
      ];
      for (let i = 1; i <= n; i++) {
        vsctl.push(
          "--",
          "add-port",
          "br0",
          `p${i}`,
          "--",
          "set",
          "Interface",
          `p${i}`,
          "type=dummy",
        );
        for (const out of [200 + i, 300 + i]) {
          vsctl.push(
            "--",
            "add-port",
            "br0",
            `o${out}`,
            "--",
            "set",
            "Interface",
            `o${out}`,
            "type=dummy",
            `options:tx_pcap=${real.dir}/o${out}.pcap`,
          );
        }
      }
      await must(real.vsctl(...vsctl), "add ports");
      const flows = EXEC_CASES.flatMap((c, i) => caseFlows(c, i + 1));
      const file = `${real.dir}/exec.txt`;
      Deno.writeTextFileSync(file, flows.map(([k, a]) => `${k} ${a}`).join("\n") + "\n");
      await must(real.appctl("revalidator/pause"), "revalidator/pause");
      assert.equal(await must(real.appctl("dpctl/add-flows", file), "add-flows"), "");

      // Ours: the same ports, flows and frames.
      const names = ["br0"];
      for (let i = 1; i <= n; i++) names.push(`p${i}`, `o${200 + i}`, `o${300 + i}`);
      const dp = ourDatapath(names);
      dp.flowFlush();
      const added = ourDpctl("add-flows", file);
      assert.equal(added.text, "");
      const expected = new Map<string, string[]>();
      let total = 0;
      for (let i = 1; i <= n; i++) {
        const frame = frameFromString(EXEC_CASES[i - 1]!.packet);
        const netdev = dp.portByName(`p${i}`)!.netdev as DummyNetdev;
        for (const out of [200 + i, 300 + i]) {
          (dp.portByName(`o${out}`)!.netdev as DummyNetdev).txLog.length = 0;
        }
        netdev.inject(frame);
        dp.runUntilIdle();
        for (const out of [200 + i, 300 + i]) {
          const sent = (dp.portByName(`o${out}`)!.netdev as DummyNetdev).txLog.map(hex);
          expected.set(`o${out}`, sent);
          total += sent.length;
          for (const f of (dp.portByName(`o${out}`)!.netdev as DummyNetdev).txLog) {
            assertChecksumsValid(f);
          }
        }
        await must(real.appctl("netdev-dummy/receive", `p${i}`, hex(frame)), "receive");
      }
      assert.ok(total >= n, "every case sends something");
      const deadline = Date.now() + 10000;
      const got = new Map<string, string[]>();
      for (;;) {
        let seen = 0;
        for (const name of expected.keys()) {
          let frames: string[] = [];
          try {
            frames = readPcapFile(`${real.dir}/${name}.pcap`).map((r) => hex(r.frame));
          } catch {
            frames = [];
          }
          got.set(name, frames);
          seen += frames.length;
        }
        if (seen >= total || Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const [name, frames] of expected) {
        assert.deepEqual(frames, got.get(name), `frames sent on ${name}`);
      }
      dp.flowFlush();
    } finally {
      await real.stop();
    }
  },
);

testIf(
  needPrograms("ovs-dpctl"),
  "normalize-actions prints what the real ovs-dpctl prints",
  async () => {
    const cases: string[][] = [
      [
        "in_port(1),eth(src=50:54:00:00:00:05,dst=ff:ff:ff:ff:ff:ff),eth_type(0x0806),arp(sip=192.168.0.1,tip=192.168.0.2,op=1,sha=50:54:00:00:00:05,tha=00:00:00:00:00:00)",
        "100,push_vlan(vid=5,pcp=0),3,2,pop_vlan,push_vlan(tpid=0x88a8,vid=7,pcp=1),9,4,pop_vlan,1",
        "p1=1",
        "br0=100",
      ],
      ["in_port(1),eth_type(0x8847),mpls(label=100,tc=0,ttl=64,bos=1)", "2,1,set(skb_mark(5)),4,3"],
      [
        "in_port(1),eth(src=50:54:00:00:00:05,dst=50:54:00:00:00:07),eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)",
        "push_vlan(vid=9,pcp=0),br0,push_vlan(vid=11,pcp=0),p1,pop_vlan,2,pop_vlan",
        "p1=1",
        "br0=100",
      ],
    ];
    for (const c of cases) {
      for (const verbose of [false, true]) {
        const args = verbose ? ["-m", "normalize-actions", ...c] : ["normalize-actions", ...c];
        const real = await run("ovs-dpctl", args);
        let out = "";
        const rc = dpctlRunCommand(["normalize-actions", ...c], {
          isAppctl: false,
          programName: "ovs-dpctl",
          verbosity: verbose ? 1 : 0,
          names: false,
          printStatistics: false,
          zeroStatistics: false,
          mayCreate: false,
          readOnly: false,
          output: (t) => out += t,
          error: (t) => out += t,
          codec: ODP_FLOW_CODEC,
        });
        assert.equal(out, real.stdout + real.stderr, c.join(" "));
        assert.equal(rc === 0, real.code === 0);
      }
    }
  },
);
