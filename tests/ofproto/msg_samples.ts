// Sample OpenFlow messages built from the version-free models of core/ofproto/msg with its
// encoders, for every message kind in every version that has it. Each sample knows how to
// decode itself back to a model, so the same table drives the round-trip test (model -> wire ->
// model), the encoder differential (our bytes printed by the real ovs-ofctl) and the fuzz seeds.

import { Match } from "../../core/ofproto/match.ts";
import { parseMatch } from "../../core/ofproto/match_text.ts";
import {
  P_OF10_NXM,
  P_OF10_NXM_TID,
  P_OF10_STD,
  P_OF10_STD_TID,
  type Protocols,
} from "../../core/ofproto/protocols.ts";
import { WireReader } from "../../core/ofproto/wire.ts";
import * as bundle from "../../core/ofproto/msg/bundle.ts";
import * as conn from "../../core/ofproto/msg/connection.ts";
import * as ct from "../../core/ofproto/msg/ct.ts";
import * as fmod from "../../core/ofproto/msg/flow_mod.ts";
import * as fstats from "../../core/ofproto/msg/flow_stats.ts";
import * as group from "../../core/ofproto/msg/group.ts";
import * as gstats from "../../core/ofproto/msg/group_stats.ts";
import * as hello from "../../core/ofproto/msg/hello.ts";
import * as meter from "../../core/ofproto/msg/meter.ts";
import * as monitor from "../../core/ofproto/msg/monitor.ts";
import { MultipartReply } from "../../core/ofproto/msg/multipart.ts";
import { parseActionList, parseInstructions } from "../../core/ofproto/msg/ofpacts.ts";
import * as packet from "../../core/ofproto/msg/packet.ts";
import * as port from "../../core/ofproto/msg/port.ts";
import * as pstats from "../../core/ofproto/msg/port_stats.ts";
import * as proto from "../../core/ofproto/msg/protocol.ts";
import * as queue from "../../core/ofproto/msg/queue.ts";
import { pullRaw } from "../../core/ofproto/msg/raw.ts";
import * as sw from "../../core/ofproto/msg/switch.ts";
import * as table from "../../core/ofproto/msg/table.ts";
import * as tstats from "../../core/ofproto/msg/table_stats.ts";
import * as tlv from "../../core/ofproto/msg/tlv_table.ts";

export const VERSIONS = [1, 2, 3, 4, 5, 6] as const;

/** One encoded message with the model it came from and the way back. */
export interface Sample {
  name: string;
  bytes: Uint8Array;
  /** The model encoded, and the model decoded from `bytes` (compared deeply). */
  model?: unknown;
  decode?: (bytes: Uint8Array) => unknown;
  /** For models a decoder completes (defaults, normalized matches): re-encode the decoded model. */
  reencode?: (bytes: Uint8Array) => Uint8Array;
}

const PACKET = new Uint8Array([
  0x50,
  0x54,
  0x00,
  0x00,
  0x00,
  0x06,
  0x50,
  0x54,
  0x00,
  0x00,
  0x00,
  0x05,
  0x08,
  0x00,
  0x45,
  0x00,
  0x00,
  0x28,
  0xbd,
  0x12,
  0x00,
  0x00,
  0x40,
  0x06,
  0x3c,
  0x6a,
  0xc0,
  0xa8,
  0x00,
  0x01,
  0xc0,
  0xa8,
  0x00,
  0x02,
  0x27,
  0x2f,
  0x00,
  0x00,
  0x78,
  0x50,
  0xcc,
  0x5b,
  0x57,
  0xaf,
  0x42,
  0x1e,
  0x50,
  0x02,
  0x02,
  0x00,
  0x26,
  0xe8,
  0x00,
  0x00,
]);

function actions(text: string) {
  return parseActionList(text).ofpacts;
}

function inPortMatch(portNo: number): Match {
  return parseMatch(`in_port=${portNo}`);
}

