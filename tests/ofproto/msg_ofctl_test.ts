// What the real ovs-ofctl sends a switch for flow, packet-out, flow-dump, meter and group text is
// what our parsers and encoders build from the same text (byte for byte, xids aside), and what it
// prints for flow dumps our encoders answer with is what our formatters print. A fake switch on
// unix sockets stands in for the switch (tests/ofproto/msg_support.ts).

import assert from "node:assert/strict";
import { OfpError, ParseError } from "../../core/ofproto/errors.ts";
import { vlogSetConsoleEnabled } from "../../core/net/vlog.ts";
import { parseMatch } from "../../core/ofproto/match_text.ts";
import {
  P_OF10_NXM,
  P_OF10_NXM_TID,
  P_OF10_STD,
  P_OF10_STD_TID,
  type Protocols,
} from "../../core/ofproto/protocols.ts";
import {
  encodeFlowMod,
  OFPFC_ADD,
  OFPFC_DELETE,
  OFPFC_DELETE_STRICT,
  OFPFC_MODIFY,
  OFPFC_MODIFY_STRICT,
} from "../../core/ofproto/msg/flow_mod.ts";
import {
  FLOW_CMD_ANY,
  parseFlowModStr,
  parseFlowStatsRequestStr,
} from "../../core/ofproto/msg/flow_text.ts";
import {
  appendFlowStats,
  decodeFlowStatsReply,
  encodeFlowStatsRequest,
  type FlowStats,
  formatFlowStats,
} from "../../core/ofproto/msg/flow_stats.ts";
import { encodePacketOut } from "../../core/ofproto/msg/packet.ts";
import { parsePacketOutStr } from "../../core/ofproto/msg/packet_out_text.ts";
import {
  encodeMeterMod,
  encodeMeterRequest,
  type MeterRequestType,
  OFPM13_ALL,
  OFPMC13_ADD,
  OFPMC13_DELETE,
  OFPMC13_MODIFY,
  parseMeterMod,
} from "../../core/ofproto/msg/meter.ts";
import {
  encodeGroupMod,
  OFPGC11_ADD,
  OFPGC11_ADD_OR_MOD,
  OFPGC11_DELETE,
  OFPGC11_MODIFY,
  OFPGC15_INSERT_BUCKET,
  OFPGC15_REMOVE_BUCKET,
} from "../../core/ofproto/msg/group.ts";
import { parseGroupModStr } from "../../core/ofproto/msg/group_text.ts";
import { MultipartReply } from "../../core/ofproto/msg/multipart.ts";
import { parseActionList } from "../../core/ofproto/msg/ofpacts.ts";
import { protocolFromVersion } from "../../core/ofproto/msg/protocol.ts";
import { pullRaw } from "../../core/ofproto/msg/raw.ts";
import { encodeCtFlush, newCtMatch, parseCtTuple } from "../../core/ofproto/msg/ct.ts";
import {
  encodeTlvTableMod,
  NXTTMC_ADD,
  NXTTMC_DELETE,
  parseTlvTableMod,
} from "../../core/ofproto/msg/tlv_table.ts";
import { encodeBundleMsgs, parseBundleFile } from "../../core/ofproto/msg/bundle_text.ts";
import { encodeBundleAdd, OFPBF_ATOMIC, OFPBF_ORDERED } from "../../core/ofproto/msg/bundle.ts";
import { testIf } from "../support/skip.ts";
import { bytesToHex, FakeSwitch, fatalLines, NEED_OFCTL, runOfctlMany } from "./msg_support.ts";
import { FLOW_CORPUS, GROUP_CORPUS } from "./msg_text_corpus.ts";

vlogSetConsoleEnabled(false);

/** One command line and how we build the message it sends (undefined: what we fail with). */
interface Case {
  args: (target: string) => string[];
  /** Picks the message under test among those ovs-ofctl sent. */
  pick: (msgs: Uint8Array[]) => Uint8Array | undefined;
  /** Our message for the version/protocol ovs-ofctl settled on (read off its message). */
  build: (sent: Uint8Array | undefined, msgs: Uint8Array[]) => Uint8Array | undefined;
  label: string;
}

const noXid = (b: Uint8Array) => {
  const c = b.slice();
  c.fill(0, 4, 8);
  return bytesToHex(c);
};

