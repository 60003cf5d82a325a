import assert from "node:assert/strict";
import {
  checksumPartial,
  completePendingChecksum,
  crc32c,
  foldChecksum,
  internetChecksum,
  pseudoHeaderIpv4,
  pseudoHeaderIpv6,
  readU32,
  recalcChecksum16,
  recalcChecksum32,
  setChecksumPending,
  setSctpChecksum,
} from "../../core/datapath/checksum.ts";
import { type FlowWords, newFlowWords } from "../../core/datapath/flow.ts";
import { extractFlow } from "../../core/datapath/flow_extract.ts";
import { parseOdpFlow } from "../../core/datapath/odp_key.ts";
import { Packet, PACKET_HEADROOM } from "../../core/datapath/packet.ts";
import {
  popMpls,
  popVlan,
  pushMpls,
  pushVlan,
  setArp,
  setEthernet,
  setIcmp,
  setIpv4,
  setIpv6,
  setMplsLse,
  setNd,
  setNdExt,
  setSctp,
  setTcp,
  setUdp,
} from "../../core/datapath/packet_edit.ts";
import { fieldsOf } from "./flow_fields.ts";
import {
  arp,
  concat,
  eth,
  hex,
  ipv4,
  ipv6,
  lla,
  ndFrame,
  payload,
  tcp,
  tcp4Frame,
  tcp6Frame,
  u16,
  u32,
  udp4Frame,
  udp6Frame,
  withL4Checksum,
} from "./packet_support.ts";

function packet(frame: Uint8Array): Packet {
  const p = new Packet();
  p.setFrame(frame);
  extractFlow(p, newFlowWords());
  return p;
}

function fields(p: Packet) {
  const q = new Packet();
  q.setFrame(p.frame());
  const key = newFlowWords();
  extractFlow(q, key);
  return fieldsOf(key);
}

/** Words for a set action: the attribute text parsed as a flow, key and mask. */
function attr(text: string): { key: FlowWords; mask: FlowWords } {
  const p = parseOdpFlow(text);
  return { key: p.key, mask: p.mask };
}

// Context for a lone L4 attribute, so that it parses as part of a flow.
const TCP4 = "eth_type(0x0800),ipv4(proto=6),";
const TCP6 = "eth_type(0x86dd),ipv6(proto=6),";
const UDP4 = "eth_type(0x0800),ipv4(proto=17),";
const UDP6 = "eth_type(0x86dd),ipv6(proto=17),";
const ICMP4 = "eth_type(0x0800),ipv4(proto=1),";
const SCTP4 = "eth_type(0x0800),ipv4(proto=132),";

/** Recomputes every checksum of the frame from scratch and checks what it carries. */
function assertChecksums(p: Packet, what: string): void {
  const b = p.buffer;
  const v4 = b[p.l3]! >> 4 === 4;
  const end = v4
    ? p.l3 + ((b[p.l3 + 2]! << 8) | b[p.l3 + 3]!)
    : p.l3 + 40 + ((b[p.l3 + 4]! << 8) | b[p.l3 + 5]!);
  if (v4) assert.equal(internetChecksum(b, p.l3, p.l4), 0, `${what}: IPv4 header`);
  const proto = fieldsOfPacket(p).nw_proto;
  if (proto === 6 || proto === 17 || proto === 58) {
    if (proto === 17 && v4 && b[p.l4 + 6] === 0 && b[p.l4 + 7] === 0) return;
    const pseudo = v4
      ? pseudoHeaderIpv4(b, p.l3, proto, end - p.l4)
      : pseudoHeaderIpv6(b, p.l3, proto, end - p.l4);
    assert.equal(foldChecksum(checksumPartial(b, p.l4, end, pseudo)), 0, `${what}: L4`);
  } else if (proto === 1) {
    assert.equal(internetChecksum(b, p.l4, end), 0, `${what}: ICMP`);
  } else if (proto === 132) {
    const want = crc32c(withZeroCrc(b.slice(p.l4, end)), 0, end - p.l4);
    assert.equal(readU32(b, p.l4 + 8), want, `${what}: SCTP CRC32c`);
  }
}

function withZeroCrc(seg: Uint8Array): Uint8Array {
  seg.fill(0, 8, 12);
  return seg;
}

