import assert from "node:assert/strict";
import { W_DL_TYPE_VLAN, W_IN_PORT } from "../../core/datapath/flow.ts";
import {
  formatOdpFlow,
  formatOdpKey,
  OdpParseError,
  parseOdpFlow,
  reformatOdpFlowText,
} from "../../core/datapath/odp_key.ts";
import { testIf } from "../support/skip.ts";
import { DUMP_FLOWS_LINES, exactForms, wildcardForms } from "./odp_cases.ts";
import { REAL_OVS, startRealSwitch } from "./packet_support.ts";

/** What `ovstest test-odp parse-keys` prints for one line. */
function parseKeys(line: string): string {
  let parsed;
  try {
    parsed = parseOdpFlow(line);
  } catch (e) {
    if (e instanceof OdpParseError) return `odp_flow_from_string: error (${e.message})`;
    throw e;
  }
  if (parsed.fitness === "error") return `odp_flow_key_to_flow: error (${parsed.error})`;
  const prefix = parsed.fitness === "too_little"
    ? "ODP_FIT_TOO_LITTLE: "
    : parsed.fitness === "too_much"
    ? "ODP_FIT_TOO_MUCH: "
    : "";
  return prefix + formatOdpKey(parsed.key, { ctOrigTuple: false, ndExtensions: true });
}

Deno.test("parse-keys forms of odp.at read back through flow words as upstream prints them", () => {
  const forms = exactForms();
  assert.ok(forms.length > 200);
  for (const { input, output } of forms) assert.equal(parseKeys(input), output, input);
});

Deno.test("parse-wc-keys forms of odp.at print back unchanged", () => {
  const forms = wildcardForms();
  assert.ok(forms.length > 150);
  for (const line of forms) assert.equal(reformatOdpFlowText(line), line);
});

/**
 * A dump-flows line with the attributes dumps leave out when all wildcarded put back, so that it
 * parses to the key and mask it was printed from: eth() (without it the packet type would be
 * the Ethertype's namespace, as upstream parses it) and an empty L4 attribute after an L3
 * protocol.
 */
function parsableDumpLine(line: string): string {
  let text = line.includes("eth(") ? line : line.replace("),eth_type(", "),eth(),eth_type(");
  const proto = /proto=(\d+),[^)]*frag=(no|first)\)/.exec(text);
  const l4: Record<string, string> = { "1": "icmp", "6": "tcp", "17": "udp", "58": "icmpv6" };
  const name = proto ? l4[proto[1]!] : undefined;
  if (name && !text.includes(`${name}(`)) {
    text = text.replace(/(frag=(no|first)\))/, `$1,${name}()`);
  }
  if (!text.includes("arp(")) text = text.replace(/(eth_type\(0x(0806|8035)\))/, "$1,arp()");
  return text;
}

Deno.test("dump-flows lines of ofproto-dpif.at and dpif-netdev.at format back from key and mask", () => {
  for (const line of DUMP_FLOWS_LINES) {
    // In dumps, an all-wildcarded Ethernet attribute is left out after packet_type; the parsed
    // text needs eth() to say the packet is Ethernet (without it the key's type is the
    // Ethertype's namespace, as upstream parses it).
    const parsed = parseOdpFlow(parsableDumpLine(line));
    assert.equal(parsed.fitness, "perfect", line);
    assert.equal(parsed.maskFitness, "perfect", line);
    assert.equal(formatOdpFlow(parsed.key, parsed.mask), line);
  }
});