/** The protocol a flow mod or flow stats request was sent in, from it and the messages before. */
function protocolOf(msg: Uint8Array, before: Uint8Array[]): Protocols {
  const v = msg[0]!;
  if (v > 1) return protocolFromVersion(v);
  let tid = false;
  for (const m of before) {
    if (m === msg) break;
    const raw = pullRaw(m);
    if (raw.info.raw === "NXT_FLOW_MOD_TABLE_ID") tid = m[16] === 1;
  }
  const nx = msg[1] === 4 || (msg[1] === 16 && msg[8] === 0xff && msg[9] === 0xff);
  return nx ? (tid ? P_OF10_NXM_TID : P_OF10_NXM) : (tid ? P_OF10_STD_TID : P_OF10_STD);
}

function typeIs(...types: string[]) {
  return (msgs: Uint8Array[]) => msgs.find((m) => types.includes(pullRaw(m).info.type));
}

async function runCases(cases: Case[]): Promise<void> {
  const sw = new FakeSwitch(cases.length);
  const failures: string[] = [];
  try {
    const real = await runOfctlMany([], cases.map((c, i) => c.args(sw.target(i))));
    cases.forEach((c, i) => {
      const msgs = sw.received(i);
      const sent = c.pick(msgs);
      let ours: Uint8Array | undefined;
      let ourError: string | undefined;
      try {
        ours = c.build(sent, msgs);
      } catch (e) {
        if (!(e instanceof ParseError || e instanceof OfpError)) throw e;
        ourError = `ovs-ofctl: ${e.message}`;
      }
      const realErrors = fatalLines(real[i]!.stderr);
      if (ourError !== undefined) {
        if (sent || realErrors[0] !== ourError) {
          failures.push(`${c.label}: we fail with ${ourError}, real: ${realErrors.join("|")}`);
        }
      } else if (!sent) {
        // ovs-ofctl gave up before sending (e.g. no usable protocol): not a text difference.
        if (!realErrors.length) failures.push(`${c.label}: nothing sent, no error`);
      } else if (!ours || noXid(ours) !== noXid(sent)) {
        failures.push(`${c.label}\n real ${bytesToHex(sent)}\n ours ${ours && bytesToHex(ours)}`);
      }
    });
  } finally {
    await sw.close();
  }
  assert.deepEqual(failures, [], `${failures.length} of ${cases.length}`);
}

const OWNED_ELSEWHERE = /tun_metadata|nsh_|erspan|debug_slow|debug_recirc|dec_nsh_ttl|ovs-p/;

testIf(NEED_OFCTL, "flow mods ovs-ofctl sends for every command are the ones we build", () => {
  const flows = FLOW_CORPUS.filter((f, i) => i % 6 === 0 && !OWNED_ELSEWHERE.test(f));
  const commands: [string[], number][] = [
    [["add-flow"], OFPFC_ADD],
    [["mod-flows"], OFPFC_MODIFY],
    [["--strict", "mod-flows"], OFPFC_MODIFY_STRICT],
    [["del-flows"], OFPFC_DELETE],
    [["--strict", "del-flows"], OFPFC_DELETE_STRICT],
  ];
  const cases: Case[] = [];
  for (const mode of [[], ["-O", "OpenFlow13"]]) {
    for (const [cmd, command] of commands) {
      for (const flow of flows) {
        cases.push({
          label: `${mode.join(" ")} ${cmd.join(" ")} ${JSON.stringify(flow)}`,
          args: (t) => [...mode, ...cmd, t, flow],
          pick: typeIs("FLOW_MOD"),
          build: (sent, msgs) => {
            const { fm } = parseFlowModStr(flow, command);
            return sent && encodeFlowMod(fm, protocolOf(sent, msgs), 0);
          },
        });
      }
    }
  }
  return runCases(cases);
});

testIf(
  NEED_OFCTL,
  "a flow file's command words select the command of each line's flow mod",
  async () => {
    const lines = [
      "in_port=1,actions=drop",
      "add in_port=2,actions=output:1",
      "modify in_port=3,actions=output:2",
      "modify_strict priority=5,in_port=4,actions=output:3",
      "delete in_port=5",
      "delete_strict priority=7,in_port=6",
      "d in_port=7",
      "mod tcp,actions=drop",
    ];
    const file = await Deno.makeTempFile({ suffix: ".flows" });
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const sw = new FakeSwitch(1);
    try {
      await runOfctlMany([], [["add-flows", sw.target(0), file]], 1);
      const sent = sw.received(0).filter((m) => pullRaw(m).info.type === "FLOW_MOD");
      assert.equal(sent.length, lines.length);
      sent.forEach((m, i) => {
        const { fm } = parseFlowModStr(lines[i]!, FLOW_CMD_ANY);
        assert.equal(
          noXid(encodeFlowMod(fm, protocolOf(m, sw.received(0)), 0)),
          noXid(m),
          lines[i],
        );
      });
    } finally {
      await sw.close();
      await Deno.remove(file);
    }
  },
);