function fieldsOfPacket(p: Packet) {
  return fields(p);
}

function icmp4Frame(): Uint8Array {
  const msg = concat(new Uint8Array([8, 0, 0, 0]), u32(0x00010002), payload(8));
  const c = internetChecksum(msg, 0, msg.length);
  msg[2] = c >> 8;
  msg[3] = c & 0xff;
  return concat(eth(0x0800), ipv4(msg, { proto: 1 }), msg);
}

function sctp4Frame(): Uint8Array {
  const seg = concat(u16(3000), u16(4000), u32(0xdeadbeef), u32(0), payload(20));
  setSctpChecksum(seg, 0, seg.length);
  return concat(eth(0x0800), ipv4(seg, { proto: 132 }), seg);
}

Deno.test("IPv4 rewrites keep the IPv4 and L4 checksums right (checked from scratch)", () => {
  const frames = [tcp4Frame(), udp4Frame(), icmp4Frame(), sctp4Frame()];
  const sets = [
    "eth_type(0x0800),ipv4(src=192.168.7.8,dst=172.16.5.4,proto=0,tos=0x2e,ttl=3,frag=no)",
    "eth_type(0x0800),ipv4(src=1.2.3.4/255.255.0.0,ttl=200/0xf0)",
    "eth_type(0x0800),ipv4(dst=9.9.9.9,tos=0xff/0x3)",
  ];
  for (const frame of frames) {
    for (const [i, text] of sets.entries()) {
      const p = packet(frame);
      const { key, mask } = attr(text);
      setIpv4(p, key, i === 0 ? null : mask);
      assertChecksums(p, `${text} on ${hex(frame.subarray(23, 24))}`);
    }
  }
  const p = packet(tcp4Frame({ tos: 0x11, ttl: 64 }));
  const { key, mask } = attr(
    "eth_type(0x0800),ipv4(src=1.2.3.4/255.255.0.0,ttl=200/0xf0,tos=0xff/0x3)",
  );
  setIpv4(p, key, mask);
  const f = fields(p);
  assert.equal(f.nw_src, "1.2.0.1");
  assert.equal(f.nw_ttl, (64 & 0x0f) | (200 & 0xf0));
  assert.equal(f.nw_tos, 0x13);
});

Deno.test("port and ICMP rewrites keep checksums right; SCTP's CRC32c stays right", () => {
  const cases: [Uint8Array, (p: Packet) => void, Record<string, number>][] = [
    [tcp4Frame(), (p) => setTcp(p, attr(`${TCP4}tcp(src=99,dst=100)`).key, null), {
      tp_src: 99,
      tp_dst: 100,
    }],
    [
      tcp6Frame(),
      (p) =>
        setTcp(
          p,
          attr(`${TCP6}tcp(src=0x1200/0xff00)`).key,
          attr(`${TCP6}tcp(src=0x1200/0xff00)`).mask,
        ),
      {
        tp_src: 0x1200 | (1234 & 0xff),
        tp_dst: 80,
      },
    ],
    [udp4Frame(), (p) => setUdp(p, attr(`${UDP4}udp(src=7,dst=8)`).key, null), {
      tp_src: 7,
      tp_dst: 8,
    }],
    [udp6Frame(), (p) => setUdp(p, attr(`${UDP6}udp(dst=9)`).key, attr(`${UDP6}udp(dst=9)`).mask), {
      tp_src: 5000,
      tp_dst: 9,
    }],
    [icmp4Frame(), (p) => setIcmp(p, attr(`${ICMP4}icmp(type=0,code=0)`).key), {
      tp_src: 0,
      tp_dst: 0,
    }],
    [sctp4Frame(), (p) => setSctp(p, attr(`${SCTP4}sctp(src=5,dst=6)`).key, null), {
      tp_src: 5,
      tp_dst: 6,
    }],
  ];
  for (const [frame, edit, want] of cases) {
    const p = packet(frame);
    edit(p);
    assertChecksums(p, JSON.stringify(want));
    const f = fields(p);
    assert.equal(f.tp_src ?? 0, want.tp_src);
    assert.equal(f.tp_dst ?? 0, want.tp_dst);
  }
  // A wrong SCTP checksum stays wrong by the same amount, as upstream keeps it.
  const bad = sctp4Frame();
  bad[14 + 20 + 8] = bad[14 + 20 + 8]! ^ 0x5a;
  const p = packet(bad);
  setSctp(p, attr(`${SCTP4}sctp(src=5,dst=6)`).key, null);
  const seg = p.buffer.slice(p.l4, p.start + p.length);
  assert.equal(readU32(seg, 8) ^ crc32c(withZeroCrc(seg.slice()), 0, seg.length), 0x5a000000);
});

