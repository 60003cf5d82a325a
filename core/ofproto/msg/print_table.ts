// Which formatter prints which message type (by ofptype), for ofp-print. Each entry decodes
// the message with its codec's decoder and appends the codec's text; message types with no
// body text (barriers, bodiless requests) have no entry. Holds no logic of its own.

import { decodeDescStatsReply, formatDescStats } from "./switch.ts";
import {
  decodeTlvTableMod,
  decodeTlvTableReply,
  formatTlvTableMod,
  formatTlvTableReply,
} from "./tlv_table.ts";
import { decodeCtFlush, decodeCtFlushZone, formatCtFlush } from "./ct.ts";
import { WireReader } from "../wire.ts";
import {
  decodeAsyncConfig,
  decodeRoleMessage,
  decodeRoleStatus,
  decodeSetControllerId,
  decodeSetPacketInFormat,
  formatAsyncConfig,
  formatRoleMessage,
  formatRoleStatus,
} from "./connection.ts";
import { hexDump } from "./hexdump.ts";
import { type FlowFormatOptions, formatFlowModMessage } from "./flow_mod.ts";
import {
  decodeAggregateStatsReply,
  decodeFlowStatsRequest,
  formatAggregateStats,
  formatFlowStats,
  formatFlowStatsRequest,
  pullFlowStats,
} from "./flow_stats.ts";
import { decodeGroupMod, formatGroupDesc, formatGroupMod, pullGroupDesc } from "./group.ts";
import {
  decodeFlowRemoved,
  decodeRequestForward,
  formatFlowMonitorRequest,
  formatFlowRemoved,
  formatFlowUpdate,
  formatRequestForward,
  pullFlowMonitorRequest,
  pullFlowUpdate,
} from "./monitor.ts";
import { decodePacketIn, decodePacketOut, formatPacketIn, formatPacketOut } from "./packet.ts";
import {
  decodeBundleAdd,
  decodeBundleCtrl,
  formatBundleAddHead,
  formatBundleCtrl,
} from "./bundle.ts";
import {
  decodeGroupDescRequest,
  decodeGroupFeaturesReply,
  decodeGroupStatsRequest,
  formatGroupFeatures,
  formatGroupId,
  formatGroupStats,
  pullGroupStats,
} from "./group_stats.ts";
import { decodeIpfixStatsReply, formatIpfixBridgeStats, formatIpfixFlowStats } from "./ipfix.ts";
import {
  decodeQueueGetConfigRequest,
  decodeQueueStatsRequest,
  formatQueueGetConfigReply,
  formatQueueGetConfigRequest,
  formatQueueStats,
  formatQueueStatsRequest,
  pullQueueStats,
} from "./queue.ts";
import {
  decodeMeterFeatures,
  decodeMeterMod,
  decodeMeterRequest,
  formatMeterConfig,
  formatMeterFeatures,
  formatMeterId,
  formatMeterMod,
  formatMeterStats,
  pullMeterConfig,
  pullMeterStats,
} from "./meter.ts";
import { formatHello } from "./hello.ts";
import {
  decodePortDescRequest,
  decodePortMod,
  decodePortStatus,
  formatPhyPorts,
  formatPortMod,
  formatPortStatus,
} from "./port.ts";
import { decodePortStatsRequest, formatPortStats, pullPortStats } from "./port_stats.ts";
import { formatPort } from "./ports.ts";
import {
  formatErrorMessage,
  type Formatter,
  ofpToString,
  type PrintContext,
  type PrintOptions,
} from "./print.ts";
import { decodeFlowModTableId, decodeSetFlowFormat } from "./protocol.ts";
import {
  decodeGetConfigReply,
  decodeSetConfig,
  formatFeaturesReplyMessage,
  formatSwitchConfig,
} from "./switch.ts";
import { decodeTableMod, formatTableMod, pullTableFeatures, type TableFeatures } from "./table.ts";
import {
  decodeTableStatus,
  pullTableDesc,
  pullTableStats,
  type TableStats,
} from "./table_stats.ts";
import {
  formatTableDesc,
  formatTableFeatures,
  formatTableFeaturesFinish,
  formatTableStatus,
  newDittoState,
} from "./table_text.ts";
import { P_OF10_NXM, P_OF10_STD } from "../protocols.ts";

function body(ctx: PrintContext): WireReader {
  return new WireReader(ctx.raw.data, ctx.raw.bodyOffset);
}

function echo(ctx: PrintContext): void {
  const payload = ctx.raw.data.subarray(8);
  ctx.put(` ${payload.length} bytes of payload\n`);
  if (ctx.verbosity > 1) ctx.put(hexDump(payload));
}

function withPartial(ctx: PrintContext, result: { text: string; error?: Error }): void {
  ctx.put(result.text);
  if (result.error) throw result.error;
}