function protocolsFor(version: number): Protocols[] {
  return version === 1 ? [P_OF10_STD, P_OF10_STD_TID, P_OF10_NXM, P_OF10_NXM_TID] : [
    proto.protocolFromVersion(version),
  ];
}

function protoName(p: Protocols): string {
  return proto.protocolToString(p) ?? String(p);
}

function phyPort(n: number, version: number): port.PhyPort {
  const f = port.NETDEV_F;
  const curr = f._1GB_FD | f.COPPER;
  const supported = f._1GB_FD | f._10GB_FD;
  return {
    portNo: n,
    hwAddr: new Uint8Array([0x50, 0x54, 0x00, 0x00, 0x00, n & 0xff]),
    name: `eth${n}`,
    config: port.OFPPC_NO_RECV,
    state: port.OFPPS_LINK_DOWN | (version >= 2 ? port.OFPPS_LIVE : 0),
    curr,
    advertised: f._1GB_FD,
    supported,
    peer: 0,
    // OpenFlow 1.0 has no speed fields: decoders derive them from the features.
    currSpeed: version >= 2 ? 1000000 : port.featuresToKbps(curr),
    maxSpeed: version >= 2 ? 10000000 : port.featuresToKbps(supported),
  };
}

function flowMod(command: number, matchText: string, acts: string): fmod.FlowMod {
  return {
    match: parseMatch(matchText),
    priority: 100,
    cookie: 0n,
    cookieMask: 0n,
    newCookie: 0x1234n,
    modifyCookie: false,
    tableId: 0,
    command,
    idleTimeout: 10,
    hardTimeout: 20,
    importance: 0,
    bufferId: 0xffffffff,
    outPort: 0xffff,
    outGroup: gstats.OFPG_ANY,
    flags: fmod.OFPUTIL_FF_SEND_FLOW_REM,
    ofpacts: parseInstructions(acts).ofpacts,
  };
}

function groupMod(version: number): group.GroupMod {
  return {
    command: group.OFPGC11_ADD,
    type: gstats.OFPGT11_SELECT,
    groupId: 7,
    commandBucketId: group.OFPG15_BUCKET_ALL,
    buckets: [
      { weight: 5, watchPort: 0xffff, watchGroup: gstats.OFPG_ANY, bucketId: 0, ofpacts: [] },
      { weight: 10, watchPort: 0xffff, watchGroup: gstats.OFPG_ANY, bucketId: 1, ofpacts: [] },
    ].map((b, i) => ({ ...b, ofpacts: actions(`output:${i + 1}`) })),
    props: version === 6 || version === 1
      ? { selectionMethod: "hash", selectionMethodParam: 0n, fields: [] }
      : group.emptyGroupProps(),
  };
}

function fullMultipart(request: Uint8Array, fill: (r: MultipartReply) => void): Uint8Array {
  const r = new MultipartReply(request);
  fill(r);
  const parts = r.finish();
  if (parts.length !== 1) throw new Error("sample reply split");
  return parts[0]!;
}