Deno.test("a zero UDP checksum over IPv4 stays zero through rewrites", () => {
  const frame = udp4Frame();
  frame[14 + 20 + 6] = 0;
  frame[14 + 20 + 7] = 0;
  const p = packet(frame);
  setIpv4(
    p,
    attr("eth_type(0x0800),ipv4(src=8.8.8.8,dst=8.8.4.4,proto=17,tos=0,ttl=9,frag=no)").key,
    null,
  );
  setUdp(p, attr(`${UDP4}udp(src=1,dst=2)`).key, null);
  assert.equal(p.buffer[p.l4 + 6]! | p.buffer[p.l4 + 7]!, 0);
  assert.equal(internetChecksum(p.buffer, p.l3, p.l4), 0);
  assert.deepEqual([fields(p).nw_src, fields(p).tp_dst], ["8.8.8.8", 2]);
});

Deno.test("IPv6 rewrites keep TCP, UDP and ICMPv6 checksums right", () => {
  const nd = ndFrame(135, "fe80::1", lla(1, "00:11:22:33:44:55"));
  for (const frame of [tcp6Frame(), udp6Frame(), nd]) {
    const p = packet(frame);
    const { key } = attr(
      "eth_type(0x86dd),ipv6(src=2001:db8:1::99,dst=fd00::7,label=0x54321,proto=0,tclass=0x71,hlimit=9,frag=no)",
    );
    setIpv6(p, key, null);
    assertChecksums(p, "ipv6 set");
    const f = fields(p);
    assert.deepEqual([f.ipv6_src, f.ipv6_dst, f.ipv6_label, f.nw_tos, f.nw_ttl], [
      "2001:db8:1::99",
      "fd00::7",
      0x54321,
      0x71,
      9,
    ]);
    const m = attr("eth_type(0x86dd),ipv6(src=::ff/::ff,label=0x1/0xf,hlimit=128/0x80)");
    setIpv6(p, m.key, m.mask);
    assertChecksums(p, "ipv6 masked set");
    assert.deepEqual([fields(p).ipv6_src, fields(p).ipv6_label, fields(p).nw_ttl], [
      "2001:db8:1::ff",
      0x54321,
      0x89,
    ]);
  }
  // Behind a routing header with segments left, the destination is not the checksum's.
  const rh = new Uint8Array(8);
  rh[0] = 6;
  rh[3] = 1;
  const seg = tcp(1, 2);
  const l3 = ipv6(concat(rh, seg), { next: 43 });
  const p = packet(concat(eth(0x86dd), l3, rh, withL4Checksum(l3, seg, 6, 16)));
  const before = hex(p.buffer.subarray(p.l4 + 16, p.l4 + 18));
  setIpv6(
    p,
    attr("eth_type(0x86dd),ipv6(dst=::5)").key,
    attr("eth_type(0x86dd),ipv6(dst=::5)").mask,
  );
  assert.equal(hex(p.buffer.subarray(p.l4 + 16, p.l4 + 18)), before);
  assert.equal(fields(p).ipv6_dst, "::5");
});

Deno.test("ND rewrites keep the ICMPv6 checksum right", () => {
  const p = packet(ndFrame(136, "fe80::2", lla(2, "00:11:22:33:44:66")));
  const nd = attr(
    "eth_type(0x86dd),ipv6(proto=58),icmpv6(type=136,code=0),nd(target=fe80::99,tll=aa:bb:cc:dd:ee:ff)",
  );
  setNd(p, nd.key, nd.mask);
  assertChecksums(p, "set nd");
  assert.deepEqual([fields(p).nd_target, fields(p).arp_tha], ["fe80::99", "aa:bb:cc:dd:ee:ff"]);
  const ext = attr(
    "eth_type(0x86dd),ipv6(proto=58),icmpv6(type=136,code=0),nd(),nd_ext(nd_reserved=0x40000000,nd_options_type=1)",
  );
  setNdExt(p, ext.key, ext.mask);
  assertChecksums(p, "set nd_ext");
  // The first option's type became 1, so the address now reads as a source address.
  assert.deepEqual([fields(p).nd_reserved, fields(p).nd_options_type, fields(p).arp_sha], [
    0x40000000,
    1,
    "aa:bb:cc:dd:ee:ff",
  ]);
});

