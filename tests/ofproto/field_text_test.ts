// Field values as text (mf_parse / mf_format), port numbers and names, the Match semantics of
// setting fields (VLAN present bit, OFP_VLAN_NONE, DSCP bits, 32-bit ports), subfields and their
// bit operations, and the C-style scanners underneath, each against upstream's documented
// behaviour.

import assert from "node:assert/strict";
import { field } from "../../core/ofproto/fields.ts";
import { Match } from "../../core/ofproto/match.ts";
import {
  formatFieldValue,
  formatFlags,
  formatFlagsMasked,
  getField,
  parseFieldExactValue,
  parseFieldValue,
  parseFlags,
  setFieldInMatch,
  tcpFlagName,
} from "../../core/ofproto/field_text.ts";
import {
  formatPort,
  jsonQuote,
  OFPP_CONTROLLER,
  OFPP_LOCAL,
  OFPP_NONE,
  parsePort,
  portFromOfp11,
  PortMap,
  portToOfp11,
  quoteName,
} from "../../core/ofproto/port_text.ts";
import {
  copySubfield,
  formatSubfield,
  parseSubfield,
  parseSubfieldPrefix,
  readSubfield,
  unwildcardSubfield,
  writeSubfield,
} from "../../core/ofproto/subfield.ts";
import { formatIpv6, inetPton6, parseIpv4Masked } from "../../core/ofproto/addr_text.ts";
import { ovsScan, parseIntString, strtoull } from "../../core/ofproto/text_scan.ts";
import { OfpError, ParseError } from "../../core/ofproto/errors.ts";
import { P_ANY, P_NONE, P_NXM_OF11_UP, P_NXM_OXM_ANY } from "../../core/ofproto/protocols.ts";
import { formatMatch } from "../../core/ofproto/match_text.ts";
import { vlogSetLevels } from "../../core/net/vlog.ts";
import { W_DL_TYPE_VLAN, W_REGS } from "../../core/datapath/flow.ts";

vlogSetLevels(undefined, "console", "off");

const bytes = (...b: number[]) => new Uint8Array(b);
const fmt = (name: string, s: string) => {
  const f = field(name);
  const { value, mask } = parseFieldValue(f, s);
  return formatFieldValue(f, value, mask);
};
const parseError = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParseError) return e.message;
    throw e;
  }
  throw new Error("no error");
};

Deno.test("mf_format: integers, masks, ANY, addresses and flags as upstream prints them", () => {
  assert.equal(fmt("reg0", "0x5/0xff"), "0x5/0xff");
  assert.equal(fmt("reg0", "0"), "0");
  assert.equal(fmt("reg0", "*"), "ANY");
  assert.equal(fmt("tcp_dst", "80/0xfff0"), "80/0xfff0");
  assert.equal(fmt("tcp_dst", "0x50"), "80");
  assert.equal(
    fmt("eth_dst", "01:02:03:04:05:06/ff:ff:ff:00:00:00"),
    "01:02:03:04:05:06/ff:ff:ff:00:00:00",
  );
  assert.equal(fmt("ip_src", "10.1.2.3/255.255.0.0"), "10.1.2.3/16");
  assert.equal(fmt("ip_src", "10.1.2.3/255.0.255.0"), "10.1.2.3/255.0.255.0");
  assert.equal(fmt("ipv6_src", "2001:db8::1/64"), "2001:db8::1/64");
  assert.equal(fmt("in_port", "LOCAL"), "LOCAL");
  assert.equal(fmt("in_port_oxm", "65534"), "LOCAL");
  assert.equal(fmt("ip_frag", "not_later"), "not_later");
  assert.equal(fmt("tcp_flags", "+syn-ack"), "+syn-ack");
  assert.equal(fmt("tcp_flags", "syn|ack"), "syn|ack");
  assert.equal(fmt("tun_flags", "+oam"), "oam");
  assert.equal(fmt("packet_type", "(1,0x800)"), "packet_type=(1,0x800)");
  assert.equal(fmt("packet_type", "(0,0)"), "eth");
  assert.equal(formatFlags(0x1ff0, tcpFlagName), "ack|urg|ece|cwr|ns|[200]|[400]|[800]|0x1000");
  assert.equal(formatFlagsMasked(0x2, 0x12, 0xfff, tcpFlagName), "+syn-ack");
  assert.equal(formatFlagsMasked(0, 0, 0xfff, tcpFlagName), "0/0");
});

