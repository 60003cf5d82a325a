// The flow-table side of the OpenFlow protocol, as upstream's ofproto.c handles it: flow-mods
// (checked against the switch's groups and meters), flow and aggregate statistics, table
// statistics, features and descriptions, table-mods, and packet-outs (translated and executed in
// the datapath). Handlers only: dispatch, connection state and error replies are
// ofconn_handlers.ts's.

import { extractFlow } from "../datapath/flow_extract.ts";
import { W_IN_PORT } from "../datapath/flow.ts";
import { Packet } from "../datapath/packet.ts";
import { flattened } from "./actions/mod.ts";
import type { Ofpact } from "./actions/types.ts";
import { OfpError } from "./errors.ts";
import { decodeFlowMod } from "./msg/flow_mod.ts";
import {
  appendFlowStats,
  decodeFlowStatsRequest,
  encodeAggregateStatsReply,
  type FlowStats,
} from "./msg/flow_stats.ts";
import { MultipartReply } from "./msg/multipart.ts";
import { decodePacketOut } from "./msg/packet.ts";
import { decodeTableMod } from "./msg/table.ts";
import { appendTableDesc, appendTableStats } from "./msg/table_stats.ts";
import { appendTableFeatures } from "./msg/table.ts";
import type { HandlerContext } from "./ofconn_handlers.ts";
import { rejectSecondary } from "./ofconn_handlers.ts";
import { OFPTT_ALL } from "./flow_table.ts";
import type { Rule } from "./rule.ts";
import { tableFeatures, visibleTables } from "./switch_features.ts";
import { TBL_INTERNAL } from "./xlate/view.ts";
import type { Ofproto } from "./ofproto.ts";
import type { MeterStore } from "./ofconn_groups.ts";

const OFPP_MAX = 0xff00;
const OFPP_LOCAL = 0xfffe;
const OFPP_NONE = 0xffff;
const OFPP_CONTROLLER = 0xfffd;

/** ofproto_check_ofpacts: every group and meter the actions name must exist. */
export function checkSwitchResources(
  ofproto: Ofproto,
  meters: MeterStore,
  ofpacts: readonly Ofpact[],
): void {
  for (const a of flattened(ofpacts)) {
    if (a.type === "meter") {
      // As ofproto_fix_meter_action: the datapath meter goes into the action for xlate.
      const provider = meters.providerId(a.meterId);
      if (provider === undefined) throw new OfpError("OFPMMFC_INVALID_METER");
      (a as { providerMeterId: number }).providerMeterId = provider;
    }
    if (a.type === "group" && !ofproto.groups?.get(a.groupId)) {
      throw new OfpError("OFPBAC_BAD_OUT_GROUP");
    }
  }
}

function handleFlowMod(ctx: HandlerContext): void {
  rejectSecondary(ctx.conn);
  const { ofproto } = ctx.host;
  const fm = decodeFlowMod(ctx.message, {
    protocol: ctx.conn.protocol,
    maxPort: OFPP_MAX,
    maxTable: ofproto.nTables,
  });
  checkSwitchResources(ofproto, ctx.host.meters, fm.ofpacts);
  ofproto.tables.apply(fm);
  ctx.conn.reportFlowMod(fm.command, ctx.host.now());
  ctx.host.flowsChanged?.(ctx.conn);
}

function secondsAndNanos(ms: number): { sec: number; nsec: number } {
  const msecs = Math.max(0, ms);
  return { sec: Math.floor(msecs / 1000), nsec: (msecs % 1000) * 1000000 };
}

/** Whole seconds of an age, bounded as the 16-bit NXM fields need (upstream's age_secs). */
function ageSecs(ms: number): number {
  return ms < 0 ? 0 : ms >= 0xffff * 1000 ? 0xffff : Math.floor(ms / 1000);
}