const PACKET = "505400000005505400000006080045000028bd1200004006" + "0".repeat(40);
const PACKET_OUTS = [
  `in_port=1,packet=${PACKET},actions=output:2`,
  `packet=${PACKET},actions=drop`,
  `in_port=LOCAL,packet=${PACKET},actions=output:1,output:3`,
  `in_port=CONTROLLER,packet=${PACKET},actions=flood`,
  `in_port=NONE,packet=${PACKET},actions=drop`,
  `in_port=65281,packet=${PACKET},actions=drop`,
  `in_port=foo,packet=${PACKET},actions=drop`,
  `in_port=1,packet=0011,actions=drop`,
  `in_port=1,packet=${PACKET}zz,actions=drop`,
  `in_port=1,actions=drop`,
  `in_port=1,packet=${PACKET}`,
  `in_port=1,packet=${PACKET},action`,
  `in_port=1,packet=${PACKET},tun_id=5,metadata=0x5,reg0=1,actions=drop`,
  `in_port=1,packet=${PACKET},ip_src=1.2.3.4,actions=drop`,
  `in_port=1,packet=${PACKET},foo=1,actions=drop`,
  `in_port=1,packet=${PACKET},packet_type=(1,0x800),actions=drop`,
  `in_port=1,packet=${PACKET},packet_type(1,0x800),actions=drop`,
  `in_port=1,packet=${PACKET},packet_type=5,actions=drop`,
  `in_port=1,packet=${PACKET},actions=goto_table:1`,
  `in_port=1 packet=${PACKET} actions=output:2`,
  `in_port=1,packet=,actions=drop`,
  `in_port=1,packet=${PACKET.slice(0, 28)} ${PACKET.slice(28)},actions=drop`,
  `in_port=1,packet=${PACKET},actions=set_field:1->reg0,output:2,controller`,
];

testIf(NEED_OFCTL, "packet-outs ovs-ofctl sends are the ones we build from the same text", () => {
  const cases: Case[] = [];
  for (const mode of [[], ["-O", "OpenFlow11"], ["-O", "OpenFlow13"], ["-O", "OpenFlow15"]]) {
    for (const text of PACKET_OUTS) {
      cases.push({
        label: `${mode.join(" ")} packet-out ${JSON.stringify(text)}`,
        args: (t) => [...mode, "packet-out", t, text],
        pick: typeIs("PACKET_OUT"),
        build: (sent) => {
          const { po } = parsePacketOutStr(text);
          return sent && encodePacketOut(po, sent[0]!, 0);
        },
      });
    }
  }
  return runCases(cases);
});

const DUMP_CRITERIA = [
  "",
  "tcp",
  "table=1",
  "out_port=1",
  "out_group=1",
  "cookie=1/-1",
  "cookie=1",
  "cookie=0x10/0xf0,table=3",
  "in_port=1,ip,nw_src=1.2.3.4",
  "priority=5",
  "foo=1",
  "table=x",
  "reg0=1",
  "actions=drop",
  "out_port=LOCAL",
  "duration=1s,n_packets=5",
  "idle_timeout=5",
  "metadata=1/1",
];

testIf(NEED_OFCTL, "flow stats requests ovs-ofctl sends are the ones we build", () => {
  const cases: Case[] = [];
  for (const mode of [[], ["-O", "OpenFlow13"], ["-O", "OpenFlow15"]]) {
    for (const cmd of ["dump-flows", "dump-aggregate"]) {
      for (const text of DUMP_CRITERIA) {
        cases.push({
          label: `${mode.join(" ")} ${cmd} ${JSON.stringify(text)}`,
          args: (t) => [...mode, cmd, t, ...(text ? [text] : [])],
          pick: typeIs("FLOW_STATS_REQUEST", "AGGREGATE_STATS_REQUEST"),
          build: (sent, msgs) => {
            const { fsr } = parseFlowStatsRequestStr(text, cmd === "dump-aggregate");
            return sent && encodeFlowStatsRequest(fsr, protocolOf(sent, msgs), 0);
          },
        });
      }
    }
  }
  return runCases(cases);
});