/** Every sample. */
export function samples(): Sample[] {
  const out: Sample[] = [];
  const add = (s: Sample) => out.push(s);
  for (const v of VERSIONS) {
    const tag = `OF1.${v - 1}`;
    const bitmap = hello.versionBitmapUpTo(v);
    add({
      name: `hello ${tag}`,
      bytes: hello.encodeHello(bitmap, 1),
      model: { versions: bitmap, ok: true },
      decode: hello.decodeHello,
    });
    const payload = new Uint8Array([1, 2, 3, 4]);
    add({
      name: `echo request ${tag}`,
      bytes: hello.encodeEchoRequest(v, 2, payload),
      model: payload,
      decode: hello.echoPayload,
    });
    add({ name: `barrier request ${tag}`, bytes: hello.encodeBarrierRequest(v, 3) });
    add({ name: `barrier reply ${tag}`, bytes: hello.encodeBarrierReply(v, 3) });
    add({
      name: `features request ${tag}`,
      bytes: hello.encodeEmpty("OFPT_FEATURES_REQUEST", v, 4),
    });

    const features: sw.SwitchFeatures = {
      datapathId: 0x123456789abcn,
      nBuffers: 256,
      nTables: 254,
      auxiliaryId: 0,
      capabilities: sw.OFPUTIL_C_FLOW_STATS | sw.OFPUTIL_C_TABLE_STATS | sw.OFPUTIL_C_PORT_STATS,
      ofpacts: 0n,
    };
    const ports = v <= 3 ? [phyPort(1, v), phyPort(2, v)] : [];
    add({
      name: `features reply ${tag}`,
      bytes: sw.encodeFeaturesReply(features, v, 5, ports),
      model: { features, ports },
      decode: sw.decodeFeaturesReply,
    });
    const config: sw.SwitchConfig = {
      frag: "drop",
      invalidTtlToController: v <= 3 ? true : undefined,
      missSendLen: 128,
    };
    add({
      name: `set config ${tag}`,
      bytes: sw.encodeSetConfig(config, v, 6),
      model: config,
      decode: sw.decodeSetConfig,
    });
    add({
      name: `get config reply ${tag}`,
      bytes: sw.encodeGetConfigReply(config, v, 6),
      model: config,
      decode: sw.decodeGetConfigReply,
    });

    const formats: packet.PacketInFormatName[] = ["standard", "nxt_packet_in", "nxt_packet_in2"];
    for (const format of formats) {
      const pin = packet.newPacketIn(PACKET);
      pin.totalLen = PACKET.length;
      pin.bufferId = 0xffffffff;
      pin.reason = packet.OFPR_ACTION;
      pin.tableId = v === 1 && format === "standard" ? 0 : 3;
      pin.cookie = v <= 2 && format === "standard" ? 0xffffffffffffffffn : 0xabcn;
      pin.flowMetadata = inPortMatch(3);
      add({
        name: `packet in ${format} ${tag}`,
        bytes: packet.encodePacketIn(pin, v, format),
        decode: packet.decodePacketIn,
        reencode: (b) => packet.encodePacketIn(packet.decodePacketIn(b), v, format),
      });
    }

    for (const p of v === 1 ? [P_OF10_STD, P_OF10_NXM] : protocolsFor(v)) {
      const fr: monitor.FlowRemoved = {
        match: parseMatch("tcp,nw_src=10.0.0.1,tp_dst=80"),
        cookie: 0x55n,
        priority: 1000,
        reason: monitor.OFPRR_IDLE_TIMEOUT,
        tableId: v === 1 ? 255 : 2,
        durationSec: 10,
        durationNsec: 5000,
        idleTimeout: 30,
        hardTimeout: v === 1 && p === P_OF10_STD ? 0 : 60,
        packetCount: 7n,
        byteCount: 700n,
      };
      add({
        name: `flow removed ${protoName(p)}`,
        bytes: monitor.encodeFlowRemoved(fr, p),
        decode: monitor.decodeFlowRemoved,
        reencode: (b) => monitor.encodeFlowRemoved(monitor.decodeFlowRemoved(b), p),
      });
    }

    const ps: port.PortStatus = { reason: port.OFPPR_MODIFY, desc: phyPort(4, v) };
    add({
      name: `port status ${tag}`,
      bytes: port.encodePortStatus(ps, v, 7),
      model: ps,
      decode: port.decodePortStatus,
    });
    const pm: port.PortMod = {
      portNo: 4,
      hwAddr: new Uint8Array([0x50, 0x54, 0, 0, 0, 4]),
      config: port.OFPPC_PORT_DOWN,
      mask: port.OFPPC_PORT_DOWN,
      advertise: 0,
    };
    add({
      name: `port mod ${tag}`,
      bytes: port.encodePortMod(pm, v, 8),
      model: pm,
      decode: (b) => port.decodePortMod(b),
    });

    const po: packet.PacketOut = {
      packet: PACKET,
      bufferId: 0xffffffff,
      flowMetadata: inPortMatch(1),
      ofpacts: actions("output:2"),
    };
    add({
      name: `packet out ${tag}`,
      bytes: packet.encodePacketOut(po, v, 9),
      decode: packet.decodePacketOut,
      reencode: (b) => packet.encodePacketOut(packet.decodePacketOut(b), v, 9),
    });

    for (const p of protocolsFor(v)) {
      for (
        const [command, acts] of [
          [fmod.OFPFC_ADD, "output:2"],
          [fmod.OFPFC_MODIFY_STRICT, "mod_vlan_vid:5,output:1"],
          [fmod.OFPFC_DELETE, ""],
        ] as const
      ) {
        const fm = flowMod(command, "ip,in_port=1,nw_dst=10.1.0.0/16", acts);
        if (command === fmod.OFPFC_DELETE) fm.tableId = 0xff;
        add({
          name: `flow mod ${command} ${protoName(p)}`,
          bytes: fmod.encodeFlowMod(fm, p, 10),
          decode: (b) => fmod.decodeFlowMod(b, { protocol: p }),
          reencode: (b) => fmod.encodeFlowMod(fmod.decodeFlowMod(b, { protocol: p }), p, 10),
        });
      }
    }

    const gm = groupMod(v);
    add({
      name: `group mod ${tag}`,
      bytes: group.encodeGroupMod(gm, v, 11),
      decode: group.decodeGroupMod,
      reencode: (b) => group.encodeGroupMod(group.decodeGroupMod(b), v, 11),
    });

    if (v >= 2) {
      const tm = table.defaultTableMod(1);
      if (v <= 3) tm.miss = "controller";
      if (v >= 5) tm.eviction = "on";
      add({
        name: `table mod ${tag}`,
        bytes: table.encodeTableMod(tm, v, 12),
        decode: table.decodeTableMod,
        reencode: (b) => table.encodeTableMod(table.decodeTableMod(b), v, 12),
      });
    }
    if (v >= 4) {
      const mm: meter.MeterMod = {
        command: meter.OFPMC13_ADD,
        meter: {
          meterId: 1,
          flags: meter.OFPMF13_KBPS | meter.OFPMF13_BURST,
          bands: [{ type: meter.OFPMBT13_DROP, rate: 1000, burstSize: 100, precLevel: 0 }],
        },
      };
      add({
        name: `meter mod ${tag}`,
        bytes: meter.encodeMeterMod(mm, v, 13),
        model: mm,
        decode: meter.decodeMeterMod,
      });
    }

    const roles: conn.RoleRequest = {
      role: conn.ROLE_PRIMARY,
      generationId: v >= 3 ? 0x99n : undefined,
    };
    if (v >= 3) {
      const rq = conn.encodeRoleRequest(roles, v, 14);
      add({ name: `role request ${tag}`, bytes: rq, model: roles, decode: conn.decodeRoleMessage });
      add({
        name: `role reply ${tag}`,
        bytes: conn.encodeRoleReply(rq, roles),
        model: roles,
        decode: conn.decodeRoleMessage,
      });
    }
    if (v >= 4) {
      const rs: conn.RoleStatus = {
        role: conn.ROLE_SECONDARY,
        reason: conn.OFPCRR_CONFIG,
        generationId: 5n,
      };
      add({
        name: `role status ${tag}`,
        bytes: conn.encodeRoleStatus(rs, v)!,
        model: rs,
        decode: conn.decodeRoleStatus,
      });
      const ac = conn.defaultAsyncConfig(v);
      add({
        name: `set async ${tag}`,
        bytes: conn.encodeSetAsyncConfig(ac, 0x3f, v, 15),
        decode: (b) => conn.decodeAsyncConfig(b, false),
        reencode: (b) => conn.encodeSetAsyncConfig(conn.decodeAsyncConfig(b, false), 0x3f, v, 15),
      });
      const bc: bundle.BundleCtrl = {
        bundleId: 9,
        type: bundle.OFPBCT_OPEN_REQUEST,
        flags: bundle.OFPBF_ATOMIC,
      };
      add({
        name: `bundle ctrl ${tag}`,
        bytes: bundle.encodeBundleCtrl(bc, v, 16),
        model: bc,
        decode: bundle.decodeBundleCtrl,
      });
      const inner = fmod.encodeFlowMod(
        flowMod(fmod.OFPFC_ADD, "in_port=2", "output:3"),
        proto.protocolFromVersion(v),
        17,
      );
      const ba: bundle.BundleAdd = { bundleId: 9, flags: bundle.OFPBF_ATOMIC, msg: inner };
      add({
        name: `bundle add ${tag}`,
        bytes: bundle.encodeBundleAdd(ba, v),
        model: ba,
        decode: (b) => bundle.decodeBundleAdd(b).add,
      });
    }
    add({
      name: `set packet-in format ${tag}`,
      bytes: conn.encodeSetPacketInFormat("nxt_packet_in2", v, 18),
      model: "nxt_packet_in2",
      decode: conn.decodeSetPacketInFormat,
    });
    add({
      name: `set controller id ${tag}`,
      bytes: conn.encodeSetControllerId(1234, v, 19),
      model: 1234,
      decode: conn.decodeSetControllerId,
    });
    const ctm = ct.newCtMatch();
    ctm.ipProto = 6;
    ct.parseCtTuple(ctm.orig, "ct_nw_src=10.0.0.1,ct_nw_dst=10.0.0.2,ct_tp_src=1,ct_tp_dst=2", ctm);
    add({
      name: `ct flush ${tag}`,
      bytes: ct.encodeCtFlush(ctm, 5, v, 20),
      model: { match: ctm, zoneId: 5 },
      decode: ct.decodeCtFlush,
    });
    add({
      name: `ct flush zone ${tag}`,
      bytes: ct.encodeCtFlushZone(5, v, 21),
      model: 5,
      decode: ct.decodeCtFlushZone,
    });
    const ttm: tlv.TlvTableMod = {
      command: tlv.NXTTMC_ADD,
      mappings: [{ optionClass: 0xffff, optionType: 1, optionLen: 8, index: 3 }],
    };
    add({
      name: `tlv table mod ${tag}`,
      bytes: tlv.encodeTlvTableMod(ttm, v, 22),
      model: ttm,
      decode: tlv.decodeTlvTableMod,
    });

    statsSamples(v, tag, add);
  }
  add({
    name: "set flow format nxm",
    bytes: proto.encodeSetFlowFormat(P_OF10_NXM, 30),
    model: P_OF10_NXM,
    decode: proto.decodeSetFlowFormat,
  });
  add({
    name: "flow mod table id",
    bytes: proto.encodeFlowModTableId(true, 31),
    model: true,
    decode: proto.decodeFlowModTableId,
  });
  return out;
}

