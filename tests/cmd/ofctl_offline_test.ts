import assert from "node:assert/strict";
import { MAIN, ovsDirs, run, runOvs, type RunResult } from "../support/run.ts";
import { needPrograms, testIf } from "../support/skip.ts";
import { OFP_PRINT_CORPUS } from "./ofctl_corpus.ts";
import { maskTimes } from "./ofctl_fixture.ts";

const REAL = needPrograms("ovs-ofctl");

interface Case {
  args: string[];
  stdin?: string;
}

/** Runs every case with both tools and lists each difference in output or exit code. */
async function compare(cases: Case[], env: Record<string, string>): Promise<string[]> {
  const mismatches: string[] = [];
  for (const c of cases) {
    const real: RunResult = await run("ovs-ofctl", c.args, env, c.stdin);
    const ours: RunResult = await runOvs(["ovs-ofctl", ...c.args], env, c.stdin);
    const what = `ovs-ofctl ${c.args.join(" ")}`;
    for (const stream of ["stdout", "stderr"] as const) {
      if (maskTimes(ours[stream]) !== maskTimes(real[stream])) {
        mismatches.push(`${what}: ${stream}\n--- real\n${real[stream]}--- ours\n${ours[stream]}`);
      }
    }
    if (ours.code !== real.code) mismatches.push(`${what}: exit ${ours.code}, real ${real.code}`);
  }
  return mismatches;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

const FLOWS = `# flows of every kind, one protocol choice after another
tcp,tp_src=123,actions=flood
in_port=LOCAL dl_vlan=9 dl_src=00:0A:E4:25:6B:B0 actions=drop
udp dl_vlan_pcp=7 idle_timeout=5 actions=strip_vlan output:0
tcp,nw_src=192.168.0.3,tp_dst=80 actions=set_queue:37,output:1
cookie=0x123456789abcdef hard_timeout=10 priority=60000 actions=controller
ip,actions=set_field:10.4.3.77->ip_src,mod_nw_ecn:2
arp,arp_op=2,actions=NORMAL
in_port=1,actions=resubmit(,2),output:3
priority=100,ipv6,ipv6_src=2001:db8::1,actions=drop
dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=drop
reg0=5,actions=load:7->NXM_NX_REG1[0..15],output:NXM_NX_REG1[0..15]
tcp,tcp_flags=+syn-ack,actions=drop
actions=note:41.42.43,controller(reason=no_match)
`;

const FLOWS_OF13 = `table=2,priority=5,ip,actions=goto_table:3
table=3,actions=write_actions(output:1),clear_actions
metadata=0x5/0xff,actions=write_metadata:0x1/0x3,goto_table:9
tcp,actions=push_mpls:0x8847,set_mpls_ttl(10),output:1
`;

const NXM_LINES = `<any>
# a comment is echoed

NXM_OF_IN_PORT(0001)
NXM_OF_ETH_DST(0002e30f80a4)
NXM_OF_ETH_TYPE(0800) NXM_OF_IP_SRC(ac100014)
NXM_OF_ETH_TYPE(0800) NXM_OF_IP_SRC_W(c0a80000/ffff0000)
NXM_OF_IP_SRC(ac100014)
NXM_OF_ETH_TYPE(0800) NXM_OF_IP_PROTO(06) NXM_OF_TCP_DST(0050)
NXM_NX_REG0(acebdf56)
NXM_NX_REG0_W(a0e0d050/f0f0f0f0)
NXM_NX_COOKIE(00000000abcdef01)
NXM_OF_VLAN_TCI_W(1123/1fff)
`;

const OXM_LINES = `OXM_OF_IN_PORT(00000001)
OXM_OF_ETH_TYPE(0800) OXM_OF_IPV4_SRC(ac100014)
OXM_OF_ETH_TYPE(86dd) OXM_OF_IPV6_SRC_W(20010db8000000000000000000000000/ffffffff000000000000000000000000)
OXM_OF_VLAN_VID(1009) OXM_OF_VLAN_PCP(03)
OXM_OF_METADATA_W(1234567890abcdef/ffff0000ffff0000)
`;

const OFP10_ACTIONS = `# output, controller, VLAN and L3/L4 rewrites
0000 0008 fffe 04d2
0000 0008 fffd 04d2
0001 0008 0009 0000
0002 0008 06 000000
0003 0008 00000000
0004 0010 001122334455 000000000000
0006 0008 01020304
0009 0008 0050 0000
ffff 0010 00002320 0001 0000 0005 0000
0000 0008 0000 0000 0000 0008 0001 0000
`;

const OFP13_INSTRUCTIONS = `0001 0008 01 000000
0004 0018 00000000 0000 0010 00000005 0000 000000000000
0005 0008 00000000
0002 0018 00000000 fedcba9876543210 ffffffffffffffff
`;

const OFP10_MATCHES =
  `003820fe fffe 000000000000 000000000000 0000 00 00 0000 00 00 0000 00000000 00000000 0000 0000
003820fb 0000 000102030405 000000000000 0000 00 00 0000 00 00 0000 00000000 00000000 0000 0000
003820fd 0000 000000000000 000000000000 0123 00 00 0000 00 00 0000 00000000 00000000 0000 0000
00382fef 0000 000000000000 000000000000 0000 00 00 0800 00 00 0000 c0a80001 00000000 0000 0000
`;

const OFP11_MATCHES = [
  "0000 0058 00000000 000003ff 000000000000 ffffffffffff 000000000000 ffffffffffff" +
  " 0000 00 00 0000 00 00 00000000 ffffffff 00000000 ffffffff 0000 0000 00000000 00" +
  " 000000 0000000000000000 ffffffffffffffff",
  "0000 0058 00000001 000003fe 000000000000 ffffffffffff 000000000000 ffffffffffff" +
  " 0000 00 00 0000 00 00 00000000 ffffffff 00000000 ffffffff 0000 0000 00000000 00" +
  " 000000 0000000000000000 ffffffffffffffff",
].join("\n") + "\n";

/** A little-endian pcap file of `frames` (microsecond timestamps 1 s apart). */
function pcapFile(frames: Uint8Array[]): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number) => parts.push(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >>> 24);
  const u16 = (v: number) => parts.push(v & 0xff, v >> 8);
  u32(0xa1b2c3d4);
  u16(2);
  u16(4);
  u32(0);
  u32(0);
  u32(65535);
  u32(1);
  frames.forEach((frame, i) => {
    u32(1000 + i);
    u32(250000);
    u32(frame.length);
    u32(frame.length);
    parts.push(...frame);
  });
  return new Uint8Array(parts);
}

