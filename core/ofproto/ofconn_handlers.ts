// What the switch does with each OpenFlow message a connection sends (upstream's
// handle_openflow in ofproto.c): one handler per message type, found through one table keyed by
// the version-free message type. Handlers decode with the connection's protocol, apply the
// request to the bridge through `SwitchHost`, and answer with replies or an OFPT_ERROR naming
// the upstream error. Promises: a malformed or refused message gets an error reply and changes
// nothing; no handler throws anything but OfpError (anything else is reported as
// OFPBRC_EPERM-free "internal error" and logged); secondary controllers are refused what changes
// the switch (OFPBRC_IS_SLAVE).

import { vlogModule } from "../net/vlog.ts";
import { OFPP_ANY } from "./port_text.ts";
import { OfpError } from "./errors.ts";
import { encodeErrorReply } from "./ofp_errors.ts";
import { encodeBarrierReply, encodeEchoReply } from "./msg/hello.ts";
import { pullRaw, type RawMessage } from "./msg/raw.ts";
import {
  decodeAsyncConfig,
  decodeRoleMessage,
  decodeSetControllerId,
  decodeSetPacketInFormat,
  encodeGetAsyncReply,
  encodeRoleReply,
  ROLE_EQUAL,
  ROLE_NOCHANGE,
  ROLE_PRIMARY,
  ROLE_SECONDARY,
} from "./msg/connection.ts";
import {
  decodeSetConfig,
  encodeDescStatsReply,
  encodeFeaturesReply,
  encodeGetConfigReply,
} from "./msg/switch.ts";
import { decodeFlowModTableId, decodeSetFlowFormat } from "./msg/protocol.ts";
import { protocolSetBase, protocolSetTid, protocolToBase } from "./msg/protocol.ts";
import { MultipartAssembler, MultipartReply } from "./msg/multipart.ts";
import { decodePortMod, type PhyPort, putPhyPort } from "./msg/port.ts";
import { appendPortStats, decodePortStatsRequest, type PortStats } from "./msg/port_stats.ts";
import {
  appendQueueStats,
  decodeQueueGetConfigRequest,
  decodeQueueStatsRequest,
  OFPQ_ALL,
  QueueConfigReply,
} from "./msg/queue.ts";
import { decodeTlvTableMod, encodeTlvTableReply, TUN_METADATA_NUM_OPTS } from "./msg/tlv_table.ts";
import { TUN_METADATA_OPTS_BYTES } from "../datapath/flow.ts";
import { decodeCtFlush, decodeCtFlushZone } from "./msg/ct.ts";
import type { Ofconn } from "./ofconn.ts";
import type { Ofproto } from "./ofproto.ts";
import type { Backer } from "./ofproto_dpif.ts";
import { switchDesc, switchFeatures } from "./switch_features.ts";
import { FLOW_HANDLERS } from "./ofconn_flows.ts";
import { GROUP_METER_HANDLERS, type MeterStore } from "./ofconn_groups.ts";
import { BUNDLE_HANDLERS } from "./ofconn_bundles.ts";
import type { PortMod } from "./msg/port.ts";
import { P_OF10_NXM, P_OF10_STD } from "./protocols.ts";
import type { Rule } from "./rule.ts";

const log = vlogModule("ofproto");
const UINT64_MAX = 0xffffffffffffffffn;

/** One egress queue of a port's device; absent counters are unknown. */
export interface PortQueue {
  queue: number;
  txBytes?: number;
  txPackets?: number;
  txErrors?: number;
  /** time_msec of the queue's creation, if known. */
  created?: number;
}

/** What handlers need of the bridge behind the connection. */
export interface SwitchHost {
  readonly ofproto: Ofproto;
  readonly backer: Backer;
  readonly meters: MeterStore;
  now(): number;
  /** Port descriptions, in the order upstream's port hmap would visit them. */
  phyPorts(): PhyPort[];
  phyPort(ofport: number): PhyPort | undefined;
  /** Statistics of one port (or undefined when it has none). */
  portStats(ofport: number): PortStats | undefined;
  /** The egress queues of one port's device, with what it counts of each. */
  portQueues(ofport: number): readonly PortQueue[];
  /** OFPT_PORT_MOD; throws OfpError (OFPPMFC_BAD_PORT, OFPPMFC_BAD_HW_ADDR). */
  modPort(pm: PortMod, source: Ofconn): void;
  /** A flow-mod changed rules (flow monitors and the like). */
  flowsChanged?(source: Ofconn | undefined): void;
  /** dp_desc (other_config:dp-desc). */
  dpDesc(): string;
  /** Every connection of this bridge (role changes demote others). */
  connections(): Iterable<Ofconn>;
  /** Sends a message to other connections that want it (role status). */
  sendRoleStatus?(conn: Ofconn, role: number, reason: number): void;
  /** Applies learned flows and the like from a packet-out's translation. */
  ruleTouched?(rule: Rule): void;
}