const METERS = [
  "meter=1,kbps,band=type=drop,rate=1000",
  "meter=1,pktps,burst,stats,band=type=drop,rate=10,burst_size=5",
  "meter=2,kbps,band=type=dscp_remark,rate=100,prec_level=1",
  "meter=3,band=type=drop,rate=1,type=drop,rate=2",
  "meter=controller,kbps,band=type=drop,rate=1",
  "meter=x,kbps,band=type=drop,rate=1",
  "meter=1,kbps",
  "meter=1,kbps,band=type=foo,rate=1",
  "meter=1,kbps,band=type=drop",
  "meter=1,foo,band=type=drop,rate=1",
  "meter=1,kbps,band=type=dscp_remark,rate=1,prec_level=300",
  "meter",
  "meter=",
];

testIf(NEED_OFCTL, "meter mods and requests ovs-ofctl sends are the ones we build", () => {
  const cases: Case[] = [];
  const mods: [string, number][] = [["add-meter", OFPMC13_ADD], ["mod-meter", OFPMC13_MODIFY]];
  const requests: [string, number | MeterRequestType][] = [
    ["del-meter", OFPMC13_DELETE],
    ["dump-meters", "config"],
    ["meter-stats", "stats"],
  ];
  for (const mode of [["-O", "OpenFlow13"], ["-O", "OpenFlow15"]]) {
    const v = mode[1] === "OpenFlow13" ? 4 : 6;
    for (const [cmd, command] of mods) {
      for (const text of METERS) {
        cases.push({
          label: `${mode.join(" ")} ${cmd} ${text}`,
          args: (t) => [...mode, cmd, t, text],
          pick: typeIs("METER_MOD"),
          build: () => encodeMeterMod(parseMeterMod(text, command).mm, v, 0),
        });
      }
    }
    for (const [cmd, what] of requests) {
      for (const text of ["", "meter=1", "meter=all", "meter=x", "meter=1,kbps", "foo=1"]) {
        cases.push({
          label: `${mode.join(" ")} ${cmd} ${text}`,
          args: (t) => [...mode, cmd, t, ...(text ? [text] : [])],
          pick: typeIs("METER_MOD", "METER_CONFIG_STATS_REQUEST", "METER_STATS_REQUEST"),
          build: () => {
            const id = text
              ? parseMeterMod(text, typeof what === "number" ? what : -1).mm.meter.meterId
              : OFPM13_ALL;
            return typeof what === "number"
              ? encodeMeterMod({ command: what, meter: { meterId: id, flags: 0, bands: [] } }, v, 0)
              : encodeMeterRequest(v, what, id, 0);
          },
        });
      }
    }
  }
  return runCases(cases);
});

testIf(NEED_OFCTL, "group mods ovs-ofctl sends are the ones we build", () => {
  const cases: Case[] = [];
  const groups = GROUP_CORPUS.filter((_, i) => i % 2 === 0);
  const commands: [string, number, string[][]][] = [
    ["add-group", OFPGC11_ADD, [[], ["-O", "OpenFlow11"], ["-O", "OpenFlow13"], [
      "-O",
      "OpenFlow15",
    ]]],
    ["mod-group", OFPGC11_MODIFY, [["-O", "OpenFlow13"], ["-O", "OpenFlow15"]]],
    ["--may-create mod-group", OFPGC11_ADD_OR_MOD, [["-O", "OpenFlow15"]]],
  ];
  const texts = (cmd: string) =>
    cmd === "del-groups" ? ["", "group_id=1", "group_id=all", "group_id=x"] : groups;
  commands.push(["del-groups", OFPGC11_DELETE, [[], ["-O", "OpenFlow13"]]]);
  commands.push(["insert-buckets", OFPGC15_INSERT_BUCKET, [["-O", "OpenFlow15"]]]);
  commands.push(["remove-buckets", OFPGC15_REMOVE_BUCKET, [["-O", "OpenFlow15"]]]);
  const bucketTexts = [
    "group_id=1,command_bucket_id=first,bucket=output:1",
    "group_id=1,command_bucket_id=last,bucket=bucket_id:5,output:1,bucket=output:2",
    "group_id=1,command_bucket_id=7,bucket=output:1",
    "group_id=1,bucket=output:1",
    "group_id=1,command_bucket_id=all,bucket=output:1",
    "group_id=1,command_bucket_id=all",
    "group_id=1,command_bucket_id=3",
    "group_id=1",
    "group_id=1,command_bucket_id=4294967041",
  ];
  for (const [cmd, command, modes] of commands) {
    const list = cmd.endsWith("-buckets") ? bucketTexts : texts(cmd);
    for (const mode of modes) {
      for (const text of list) {
        cases.push({
          label: `${mode.join(" ")} ${cmd} ${JSON.stringify(text)}`,
          args: (t) => [...mode, ...cmd.split(" "), t, ...(text ? [text] : [])],
          pick: typeIs("GROUP_MOD"),
          build: (sent) => {
            const { gm } = parseGroupModStr(text, command);
            return sent && encodeGroupMod(gm, sent[0]!, 0);
          },
        });
      }
    }
  }
  return runCases(cases);
});