/** A rule as a flow stats entry (handle_flow_stats_request's fill-in). */
export function ruleFlowStats(rule: Rule, now: number): FlowStats {
  const duration = secondsAndNanos(now - rule.created);
  return {
    match: rule.match,
    cookie: rule.cookie,
    tableId: rule.tableId,
    durationSec: duration.sec,
    durationNsec: duration.nsec,
    priority: rule.priority,
    idleTimeout: rule.idleTimeout,
    hardTimeout: rule.hardTimeout,
    idleAge: ageSecs(now - rule.used),
    hardAge: ageSecs(now - rule.modified),
    packetCount: BigInt(rule.packetCount),
    byteCount: BigInt(rule.byteCount),
    flags: rule.flags,
    importance: rule.importance,
    ofpacts: rule.ofpacts as Ofpact[],
  };
}

function collectFor(ctx: HandlerContext): { rules: Rule[]; aggregate: boolean } {
  const request = decodeFlowStatsRequest(ctx.message);
  const rules = ctx.host.ofproto.tables.collect({
    tableId: request.tableId,
    match: request.match,
    priority: 0,
    cookie: request.cookie,
    cookieMask: request.cookieMask,
    outPort: request.outPort,
    outGroup: request.outGroup,
    includeHidden: false,
    includeReadonly: true,
  }, false).filter((r) => r.tableId !== TBL_INTERNAL);
  return { rules, aggregate: request.aggregate };
}

function handleFlowStats(ctx: HandlerContext): void {
  const { rules } = collectFor(ctx);
  const now = ctx.host.now();
  const reply = new MultipartReply(ctx.message);
  for (const rule of rules) appendFlowStats(reply, ruleFlowStats(rule, now));
  ctx.replyParts(reply);
}

function handleAggregateStats(ctx: HandlerContext): void {
  const { rules } = collectFor(ctx);
  let packets = 0n;
  let bytes = 0n;
  for (const rule of rules) {
    packets += BigInt(rule.packetCount);
    bytes += BigInt(rule.byteCount);
  }
  ctx.reply(encodeAggregateStatsReply(
    { packetCount: packets, byteCount: bytes, flowCount: rules.length },
    ctx.message,
  ));
}

function handleTableStats(ctx: HandlerContext): void {
  const { ofproto } = ctx.host;
  const reply = new MultipartReply(ctx.message);
  for (let i = 0; i < visibleTables(ofproto); i++) {
    const table = ofproto.tables.tables[i]!;
    let active = table.count;
    if (i === 0) active -= ofproto.hiddenRuleCount();
    appendTableStats(reply, {
      tableId: i,
      activeCount: active,
      lookupCount: BigInt(table.lookups),
      matchedCount: BigInt(table.matched),
    }, tableFeatures(ofproto, i));
  }
  ctx.replyParts(reply);
}

function handleTableFeatures(ctx: HandlerContext): void {
  const { ofproto } = ctx.host;
  if (ctx.message.length > ctx.raw.bodyOffset) {
    // Changing table features is not supported, as upstream's ofproto-dpif.
    throw new OfpError("OFPTFFC_EPERM");
  }
  const reply = new MultipartReply(ctx.message);
  for (let i = 0; i < visibleTables(ofproto); i++) {
    appendTableFeatures(reply, tableFeatures(ofproto, i));
  }
  ctx.replyParts(reply);
}

/** OFPTMPEF14_OTHER | IMPORTANCE | LIFETIME: how upstream's eviction chooses. */
const OFPROTO_EVICTION_FLAGS = 0x1 | 0x2 | 0x4;

function handleTableDesc(ctx: HandlerContext): void {
  const { ofproto } = ctx.host;
  const reply = new MultipartReply(ctx.message);
  for (let i = 0; i < visibleTables(ofproto); i++) {
    const table = ofproto.tables.tables[i]!;
    appendTableDesc(reply, {
      tableId: i,
      eviction: table.evictByOpenflow ? "on" : "off",
      evictionFlags: OFPROTO_EVICTION_FLAGS,
      vacancy: table.vacancyEvent ? "on" : "off",
      tableVacancy: {
        vacancyDown: table.vacancyDown,
        vacancyUp: table.vacancyUp,
        vacancy: table.vacancy,
      },
    });
  }
  ctx.replyParts(reply);
}

