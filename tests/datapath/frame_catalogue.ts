// A catalogue of frames of every kind flow extraction meets — well-formed, truncated and
// malformed — with the fields upstream's miniflow_extract gives each (as `fieldsOf` names
// them). Shared by the extraction tests and their differential checks. Test-only.

import {
  arp,
  concat,
  eth,
  ip4,
  ip6,
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
  udp,
  udp4Frame,
  vlan,
  withL4Checksum,
} from "./packet_support.ts";

export interface CatalogueFrame {
  name: string;
  frame: Uint8Array;
  /** Nonzero fields of the extracted key, by fieldsOf's names (metadata and dl_src/dst left out). */
  expect: Record<string, number | string>;
}

const ND_SLL = 1;
const ND_TLL = 2;

function sctp4(): Uint8Array {
  const seg = concat(u16(3000), u16(4000), u32(0xdeadbeef), u32(0), payload(16));
  return concat(eth(0x0800), ipv4(seg, { proto: 132 }), seg);
}

function icmp4(type: number, code: number): Uint8Array {
  const msg = concat(new Uint8Array([type, code, 0, 0]), u32(0x00010002), payload(8));
  return concat(eth(0x0800), ipv4(msg, { proto: 1 }), msg);
}

function igmp(): Uint8Array {
  const msg = concat(new Uint8Array([0x16, 0, 0, 0]), ip4("224.1.2.3"));
  return concat(eth(0x0800), ipv4(msg, { proto: 2, ttl: 1 }), msg);
}

function ipv6Ext(exts: Uint8Array, first: number, l4: Uint8Array, _l4Proto: number): Uint8Array {
  const rest = concat(exts, l4);
  return concat(eth(0x86dd), ipv6(rest, { next: first }), rest);
}

/** A generic IPv6 extension header of `len8` 8-byte units after the first. */
function ext(next: number, len8 = 0): Uint8Array {
  const h = new Uint8Array(8 + 8 * len8);
  h[0] = next;
  h[1] = len8;
  h[2] = 1; // a PadN option, harmless
  return h;
}

/** A hop-by-hop header whose length claims more bytes than follow. */
function shortExt(): Uint8Array {
  const h = ext(6, 0);
  h[1] = 4;
  return h;
}

function frag6(next: number, offset: number, more: boolean): Uint8Array {
  return concat(new Uint8Array([next, 0]), u16((offset << 3) | (more ? 1 : 0)), u32(0x1234));
}

const tcpBase = {
  dl_type: 0x0800,
  nw_src: "10.0.0.1",
  nw_dst: "10.0.0.2",
  nw_proto: 6,
  nw_ttl: 64,
};
const tcp6Base = {
  dl_type: 0x86dd,
  ipv6_src: "2001:db8::1",
  ipv6_dst: "2001:db8::2",
  nw_ttl: 64,
};