Deno.test("Ethernet and ARP sets, masked or not", () => {
  const frame = concat(
    eth(0x0806),
    arp(1, "50:54:00:00:00:05", "192.168.0.1", "00:00:00:00:00:00", "192.168.0.2"),
  );
  const p = packet(frame);
  const e = attr("eth(src=00:00:00:00:00:0f/00:00:00:00:00:ff,dst=ff:ff:ff:ff:ff:ff)");
  setEthernet(p, e.key, e.mask);
  assert.equal(hex(p.frame().subarray(0, 12)), "ffffffffffff50540000000f");
  const a = attr(
    "eth_type(0x0806),arp(sip=10.0.0.1,tip=10.0.0.2/255.0.0.0,op=2,sha=00:00:00:00:00:01,tha=00:00:00:00:00:02)",
  );
  setArp(p, a.key, a.mask);
  assert.deepEqual(fields(p), {
    dl_type: 0x0806,
    nw_src: "10.0.0.1",
    nw_dst: "10.168.0.2",
    arp_op: 2,
    arp_sha: "00:00:00:00:00:01",
    arp_tha: "00:00:00:00:00:02",
  });
  setEthernet(p, attr("eth(src=01:02:03:04:05:06,dst=0a:0b:0c:0d:0e:0f)").key, null);
  assert.equal(hex(p.frame().subarray(0, 12)), "0a0b0c0d0e0f010203040506");
});

Deno.test("VLAN and MPLS pushes and pops restore the original frame, past the headroom too", () => {
  const frame = tcp4Frame();
  const p = packet(frame);
  for (let i = 0; i < 40; i++) assert.ok(pushVlan(p, i % 2 ? 0x88a8 : 0x8100, 0x1000 | i));
  assert.equal(p.length, frame.length + 160);
  assert.deepEqual(fields(p).vlan_tci, 0x1000 | 39);
  assert.equal(hex(p.frame().subarray(12, 16)), `88a8${(39).toString(16).padStart(4, "0")}`);
  for (let i = 0; i < 40; i++) popVlan(p);
  assert.equal(hex(p.frame()), hex(frame));
  popVlan(p); // Nothing to pop.
  assert.equal(hex(p.frame()), hex(frame));

  const q = packet(frame);
  assert.ok(pushMpls(q, 0x8847, (100 << 12) | 0x100 | 64));
  assert.ok(pushMpls(q, 0x8847, (200 << 12) | 32));
  assert.deepEqual([fields(q).dl_type, fields(q).mpls_lse], [0x8847, (200 << 12) | 32]);
  setMplsLse(q, 7 << 9, 7 << 9);
  assert.equal(fields(q).mpls_lse, (200 << 12) | (7 << 9) | 32);
  popMpls(q, 0x8847);
  assert.equal(fields(q).mpls_lse, (100 << 12) | 0x100 | 64);
  popMpls(q, 0x0800);
  assert.equal(hex(q.frame()), hex(frame));
  assert.equal(q.l2_5, -1);

  // Under a VLAN tag the Ethertype after the tag changes.
  const r = packet(frame);
  pushVlan(r, 0x8100, 0x1005);
  extractFlow(r, newFlowWords());
  assert.ok(pushMpls(r, 0x8848, 0x100));
  assert.deepEqual([fields(r).dl_type, fields(r).vlan_tci], [0x8848, 0x1005]);
  popMpls(r, 0x0800);
  popVlan(r);
  assert.equal(hex(r.frame()), hex(frame));
});