Deno.test("mf_parse: upstream's error texts for bad values", () => {
  const cases: Array<[string, string, string]> = [
    ["reg0", "0x100000000", "0x100000000: value too large for 4-byte field reg0"],
    ["reg0", "5/0x100000000", "5/0x100000000: mask too large for 4-byte field reg0"],
    ["reg0", "abc", "abc: bad syntax for reg0 value"],
    ["reg0", "5/x", "5/x: bad syntax for reg0 mask"],
    ["nw_ttl", "5/0xf", "5/0xf: invalid mask for field nw_ttl"],
    ["eth_src", "1:2:3", "1:2:3: invalid Ethernet address"],
    [
      "ip_src",
      "1.2.3.4/40",
      "1.2.3.4/40: IPv4 network prefix bits not between 0 and 32, inclusive",
    ],
    ["ipv6_src", "::1/200", "::1/200: IPv6 network prefix bits not between 0 and 128, inclusive"],
    ["ipv6_src", "::1/::g", "::1/::g: invalid IPv6 address"],
    ["in_port", "bogus", "bogus: invalid or unknown port for in_port"],
    ["in_port_oxm", "4294967039", "4294967039: port value out of range for in_port_oxm"],
    [
      "ip_frag",
      "x",
      'x: unknown fragment type (valid types are "no", "yes", "first", "later", "not_later"',
    ],
    ["ct_state", "+trk-trk", "trk: Each ct_state flag can be specified only once"],
    ["ct_state", "+trk*", "trk*: unknown ct_state flag(s)"],
    ["tcp_flags", "+syn.", "syn.: unknown TCP flag(s)"],
    ["tun_flags", "+df", "df: unknown tunnel flag(s)"],
    ["packet_type", "1,2", "1,2: bad syntax for packet type missing '('"],
    ["packet_type", "(1;2)", "1;2): bad syntax for packet type missing ','"],
  ];
  for (const [name, s, message] of cases) {
    assert.equal(parseError(() => parseFieldValue(field(name), s)), message, `${name}=${s}`);
  }
  assert.equal(
    parseError(() => parseFieldExactValue(field("reg0"), "1/1")),
    "1/1: wildcards not allowed here",
  );
  assert.deepEqual(parseFieldExactValue(field("ip_dst"), "1.2.3.4"), bytes(1, 2, 3, 4));
});

Deno.test("parse_flags: numeric forms, masks and trailing text as upstream's parser reads them", () => {
  assert.deepEqual(parseFlags("0x12/0xff", tcpFlagName, "TCP", 0xfff, true).mask, 0xff);
  assert.deepEqual(parseFlags("syn|0x10", tcpFlagName, "TCP", 0xfff, true).flags, 0x12);
  assert.equal(parseFlags("syn", tcpFlagName, "TCP", 0xfff, true).mask, 0xffffffff);
  assert.equal(
    parseError(() => parseFlags("0x1000", tcpFlagName, "TCP", 0xfff, true)),
    "0x1000: unknown TCP flag(s)",
  );
});

Deno.test("dl_vlan, vlan_vid and the PCPs set the VLAN-present bit as upstream's setters do", () => {
  const tci = (m: Match) => [m.flow[W_DL_TYPE_VLAN]! & 0xffff, m.mask[W_DL_TYPE_VLAN]! & 0xffff];
  const m = new Match();
  setFieldInMatch(m, field("dl_vlan"), bytes(0, 5));
  assert.deepEqual(tci(m), [0x1005, 0x1fff]);
  setFieldInMatch(m, field("dl_vlan_pcp"), bytes(3));
  assert.deepEqual(tci(m), [0x7005, 0xffff]);
  setFieldInMatch(m, field("dl_vlan"), bytes(0, 0), bytes(0, 0));
  assert.deepEqual(tci(m), [0x7000, 0xf000]);
  setFieldInMatch(m, field("vlan_pcp"), bytes(0), bytes(0));
  assert.deepEqual(tci(m), [0, 0]);
  setFieldInMatch(m, field("dl_vlan"), bytes(0xff, 0xff));
  assert.deepEqual(tci(m), [0, 0xffff]);
  const v = new Match();
  setFieldInMatch(v, field("vlan_vid"), bytes(0x10, 0x05));
  assert.deepEqual(tci(v), [0x1005, 0x1fff]);
  assert.equal(formatMatch(v), "dl_vlan=5");
  const w = new Match();
  setFieldInMatch(w, field("vlan_vid"), bytes(0x10, 0x00), bytes(0x10, 0x00));
  assert.equal(formatMatch(w), "vlan_tci=0x1000/0x1000");
});