function dumpFlows(): FlowStats[] {
  return [0, 1, 2, 3].map((i) => ({
    match: parseMatch(i ? `tcp,in_port=${i},tp_dst=${80 + i}` : ""),
    cookie: BigInt(i * 0x10),
    tableId: i,
    durationSec: 10 + i,
    durationNsec: 500000000,
    priority: i ? 100 * i : 0x8000,
    idleTimeout: i * 5,
    hardTimeout: i === 3 ? 60 : 0,
    idleAge: -1,
    hardAge: -1,
    packetCount: BigInt(i * 3),
    byteCount: BigInt(i * 300),
    flags: i === 2 ? 1 : 0,
    importance: 0,
    ofpacts: parseActionList(i === 3 ? "mod_vlan_vid:5,output:1" : `output:${i + 1}`).ofpacts,
  }));
}

testIf(
  NEED_OFCTL,
  "flow dumps of our replies print as our flow-stats formatter prints them",
  async () => {
    const modes = [[], ["-O", "OpenFlow13"], ["-O", "OpenFlow15"]];
    const variants = [["--no-stats"], []];
    const sw = new FakeSwitch(modes.length * variants.length);
    const replies = new Map<string, Uint8Array[]>();
    sw.responder = (msg) => {
      if (pullRaw(msg).info.type !== "FLOW_STATS_REQUEST") return undefined;
      const reply = new MultipartReply(msg);
      for (const f of dumpFlows()) appendFlowStats(reply, f);
      const parts = reply.finish();
      replies.set(bytesToHex(msg.subarray(0, 2)), parts);
      return parts;
    };
    try {
      const invocations: string[][] = [];
      for (const mode of modes) {
        for (const v of variants) invocations.push([...mode, ...v, "dump-flows"]);
      }
      const real = await runOfctlMany([], invocations.map((a, i) => [...a, sw.target(i)]), 1);
      invocations.forEach((args, i) => {
        const noStats = args.includes("--no-stats");
        const version = args.includes("OpenFlow15") ? 6 : args.includes("OpenFlow13") ? 4 : 1;
        const parts = [...replies.entries()].find(([k]) =>
          parseInt(k.slice(0, 2), 16) === version
        )!;
        const decoded = parts[1].flatMap((p) => decodeFlowStatsReply(p));
        if (noStats) {
          const expected = decoded.map((f) => ` ${formatFlowStats(f, { showStats: false })}\n`)
            .join(
              "",
            );
          assert.equal(real[i]!.stdout, expected, args.join(" "));
        } else {
          const lines = real[i]!.stdout.split("\n").slice(1, -1);
          assert.deepEqual(
            lines,
            decoded.map((f) => ` ${formatFlowStats(f, { showStats: true })}`),
            args.join(" "),
          );
        }
      });
    } finally {
      await sw.close();
    }
  },
);

