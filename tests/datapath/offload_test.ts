import assert from "node:assert/strict";
import { readU16, readU32 } from "../../core/datapath/checksum.ts";
import { DpError, type Errno } from "../../core/datapath/dp_errors.ts";
import { closeNetdev, type Netdev, openNetdev } from "../../core/datapath/netdev.ts";
import { type DummyNetdev, registerDummyNetdevs } from "../../core/datapath/netdev_dummy.ts";
import {
  ALL_OFFLOADS,
  completeChecksum,
  l4ChecksumValid,
  locateL4,
  makeChecksumPending,
  needsSoftwareOffload,
  NO_OFFLOADS,
  OffloadFallback,
  readVnetHeader,
  segment,
  segmentCount,
  VNET_HDR_LEN,
  writeVnetHeader,
} from "../../core/datapath/offload.ts";
import { GSO_NONE, GSO_TCPV4, GSO_TCPV6, GSO_UDP_L4, Packet } from "../../core/datapath/packet.ts";
import {
  concat,
  eth,
  ipv4,
  ipv6,
  payload,
  tcp,
  tcp4Frame,
  udp,
  udp4Frame,
  vlan,
} from "./packet_support.ts";

/** A TCP super-frame as a sender offloading TSO hands it over: checksum pending. */
function tcpSuperFrame(data: Uint8Array, flags: number, v6 = false, tagged = false): Packet {
  const seg = tcp(1234, 80, flags, data);
  const l3 = v6 ? ipv6(seg, { next: 6 }) : ipv4(seg, { proto: 6 });
  const l2 = tagged
    ? concat(eth(0x8100), vlan(v6 ? 0x86dd : 0x0800, 100)).subarray(0, 18)
    : eth(v6 ? 0x86dd : 0x0800);
  if (tagged) {
    // eth(0x8100) then the tag's TCI and the real type.
    l2.set([0x81, 0x00, 0x00, 100, v6 ? 0x86 : 0x08, v6 ? 0xdd : 0x00], 12);
  }
  const p = new Packet();
  p.setFrame(concat(l2, l3, seg));
  assert.ok(makeChecksumPending(p));
  p.gsoType = v6 ? GSO_TCPV6 : GSO_TCPV4;
  p.gsoSize = 1000;
  return p;
}

function segmentsOf(p: Packet): Packet[] {
  const out = Array.from({ length: segmentCount(p) }, () => new Packet());
  assert.equal(segment(p, out, 0), out.length);
  return out;
}

Deno.test("a TCPv4 super-frame is cut into MSS segments with lengths, ids, sequence numbers, flags and checksums right", () => {
  const data = payload(3500);
  // PSH|FIN|CWR|ACK on the super-frame.
  const p = tcpSuperFrame(data, 0x80 | 0x10 | 0x08 | 0x01);
  const segs = segmentsOf(p);
  assert.equal(segs.length, 4);
  const joined: number[] = [];
  segs.forEach((q, k) => {
    const b = q.buffer;
    const l3 = q.start + 14;
    const l4 = l3 + 20;
    const chunk = k < 3 ? 1000 : 500;
    assert.equal(q.length, 14 + 20 + 20 + chunk);
    assert.equal(readU16(b, l3 + 2), 40 + chunk, "IPv4 total length");
    assert.equal(readU16(b, l3 + 4), (0x1234 + k) & 0xffff, "IPv4 id increments");
    assert.equal(readU32(b, l4 + 4), 1 + k * 1000, "sequence number");
    const flags = b[l4 + 13]!;
    assert.equal((flags & 0x09) !== 0, k === 3, "FIN/PSH only on the last");
    assert.equal((flags & 0x80) !== 0, k === 0, "CWR only on the first");
    assert.ok(flags & 0x10, "ACK on every segment");
    assert.ok(l4ChecksumValid(q), `segment ${k} TCP checksum`);
    assert.equal(q.gsoType, GSO_NONE);
    assert.equal(q.csumStart, -1);
    joined.push(...b.subarray(l4 + 20, q.start + q.length));
  });
  assert.deepEqual(new Uint8Array(joined), data);
  // The IPv4 header checksums verify too.
  for (const q of segs) {
    let sum = 0;
    for (let i = 0; i < 20; i += 2) sum += readU16(q.buffer, q.start + 14 + i);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    assert.equal(sum, 0xffff);
  }
});

Deno.test("a VLAN-tagged TCPv6 super-frame is segmented with payload lengths and checksums right", () => {
  const data = payload(2500);
  const p = tcpSuperFrame(data, 0x18, true, true);
  const loc = locateL4(p);
  assert.ok(loc && loc.ipv6 && loc.proto === 6);
  assert.equal(loc.l4 - p.start, 18 + 40);
  const segs = segmentsOf(p);
  assert.equal(segs.length, 3);
  segs.forEach((q, k) => {
    const chunk = k < 2 ? 1000 : 500;
    assert.equal(readU16(q.buffer, q.start + 18 + 4), 20 + chunk, "IPv6 payload length");
    assert.equal(q.buffer[q.start + 12], 0x81, "the tag stays");
    assert.ok(l4ChecksumValid(q));
  });
});

Deno.test("segments can keep their checksum pending for a device that completes it", () => {
  const p = tcpSuperFrame(payload(2100), 0x10);
  const out = [new Packet(), new Packet(), new Packet()];
  assert.equal(segment(p, out, 0, true), 3);
  for (const q of out) {
    assert.equal(q.csumStart, 14 + 20);
    assert.equal(q.csumOffset, 16);
    assert.ok(completeChecksum(q));
    assert.ok(l4ChecksumValid(q));
  }
});

