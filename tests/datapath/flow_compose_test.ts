import assert from "node:assert/strict";
import {
  checksumPartial,
  foldChecksum,
  internetChecksum,
  pseudoHeaderIpv4,
  pseudoHeaderIpv6,
} from "../../core/datapath/checksum.ts";
import { newFlowWords } from "../../core/datapath/flow.ts";
import { composeFlow, composeForLength } from "../../core/datapath/flow_compose.ts";
import { extractFlow } from "../../core/datapath/flow_extract.ts";
import { parseOdpFlow } from "../../core/datapath/odp_key.ts";
import { Packet } from "../../core/datapath/packet.ts";
import { frameFromString, FrameStringError, readPcapFile } from "../../core/datapath/pcap.ts";
import { testIf } from "../support/skip.ts";
import { fieldsOf } from "./flow_fields.ts";
import { hex, REAL_OVS, startRealSwitch } from "./packet_support.ts";

const ETH = "eth(src=50:54:00:00:00:01,dst=50:54:00:00:02:00)";

/** Flows whose composed frame extracts back to exactly the same packet fields. */
const FAITHFUL: readonly string[] = [
  `${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0xb9,ttl=64,frag=no),tcp(src=8,dst=9),tcp_flags(ack)`,
  `${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=9),tcp_flags(syn)`,
  `${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=53,dst=5353)`,
  `${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0)`,
  `${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=3,code=1)`,
  `${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=132,tos=0,ttl=64,frag=no),sctp(src=1,dst=2)`,
  `${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=first),tcp(src=8,dst=9)`,
  `${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=later)`,
  `${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=2,tos=0,ttl=1,frag=no)`,
  `${ETH},eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::2,label=0xabcde,proto=6,tclass=0x28,hlimit=64,frag=no),tcp(src=8,dst=9),tcp_flags(psh|ack)`,
  `${ETH},eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::2,label=0,proto=17,tclass=0,hlimit=64,frag=no),udp(src=1,dst=2)`,
  `${ETH},eth_type(0x86dd),ipv6(src=2001:db8::1,dst=2001:db8::2,label=0,proto=58,tclass=0,hlimit=64,frag=no),icmpv6(type=128,code=0)`,
  `${ETH},eth_type(0x86dd),ipv6(src=fe80::1,dst=ff02::1:ff00:2,label=0,proto=58,tclass=0,hlimit=255,frag=no),icmpv6(type=135,code=0),nd(target=fe80::2,sll=00:11:22:33:44:55,tll=00:00:00:00:00:00)`,
  `${ETH},eth_type(0x86dd),ipv6(src=fe80::2,dst=fe80::1,label=0,proto=58,tclass=0,hlimit=255,frag=no),icmpv6(type=136,code=0),nd(target=fe80::2,sll=00:00:00:00:00:00,tll=00:11:22:33:44:66),nd_ext(nd_reserved=0xe0000000,nd_options_type=2)`,
  `${ETH},eth_type(0x0806),arp(sip=192.168.0.1,tip=192.168.0.2,op=1,sha=50:54:00:00:00:01,tha=00:00:00:00:00:00)`,
  `${ETH},eth_type(0x0806),arp(sip=192.168.0.1,tip=192.168.0.2,op=2,sha=50:54:00:00:00:01,tha=50:54:00:00:00:02)`,
  `${ETH},eth_type(0x8035),arp(sip=0.0.0.0,tip=0.0.0.0,op=3,sha=00:00:00:00:00:00,tha=00:00:00:00:00:00)`,
  `${ETH},eth_type(0x8100),vlan(vid=100,pcp=5),encap(eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=2))`,
  `${ETH},eth_type(0x88a8),vlan(vid=7,pcp=0),encap(eth_type(0x0806),arp(sip=1.1.1.1,tip=2.2.2.2,op=1,sha=50:54:00:00:00:01,tha=00:00:00:00:00:00))`,
  `${ETH},eth_type(0x8847),mpls(label=100,tc=3,ttl=64,bos=1)`,
  `${ETH},eth_type(0x8848),mpls(label=100,tc=3,ttl=64,bos=0)`,
  `${ETH},eth_type(0x8847),mpls(label=1,tc=0,ttl=1,bos=0,label=2,tc=1,ttl=2,bos=1)`,
  `${ETH},eth_type(0x1234)`,
  ETH,
];

function compose(text: string, l7 = 64): Packet {
  const p = new Packet();
  composeFlow(p, parseOdpFlow(text).key, l7);
  return p;
}

function checksumsOk(frame: Uint8Array): void {
  const p = new Packet();
  p.setFrame(frame);
  const key = newFlowWords();
  extractFlow(p, key);
  if (p.l3 < 0 || p.l4 < 0) return;
  const b = p.buffer;
  const v4 = b[p.l3]! >> 4 === 4;
  const end = v4
    ? p.l3 + ((b[p.l3 + 2]! << 8) | b[p.l3 + 3]!)
    : p.l3 + 40 + ((b[p.l3 + 4]! << 8) | b[p.l3 + 5]!);
  if (v4) assert.equal(internetChecksum(b, p.l3, p.l4), 0, "IPv4 header checksum");
  const proto = key[64]! >>> 24;
  const frag = key[64]! & 3;
  if (frag & 2) return;
  const pseudo = v4
    ? pseudoHeaderIpv4(b, p.l3, proto, end - p.l4)
    : pseudoHeaderIpv6(b, p.l3, proto, end - p.l4);
  if (proto === 6 || proto === 17 || proto === 58) {
    assert.equal(foldChecksum(checksumPartial(b, p.l4, end, pseudo)), 0, `proto ${proto} checksum`);
  } else if (proto === 1 || proto === 2) {
    assert.equal(internetChecksum(b, p.l4, end), 0, `proto ${proto} checksum`);
  }
}