export interface HandlerContext {
  readonly conn: Ofconn;
  readonly host: SwitchHost;
  readonly raw: RawMessage;
  readonly message: Uint8Array;
  /** Sends one message to the connection. */
  reply(message: Uint8Array): void;
  /** Sends every part of a multipart reply. */
  replyParts(reply: MultipartReply): void;
}

export type Handler = (ctx: HandlerContext) => void | Promise<void>;

/** Refuses what a secondary controller may not do (reject_secondary_controller). */
export function rejectSecondary(conn: Ofconn): void {
  if (conn.type === "primary" && conn.role === ROLE_SECONDARY) {
    throw new OfpError("OFPBRC_IS_SLAVE");
  }
}

function handleFeaturesRequest(ctx: HandlerContext): void {
  ctx.reply(
    encodeFeaturesReply(
      switchFeatures(ctx.host.ofproto),
      ctx.raw.version,
      ctx.raw.xid,
      ctx.raw.version <= 0x03 ? ctx.host.phyPorts() : [],
    ),
  );
}

function handleGetConfigRequest(ctx: HandlerContext): void {
  ctx.reply(encodeGetConfigReply(
    {
      frag: ctx.host.ofproto.fragHandling,
      invalidTtlToController: ctx.raw.version <= 0x03 ? ctx.conn.invalidTtlToController : undefined,
      missSendLen: ctx.conn.missSendLen,
    },
    ctx.raw.version,
    ctx.raw.xid,
  ));
}

function handleSetConfig(ctx: HandlerContext): void {
  const config = decodeSetConfig(ctx.message);
  const { conn, host } = ctx;
  if (conn.type !== "primary" || conn.role !== ROLE_SECONDARY) {
    if (config.frag !== host.ofproto.fragHandling) {
      if (config.frag === "reassemble") {
        log.warn(`${host.ofproto.name}: unsupported fragment handling mode reassemble`);
      } else {
        host.ofproto.fragHandling = config.frag;
        host.ofproto.invalidate();
      }
    }
  }
  if (config.invalidTtlToController !== undefined) {
    conn.invalidTtlToController = config.invalidTtlToController;
  }
  conn.missSendLen = config.missSendLen;
}

function handleBarrier(ctx: HandlerContext): void {
  ctx.reply(encodeBarrierReply(ctx.raw.version, ctx.raw.xid));
}

function handleEcho(ctx: HandlerContext): void {
  ctx.reply(encodeEchoReply(ctx.message));
}

function handleDescStats(ctx: HandlerContext): void {
  ctx.reply(encodeDescStatsReply(switchDesc(ctx.host.dpDesc()), ctx.message));
}

function handlePortDesc(ctx: HandlerContext): void {
  const reply = new MultipartReply(ctx.message);
  let ports = ctx.host.phyPorts();
  if (ctx.raw.version >= 0x06) {
    // OpenFlow 1.5 names a port (OFPP_ANY for all).
    const body = ctx.message.subarray(ctx.raw.bodyOffset);
    if (body.length >= 4) {
      const port = ((body[0]! << 24) | (body[1]! << 16) | (body[2]! << 8) | body[3]!) >>> 0;
      if (port !== 0xffffffff) {
        const wanted = port >= 0xffffff00 ? port - 0xffff0000 : port;
        ports = ports.filter((p) => p.portNo === wanted);
      }
    }
  }
  for (const pp of ports) reply.append((w) => putPhyPort(ctx.raw.version, pp, w));
  ctx.replyParts(reply);
}