Deno.test("a UDP super-frame (USO) becomes datagrams with their own lengths and checksums", () => {
  const data = payload(2200);
  const seg = udp(5000, 53, data);
  const l3 = ipv4(seg, { proto: 17 });
  const p = new Packet();
  p.setFrame(concat(eth(0x0800), l3, seg));
  assert.ok(makeChecksumPending(p));
  p.gsoType = GSO_UDP_L4;
  p.gsoSize = 1000;
  const segs = segmentsOf(p);
  assert.equal(segs.length, 3);
  segs.forEach((q, k) => {
    const chunk = k < 2 ? 1000 : 200;
    assert.equal(readU16(q.buffer, q.start + 34 + 4), 8 + chunk, "UDP length");
    assert.equal(readU16(q.buffer, q.start + 14 + 2), 28 + chunk);
    assert.ok(l4ChecksumValid(q));
  });
});

Deno.test("a pending TCP checksum is completed to the value a full computation gives", () => {
  const final = tcp4Frame({}, payload(333));
  const p = new Packet();
  p.setFrame(final);
  assert.ok(makeChecksumPending(p));
  assert.notDeepEqual(p.frame(), final);
  assert.ok(needsSoftwareOffload(p, NO_OFFLOADS));
  assert.ok(!needsSoftwareOffload(p, ALL_OFFLOADS));
  assert.ok(completeChecksum(p));
  assert.deepEqual(p.frame(), final);
  assert.equal(completeChecksum(p), false, "nothing pending any more");
});

Deno.test("the virtio-net header round-trips offload state and refuses one that does not fit", () => {
  const p = tcpSuperFrame(payload(4000), 0x90);
  const hdr = new Uint8Array(16);
  writeVnetHeader(p, hdr, 2);
  assert.equal(hdr[2], 1, "NEEDS_CSUM");
  assert.equal(hdr[3], GSO_TCPV4 | 0x80, "TCPv4 with ECN (CWR set)");
  assert.equal(hdr[4]! | (hdr[5]! << 8), 14 + 20 + 20, "hdr_len");
  assert.equal(hdr[6]! | (hdr[7]! << 8), 1000, "gso_size");
  const q = new Packet();
  q.length = p.length;
  assert.ok(readVnetHeader(hdr, 2, q));
  assert.deepEqual([q.csumStart, q.csumOffset, q.gsoType, q.gsoSize], [34, 16, GSO_TCPV4, 1000]);
  const short = new Packet();
  short.length = 40;
  assert.equal(readVnetHeader(hdr, 2, short), false, "csum_start beyond the frame");
  const udpGso = new Uint8Array(VNET_HDR_LEN);
  udpGso[0] = 1;
  udpGso[1] = 3; // VIRTIO_NET_HDR_GSO_UDP (UFO): not taken
  udpGso[4] = 100;
  const r = new Packet();
  r.length = 200;
  assert.equal(readVnetHeader(udpGso, 0, r), false);
});

Deno.test("an SCTP checksum left pending is completed as CRC32c, never by the Internet sum", () => {
  const sctp = concat(
    new Uint8Array([0x13, 0x88, 0x13, 0x89, 0, 0, 0, 1, 0, 0, 0, 0]),
    payload(20),
  );
  const l3 = ipv4(sctp, { proto: 132 });
  const p = new Packet();
  p.setFrame(concat(eth(0x0800), l3, sctp));
  p.csumStart = 34;
  p.csumOffset = 8;
  assert.ok(needsSoftwareOffload(p, ALL_OFFLOADS), "not even a csum-capable device takes it");
  assert.ok(completeChecksum(p));
  assert.notEqual(readU32(p.buffer, p.start + 34 + 8), 0);
});

class RecordingNetdev {
  readonly sent: Uint8Array[] = [];
  readonly batches: (readonly Packet[])[] = [];
  constructor(readonly offloads: typeof ALL_OFFLOADS) {}
  send(packets: readonly Packet[], count: number): Errno | undefined {
    this.batches.push(packets);
    for (let i = 0; i < count; i++) this.sent.push(packets[i]!.frame().slice());
    return undefined;
  }
}

Deno.test("OffloadFallback passes batches untouched to a capable device and finishes them for a dummy", () => {
  const capable = new RecordingNetdev(ALL_OFFLOADS);
  const fallback = new OffloadFallback();
  const superFrame = tcpSuperFrame(payload(3000), 0x18);
  const plain = new Packet();
  plain.setFrame(udp4Frame({}, payload(50)));
  assert.ok(makeChecksumPending(plain));
  const batch = [superFrame, plain];
  assert.equal(fallback.send(capable as unknown as Netdev, batch, 2), undefined);
  assert.equal(capable.batches[0], batch, "the same batch object, no copies");
  assert.equal(superFrame.gsoType, GSO_TCPV4);

  registerDummyNetdevs();
  const dummy = openNetdev("offload-dummy0", "dummy") as DummyNetdev;
  try {
    assert.equal(fallback.send(dummy, batch, 2), undefined);
    assert.equal(dummy.txLog.length, 4, "three segments and the datagram");
    for (const frame of dummy.txLog) {
      const q = new Packet();
      q.setFrame(frame);
      assert.ok(l4ChecksumValid(q));
      assert.ok(frame.length <= 1514);
    }
    assert.equal(fallback.segmented, 1);
    assert.equal(fallback.checksums, 1);
  } finally {
    closeNetdev(dummy);
  }
  // A DpError type check so the import is used for what failures would throw.
  assert.ok(new DpError("EMSGSIZE").strerror.length > 0);
});