Deno.test("formatOdpFlow prints in_port through the port namer, verbose masks everywhere", () => {
  const p = parseOdpFlow("in_port(3),eth(),eth_type(0x0800),ipv4(frag=no)");
  const names = (port: number) => (port === 3 ? "p3" : undefined);
  assert.equal(
    formatOdpFlow(p.key, p.mask, { portName: names }),
    "recirc_id(0),in_port(p3),eth(),eth_type(0x0800),ipv4(frag=no)",
  );
  assert.equal(
    formatOdpFlow(p.key, p.mask, { verbose: true }),
    "skb_priority(0/0),skb_mark(0/0),ct_state(0/0),ct_zone(0/0),ct_mark(0/0),ct_label(0/0)," +
      "recirc_id(0),dp_hash(0/0),in_port(3),packet_type(ns=0/0,id=0/0)," +
      "eth(src=00:00:00:00:00:00/00:00:00:00:00:00,dst=00:00:00:00:00:00/00:00:00:00:00:00)," +
      "eth_type(0x0800),ipv4(src=0.0.0.0/0.0.0.0,dst=0.0.0.0/0.0.0.0,proto=0/0,tos=0/0,ttl=0/0," +
      "frag=no)",
  );
  const named = parseOdpFlow("in_port(p7),eth_type(0x86dd)", (n) => (n === "p7" ? 7 : undefined));
  assert.equal(named.key[W_IN_PORT], 7);
});

Deno.test("bad syntax raises OdpParseError with upstream's text", () => {
  const cases: [string, string][] = [
    ["in_port(1),ipv4(srcx=1.2.3.4)", "syntax error at ipv4(srcx=1.2.3.4)"],
    ["in_port(1),eth(", "syntax error at eth("],
    ["in_port(x)", "syntax error at in_port(x)"],
    ["recirc_id(0/0)", "syntax error at recirc_id(0/0)"],
    ["in_port(1) bogus", "syntax error at bogus"],
    ["eth_type(0x8100),vlan(vid=4096)", "syntax error at vlan(vid=4096)"],
    ["eth_type(0x8847),mpls(label=1048576)", "syntax error at mpls(label=1048576)"],
    ["ipv6(label=0x100000)", "syntax error at ipv6(label=0x100000)"],
    ["ipv4(frag=sometimes)", "syntax error at ipv4(frag=sometimes)"],
    ["tcp_flags(+syn+syn)", "syntax error at tcp_flags(+syn+syn)"],
    ["ct_state(+bogus)", "syntax error at ct_state(+bogus)"],
    ["encap(in_port(1)", "syntax error at encap(in_port(1)"],
    ["ufid:1234 in_port(1)", "syntax error at ufid:1234 in_port(1)"],
    ["eth(src=00:01:02:03:04)", "syntax error at eth(src=00:01:02:03:04)"],
    ["ipv6(src=1:::2)", "syntax error at ipv6(src=1:::2)"],
    [
      "mpls(label=1,label=2,label=3,label=4)",
      "syntax error at mpls(label=1,label=2,label=3,label=4)",
    ],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseOdpFlow(text), (e: unknown) => {
      assert.ok(e instanceof OdpParseError, text);
      assert.equal(e.message, message);
      return true;
    });
  }
  // Upstream's leniencies: a trailing comma, a repeated field, a ufid prefix, octal and hex.
  const ok = parseOdpFlow(
    "ufid:12345678-1234-1234-1234-123456789abc in_port(010),eth_type(0x0800),ipv4(ttl=1,ttl=2,)",
  );
  assert.equal(ok.key[W_IN_PORT], 8);
  assert.equal(
    formatOdpFlow(ok.key, ok.mask),
    "recirc_id(0),in_port(8),eth_type(0x0800),ipv4(ttl=2)",
  );
});