/** An Ethernet/IPv4/TCP frame from 10.0.0.1:port to 10.0.0.2:6653 (or back with `reverse`). */
function tcpFrame(seq: number, flags: number, data: Uint8Array, reverse = false): Uint8Array {
  const eth = hexToBytes("505400000002505400000001" + "0800");
  const totalLength = 20 + 20 + data.length;
  const [a, b] = reverse ? [2, 1] : [1, 2];
  const [sport, dport] = reverse ? [6653, 40000] : [40000, 6653];
  const ip = [
    0x45,
    0,
    totalLength >> 8,
    totalLength & 0xff,
    0,
    0,
    0x40,
    0,
    64,
    6,
    0,
    0,
    10,
    0,
    0,
    a,
    10,
    0,
    0,
    b,
  ];
  const tcp = [
    sport >> 8,
    sport & 0xff,
    dport >> 8,
    dport & 0xff,
    seq >>> 24,
    (seq >> 16) & 0xff,
    (seq >> 8) & 0xff,
    seq & 0xff,
    0,
    0,
    0,
    0,
    0x50,
    flags,
    0xff,
    0xff,
    0,
    0,
    0,
    0,
  ];
  return new Uint8Array([...eth, ...ip, ...tcp, ...data]);
}

testIf(REAL, "ovs-ofctl's offline commands print what the real one prints", async () => {
  const { dir, env } = await ovsDirs();
  try {
    const corpus = `${dir}/corpus.bin`;
    const chunks = OFP_PRINT_CORPUS.map(hexToBytes);
    const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) {
      all.set(c, at);
      at += c.length;
    }
    await Deno.writeFile(corpus, all);
    await Deno.writeTextFile(`${dir}/flows.txt`, FLOWS);
    await Deno.writeTextFile(`${dir}/flows13.txt`, FLOWS_OF13);
    await Deno.writeFile(`${dir}/short.bin`, all.subarray(0, 5));
    const frames = [
      "505400000005000000000007080045000014000000004000ffffffff00000000",
      "5054000000050000000000078100000508004500001c0000000040110000c0a80001c0a800020035003500080000",
      "ffffffffffff0000000000070806000108000604000100000000000701020304000000000000ffffffff",
    ].map(hexToBytes);
    await Deno.writeFile(`${dir}/frames.pcap`, pcapFile(frames));
    await Deno.writeFile(`${dir}/frame.bin`, frames[1]!);
    // An OpenFlow conversation: SYN, a hello and an echo in one segment, a features request
    // split across two, and the switch's hello the other way.
    const hello = hexToBytes(OFP_PRINT_CORPUS[0]!);
    const echo = hexToBytes("0102000800000005");
    const features = hexToBytes("0105000800000006");
    const stream = [
      tcpFrame(99, 0x02, new Uint8Array()),
      tcpFrame(100, 0x18, new Uint8Array([...hello, ...echo])),
      tcpFrame(100 + hello.length + 8, 0x18, features.subarray(0, 5)),
      tcpFrame(100 + hello.length + 13, 0x18, features.subarray(5)),
      tcpFrame(500, 0x02, new Uint8Array(), true),
      tcpFrame(501, 0x18, hexToBytes("0100000800000001"), true),
    ];
    await Deno.writeFile(`${dir}/openflow.pcap`, pcapFile(stream));
    const cases: Case[] = [
      { args: ["ofp-parse", corpus] },
      { args: ["ofp-parse", `${dir}/short.bin`] },
      { args: ["ofp-parse", `${dir}/nonexistent.bin`] },
      { args: ["ofp-print", OFP_PRINT_CORPUS[1]!, "1"] },
      { args: ["ofp-print", OFP_PRINT_CORPUS[2]!, "5"] },
      { args: ["ofp-print", "-"], stdin: OFP_PRINT_CORPUS[3]! + "\n" },
      { args: ["ofp-print", "0100"] },
      { args: ["ofp-print", "01000010000000"] },
      { args: ["ofp-print", "010000080000000199"] },
      { args: ["ofp-print", "0100000800000001 zz"] },
      { args: ["encode-hello", "0x2"] },
      { args: ["encode-hello", "0x7e"] },
      { args: ["encode-hello", "0x12"] },
      { args: ["encode-hello", "0x1"] },
      { args: ["print-error", "OFPBAC_BAD_OUT_PORT"] },
      { args: ["print-error", "OFPBIC_BAD_TABLE_ID"] },
      { args: ["print-error", "NXBRC_BAD_REASON"] },
      { args: ["print-error", "NO_SUCH_ERROR"] },
      { args: ["encode-error-reply", "OFPBRC_BAD_TYPE", "0100000c00000001deadbeef"] },
      { args: ["encode-error-reply", "OFPBRC_BAD_TYPE", "01000008"] },
      { args: ["parse-flows", `${dir}/flows.txt`] },
      { args: ["-F", "nxm", "parse-flows", `${dir}/flows.txt`] },
      { args: ["-O", "OpenFlow13", "parse-flows", `${dir}/flows.txt`] },
      { args: ["-O", "OpenFlow15", "parse-flows", `${dir}/flows13.txt`] },
      { args: ["parse-flows", `${dir}/flows13.txt`] },
      { args: ["parse-flows", `${dir}/nonexistent.txt`] },
      { args: ["parse-flow", "tcp,tp_dst=80,actions=drop"] },
      { args: ["parse-flow", "tcp,tp_dst=80"] },
      { args: ["parse-flow", "nosuchfield=1,actions=drop"] },
      { args: ["parse-group", "group_id=1,type=select,bucket=output:1,bucket=output:2"] },
      { args: ["-O", "OpenFlow15", "parse-group", "group_id=2,type=all,bucket=output:1"] },
      { args: ["parse-nxm"], stdin: NXM_LINES },
      { args: ["--strict", "parse-nxm"], stdin: NXM_LINES },
      { args: ["parse-oxm", "OpenFlow12"], stdin: OXM_LINES },
      { args: ["parse-oxm", "OpenFlow10"], stdin: OXM_LINES },
      { args: ["parse-actions", "OpenFlow10"], stdin: OFP10_ACTIONS },
      { args: ["parse-instructions", "OpenFlow13"], stdin: OFP13_INSTRUCTIONS },
      { args: ["parse-actions", "OpenFlow99"], stdin: OFP10_ACTIONS },
      { args: ["parse-ofp10-match"], stdin: OFP10_MATCHES },
      { args: ["parse-ofp11-match"], stdin: OFP11_MATCHES },
      { args: ["parse-key-value", "a=1,b:2 c(3) d", "e"] },
      { args: ["parse-pcap", `${dir}/frames.pcap`] },
      { args: ["parse-pcap", `${dir}/frames.pcap`, `${dir}/nonexistent.pcap`] },
      { args: ["ofp-parse-pcap", `${dir}/openflow.pcap`] },
      { args: ["--timestamp", "ofp-parse-pcap", `${dir}/openflow.pcap`, "6653"] },
      { args: ["ofp-parse-pcap", `${dir}/openflow.pcap`, "1234"] },
      { args: ["compose-packet", "udp,nw_src=1.2.3.4,nw_dst=5.6.7.8,tp_src=5,tp_dst=53"] },
      { args: ["compose-packet", "tcp6,ipv6_src=::1,tcp_flags=ack"] },
      { args: ["compose-packet", "in_port=5,arp,arp_op=2"] },
      { args: ["compose-packet", "udp,nw_src=1.2.3.4,tp_dst=53"] },
      { args: ["check-vlan", "1001", "ffff"] },
      { args: ["check-vlan", "0000", "e000"] },
      { args: ["check-vlan", "0123", "0fff"] },
      { args: ["list-commands"] },
      { args: ["--option"] },
      { args: ["--version"] },
    ];
    const mismatches = await compare(cases, env);
    // parse-packet reads binary standard input, which only a shell redirection gives here.
    const real = await run("sh", ["-c", `ovs-ofctl parse-packet < ${dir}/frame.bin`], env);
    const ours = await run("sh", [
      "-c",
      `"${Deno.execPath()}" run -A --quiet ${MAIN} ovs-ofctl parse-packet < ${dir}/frame.bin`,
    ], env);
    if (ours.stdout !== real.stdout || ours.code !== real.code) {
      mismatches.push(
        `ovs-ofctl parse-packet: stdout\n--- real\n${real.stdout}--- ours\n${ours.stdout}`,
      );
    }
    assert.deepEqual(mismatches.map((m) => m.split("\n")[0]), [], mismatches.join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