export function catalogue(): CatalogueFrame[] {
  const frames: CatalogueFrame[] = [];
  const add = (name: string, frame: Uint8Array, expect: Record<string, number | string>) =>
    frames.push({ name, frame, expect });

  add("TCP over IPv4", tcp4Frame(), { ...tcpBase, tp_src: 1234, tp_dst: 80, tcp_flags: 0x18 });
  add(
    "TCP SYN with IPv4 options and DSCP/ECN",
    (() => {
      const seg = tcp(1, 2, 0x02);
      const l3 = ipv4(seg, { options: new Uint8Array([1, 1, 1, 0]), tos: 0xb9 });
      return concat(eth(0x0800), l3, withL4Checksum(l3, seg, 6, 16));
    })(),
    { ...tcpBase, nw_tos: 0xb9, tp_src: 1, tp_dst: 2, tcp_flags: 0x02 },
  );
  add("UDP over IPv4", udp4Frame(), { ...tcpBase, nw_proto: 17, tp_src: 5000, tp_dst: 53 });
  add("ICMP echo request", icmp4(8, 0), { ...tcpBase, nw_proto: 1, tp_src: 8 });
  add("ICMP unreachable", icmp4(3, 1), { ...tcpBase, nw_proto: 1, tp_src: 3, tp_dst: 1 });
  add("IGMP report", igmp(), {
    ...tcpBase,
    nw_proto: 2,
    nw_ttl: 1,
    tp_src: 0x16,
    nd_reserved: 0xe0010203,
  });
  add("SCTP over IPv4", sctp4(), { ...tcpBase, nw_proto: 132, tp_src: 3000, tp_dst: 4000 });
  add("IPv4 first fragment", tcp4Frame({ fragOff: 0x2000 }), {
    ...tcpBase,
    nw_frag: 1,
    tp_src: 1234,
    tp_dst: 80,
    tcp_flags: 0x18,
  });
  add("IPv4 later fragment", tcp4Frame({ fragOff: 0x2000 | 185 }), { ...tcpBase, nw_frag: 3 });
  add("IPv4 last fragment (offset, no MF)", tcp4Frame({ fragOff: 185 }), {
    ...tcpBase,
    nw_frag: 3,
  });
  add("IPv4 don't-fragment is not a fragment", tcp4Frame({ fragOff: 0x4000 }), {
    ...tcpBase,
    tp_src: 1234,
    tp_dst: 80,
    tcp_flags: 0x18,
  });
  {
    const f = tcp4Frame();
    f[14] = 0x44; // IHL 4: shorter than a header
    add("IPv4 header length under 20", f, { dl_type: 0x0800 });
  }
  {
    const f = tcp4Frame();
    f[16] = 0x7f; // total length beyond the frame
    add("IPv4 total length beyond the frame", f, { dl_type: 0x0800 });
  }
  {
    const f = tcp4Frame();
    f[16] = 0;
    f[17] = 16; // total length under the header
    add("IPv4 total length under the header", f, { dl_type: 0x0800 });
  }
  add("IPv4 header cut short", tcp4Frame().slice(0, 14 + 19), { dl_type: 0x0800 });
  add(
    "IPv4 with Ethernet padding after it",
    concat(tcp4Frame({}, new Uint8Array(0)), new Uint8Array(6).fill(0xee)),
    {
      ...tcpBase,
      tp_src: 1234,
      tp_dst: 80,
      tcp_flags: 0x18,
    },
  );
  {
    const f = tcp4Frame();
    f[14 + 20 + 12] = 0x40; // TCP data offset 4
    add("TCP data offset under 5", f, { ...tcpBase });
  }
  add("TCP header cut short", tcp4Frame().slice(0, 14 + 20 + 19), { dl_type: 0x0800 });
  {
    // Cut short but with the IPv4 total length fixed: L4 is only 12 bytes.
    const seg = tcp(1234, 80).slice(0, 12);
    add("TCP segment shorter than a header", concat(eth(0x0800), ipv4(seg, { proto: 6 }), seg), {
      ...tcpBase,
    });
  }
  {
    const seg = udp(1, 2).slice(0, 6);
    add("UDP shorter than a header", concat(eth(0x0800), ipv4(seg, { proto: 17 }), seg), {
      ...tcpBase,
      nw_proto: 17,
    });
  }
  {
    const seg = tcp(1234, 80, 0x10, payload(4));
    const l3 = ipv4(seg, { proto: 6 });
    add(
      "802.1Q tagged TCP",
      concat(eth(0x8100).slice(0, 12), vlan(0x8100, (5 << 13) | 100), u16(0x0800), l3, seg),
      {
        ...tcpBase,
        vlan_tci: 0xb064,
        vlan_tpid: 0x8100,
        tp_src: 1234,
        tp_dst: 80,
        tcp_flags: 0x10,
      },
    );
    add(
      "802.1ad tagged TCP",
      concat(eth(0x88a8).slice(0, 12), vlan(0x88a8, 7), u16(0x0800), l3, seg),
      {
        ...tcpBase,
        vlan_tci: 0x1007,
        vlan_tpid: 0x88a8,
        tp_src: 1234,
        tp_dst: 80,
        tcp_flags: 0x10,
      },
    );
    add(
      "double tagged: the inner TPID becomes dl_type",
      concat(eth(0).slice(0, 12), vlan(0x88a8, 10), vlan(0x8100, 20), u16(0x0800), l3, seg),
      { dl_type: 0x8100, vlan_tci: 0x100a, vlan_tpid: 0x88a8 },
    );
  }
  add("VLAN TPID without a tag", eth(0x8100), { dl_type: 0x8100 });
  add("VLAN tag without a type", concat(eth(0x8100), u16(0x0005)), { dl_type: 0x8100 });
  add("802.2 LLC", concat(eth(0x0026), new Uint8Array([0x42, 0x42, 0x03]), payload(40)), {
    dl_type: 0x05ff,
  });
  {
    const seg = tcp(1234, 80);
    const l3 = ipv4(seg, { proto: 6 });
    const snap = new Uint8Array([0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00]);
    add("802.2 SNAP carrying IPv4", concat(eth(14 + 8 + 40), snap, l3, seg), {
      ...tcpBase,
      tp_src: 1234,
      tp_dst: 80,
      tcp_flags: 0x10,
    });
    const other = new Uint8Array([0xaa, 0xaa, 0x03, 0, 0, 0x0c, 0x20, 0x00]);
    add("802.2 SNAP with another OUI", concat(eth(100), other, l3, seg), { dl_type: 0x05ff });
    const small = new Uint8Array([0xaa, 0xaa, 0x03, 0, 0, 0, 0x00, 0x10]);
    add("802.2 SNAP with a small type", concat(eth(100), small, l3), { dl_type: 0x05ff });
  }
  {
    const inner = ipv4(udp(1, 2), { proto: 17 });
    add("MPLS, one label", concat(eth(0x8847), u32((100 << 12) | (3 << 9) | 0x100 | 64), inner), {
      dl_type: 0x8847,
      mpls_lse: ((100 << 12) | (3 << 9) | 0x100 | 64) >>> 0,
    });
    add(
      "MPLS multicast, two labels",
      concat(eth(0x8848), u32((16 << 12) | 255), u32((17 << 12) | 0x100 | 1), inner),
      { dl_type: 0x8848, mpls_lse: (16 << 12) | 255, mpls_lse1: (17 << 12) | 0x100 | 1 },
    );
    add("MPLS label cut short", concat(eth(0x8847), u16(0x1234)), { dl_type: 0x8847 });
  }
  const arpBase = {
    dl_type: 0x0806,
    nw_src: "192.168.0.1",
    nw_dst: "192.168.0.2",
    arp_sha: "50:54:00:00:00:05",
  };
  add(
    "ARP request",
    concat(
      eth(0x0806, "ff:ff:ff:ff:ff:ff"),
      arp(1, "50:54:00:00:00:05", "192.168.0.1", "00:00:00:00:00:00", "192.168.0.2"),
    ),
    { ...arpBase, arp_op: 1 },
  );
  add(
    "ARP reply",
    concat(
      eth(0x0806),
      arp(2, "50:54:00:00:00:05", "192.168.0.1", "50:54:00:00:00:06", "192.168.0.2"),
    ),
    { ...arpBase, arp_op: 2, arp_tha: "50:54:00:00:00:06" },
  );
  add(
    "ARP with an opcode over 255",
    concat(
      eth(0x0806),
      arp(0x101, "50:54:00:00:00:05", "192.168.0.1", "00:00:00:00:00:00", "192.168.0.2"),
    ),
    { ...arpBase },
  );
  {
    const a = arp(1, "50:54:00:00:00:05", "192.168.0.1", "00:00:00:00:00:00", "192.168.0.2");
    a[1] = 6; // hardware type 6
    add("ARP for another hardware type", concat(eth(0x0806), a), { dl_type: 0x0806 });
  }
  add(
    "RARP",
    concat(eth(0x8035), arp(3, "50:54:00:00:00:05", "0.0.0.0", "50:54:00:00:00:05", "0.0.0.0")),
    { dl_type: 0x8035, arp_op: 3, arp_sha: "50:54:00:00:00:05", arp_tha: "50:54:00:00:00:05" },
  );
  add(
    "ARP cut short",
    concat(
      eth(0x0806),
      arp(1, "50:54:00:00:00:05", "192.168.0.1", "00:00:00:00:00:00", "192.168.0.2").slice(0, 20),
    ),
    { dl_type: 0x0806 },
  );
  add("TCP over IPv6 with traffic class and label", tcp6Frame({ tclass: 0x28, label: 0xabcde }), {
    ...tcp6Base,
    nw_proto: 6,
    nw_tos: 0x28,
    ipv6_label: 0xabcde,
    tp_src: 1234,
    tp_dst: 80,
    tcp_flags: 0x18,
  });
  add(
    "UDP over IPv6 after hop-by-hop and destination options",
    ipv6Ext(concat(ext(60), ext(17, 1)), 0, udp(7, 8, payload(4)), 17),
    { ...tcp6Base, nw_proto: 17, tp_src: 7, tp_dst: 8 },
  );
  add("IPv6 first fragment", ipv6Ext(frag6(17, 0, true), 44, udp(7, 8), 17), {
    ...tcp6Base,
    nw_proto: 17,
    nw_frag: 1,
    tp_src: 7,
    tp_dst: 8,
  });
  add("IPv6 later fragment", ipv6Ext(frag6(17, 100, false), 44, udp(7, 8), 17), {
    ...tcp6Base,
    nw_proto: 44,
    nw_frag: 3,
  });
  add(
    "IPv6 atomic fragment header is not a fragment",
    ipv6Ext(frag6(17, 0, false), 44, udp(7, 8), 17),
    {
      ...tcp6Base,
      nw_proto: 17,
      tp_src: 7,
      tp_dst: 8,
    },
  );
  {
    const ah = new Uint8Array(12); // AH: length (1+2)*4 = 12
    ah[0] = 6;
    ah[1] = 1;
    add("TCP over IPv6 after AH", ipv6Ext(ah, 51, tcp(1, 2), 6), {
      ...tcp6Base,
      nw_proto: 6,
      tp_src: 1,
      tp_dst: 2,
      tcp_flags: 0x10,
    });
    const rh = new Uint8Array(8);
    rh[0] = 6;
    rh[3] = 1; // segments left
    add("TCP over IPv6 after a routing header", ipv6Ext(rh, 43, tcp(1, 2), 6), {
      ...tcp6Base,
      nw_proto: 6,
      tp_src: 1,
      tp_dst: 2,
      tcp_flags: 0x10,
    });
  }
  add("IPv6 extension header cut short", ipv6Ext(shortExt(), 0, new Uint8Array(0), 6), {
    dl_type: 0x86dd,
    ipv6_src: "2001:db8::1",
    ipv6_dst: "2001:db8::2",
  });
  {
    const f = tcp6Frame();
    f[14 + 4] = 0x7f; // payload length beyond the frame
    add("IPv6 payload length beyond the frame", f, { dl_type: 0x86dd });
  }
  add("IPv6 header cut short", tcp6Frame().slice(0, 14 + 39), { dl_type: 0x86dd });
  const ndBase = {
    dl_type: 0x86dd,
    ipv6_src: "2001:db8::1",
    ipv6_dst: "2001:db8::2",
    nw_proto: 58,
    nw_ttl: 255,
  };
  add(
    "ND neighbor solicitation with source link-layer address",
    ndFrame(135, "fe80::1", lla(ND_SLL, "00:11:22:33:44:55")),
    {
      ...ndBase,
      tp_src: 135,
      nd_target: "fe80::1",
      arp_sha: "00:11:22:33:44:55",
      nd_options_type: 1,
    },
  );
  add(
    "ND neighbor advertisement with target link-layer address and flags",
    ndFrame(136, "fe80::2", lla(ND_TLL, "00:11:22:33:44:66"), 0xe0000000),
    {
      ...ndBase,
      tp_src: 136,
      nd_target: "fe80::2",
      arp_tha: "00:11:22:33:44:66",
      nd_reserved: 0xe0000000,
      nd_options_type: 2,
    },
  );
  add(
    "ND with both options, target first",
    ndFrame(
      136,
      "fe80::2",
      concat(lla(ND_TLL, "00:00:00:00:00:02"), lla(ND_SLL, "00:00:00:00:00:01")),
    ),
    {
      ...ndBase,
      tp_src: 136,
      nd_target: "fe80::2",
      arp_sha: "00:00:00:00:00:01",
      arp_tha: "00:00:00:00:00:02",
      nd_options_type: 2,
    },
  );
  add(
    "ND with a repeated source option",
    ndFrame(
      135,
      "fe80::3",
      concat(lla(ND_SLL, "00:00:00:00:00:01"), lla(ND_SLL, "00:00:00:00:00:02")),
    ),
    { ...ndBase, tp_src: 135, nd_options_type: 1 },
  );
  add(
    "ND with a zero-length option",
    ndFrame(
      135,
      "fe80::4",
      concat(new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]), lla(ND_TLL, "00:00:00:00:00:09")),
    ),
    { ...ndBase, tp_src: 135, nd_target: "fe80::4" },
  );
  add(
    "ND with an unknown option then a source option",
    ndFrame(
      135,
      "fe80::5",
      concat(new Uint8Array([14, 1, 0, 0, 0, 0, 0, 0]), lla(ND_SLL, "00:00:00:00:00:07")),
    ),
    {
      ...ndBase,
      tp_src: 135,
      nd_target: "fe80::5",
      arp_sha: "00:00:00:00:00:07",
      nd_options_type: 1,
    },
  );
  {
    const msg = concat(new Uint8Array([135, 0, 0, 0]), u32(0), ip6("fe80::6").slice(0, 10));
    const l3 = ipv6(msg, { next: 58, hlimit: 255 });
    add("ND with the target cut short", concat(eth(0x86dd), l3, msg), { ...ndBase, tp_src: 135 });
  }
  {
    const msg = concat(new Uint8Array([135, 1, 0, 0]), u32(0), ip6("fe80::7"));
    const l3 = ipv6(msg, { next: 58, hlimit: 255 });
    add("ND with a nonzero code is plain ICMPv6", concat(eth(0x86dd), l3, msg), {
      ...ndBase,
      tp_src: 135,
      tp_dst: 1,
    });
  }
  {
    const msg = concat(new Uint8Array([128, 0, 0, 0]), u32(0x00010001), payload(8));
    const l3 = ipv6(msg, { next: 58 });
    add("ICMPv6 echo request", concat(eth(0x86dd), l3, withL4Checksum(l3, msg, 58, 2)), {
      ...tcp6Base,
      nw_proto: 58,
      tp_src: 128,
    });
  }
  add("LLDP (an Ethertype without a parser)", concat(eth(0x88cc), payload(30)), {
    dl_type: 0x88cc,
  });
  add("frame shorter than an Ethernet header", eth(0x0800).slice(0, 13), {});
  return frames;
}

/** The catalogue with a distinct source address per frame (so no two frames share a key). */
export function distinctCatalogue(): CatalogueFrame[] {
  return catalogue().map((c, i) => {
    const frame = c.frame.slice();
    if (frame.length >= 12) frame.set([0x02, 0, 0, 0, (i >> 8) & 0xff, i & 0xff], 6);
    return { ...c, frame };
  });
}