function handlePortStats(ctx: HandlerContext): void {
  const port = decodePortStatsRequest(ctx.message);
  const reply = new MultipartReply(ctx.message);
  if (port === 0xffff) {
    for (const pp of ctx.host.phyPorts()) {
      const stats = ctx.host.portStats(pp.portNo);
      if (stats) appendPortStats(reply, stats);
    }
  } else {
    const stats = ctx.host.portStats(port);
    if (!stats) throw new OfpError("OFPBRC_BAD_PORT");
    appendPortStats(reply, stats);
  }
  ctx.replyParts(reply);
}

/**
 * Queue statistics and configuration share upstream's walk: every port (in hash order) for
 * OFPP_ANY, where the request succeeds if any port has the queue; one port otherwise.
 */
function forQueuePorts(
  ctx: HandlerContext,
  port: number,
  queue: number,
  emit: (portNo: number, q: PortQueue) => void,
): void {
  const forPort = (portNo: number): boolean => {
    const queues = ctx.host.portQueues(portNo);
    if (queue === OFPQ_ALL) {
      for (const q of queues) emit(portNo, q);
      return true;
    }
    const q = queues.find((each) => each.queue === queue);
    if (q) emit(portNo, q);
    return q !== undefined;
  };
  if (port === OFPP_ANY) {
    let any = false;
    for (const pp of ctx.host.phyPorts()) if (forPort(pp.portNo)) any = true;
    if (!any) throw new OfpError("OFPQOFC_BAD_QUEUE");
  } else {
    if (!ctx.host.phyPort(port)) throw new OfpError("OFPQOFC_BAD_PORT");
    if (!forPort(port)) throw new OfpError("OFPQOFC_BAD_QUEUE");
  }
}

function handleQueueStats(ctx: HandlerContext): void {
  const request = decodeQueueStatsRequest(ctx.message);
  const reply = new MultipartReply(ctx.message);
  const now = ctx.host.now();
  const counter = (v: number | undefined) => v === undefined ? UINT64_MAX : BigInt(v);
  forQueuePorts(ctx, request.port, request.queue, (portNo, q) => {
    const ms = q.created === undefined ? undefined : Math.max(0, now - q.created);
    appendQueueStats(reply, {
      port: portNo,
      queue: q.queue,
      txBytes: counter(q.txBytes),
      txPackets: counter(q.txPackets),
      txErrors: counter(q.txErrors),
      durationSec: ms === undefined ? 0xffffffff : Math.floor(ms / 1000),
      durationNsec: ms === undefined ? 0xffffffff : (ms % 1000) * 1000000,
    });
  });
  ctx.replyParts(reply);
}

function handleQueueGetConfig(ctx: HandlerContext): void {
  const request = decodeQueueGetConfigRequest(ctx.message);
  const multipart = ctx.raw.version >= 0x05 ? new MultipartReply(ctx.message) : undefined;
  const reply = new QueueConfigReply(ctx.message, multipart);
  // No queue type has rates OpenFlow can express, so upstream leaves both out.
  forQueuePorts(ctx, request.port, request.queue, (portNo, q) => {
    reply.append({ port: portNo, queue: q.queue, minRate: 0xffff, maxRate: 0xffff });
  });
  const single = reply.finish();
  if (single) ctx.reply(single);
  else ctx.replyParts(multipart!);
}

function handlePortMod(ctx: HandlerContext): void {
  rejectSecondary(ctx.conn);
  const pm = decodePortMod(ctx.message);
  ctx.host.modPort(pm, ctx.conn);
}

function handleRoleRequest(ctx: HandlerContext): void {
  const { conn } = ctx;
  const request = decodeRoleMessage(ctx.message);
  if (conn.type !== "primary") {
    // Service connections have no role to change.
    throw new OfpError("OFPRRFC_BAD_ROLE");
  }
  if (request.role !== ROLE_NOCHANGE) {
    if (request.role !== ROLE_EQUAL && request.generationId !== undefined) {
      // Generation ids order primary elections; stale ones are refused.
      const current = ctx.host.ofproto.electionId;
      if (
        current !== undefined &&
        BigInt.asIntN(64, request.generationId - current) < 0n
      ) {
        throw new OfpError("OFPRRFC_STALE");
      }
      ctx.host.ofproto.electionId = request.generationId;
    }
    if (request.role === ROLE_PRIMARY) {
      for (const other of ctx.host.connections()) {
        if (other !== conn && other.role === ROLE_PRIMARY) {
          other.role = ROLE_SECONDARY;
          ctx.host.sendRoleStatus?.(other, ROLE_SECONDARY, 0);
        }
      }
    }
    conn.role = request.role;
  }
  ctx.reply(encodeRoleReply(ctx.message, {
    role: conn.role,
    generationId: ctx.host.ofproto.electionId,
  }));
}