Deno.test("composed frames extract back to the flow they were composed from", () => {
  for (const text of FAITHFUL) {
    const parsed = parseOdpFlow(text);
    const p = compose(text);
    const back = newFlowWords();
    extractFlow(p, back);
    const want = fieldsOf(parsed.key);
    // Extraction learns the ND options type from the options composed.
    if (text.includes("sll=00:11")) want.nd_options_type = 1;
    assert.deepEqual(fieldsOf(back), want, text);
    checksumsOk(p.frame());
  }
});

Deno.test("composition leaves out what upstream's does and pads as asked", () => {
  // An IPv6 first fragment has no fragment header; an ARP opcode other than 1 or 2 no addresses.
  const frag6 = compose(
    `${ETH},eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=17,tclass=0,hlimit=1,frag=first),udp(src=1,dst=2)`,
  );
  const key = newFlowWords();
  extractFlow(frag6, key);
  assert.equal(fieldsOf(key).nw_frag, undefined);
  const arp = compose(
    `${ETH},eth_type(0x0806),arp(sip=1.1.1.1,tip=2.2.2.2,op=4,sha=00:00:00:00:00:01,tha=00:00:00:00:00:02)`,
  );
  assert.equal(hex(arp.frame().subarray(14)), "0001080006040004" + "00".repeat(20));
  // 802.2: the length field counts the frame; nothing follows the header.
  assert.equal(hex(compose(ETH).frame()), "505400000200505400000001000e");
  // TCP payload only without SYN, FIN or RST; the payload is 0, 1, 2, ...
  const ack = compose(`${ETH},eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(ack)`, 4);
  assert.equal(ack.length, 14 + 20 + 20 + 4);
  assert.equal(hex(ack.frame().subarray(54)), "00010203");
  assert.equal(
    compose(`${ETH},eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(fin)`, 4).length,
    54,
  );

  // --len pads with zeros and fixes lengths and checksums; a shorter --len composes nothing.
  const p = new Packet();
  const udp = parseOdpFlow(
    `${ETH},eth_type(0x0800),ipv4(src=1.1.1.1,dst=2.2.2.2,proto=17,tos=0,ttl=64,frag=no),udp(src=1,dst=2)`,
  ).key;
  assert.ok(composeForLength(p, udp, 100));
  assert.equal(p.length, 100);
  const f = p.frame();
  assert.equal((f[16]! << 8) | f[17]!, 86, "IPv4 total length");
  // Upstream counts the padding twice in the UDP length.
  assert.equal((f[38]! << 8) | f[39]!, 66 + 58);
  checksumsOk(f);
  assert.equal(composeForLength(p, udp, 30), false);
  assert.throws(() => frameFromString(`${ETH},eth_type(0x0800)`, 59), FrameStringError);
});

/** Flows (with an optional --len) for the differential test against the real netdev-dummy. */
const RECEIVED: readonly (readonly [string, number?])[] = [
  ...FAITHFUL.map((f) => [`in_port(1),${f}`] as const),
  [
    `in_port(1),${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=no),tcp(src=8,dst=9)`,
    60,
  ],
  [
    `in_port(1),${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=17,tos=0,ttl=64,frag=no),udp(src=8,dst=9)`,
    100,
  ],
  [
    `in_port(1),${ETH},eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=17,tclass=0,hlimit=64,frag=no),udp(src=8,dst=9)`,
    128,
  ],
  [
    `in_port(1),${ETH},eth_type(0x86dd),ipv6(src=::1,dst=::2,label=0,proto=58,tclass=0,hlimit=64,frag=no),icmpv6(type=128,code=0)`,
    90,
  ],
  [
    `in_port(1),${ETH},eth_type(0x0806),arp(sip=1.1.1.1,tip=2.2.2.2,op=1,sha=50:54:00:00:00:01,tha=00:00:00:00:00:00)`,
    64,
  ],
  [`in_port(1),${ETH}`, 70],
  [
    `in_port(1),${ETH},eth_type(0x8100),vlan(vid=5,pcp=0),encap(eth_type(0x0800),ipv4(src=1.1.1.1,dst=2.2.2.2,proto=1,tos=0,ttl=64,frag=no),icmp(type=8,code=0))`,
    200,
  ],
  [
    `in_port(1),${ETH},eth_type(0x0800),ipv4(src=10.0.0.1,dst=10.0.0.2,proto=6,tos=0,ttl=64,frag=later)`,
    80,
  ],
];

testIf(
  REAL_OVS,
  "frames from flow strings are byte for byte what the real netdev-dummy/receive sends on",
  async () => {
    const sw = await startRealSwitch();
    try {
      assert.equal((await sw.ofctl("add-flow", "br0", "in_port=1,actions=output:2")).code, 0);
      const args = RECEIVED.flatMap(([f, len]) => (len ? [f, "--len", `${len}`] : [f]));
      const got = await sw.appctl("netdev-dummy/receive", "p1", ...args);
      assert.equal(got.code, 0, got.stderr);
      const pcap = `${sw.dir}/p2-tx.pcap`;
      let records = readPcapFile(pcap);
      const deadline = Date.now() + 10000;
      while (records.length < RECEIVED.length && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        records = readPcapFile(pcap);
      }
      assert.equal(records.length, RECEIVED.length);
      RECEIVED.forEach(([flow, len], i) => {
        assert.equal(hex(records[i]!.frame), hex(frameFromString(flow, len)), flow);
      });
    } finally {
      await sw.stop();
    }
  },
);