/** Pulls elements until the end or the first error, as upstream's print loops do. */
function pullAll<T>(pull: () => T | undefined): { items: T[]; error?: unknown } {
  const items: T[] = [];
  try {
    for (;;) {
      const item = pull();
      if (item === undefined) return { items };
      items.push(item);
    }
  } catch (error) {
    return { items, error };
  }
}

function portStatsReply(ctx: PrintContext): void {
  const r = body(ctx);
  const { items, error } = pullAll(() => pullPortStats(ctx.raw.info.raw, r));
  ctx.put(` ${items.length} ports\n`);
  if (ctx.verbosity < 1) return;
  // Upstream decodes again to print, so it prints the same elements and then the error.
  for (const ps of items) ctx.put(formatPortStats(ps, ctx.portNames));
  if (error) throw error;
}

function tableFeatures(ctx: PrintContext): void {
  const r = body(ctx);
  const ditto = newDittoState();
  let prev: TableFeatures | undefined;
  try {
    for (;;) {
      const got = pullTableFeatures(r, ctx.raw.version, true);
      if (!got) break;
      ctx.put(formatTableFeatures(got.tf, prev, undefined, undefined, ditto));
      prev = got.tf;
    }
  } finally {
    ctx.put(formatTableFeaturesFinish(ditto));
  }
}

function tableStats(ctx: PrintContext): void {
  const r = body(ctx);
  const ditto = newDittoState();
  let prev: { stats: TableStats; features: TableFeatures } | undefined;
  try {
    for (;;) {
      const got = pullTableStats(r, ctx.raw.version);
      if (!got) break;
      ctx.put(formatTableFeatures(got.features, prev?.features, got.stats, prev?.stats, ditto));
      prev = got;
    }
  } finally {
    ctx.put(formatTableFeaturesFinish(ditto));
  }
}

function tableDesc(ctx: PrintContext): void {
  const r = body(ctx);
  for (;;) {
    const td = pullTableDesc(r, ctx.raw.version);
    if (!td) return;
    ctx.put(formatTableDesc(td, ctx.tableNames));
  }
}

function meterRequest(ctx: PrintContext): void {
  ctx.put(" " + formatMeterId(decodeMeterRequest(ctx.raw.data), "="));
}

function meterConfigReply(ctx: PrintContext): void {
  const r = body(ctx);
  for (;;) {
    const mc = pullMeterConfig(r);
    if (!mc) return;
    ctx.put("\n" + formatMeterConfig(mc));
  }
}

function meterStatsReply(ctx: PrintContext): void {
  const r = body(ctx);
  for (;;) {
    const ms = pullMeterStats(r);
    if (!ms) return;
    ctx.put("\n" + formatMeterStats(ms));
  }
}

function queueStatsReply(ctx: PrintContext): void {
  const r = body(ctx);
  const { items, error } = pullAll(() => pullQueueStats(ctx.raw.info.raw, r));
  ctx.put(` ${items.length} queues\n`);
  if (ctx.verbosity < 1) return;
  for (const qs of items) ctx.put(formatQueueStats(qs, ctx.portNames));
  if (error) throw error;
}

function groupStatsReply(ctx: PrintContext): void {
  const r = body(ctx);
  for (;;) {
    let gs;
    try {
      gs = pullGroupStats(ctx.raw.info.raw, ctx.raw.info.name, r);
    } catch (e) {
      ctx.put(" ***parse error***");
      throw e;
    }
    if (!gs) return;
    ctx.put("\n " + formatGroupStats(gs));
  }
}

function bundleAdd(ctx: PrintContext): void {
  const { add } = decodeBundleAdd(ctx.raw.data);
  ctx.put(formatBundleAddHead(add));
  const opts: PrintOptions = { verbosity: ctx.verbosity };
  if (ctx.portNames) opts.portNames = ctx.portNames;
  if (ctx.tableNames) opts.tableNames = ctx.tableNames;
  ctx.put(ofpToString(add.msg, opts));
}

function ipfixReply(ctx: PrintContext, flow: boolean): void {
  const all = decodeIpfixStatsReply(ctx.raw.data, ctx.raw.bodyOffset);
  if (flow) ctx.put(` ${all.length} ids\n`);
  for (const s of all) ctx.put(flow ? formatIpfixFlowStats(s) : formatIpfixBridgeStats(s));
}

function flowOpts(ctx: PrintContext): FlowFormatOptions {
  return { portNames: ctx.portNames, tableNames: ctx.tableNames, verbosity: ctx.verbosity };
}

function flowStatsReply(ctx: PrintContext): void {
  const r = body(ctx);
  for (;;) {
    const fs = pullFlowStats(ctx.raw.info.raw, ctx.raw.version, r, true);
    if (!fs) return;
    ctx.put("\n " + formatFlowStats(fs, { ...flowOpts(ctx), showStats: true }));
  }
}