function handleTableMod(ctx: HandlerContext): void {
  rejectSecondary(ctx.conn);
  const tm = decodeTableMod(ctx.message);
  const { ofproto } = ctx.host;
  if (tm.tableId !== OFPTT_ALL && tm.tableId >= visibleTables(ofproto)) {
    throw new OfpError("OFPTMFC_BAD_TABLE");
  }
  const tables = tm.tableId === OFPTT_ALL
    ? ofproto.tables.tables.slice(0, visibleTables(ofproto))
    : [ofproto.tables.tables[tm.tableId]!];
  // Eviction is switch-defined: only the one combination upstream implements may be named.
  if (tm.evictionFlags !== 0xffffffff && tm.evictionFlags !== OFPROTO_EVICTION_FLAGS) {
    throw new OfpError("OFPTMFC_BAD_CONFIG");
  }
  for (const table of tables) {
    if (tm.miss !== "default" || ctx.raw.version <= 0x03) table.miss = tm.miss;
    if (tm.eviction === "on") table.evictByOpenflow = true;
    else if (tm.eviction === "off") table.evictByOpenflow = false;
    if (tm.vacancy !== "default") {
      table.vacancyDown = tm.tableVacancy.vacancyDown;
      table.vacancyUp = tm.tableVacancy.vacancyUp;
      if (tm.vacancy === "off") table.vacancyEvent = undefined;
      else if (!table.vacancyEvent) {
        table.vacancyEvent = table.vacancy < table.vacancyUp ? "up" : "down";
      }
    }
  }
  // Upstream's table_mod asks for no revalidation: flows already in the datapath keep the
  // old miss behaviour until something else revalidates them (or they expire).
}

function handlePacketOut(ctx: HandlerContext): void {
  rejectSecondary(ctx.conn);
  packetOut(ctx, ctx.message);
}

/** Decodes, checks, translates and executes one packet-out message. */
export function packetOut(ctx: HandlerContext, message: Uint8Array): void {
  const po = decodePacketOut(message);
  if (po.bufferId !== 0xffffffff) throw new OfpError("OFPBRC_BUFFER_UNKNOWN");
  const { ofproto, backer, meters } = ctx.host;
  const inPort = po.flowMetadata.flow[W_IN_PORT]! & 0xffff;
  if (
    inPort >= OFPP_MAX && inPort !== OFPP_LOCAL && inPort !== OFPP_NONE &&
    inPort !== OFPP_CONTROLLER
  ) {
    throw new OfpError("OFPBRC_BAD_PORT");
  }
  checkSwitchResources(ofproto, meters, po.ofpacts);
  const packet = new Packet();
  packet.setFrame(po.packet);
  const port = ofproto.port(inPort);
  packet.inPort = port?.odpPort ?? 0xffffffff;
  const flow = new Uint32Array(po.flowMetadata.flow.length);
  extractFlow(packet, flow);
  // The packet-out's metadata (registers, metadata, tunnel) overrides what the frame implies.
  for (let i = 0; i < flow.length; i++) {
    const m = po.flowMetadata.mask[i]!;
    if (m) flow[i] = ((flow[i]! & ~m) | (po.flowMetadata.flow[i]! & m)) >>> 0;
  }
  flow[W_IN_PORT] = inPort;
  backer.packetOut(ofproto, packet, flow, po.ofpacts);
}

export const FLOW_HANDLERS: [string, (ctx: HandlerContext) => void][] = [
  ["FLOW_MOD", handleFlowMod],
  ["FLOW_STATS_REQUEST", handleFlowStats],
  ["AGGREGATE_STATS_REQUEST", handleAggregateStats],
  ["TABLE_STATS_REQUEST", handleTableStats],
  ["TABLE_FEATURES_STATS_REQUEST", handleTableFeatures],
  ["TABLE_DESC_REQUEST", handleTableDesc],
  ["TABLE_MOD", handleTableMod],
  ["PACKET_OUT", handlePacketOut],
];