function handleSetFlowFormat(ctx: HandlerContext): void {
  const format = decodeSetFlowFormat(ctx.message);
  const base = format === P_OF10_NXM ? P_OF10_NXM : P_OF10_STD;
  ctx.conn.protocol = protocolSetBase(ctx.conn.protocol, protocolToBase(base));
}

function handleFlowModTableId(ctx: HandlerContext): void {
  ctx.conn.protocol = protocolSetTid(ctx.conn.protocol, decodeFlowModTableId(ctx.message));
}

function handleSetPacketInFormat(ctx: HandlerContext): void {
  ctx.conn.packetInFormat = decodeSetPacketInFormat(ctx.message);
}

function handleSetControllerId(ctx: HandlerContext): void {
  ctx.conn.controllerId = decodeSetControllerId(ctx.message);
}

function handleSetAsync(ctx: HandlerContext): void {
  ctx.conn.asyncConfig = decodeAsyncConfig(ctx.message, false, ctx.conn.asyncConfigNow());
  if (ctx.conn.type === "service" && !ctx.conn.missSendLen) ctx.conn.missSendLen = 128;
}

function handleGetAsync(ctx: HandlerContext): void {
  ctx.reply(encodeGetAsyncReply(ctx.message, ctx.conn.asyncConfigNow()));
}

function handleTlvTableMod(ctx: HandlerContext): void {
  rejectSecondary(ctx.conn);
  const mod = decodeTlvTableMod(ctx.message);
  const ofproto = ctx.host.ofproto;
  ofproto.tunMetadata = ofproto.tunMetadata.apply(mod.command, mod.mappings);
}

function handleTlvTableRequest(ctx: HandlerContext): void {
  const reply = {
    maxOptionSpace: TUN_METADATA_OPTS_BYTES,
    maxFields: TUN_METADATA_NUM_OPTS,
    mappings: ctx.host.ofproto.tunMetadata.mappings(),
  };
  ctx.reply(encodeTlvTableReply(reply, ctx.raw.version, ctx.raw.xid));
}

/**
 * NXT_CT_FLUSH and NXT_CT_FLUSH_ZONE: validated like upstream's, then done; this datapath keeps
 * no connection-tracking state (ct() executes as a no-op), so there is nothing to remove.
 */
function handleCtFlush(ctx: HandlerContext): void {
  decodeCtFlush(ctx.message);
}

function handleCtFlushZone(ctx: HandlerContext): void {
  const body = ctx.message.subarray(ctx.raw.bodyOffset, ctx.raw.bodyOffset + 6);
  if (body.some((b) => b !== 0)) throw new OfpError("NXBRC_MUST_BE_ZERO");
  decodeCtFlushZone(ctx.message);
}

function refuse(name: string): Handler {
  return () => {
    throw new OfpError(name);
  };
}