function groupDescReply(ctx: PrintContext): void {
  const r = body(ctx);
  for (;;) {
    const gd = pullGroupDesc(r, ctx.raw.version);
    if (!gd) return;
    ctx.put(formatGroupDesc(gd, ctx.raw.version, flowOpts(ctx)));
  }
}

function flowMonitorRequest(ctx: PrintContext): void {
  const r = body(ctx);
  for (;;) {
    const rq = pullFlowMonitorRequest(ctx.raw.info.raw, r);
    if (!rq) return;
    ctx.put(formatFlowMonitorRequest(rq, flowOpts(ctx)));
  }
}

function flowMonitorReply(ctx: PrintContext): void {
  const r = body(ctx);
  for (;;) {
    const u = pullFlowUpdate(ctx.raw.info.raw, ctx.raw.info.name, ctx.raw.version, r);
    if (!u) return;
    ctx.put(formatFlowUpdate(u, flowOpts(ctx)));
  }
}

function packetIn(ctx: PrintContext): void {
  ctx.put(formatPacketIn(decodePacketIn(ctx.raw.data, true), flowOpts(ctx)));
}

export const FORMATTERS: Partial<Record<string, Formatter>> = {
  PACKET_IN: packetIn,
  NXT_RESUME: packetIn,
  FLOW_REMOVED: (ctx) => ctx.put(formatFlowRemoved(decodeFlowRemoved(ctx.raw.data), flowOpts(ctx))),
  PACKET_OUT: (ctx) => ctx.put(formatPacketOut(decodePacketOut(ctx.raw.data), flowOpts(ctx))),
  FLOW_MOD: (ctx) => ctx.put(formatFlowModMessage(ctx.raw.data, flowOpts(ctx))),
  FLOW_STATS_REQUEST: (ctx) =>
    ctx.put(formatFlowStatsRequest(decodeFlowStatsRequest(ctx.raw.data), flowOpts(ctx))),
  AGGREGATE_STATS_REQUEST: (ctx) =>
    ctx.put(formatFlowStatsRequest(decodeFlowStatsRequest(ctx.raw.data), flowOpts(ctx))),
  FLOW_STATS_REPLY: flowStatsReply,
  AGGREGATE_STATS_REPLY: (ctx) =>
    ctx.put(formatAggregateStats(decodeAggregateStatsReply(ctx.raw.data))),
  GROUP_DESC_STATS_REPLY: groupDescReply,
  GROUP_MOD: (ctx) =>
    ctx.put(formatGroupMod(decodeGroupMod(ctx.raw.data), ctx.raw.version, flowOpts(ctx))),
  REQUESTFORWARD: (ctx) =>
    ctx.put(
      formatRequestForward(decodeRequestForward(ctx.raw.data), ctx.raw.version, flowOpts(ctx)),
    ),
  FLOW_MONITOR_STATS_REQUEST: flowMonitorRequest,
  FLOW_MONITOR_STATS_REPLY: flowMonitorReply,
  GROUP_STATS_REQUEST: (ctx) =>
    ctx.put(" group_id=" + formatGroupId(decodeGroupStatsRequest(ctx.raw.data))),
  GROUP_STATS_REPLY: groupStatsReply,
  GROUP_DESC_STATS_REQUEST: (ctx) =>
    ctx.put(" group_id=" + formatGroupId(decodeGroupDescRequest(ctx.raw.data))),
  GROUP_FEATURES_STATS_REPLY: (ctx) =>
    ctx.put(formatGroupFeatures(decodeGroupFeaturesReply(ctx.raw.data))),
  BUNDLE_CONTROL: (ctx) => ctx.put(formatBundleCtrl(decodeBundleCtrl(ctx.raw.data))),
  BUNDLE_ADD_MESSAGE: bundleAdd,
  FLOW_MONITOR_CANCEL: (ctx) => ctx.put(` id=${body(ctx).u32()}`),
  IPFIX_BRIDGE_STATS_REPLY: (ctx) => ipfixReply(ctx, false),
  IPFIX_FLOW_STATS_REPLY: (ctx) => ipfixReply(ctx, true),
  CT_FLUSH_ZONE: (ctx) => ctx.put(` zone_id=${decodeCtFlushZone(ctx.raw.data)}`),
  NXT_TLV_TABLE_MOD: (ctx) => ctx.put(formatTlvTableMod(decodeTlvTableMod(ctx.raw.data))),
  NXT_TLV_TABLE_REPLY: (ctx) => ctx.put(formatTlvTableReply(decodeTlvTableReply(ctx.raw.data))),
  CT_FLUSH: (ctx) => ctx.put(formatCtFlush(decodeCtFlush(ctx.raw.data))),
  QUEUE_GET_CONFIG_REQUEST: (ctx) =>
    ctx.put(
      formatQueueGetConfigRequest(decodeQueueGetConfigRequest(ctx.raw.data), ctx.portNames),
    ),
  QUEUE_GET_CONFIG_REPLY: (ctx) =>
    withPartial(ctx, formatQueueGetConfigReply(ctx.raw.data, ctx.portNames)),
  QUEUE_STATS_REQUEST: (ctx) =>
    ctx.put(formatQueueStatsRequest(decodeQueueStatsRequest(ctx.raw.data), ctx.portNames)),
  QUEUE_STATS_REPLY: queueStatsReply,
  METER_MOD: (ctx) => ctx.put(formatMeterMod(decodeMeterMod(ctx.raw.data))),
  METER_STATS_REQUEST: meterRequest,
  METER_CONFIG_STATS_REQUEST: meterRequest,
  METER_STATS_REPLY: meterStatsReply,
  METER_CONFIG_STATS_REPLY: meterConfigReply,
  METER_FEATURES_STATS_REPLY: (ctx) =>
    ctx.put(formatMeterFeatures(decodeMeterFeatures(ctx.raw.data))),
  TABLE_MOD: (ctx) => ctx.put(formatTableMod(decodeTableMod(ctx.raw.data), ctx.tableNames)),
  TABLE_STATS_REPLY: tableStats,
  TABLE_FEATURES_STATS_REQUEST: tableFeatures,
  TABLE_FEATURES_STATS_REPLY: tableFeatures,
  TABLE_DESC_REQUEST: tableDesc,
  TABLE_DESC_REPLY: tableDesc,
  TABLE_STATUS: (ctx) =>
    ctx.put(formatTableStatus(decodeTableStatus(ctx.raw.data), ctx.tableNames)),
  HELLO: (ctx) => ctx.put(formatHello(ctx.raw.data)),
  ERROR: (ctx) => formatErrorMessage(ctx),
  ECHO_REQUEST: echo,
  ECHO_REPLY: echo,
  FEATURES_REPLY: (ctx) => withPartial(ctx, formatFeaturesReplyMessage(ctx.raw.data)),
  GET_CONFIG_REPLY: (ctx) => ctx.put(formatSwitchConfig(decodeGetConfigReply(ctx.raw.data))),
  SET_CONFIG: (ctx) => ctx.put(formatSwitchConfig(decodeSetConfig(ctx.raw.data))),
  PORT_STATUS: (ctx) => ctx.put(formatPortStatus(decodePortStatus(ctx.raw.data))),
  PORT_MOD: (ctx) => ctx.put(formatPortMod(decodePortMod(ctx.raw.data, true), ctx.portNames)),
  ROLE_REQUEST: (ctx) => ctx.put(formatRoleMessage(decodeRoleMessage(ctx.raw.data))),
  ROLE_REPLY: (ctx) => ctx.put(formatRoleMessage(decodeRoleMessage(ctx.raw.data))),
  ROLE_STATUS: (ctx) => ctx.put(formatRoleStatus(decodeRoleStatus(ctx.raw.data))),
  GET_ASYNC_REPLY: (ctx) => ctx.put(formatAsyncConfig(decodeAsyncConfig(ctx.raw.data, true))),
  SET_ASYNC_CONFIG: (ctx) => ctx.put(formatAsyncConfig(decodeAsyncConfig(ctx.raw.data, false))),
  DESC_STATS_REPLY: (ctx) => ctx.put(formatDescStats(decodeDescStatsReply(ctx.raw.data))),
  PORT_STATS_REQUEST: (ctx) =>
    ctx.put(" port_no=" + formatPort(decodePortStatsRequest(ctx.raw.data), ctx.portNames)),
  PORT_STATS_REPLY: portStatsReply,
  PORT_DESC_STATS_REQUEST: (ctx) =>
    ctx.put(" port=" + formatPort(decodePortDescRequest(ctx.raw.data), ctx.portNames)),
  PORT_DESC_STATS_REPLY: (ctx) => {
    ctx.put("\n");
    withPartial(ctx, formatPhyPorts(ctx.raw.version, body(ctx)));
  },
  FLOW_MOD_TABLE_ID: (ctx) => ctx.put(decodeFlowModTableId(ctx.raw.data) ? " enable" : " disable"),
  SET_FLOW_FORMAT: (ctx) => {
    const p = decodeSetFlowFormat(ctx.raw.data);
    ctx.put(
      " format=" + (p === P_OF10_STD ? "openflow10" : p === P_OF10_NXM ? "nxm" : "(unknown)"),
    );
  },
  SET_PACKET_IN_FORMAT: (ctx) => ctx.put(" format=" + decodeSetPacketInFormat(ctx.raw.data)),
  SET_CONTROLLER_ID: (ctx) => ctx.put(` id=${decodeSetControllerId(ctx.raw.data)}`),
};