Deno.test("keys that parse but make no flow report upstream's fitness and error text", () => {
  const cases: [string, string, string?][] = [
    [
      "in_port(1),eth_type(0x0001)",
      "error",
      "invalid Ethertype 1 in flow key; the flow key in error is: in_port(1),eth_type(0x0001)",
    ],
    [
      "in_port(1),in_port(2)",
      "error",
      "duplicate in_port attribute in flow key; the flow key in error is: in_port(1),in_port(2)",
    ],
    [
      "eth_type(0x0806),arp(op=300)",
      "error",
      "unsupported ARP opcode 300 in flow key; the flow key in error is: " +
      "eth_type(0x0806),arp(sip=0.0.0.0,tip=0.0.0.0,op=300,sha=00:00:00:00:00:00,tha=00:00:00:00:00:00)",
    ],
    [
      "eth_type(0x8100),vlan(vid=5,cfi=0),encap()",
      "error",
      "OVS_KEY_ATTR_VLAN 0x0005 is nonzero but CFI bit is not set; the flow key in error is: " +
      "eth_type(0x8100),vlan(vid=5,pcp=0,cfi=0),encap()",
    ],
    ["eth_type(0x0800)", "too_little"],
    ["eth_type(0x0800),ipv4(proto=6),tcp(),udp()", "too_much"],
    ["eth_type(0x8100),vlan(vid=5)", "too_little"],
    ["eth_type(0x8847),mpls(label=1,bos=0)", "too_little"],
    [
      "tunnel(tun_id=1),eth_type(0x1234)",
      "error",
      "tunnel options missing TTL; the flow key in error is: tunnel(tun_id=0x1,flags(key)),eth_type(0x1234)",
    ],
  ];
  for (const [text, fitness, error] of cases) {
    const p = parseOdpFlow(text);
    assert.equal(p.fitness, fitness, text);
    if (error) assert.equal(p.error, error, text);
  }
  const mask = parseOdpFlow("in_port(1),eth(src=00:00:00:00:00:01)");
  assert.equal(mask.fitness, "perfect");
  assert.equal(mask.maskFitness, "error");
  assert.match(mask.error ?? "", /^mask expected for non-Ethernet II frame; /);
});

Deno.test("random text makes parseOdpFlow raise only OdpParseError (2 s fuzz)", () => {
  let seed = 0xc0ffee;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const corpus = [...exactForms().map((f) => f.input), ...wildcardForms()];
  const alphabet = "(),=/:.+-|0123456789abcdefx ";
  const deadline = Date.now() + 2000;
  let n = 0;
  while (Date.now() < deadline) {
    let s = corpus[rand(corpus.length)]!;
    const edits = 1 + rand(4);
    for (let i = 0; i < edits; i++) {
      const at = rand(s.length + 1);
      const op = rand(3);
      const c = alphabet[rand(alphabet.length)]!;
      s = op === 0
        ? s.slice(0, at) + c + s.slice(at)
        : op === 1
        ? s.slice(0, at) + s.slice(at + 1)
        : s.slice(0, at);
    }
    try {
      const p = parseOdpFlow(s);
      formatOdpFlow(p.key, p.mask);
      formatOdpFlow(p.key, p.mask, { verbose: true });
    } catch (e) {
      if (!(e instanceof OdpParseError)) throw new Error(`${s}: ${e}`);
    }
    n++;
  }
  assert.ok(n > 1000);
});