const HANDLERS = new Map<string, Handler>([
  ["ECHO_REQUEST", handleEcho],
  ["FEATURES_REQUEST", handleFeaturesRequest],
  ["GET_CONFIG_REQUEST", handleGetConfigRequest],
  ["SET_CONFIG", handleSetConfig],
  ["BARRIER_REQUEST", handleBarrier],
  ["DESC_STATS_REQUEST", handleDescStats],
  ["PORT_DESC_STATS_REQUEST", handlePortDesc],
  ["PORT_STATS_REQUEST", handlePortStats],
  ["QUEUE_STATS_REQUEST", handleQueueStats],
  ["QUEUE_GET_CONFIG_REQUEST", handleQueueGetConfig],
  ["PORT_MOD", handlePortMod],
  ["ROLE_REQUEST", handleRoleRequest],
  ["SET_FLOW_FORMAT", handleSetFlowFormat],
  ["FLOW_MOD_TABLE_ID", handleFlowModTableId],
  ["SET_PACKET_IN_FORMAT", handleSetPacketInFormat],
  ["SET_CONTROLLER_ID", handleSetControllerId],
  ["SET_ASYNC_CONFIG", handleSetAsync],
  ["GET_ASYNC_REQUEST", handleGetAsync],
  ["NXT_TLV_TABLE_MOD", handleTlvTableMod],
  ["NXT_TLV_TABLE_REQUEST", handleTlvTableRequest],
  ["CT_FLUSH", handleCtFlush],
  ["CT_FLUSH_ZONE", handleCtFlushZone],
  ...FLOW_HANDLERS,
  ...GROUP_METER_HANDLERS,
  ...BUNDLE_HANDLERS,
  // Replies and asynchronous messages are the switch's to send, not to receive.
  ...[
    "HELLO",
    "ERROR",
    "ECHO_REPLY",
    "FEATURES_REPLY",
    "GET_CONFIG_REPLY",
    "PACKET_IN",
    "FLOW_REMOVED",
    "PORT_STATUS",
    "BARRIER_REPLY",
    "ROLE_REPLY",
    "ROLE_STATUS",
    "TABLE_STATUS",
    "GET_ASYNC_REPLY",
    "REQUESTFORWARD",
  ].map((t): [string, Handler] => [t, refuse("OFPBRC_BAD_TYPE")]),
]);

/** Whether a message type is dispatched here (for bundles, which re-dispatch). */
export function handlerFor(type: string): Handler | undefined {
  return HANDLERS.get(type);
}

/**
 * Handles one message from `conn`: finds the handler, runs it, and turns a failure into the
 * error reply upstream sends. Multipart requests split over several messages are reassembled.
 */
/** The messages whose upstream handlers call ofconn_get_protocol (see Ofconn.settleProtocol). */
const PROTOCOL_SETTLING = new Set([
  "FEATURES_REQUEST",
  "FLOW_MOD",
  "FLOW_MOD_TABLE_ID",
  "SET_FLOW_FORMAT",
  "PACKET_OUT",
  "BUNDLE_ADD_MESSAGE",
  "FLOW_MONITOR_STATS_REQUEST",
]);

export async function handleOpenflow(
  conn: Ofconn,
  host: SwitchHost,
  assembler: MultipartAssembler,
  message: Uint8Array,
): Promise<void> {
  let parts: Uint8Array[];
  try {
    parts = assembler.execute(message, host.now());
  } catch (error) {
    sendError(conn, error, message);
    return;
  }
  if (parts.length === 0) return;
  const whole = parts.length === 1 ? parts[0]! : joinParts(parts);
  let raw: RawMessage;
  try {
    raw = pullRaw(whole);
  } catch (error) {
    sendError(conn, error, message);
    return;
  }
  const handler = HANDLERS.get(raw.info.type);
  if (PROTOCOL_SETTLING.has(raw.info.type)) conn.settleProtocol();
  const ctx: HandlerContext = {
    conn,
    host,
    raw,
    message: whole,
    reply: (m) => conn.send(m),
    replyParts: (reply) => {
      for (const part of reply.finish()) conn.send(part);
    },
  };
  try {
    if (!handler) throw new OfpError("OFPBRC_BAD_TYPE");
    await handler(ctx);
  } catch (error) {
    sendError(conn, error, whole);
  }
}

/** Concatenates the bodies of a multipart request's parts after the first one's headers. */
function joinParts(parts: Uint8Array[]): Uint8Array {
  const first = pullRaw(parts[0]!);
  const bodies = parts.map((p, i) => i === 0 ? p : p.subarray(first.bodyOffset));
  const total = bodies.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const b of bodies) {
    out.set(b, at);
    at += b.length;
  }
  out[2] = (total >> 8) & 0xff;
  out[3] = total & 0xff;
  return out;
}

export function sendError(conn: Ofconn, error: unknown, request: Uint8Array): void {
  let name: string;
  if (error instanceof OfpError) {
    name = error.errorName;
  } else {
    log.warn(
      `${conn.rconn.name}: error processing message: ${
        error instanceof Error ? error.stack ?? error.message : String(error)
      }`,
    );
    name = "OFPBRC_EPERM";
  }
  try {
    conn.send(encodeErrorReply(name, request));
  } catch (encodeError) {
    log.warn(`${conn.rconn.name}: cannot encode ${name}: ${String(encodeError)}`);
  }
}