testIf(
  NEED_OFCTL,
  "a bundle file's messages are sent in bundle adds as we encode them",
  async () => {
    const contents = [
      "flow add in_port=1,actions=drop",
      "# a comment",
      "group group_id=1,type=all,bucket=output:1",
      `packet-out in_port=1,packet=${PACKET},actions=output:2`,
      "f delete in_port=2",
      "flow modify_strict priority=7,ip,actions=output:4",
      "g add_or_mod group_id=2,type=select,bucket=output:1,bucket=output:2",
      "group delete group_id=2",
    ].join("\n") + "\n";
    const file = await Deno.makeTempFile({ suffix: ".bundle" });
    await Deno.writeTextFile(file, contents);
    const sw = new FakeSwitch(1);
    try {
      const real = await runOfctlMany([], [["-O", "OpenFlow14", "bundle", sw.target(0), file]], 1);
      assert.equal(real[0]!.code, 0, real[0]!.stderr);
      const adds = sw.received(0).filter((m) => pullRaw(m).info.type === "BUNDLE_ADD_MESSAGE");
      const { bms } = parseBundleFile(contents, file);
      const ours = encodeBundleMsgs(bms, protocolFromVersion(5)).map((inner) =>
        encodeBundleAdd({ bundleId: 0, flags: OFPBF_ATOMIC | OFPBF_ORDERED, msg: inner }, 5)
      );
      const strip = (b: Uint8Array) => {
        const c = b.slice();
        c.fill(0, 4, 8);
        c.fill(0, 20, 24);
        return bytesToHex(c);
      };
      assert.deepEqual(adds.map(strip), ours.map(strip));
    } finally {
      await sw.close();
      await Deno.remove(file);
    }
    assert.throws(
      () => parseBundleFile("flow actions=drop\nmeter meter=1\n", "b.txt"),
      (e: unknown) =>
        e instanceof ParseError && e.message === "b.txt:2: Unsupported bundle message type: meter",
    );
  },
);

const CT_TUPLES: string[][] = [
  ["ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.2,ct_nw_proto=6,ct_tp_src=1,ct_tp_dst=2"],
  ["ct_nw_src=10.0.0.1", "ct_nw_dst=10.0.0.9"],
  ["ct_ipv6_src=fd00::1,ct_ipv6_dst=fd00::2,ct_nw_proto=17,ct_tp_dst=53"],
  ["ct_nw_proto=1,icmp_type=8,icmp_code=0,icmp_id=5,ct_nw_src=1.1.1.1"],
  ["ct_nw_proto=58,icmp_id=7", "icmp_type=129"],
  ["ct_nw_src=10.0.0.1", "ct_ipv6_dst=fd00::1"],
  ["ct_nw_src=10.0.0.1,ct_nw_src=10.0.0.2"],
  ["ct_foo=1"],
  ["ct_nw_src=300.0.0.1"],
  ["ct_tp_src=5"],
  ["icmp_type=1"],
  ["ct_nw_proto=256"],
  ["ct_nw_src"],
  ["ct_tp_dst=70000,ct_nw_proto=6"],
  ["ct_nw_proto=6,ct_nw_proto=17,ct_foo=1"],
  ["ct_nw_proto=6", "ct_nw_proto=6,ct_tp_src=x"],
  ["ct_nw_proto=+6,ct_tp_src= 7"],
  ["ct_nw_proto=0x11,ct_tp_dst=010"],
  [],
];

testIf(
  NEED_OFCTL,
  "conntrack flushes ovs-ofctl sends are the ones we build from the tuples",
  () => {
    const cases: Case[] = [];
    for (const zone of [undefined, 5]) {
      for (const tuples of CT_TUPLES) {
        const zoneArgs = zone === undefined ? [] : [`zone=${zone}`];
        cases.push({
          label: `ct-flush ${[...zoneArgs, ...tuples].join(" ")}`,
          args: (t) => ["ct-flush", t, ...zoneArgs, ...tuples],
          pick: typeIs("CT_FLUSH"),
          build: () => {
            const match = newCtMatch();
            tuples.forEach((text, i) => {
              const error = parseCtTuple(i ? match.reply : match.orig, text, match);
              if (error !== undefined) throw new ParseError(`Failed to parse ct-tuple: ${error}`);
            });
            return encodeCtFlush(match, zone, 1, 0);
          },
        });
      }
    }
    for (
      const spec of [
        "{class=0xffff,type=1,len=4}->tun_metadata0",
        "{class=0x1,type=0x80,len=124}->tun_metadata63,{class=2,type=3,len=8}->tun_metadata1",
        "{class=1,type=2}->tun_metadata0",
        "bogus",
      ]
    ) {
      for (
        const [cmd, command] of [["add-tlv-map", NXTTMC_ADD], [
          "del-tlv-map",
          NXTTMC_DELETE,
        ]] as const
      ) {
        cases.push({
          label: `${cmd} ${spec}`,
          args: (t) => [cmd, t, spec],
          pick: typeIs("NXT_TLV_TABLE_MOD"),
          build: () => {
            const r = parseTlvTableMod(command, spec);
            if ("error" in r) throw new ParseError(r.error);
            return encodeTlvTableMod(r.ttm, 1, 0);
          },
        });
      }
    }
    return runCases(cases);
  },
);