Deno.test("setFieldInMatch: nw_tos keeps DSCP bits, icmp_type claims tp_src, 32-bit ports map", () => {
  const m = new Match();
  setFieldInMatch(m, field("ip_dscp"), bytes(5));
  assert.equal(getField(m, field("nw_tos")).value[0], 20);
  setFieldInMatch(m, field("icmp_type"), bytes(8));
  assert.equal(m.mask[76]! >>> 16, 0xffff);
  setFieldInMatch(m, field("in_port_oxm"), bytes(0xff, 0xff, 0xff, 0xfe));
  assert.deepEqual(getField(m, field("in_port")).value, bytes(0xff, 0xfe));
  assert.deepEqual(getField(m, field("in_port_oxm")).value, bytes(0xff, 0xff, 0xff, 0xfe));
  setFieldInMatch(m, field("in_port"), bytes(0, 0), bytes(0, 0));
  assert.deepEqual(getField(m, field("in_port_oxm")).mask, bytes(0, 0, 0, 0));
});

Deno.test("setFieldInMatch returns the protocols that can carry the match", () => {
  const m = new Match();
  const ones = (n: number) => new Uint8Array(n).fill(0xff);
  assert.equal(setFieldInMatch(m, field("ip_src"), bytes(1, 2, 3, 4)), P_ANY);
  assert.equal(
    setFieldInMatch(m, field("ip_src"), bytes(1, 2, 3, 0), bytes(255, 255, 255, 0)),
    P_ANY,
  );
  assert.equal(
    setFieldInMatch(m, field("ip_src"), bytes(1, 0, 3, 0), bytes(255, 0, 255, 0)),
    P_NXM_OF11_UP,
  );
  assert.equal(
    setFieldInMatch(m, field("eth_src"), ones(6), bytes(255, 0, 0, 0, 0, 0)),
    P_NXM_OF11_UP,
  );
  assert.equal(setFieldInMatch(m, field("reg0"), bytes(0, 0, 0, 1)), P_NXM_OXM_ANY);
  assert.equal(setFieldInMatch(m, field("metadata"), ones(8)), P_NXM_OF11_UP);
  assert.equal(setFieldInMatch(m, field("skb_priority"), bytes(0, 0, 0, 1)), P_NONE);
  assert.equal(setFieldInMatch(m, field("dl_vlan"), bytes(0, 1)), P_ANY);
  assert.equal(setFieldInMatch(m, field("reg1"), bytes(0, 0, 0, 0), bytes(0, 0, 0, 0)), P_ANY);
  // A partial mask on a field that takes none changes nothing.
  const before = m.clone();
  assert.equal(setFieldInMatch(m, field("nw_ttl"), bytes(5), bytes(0x0f)), P_NONE);
  assert.ok(m.equals(before));
});

Deno.test("ports: reserved names, 1.1+ numbering, maps and quoting", () => {
  assert.equal(parsePort("local"), OFPP_LOCAL);
  assert.equal(parsePort("NONE"), OFPP_NONE);
  assert.equal(parsePort("any"), OFPP_NONE);
  assert.equal(parsePort("Controller"), OFPP_CONTROLLER);
  assert.equal(parsePort("65279"), 65279);
  assert.equal(parsePort("4294967294"), OFPP_LOCAL);
  assert.equal(parsePort("4294967039"), undefined);
  assert.equal(parsePort("-1"), undefined);
  assert.equal(parsePort("0x10"), undefined);
  assert.equal(formatPort(OFPP_NONE), "ANY");
  assert.equal(formatPort(0xfff7), "UNSET");
  assert.equal(formatPort(7), "7");
  assert.equal(portToOfp11(OFPP_LOCAL), 0xfffffffe);
  assert.equal(portToOfp11(5), 5);
  assert.equal(portFromOfp11(0xffffff00), 0xff00);
  assert.throws(
    () => portFromOfp11(0xff00),
    (e: unknown) => e instanceof OfpError && e.errorName === "OFPBAC_BAD_OUT_PORT",
  );
  const map = new PortMap();
  map.put(1, "p1");
  map.put(2, "1st");
  map.put(3, 'q"x');
  map.put(1, "again");
  map.put(4, "p1");
  assert.equal(parsePort("p1", map), undefined);
  assert.equal(map.nameOf(1), undefined);
  assert.equal(parsePort('"1st"', map), 2);
  assert.equal(formatPort(2, map), '"1st"');
  assert.equal(formatPort(3, map), '"q\\"x"');
  assert.equal(parsePort('"q\\"x"', map), 3);
  assert.equal(quoteName("eth0"), "eth0");
  assert.equal(jsonQuote("a\tb\u0001"), '"a\\tb\\u0001"');
});