Deno.test("pending offload checksums stay pending through rewrites and complete right", () => {
  const cases: [Uint8Array, number, string, string][] = [
    [
      tcp4Frame(),
      16,
      "eth_type(0x0800),ipv4(src=3.3.3.3,dst=4.4.4.4,proto=6,tos=0,ttl=1,frag=no)",
      `${TCP4}tcp(src=1,dst=2)`,
    ],
    [
      udp4Frame(),
      6,
      "eth_type(0x0800),ipv4(src=3.3.3.3,dst=4.4.4.4,proto=17,tos=0,ttl=1,frag=no)",
      `${UDP4}udp(src=1,dst=2)`,
    ],
    [
      tcp6Frame(),
      16,
      "eth_type(0x86dd),ipv6(src=::3,dst=::4,label=0,proto=6,tclass=0,hlimit=1,frag=no)",
      `${TCP4}tcp(src=1,dst=2)`,
    ],
    [
      udp6Frame(),
      6,
      "eth_type(0x86dd),ipv6(src=::3,dst=::4,label=0,proto=17,tclass=0,hlimit=1,frag=no)",
      `${UDP4}udp(src=1,dst=2)`,
    ],
  ];
  for (const [frame, field, l3Set, l4Set] of cases) {
    const p = packet(frame);
    const b = p.buffer;
    const v4 = b[p.l3]! >> 4 === 4;
    const proto = v4 ? b[p.l3 + 9]! : b[p.l3 + 6]!;
    const len = p.start + p.length - p.l4;
    const pseudo = v4
      ? pseudoHeaderIpv4(b, p.l3, proto, len)
      : pseudoHeaderIpv6(b, p.l3, proto, len);
    setChecksumPending(p, p.l4, field, pseudo);
    if (v4) setIpv4(p, attr(l3Set).key, null);
    else setIpv6(p, attr(l3Set).key, null);
    const ports = attr(l4Set).key;
    if (proto === 6) setTcp(p, ports, null);
    else setUdp(p, ports, null);
    assert.ok(pushVlan(p, 0x8100, 0x1001));
    assert.equal(p.csumStart, p.l4 - p.start, "still pending, offset moved with the push");
    assert.ok(completePendingChecksum(p));
    assert.equal(p.csumStart, -1);
    assertChecksums(p, l3Set);
  }
  assert.equal(completePendingChecksum(packet(tcp4Frame())), false);
});

Deno.test("incremental checksum updates equal recomputing (RFC 1624)", () => {
  let seed = 99;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  for (let n = 0; n < 2000; n++) {
    const buf = new Uint8Array(4 + (rand() % 60) * 2);
    for (let i = 0; i < buf.length; i++) buf[i] = rand() & 0xff;
    const at = (rand() % ((buf.length - 4) / 2 + 1)) * 2;
    const sum = internetChecksum(buf, 0, buf.length);
    const old32 = readU32(buf, at);
    const new32 = rand();
    buf[at] = new32 >>> 24;
    buf[at + 1] = (new32 >>> 16) & 0xff;
    buf[at + 2] = (new32 >>> 8) & 0xff;
    buf[at + 3] = new32 & 0xff;
    const fresh = internetChecksum(buf, 0, buf.length);
    const inc = recalcChecksum32(sum, old32, new32 >>> 0);
    // One's complement has two zeros; compare what a receiver checks.
    assert.equal(inc === 0xffff ? 0 : inc, fresh === 0xffff ? 0 : fresh);
    const same = recalcChecksum16(sum, 0x1234, 0x1234);
    assert.equal(same === 0xffff ? 0 : same, sum === 0xffff ? 0 : sum);
  }
});

Deno.test("rewrites on frames too short for the header change nothing and never throw", () => {
  const p = new Packet();
  p.setFrame(tcp4Frame().subarray(0, 20));
  extractFlow(p, newFlowWords());
  const before = hex(p.frame());
  const any = attr(
    "eth_type(0x0800),ipv4(src=1.1.1.1,dst=1.1.1.2,proto=6,tos=0,ttl=1,frag=no),tcp(src=1,dst=2)",
  );
  setIpv4(p, any.key, null);
  setTcp(p, any.key, null);
  setUdp(p, any.key, null);
  setSctp(p, any.key, null);
  setIcmp(p, any.key);
  setNd(p, any.key, null);
  setNdExt(p, any.key, null);
  setArp(p, any.key, null);
  setIpv6(p, any.key, null);
  popMpls(p, 0x800);
  setMplsLse(p, 1);
  assert.equal(hex(p.frame()), before);
  assert.equal(p.start, PACKET_HEADROOM);
});