/** Flows for the differential test; "@" is replaced by a port number unique to each flow. */
const DPCTL_FLOWS: readonly string[] = [
  ...wildcardForms(),
  // The userspace datapath has no ND extension attributes.
  ...exactForms().map((f) => f.input).filter((l) => !l.includes("nd_ext(")),
  ...DUMP_FLOWS_LINES.map((l) =>
    l.includes("eth(") ? l : l.replace("),eth_type(", "),eth(),eth_type(")
  ),
  "in_port(1),eth_type(0x0800),ipv4(frag=no)",
  "in_port(1),eth(),eth_type(0x0806),arp(op=1)",
  "in_port(1),eth(),eth_type(0x0806),arp(op=2/0xff)",
  "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(+syn-ack)",
  "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(),tcp_flags(0x12/0xfff)",
  "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=no),tcp(dst=80),tcp_flags(fin|ack)",
  "ct_state(-new+est+trk),ct_zone(7),ct_mark(0x1/0xff),ct_label(0x1/0xff),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
  "ct_state(+trk),ct_tuple4(src=1.1.1.1,dst=2.2.2.2,proto=6,tp_src=10,tp_dst=20),in_port(1),eth(),eth_type(0x0800),ipv4(frag=no)",
  "recirc_id(5),dp_hash(0x10/0xff),skb_priority(3),skb_mark(0x99),in_port(1),eth(),eth_type(0x86dd),ipv6(label=0x12345/0xfffff,frag=no)",
  "in_port(1),eth(src=00:00:00:00:00:01/01:00:00:00:00:00),eth_type(0x8100),vlan(vid=5/0xf00,pcp=3/0x4,cfi=1),encap(eth_type(0x0800),ipv4(frag=no))",
  "in_port(1),eth(),eth_type(0x8100),vlan(vid=0,pcp=0),encap()",
  "in_port(1),eth(),eth_type(0x88a8),vlan(vid=10),encap(eth_type(0x0800),ipv4(frag=no))",
  "in_port(1),eth(),eth_type(0x8100),vlan(vid=10),encap(eth_type(0x8100))",
  "in_port(1),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=135,code=0),nd(target=fe80::1)",
  "in_port(1),eth(),eth_type(0x86dd),ipv6(proto=58,frag=no),icmpv6(type=135/0xf0,code=0),nd(target=fe80::1)",
  "in_port(1),eth_type(0x0800),ipv4(proto=17,frag=no),udp(src=1/0xf)",
  "in_port(1),packet_type(ns=1,id=0x86dd),eth_type(0x86dd),ipv6(frag=no)",
  "in_port(1),eth(),eth_type(0x0800),ipv4(frag=first/0xff)",
  "in_port(1),eth(),eth_type(0x1234/0xff00)",
  "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6,frag=later),tcp(src=1)",
  "in_port(1),eth(),eth_type(0x0800),ipv4(proto=6/0xf0,frag=no),tcp(src=1)",
];

testIf(
  REAL_OVS,
  "parsed flows print as the real switch's dpctl/dump-flows prints them (plain and -m)",
  async () => {
    const sw = await startRealSwitch();
    try {
      const file = `${sw.dir}/flows.txt`;
      const texts = DPCTL_FLOWS.map((f, i) =>
        f.replace(/in_port\([^)]*\)/, `in_port(${1000 + i})`)
      );
      await Deno.writeTextFile(file, texts.map((t) => `${t} drop`).join("\n") + "\n");
      await sw.appctl("dpctl/add-flows", file);
      const plain = new Map<number, string>();
      const verbose = new Map<number, string>();
      const collect = (out: string, into: Map<number, string>) => {
        for (const line of out.split("\n")) {
          const m = /in_port\((\d+)\)/.exec(line);
          if (!m) continue;
          const text = line.replace(/^ufid:[-0-9a-f]+, /, "").replace(/, packets:.*$/, "");
          into.set(Number(m[1]) - 1000, text);
        }
      };
      collect((await sw.appctl("dpctl/dump-flows")).stdout, plain);
      collect((await sw.appctl("dpctl/dump-flows", "-m")).stdout, verbose);
      let accepted = 0;
      texts.forEach((text, i) => {
        const ours = dpifNetdevPut(text);
        if (!ours) {
          assert.equal(plain.get(i), undefined, `the switch took ${text}`);
          return;
        }
        accepted++;
        assert.equal(formatOdpFlow(ours.key, ours.mask), plain.get(i), text);
        assert.equal(formatOdpFlow(ours.key, ours.mask, { verbose: true }), verbose.get(i), text);
      });
      assert.ok(accepted > 200, `${accepted} flows compared`);
    } finally {
      await sw.stop();
    }
  },
);

/** What dpif-netdev keeps of a dpctl/add-flow, or undefined where it refuses (EINVAL). */
function dpifNetdevPut(text: string) {
  let p;
  try {
    p = parseOdpFlow(text);
  } catch {
    return undefined;
  }
  if (p.fitness !== "perfect" || p.maskFitness !== "perfect") return undefined;
  if (p.mask[W_IN_PORT] !== 0xffffffff) return undefined;
  // A missing VLAN mask is an exact match on "no VLAN" (dpif_netdev_flow_put).
  if ((p.mask[W_DL_TYPE_VLAN]! & 0xffff) === 0) p.mask[W_DL_TYPE_VLAN]! |= 0x1fff;
  return p;
}