Deno.test("subfields: names of every kind, formats with NXM names, errors as upstream", () => {
  const sf = parseSubfield("reg0[0..15]");
  assert.equal(formatSubfield(sf), "NXM_NX_REG0[0..15]");
  assert.equal(formatSubfield(parseSubfield("NXM_NX_REG1[]")), "NXM_NX_REG1[]");
  assert.equal(formatSubfield(parseSubfield("eth_dst[40..47]")), "NXM_OF_ETH_DST[40..47]");
  assert.equal(formatSubfield(parseSubfield("OXM_OF_VLAN_VID[]")), "OXM_OF_VLAN_VID[]");
  assert.equal(formatSubfield(parseSubfield("vlan_tci[3]")), "NXM_OF_VLAN_TCI[3]");
  assert.equal(formatSubfield(parseSubfield("dl_vlan[]")), "dl_vlan[]");
  assert.equal(formatSubfield(parseSubfield("tun_id")), "NXM_NX_TUN_ID[]");
  assert.equal(formatSubfield(parseSubfield("NXM_NX_REG2_W[1]")), "NXM_NX_REG2[1]");
  const { sf: first, end } = parseSubfieldPrefix("reg0[0..3]->reg1[4..7]");
  assert.equal(end, 10);
  assert.equal(first.nBits, 4);
  assert.equal(
    parseError(() => parseSubfield("reg0[0..3]x")),
    "unexpected input following field syntax",
  );
  assert.equal(parseError(() => parseSubfield("foo[]")), "foo[]: unknown field `foo'");
  assert.equal(
    parseError(() => parseSubfield("reg0[40]")),
    "reg0[40]: starting bit 40 is not valid because field is only 32 bits wide",
  );
});

Deno.test("subfield bit operations read, write, copy and unwildcard exactly their bits", () => {
  const words = new Uint32Array(88);
  const dst = parseSubfield("eth_dst[8..23]");
  writeSubfield(words, dst, 0xabcd);
  assert.equal(readSubfield(words, dst), 0xabcdn);
  const m = new Match(words, new Uint32Array(88));
  unwildcardSubfield(m.mask, dst);
  assert.equal(formatMatch(m), "dl_dst=00:00:00:ab:cd:00/00:00:00:ff:ff:00");
  const reg = parseSubfield("reg3[16..31]");
  copySubfield(dst, words, reg, words);
  assert.equal(words[W_REGS + 3], 0xabcd0000);
  const wide = parseSubfield("xxreg0[60..67]");
  writeSubfield(words, wide, 0xffn);
  assert.equal(words[W_REGS + 2], 0xf0000000);
  assert.equal(words[W_REGS + 1], 0x0000000f);
  assert.equal(readSubfield(words, wide), 0xffn);
});

Deno.test("C-style scanning keeps upstream's quirks", () => {
  assert.deepEqual(parseIpv4Masked("300.1.1.1"), { ip: 0x2c010101, mask: 0xffffffff });
  assert.deepEqual(parseIpv4Masked(" 1. 2.3.4/ 24").mask, 0xffffff00);
  assert.equal(strtoull("0x", 0, 0).end, 1);
  assert.equal(strtoull("  -1", 0, 10).value, (1n << 64n) - 1n);
  assert.equal(strtoull("010", 0, 0).value, 8n);
  const hexWide = parseIntString("0x 00 01 02", 2);
  assert.ok(hexWide.ok && hexWide.bytes[0] === 1 && hexWide.bytes[1] === 2);
  assert.deepEqual(parseIntString("0x10000", 2), { ok: false, error: "ERANGE" });
  assert.deepEqual(ovsScan("[3..5]", "[%d..%d]")?.values, [3n, 5n]);
  assert.equal(ovsScan("1:2", "%hhx:%hhx:%hhx"), undefined);
});

Deno.test("IPv6 text as glibc writes it: longest zero run, first on ties, mapped IPv4 dotted", () => {
  const cases: Array<[string, string]> = [
    ["::", "::"],
    ["::1", "::1"],
    ["1::", "1::"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["1:0:0:2:0:0:3:4", "1::2:0:0:3:4"],
    ["0:0:1:0:0:0:0:0", "0:0:1::"],
    ["::ffff:1.2.3.4", "::ffff:1.2.3.4"],
    ["::1.2.3.4", "::1.2.3.4"],
    ["::0.0.0.1", "::1"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"],
    ["ABCD::EF", "abcd::ef"],
  ];
  for (const [input, output] of cases) {
    const addr = inetPton6(input);
    assert.ok(addr, input);
    assert.equal(formatIpv6(addr), output, input);
  }
  for (
    const bad of ["1::2::3", ":1", "1:", "12345::", "1:2:3:4:5:6:7:8:9", "::1.2.3", "::01.2.3.4"]
  ) {
    assert.equal(inetPton6(bad), undefined, bad);
  }
});