function statsSamples(v: number, tag: string, add: (s: Sample) => void): void {
  const p = v === 1 ? P_OF10_NXM : proto.protocolFromVersion(v);
  const fsr: fstats.FlowStatsRequest = {
    aggregate: false,
    match: parseMatch("tcp,tp_dst=80"),
    cookie: 0n,
    cookieMask: 0n,
    outPort: 0xffff,
    outGroup: gstats.OFPG_ANY,
    tableId: 0xff,
  };
  for (const aggregate of [false, true]) {
    const req = { ...fsr, aggregate };
    const rq = fstats.encodeFlowStatsRequest(req, p, 40);
    add({
      name: `${aggregate ? "aggregate" : "flow"} stats request ${tag}`,
      bytes: rq,
      decode: fstats.decodeFlowStatsRequest,
      reencode: (b) => fstats.encodeFlowStatsRequest(fstats.decodeFlowStatsRequest(b), p, 40),
    });
    if (aggregate) {
      const as: fstats.AggregateStats = { packetCount: 10n, byteCount: 1000n, flowCount: 3 };
      add({
        name: `aggregate stats reply ${tag}`,
        bytes: fstats.encodeAggregateStatsReply(as, rq),
        model: as,
        decode: fstats.decodeAggregateStatsReply,
      });
    } else {
      const fs: fstats.FlowStats = {
        match: parseMatch("tcp,tp_dst=80"),
        cookie: 0x7n,
        tableId: 1,
        durationSec: 5,
        durationNsec: 0,
        priority: 100,
        idleTimeout: 10,
        hardTimeout: 0,
        idleAge: -1,
        hardAge: -1,
        packetCount: 4n,
        byteCount: 400n,
        flags: 0,
        importance: 0,
        ofpacts: actions("output:1"),
      };
      const bytes = fullMultipart(rq, (r) => {
        fstats.appendFlowStats(r, fs);
        fstats.appendFlowStats(r, { ...fs, priority: 200, cookie: 0x8n });
      });
      add({
        name: `flow stats reply ${tag}`,
        bytes,
        decode: (b) => fstats.decodeFlowStatsReply(b),
        reencode: (b) =>
          fullMultipart(rq, (r) => {
            for (const x of fstats.decodeFlowStatsReply(b)) fstats.appendFlowStats(r, x);
          }),
      });
    }
  }
  const psr = pstats.encodePortStatsRequest(v, 1, 41);
  add({
    name: `port stats request ${tag}`,
    bytes: psr,
    model: 1,
    decode: pstats.decodePortStatsRequest,
  });
  const counters = pstats.unknownCounters();
  counters.rxPackets = 100n;
  counters.txPackets = 200n;
  const portStats: pstats.PortStats = {
    portNo: 1,
    stats: counters,
    durationSec: v >= 4 ? 3 : 0xffffffff,
    durationNsec: v >= 4 ? 500 : 0xffffffff,
    custom: [],
  };
  add({
    name: `port stats reply ${tag}`,
    bytes: fullMultipart(psr, (r) => pstats.appendPortStats(r, portStats)),
    decode: pstats.decodePortStatsReply,
    reencode: (b) =>
      fullMultipart(psr, (r) => {
        for (const x of pstats.decodePortStatsReply(b)) pstats.appendPortStats(r, x);
      }),
  });
  const pdr = port.encodePortDescRequest(v, 0xffff, 42);
  add({ name: `port desc request ${tag}`, bytes: pdr });
  const qsr: queue.QueueStatsRequest = { port: 1, queue: 0xffffffff };
  const qreq = queue.encodeQueueStatsRequest(v, qsr, 43);
  add({
    name: `queue stats request ${tag}`,
    bytes: qreq,
    model: qsr,
    decode: queue.decodeQueueStatsRequest,
  });
  add({
    name: `queue stats reply ${tag}`,
    bytes: fullMultipart(qreq, (r) =>
      queue.appendQueueStats(r, {
        port: 1,
        queue: 2,
        txBytes: 10n,
        txPackets: 1n,
        txErrors: 0n,
        durationSec: v >= 4 ? 1 : 0xffffffff,
        durationNsec: v >= 4 ? 2 : 0xffffffff,
      })),
  });
  add({
    name: `queue config request ${tag}`,
    bytes: queue.encodeQueueGetConfigRequest(v, 1, 0xffffffff, 44),
  });
  {
    const gsr = gstats.encodeGroupStatsRequest(v, gstats.OFPG_ALL, 45);
    add({
      name: `group stats request ${tag}`,
      bytes: gsr,
      model: gstats.OFPG_ALL,
      decode: gstats.decodeGroupStatsRequest,
    });
    add({
      name: `group stats reply ${tag}`,
      bytes: fullMultipart(gsr, (r) =>
        gstats.appendGroupStats(r, {
          groupId: 1,
          refCount: 2,
          packetCount: 3n,
          byteCount: 4n,
          durationSec: v >= 4 ? 5 : 0xffffffff,
          durationNsec: v >= 4 ? 6 : 0xffffffff,
          buckets: [{ packetCount: 1n, byteCount: 2n }],
        })),
    });
    const gdr = gstats.encodeGroupDescRequest(v, gstats.OFPG_ALL, 46);
    add({ name: `group desc request ${tag}`, bytes: gdr });
    const gm = groupMod(v);
    add({
      name: `group desc reply ${tag}`,
      bytes: fullMultipart(gdr, (r) =>
        group.appendGroupDesc(r, {
          type: gm.type,
          groupId: gm.groupId,
          buckets: gm.buckets,
          props: gm.props,
        })),
    });
  }
  if (v >= 4) {
    for (const type of ["config", "stats"] as const) {
      const mr = meter.encodeMeterRequest(v, type, 1, 47);
      add({
        name: `meter ${type} request ${tag}`,
        bytes: mr,
        model: 1,
        decode: meter.decodeMeterRequest,
      });
      const bytes = type === "config"
        ? fullMultipart(mr, (r) =>
          meter.appendMeterConfig(r, {
            meterId: 1,
            flags: meter.OFPMF13_PKTPS,
            bands: [{ type: meter.OFPMBT13_DSCP_REMARK, rate: 5, burstSize: 0, precLevel: 1 }],
          }))
        : fullMultipart(mr, (r) =>
          meter.appendMeterStats(r, {
            meterId: 1,
            flowCount: 2,
            packetInCount: 3n,
            byteInCount: 4n,
            durationSec: 5,
            durationNsec: 6,
            bands: [{ packetCount: 7n, byteCount: 8n }],
          }));
      add({ name: `meter ${type} reply ${tag}`, bytes });
    }
    const mfr = meter.encodeMeterRequest(v, "features", 0, 48);
    const mf: meter.MeterFeatures = {
      maxMeters: 100,
      bandTypes: 1 << meter.OFPMBT13_DROP,
      capabilities: meter.OFPMF13_KBPS,
      maxBands: 2,
      maxColor: 0,
    };
    add({ name: `meter features request ${tag}`, bytes: mfr });
    add({
      name: `meter features reply ${tag}`,
      bytes: meter.encodeMeterFeaturesReply(mf, mfr),
      model: mf,
      decode: meter.decodeMeterFeatures,
    });
    add({ name: `table features request ${tag}`, bytes: table.encodeTableFeaturesRequest(v, 49) });
  }
  const descRq = hello.encodeEmpty("OFPST_DESC_REQUEST", v, 50);
  const desc: sw.SwitchDesc = {
    manufacturer: "Nicira, Inc.",
    hardware: "Open vSwitch",
    software: "3.1.0",
    serialNum: "None",
    dpDesc: "br0",
  };
  add({ name: `desc stats request ${tag}`, bytes: descRq });
  add({
    name: `desc stats reply ${tag}`,
    bytes: sw.encodeDescStatsReply(desc, descRq),
    model: desc,
    decode: sw.decodeDescStatsReply,
  });
  if (v >= 5) {
    const tdr = hello.encodeEmpty("OFPST14_TABLE_DESC_REQUEST", v, 51);
    add({ name: `table desc request ${tag}`, bytes: tdr });
    const td: tstats.TableDesc = {
      tableId: 0,
      eviction: "off",
      evictionFlags: 0xffffffff,
      vacancy: "off",
      tableVacancy: { vacancyDown: 0, vacancyUp: 0, vacancy: 0 },
    };
    add({
      name: `table desc reply ${tag}`,
      bytes: fullMultipart(tdr, (r) => tstats.appendTableDesc(r, td)),
      decode: (b) => {
        const raw = pullRaw(b);
        return tstats.pullTableDesc(new WireReader(raw.data, raw.bodyOffset), v);
      },
      model: td,
    });
  }
  const tsr = hello.encodeEmpty("OFPST_TABLE_REQUEST", v, 53);
  add({ name: `table stats request ${tag}`, bytes: tsr });
  const tf = table.emptyTableFeatures(0);
  tf.name = "classifier";
  tf.maxEntries = 1000000;
  tf.metadataMatch = v >= 2 ? 0xffffffffffffffffn : 0n;
  tf.metadataWrite = tf.metadataMatch;
  add({
    name: `table stats reply ${tag}`,
    bytes: fullMultipart(tsr, (r) =>
      tstats.appendTableStats(
        r,
        { tableId: 0, activeCount: 3, lookupCount: 100n, matchedCount: 40n },
        tf,
      )),
  });
  add({
    name: `port desc reply ${tag}`,
    bytes: fullMultipart(pdr, (r) => r.append((w) => port.putPhyPort(v, phyPort(3, v), w))),
  });
  const gfr = gstats.encodeGroupFeaturesRequest(v, 54);
  add({ name: `group features request ${tag}`, bytes: gfr });
  add({
    name: `group features reply ${tag}`,
    bytes: gstats.encodeGroupFeaturesReply({
      types: 0xf,
      capabilities: 0x7,
      maxGroups: [100, 100, 100, 100],
      ofpacts: [0n, 0n, 0n, 0n],
    }, gfr),
  });
  const qcr = queue.encodeQueueGetConfigRequest(v, 1, 0xffffffff, 55);
  if (v <= 4) {
    const qc = new queue.QueueConfigReply(qcr);
    qc.append({ port: 1, queue: 2, minRate: 500, maxRate: 0xffff });
    add({ name: `queue config reply ${tag}`, bytes: qc.finish()! });
  } else {
    add({
      name: `queue config reply ${tag}`,
      bytes: fullMultipart(qcr, (r) => {
        const qc = new queue.QueueConfigReply(qcr, r);
        qc.append({ port: 1, queue: 2, minRate: 500, maxRate: 700 });
      }),
    });
  }
  if (v >= 4) {
    const tfr = table.encodeTableFeaturesRequest(v, 56);
    add({
      name: `table features reply ${tag}`,
      bytes: fullMultipart(tfr, (r) => table.appendTableFeatures(r, tf)),
    });
  }
  if (v >= 5) {
    const ts: tstats.TableStatus = {
      reason: 3,
      desc: {
        tableId: 1,
        eviction: "on",
        evictionFlags: 0xffffffff,
        vacancy: "on",
        tableVacancy: { vacancyDown: 10, vacancyUp: 80, vacancy: 50 },
      },
    };
    add({
      name: `table status ${tag}`,
      bytes: tstats.encodeTableStatus(ts, v)!,
      model: ts,
      decode: tstats.decodeTableStatus,
    });
  }
  const rf: monitor.RequestForward = { reason: "group_mod", xid: 57, groupMod: groupMod(v) };
  add({ name: `requestforward ${tag}`, bytes: monitor.encodeRequestForward(rf, v) });
  add({ name: `flow monitor cancel ${tag}`, bytes: monitor.encodeFlowMonitorCancel(3, v, 58) });
  add({ name: `flow monitor paused ${tag}`, bytes: monitor.encodeFlowMonitorPause(true, v) });
  const pin = packet.newPacketIn(PACKET);
  pin.totalLen = PACKET.length;
  pin.bufferId = 0xffffffff;
  pin.flowMetadata = inPortMatch(2);
  pin.bridge = new Uint8Array(16).fill(7);
  pin.actions = actions("output:3");
  add({ name: `resume ${tag}`, bytes: packet.encodeResume(pin, v, 59) });
  add({
    name: `tlv table reply ${tag}`,
    bytes: tlv.encodeTlvTableReply(
      {
        maxOptionSpace: 256,
        maxFields: 64,
        mappings: [{ optionClass: 0x102, optionType: 0x80, optionLen: 4, index: 0 }],
      },
      v,
      60,
    ),
  });
  const fmr: monitor.FlowMonitorRequest = {
    id: 1,
    command: monitor.OFPFMC_ADD,
    flags: monitor.OFPFMF_INITIAL | monitor.OFPFMF_ADD,
    outPort: 0xffff,
    outGroup: gstats.OFPG_ANY,
    tableId: 0xff,
    match: parseMatch("ip"),
  };
  add({
    name: `flow monitor request ${tag}`,
    bytes: monitor.encodeFlowMonitorRequest([fmr], v, 52),
  });
}
