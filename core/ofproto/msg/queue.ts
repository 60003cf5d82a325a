// Queues (upstream's ofp-queue): the queue configuration request and reply (OpenFlow 1.0-1.3
// OFPT_QUEUE_GET_CONFIG, 1.4+ OFPMP_QUEUE_DESC) with min/max rate properties, and queue
// statistics requests and replies in every version, with their texts.
//
// Promises: lengths and property layouts are checked as upstream (OFPBRC_BAD_LEN); the reply
// text sorts queues by port and queue as upstream does. Rates are in tenths of a percent,
// 0xffff meaning "not configured".

import { OfpError } from "../errors.ts";
import { OFP10, OFP12, OFP13, OFP14 } from "../fields.ts";
import { WireReader } from "../wire.ts";
import type { MultipartReply } from "./multipart.ts";
import {
  formatPort,
  OFPP_ALL,
  OFPP_ANY,
  OFPP_MAX,
  portFromOfp11,
  type PortNames,
  portToOfp11,
} from "./ports.ts";
import { propU16, pullProp, putPropU16, unknownProp } from "./props.ts";
import { finishMessage, pullRaw, startMessage } from "./raw.ts";
import { formatDuration } from "./text_util.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_queue");
const rl = new RateLimit(1, 5);

export const OFPQ_ALL = 0xffffffff;
const UINT64_MAX = 0xffffffffffffffffn;

function queueName(q: number): string {
  return q === OFPQ_ALL ? "ALL" : String(q);
}

// Queue configuration.

export interface QueueConfigRequest {
  port: number;
  queue: number;
}

export function encodeQueueGetConfigRequest(
  version: number,
  port: number,
  queue: number,
  xid: number,
): Uint8Array {
  if (version === OFP10) {
    const w = startMessage("OFPT10_QUEUE_GET_CONFIG_REQUEST", version, xid);
    w.u16(port).zeros(2);
    return finishMessage(w);
  }
  if (version < OFP14) {
    const w = startMessage("OFPT11_QUEUE_GET_CONFIG_REQUEST", version, xid);
    w.u32(portToOfp11(port)).zeros(4);
    return finishMessage(w);
  }
  const w = startMessage("OFPST14_QUEUE_DESC_REQUEST", version, xid);
  w.u32(portToOfp11(port)).u32(queue);
  return finishMessage(w);
}

export function decodeQueueGetConfigRequest(msg: Uint8Array): QueueConfigRequest {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  let port: number;
  let queue = OFPQ_ALL;
  switch (raw.info.raw) {
    case "OFPT10_QUEUE_GET_CONFIG_REQUEST":
      port = r.u16();
      break;
    case "OFPT11_QUEUE_GET_CONFIG_REQUEST":
      port = portFromOfp11(r.u32());
      if (port === OFPP_ANY) return { port, queue };
      break;
    default: {
      const p32 = r.u32();
      queue = r.u32();
      return { port: portFromOfp11(p32), queue };
    }
  }
  if (port >= OFPP_MAX) throw new OfpError("OFPQOFC_BAD_PORT");
  return { port, queue };
}

export function formatQueueGetConfigRequest(rq: QueueConfigRequest, names?: PortNames): string {
  let s = " port=" + formatPort(rq.port, names);
  if (rq.queue !== OFPQ_ALL) s += " queue=" + queueName(rq.queue);
  return s;
}

export interface QueueConfig {
  port: number;
  queue: number;
  minRate: number;
  maxRate: number;
}

/** The parts of a queue config reply, built as upstream builds them. */
export class QueueConfigReply {
  readonly version: number;
  readonly #multipart: MultipartReply | undefined;
  readonly #w;

  /** Starts the reply to `request`; 1.4+ replies are multipart (`multipart` must be given). */
  constructor(request: Uint8Array, multipart?: MultipartReply) {
    const raw = pullRaw(request);
    const rq = decodeQueueGetConfigRequest(request);
    this.version = raw.version;
    if (raw.info.raw === "OFPST14_QUEUE_DESC_REQUEST") {
      if (!multipart) throw new TypeError("a 1.4+ queue description reply is multipart");
      this.#multipart = multipart;
      this.#w = undefined;
    } else if (raw.info.raw === "OFPT10_QUEUE_GET_CONFIG_REQUEST") {
      this.#w = startMessage("OFPT10_QUEUE_GET_CONFIG_REPLY", raw.version, raw.xid);
      this.#w.u16(rq.port).zeros(6);
    } else {
      this.#w = startMessage("OFPT11_QUEUE_GET_CONFIG_REPLY", raw.version, raw.xid);
      this.#w.u32(portToOfp11(rq.port)).zeros(4);
    }
  }

  append(qc: QueueConfig): void {
    const version = this.version;
    if (version >= OFP14) {
      this.#multipart!.append((w) => {
        w.u32(portToOfp11(qc.port)).u32(qc.queue).u16(0).zeros(6);
        if (qc.minRate !== 0xffff) putPropU16(w, 1n, qc.minRate);
        if (qc.maxRate !== 0xffff) putPropU16(w, 2n, qc.maxRate);
        w.setU16(8, w.length);
      });
      return;
    }
    const w = this.#w!;
    const start = w.length;
    let lenAt: number;
    if (version < OFP12) {
      w.u32(qc.queue);
      lenAt = w.length;
      w.u16(0).zeros(2);
    } else {
      w.u32(qc.queue).u32(portToOfp11(qc.port));
      lenAt = w.length;
      w.u16(0).zeros(6);
    }
    for (const [type, rate] of [[1, qc.minRate], [2, qc.maxRate]] as const) {
      if (rate !== 0xffff) w.u16(type).u16(16).zeros(4).u16(rate).zeros(6);
    }
    w.setU16(lenAt, w.length - start);
  }

  /** The reply (1.0-1.3), or undefined for 1.4+ (finish the MultipartReply instead). */
  finish(): Uint8Array | undefined {
    return this.#w ? finishMessage(this.#w) : undefined;
  }
}

function pullQueue10(r: WireReader, version: number, port: number): QueueConfig {
  const q: QueueConfig = { port, queue: 0, minRate: 0xffff, maxRate: 0xffff };
  let len: number;
  let opqLen: number;
  if (version < OFP12) {
    if (r.remaining < 8) throw new OfpError("OFPBRC_BAD_LEN");
    q.queue = r.u32();
    len = r.u16();
    r.skip(2);
    opqLen = 8;
  } else {
    if (r.remaining < 16) throw new OfpError("OFPBRC_BAD_LEN");
    q.queue = r.u32();
    r.skip(4);
    len = r.u16();
    r.skip(6);
    opqLen = 16;
  }
  if (len < opqLen || len > r.remaining + opqLen || len % 8) throw new OfpError("OFPBRC_BAD_LEN");
  len -= opqLen;
  while (len > 0) {
    const property = r.peekU16();
    const propLen = r.peekU16(2);
    if (propLen < 8 || propLen > len || propLen % 8) throw new OfpError("OFPBRC_BAD_LEN");
    const p = r.sub(propLen);
    if (property === 1 || property === 2) {
      if (propLen !== 16) throw new OfpError("OFPBRC_BAD_LEN");
      p.skip(8);
      const rate = p.u16();
      if (property === 1) q.minRate = rate;
      else q.maxRate = rate;
    } else {
      log.rateLimited(rl, "info", `unknown queue property ${property}`);
    }
    len -= propLen;
  }
  return q;
}

function pullQueue14(r: WireReader): QueueConfig {
  if (r.remaining < 16) throw new OfpError("OFPBRC_BAD_LEN");
  const port = portFromOfp11(r.u32());
  const q: QueueConfig = { port, queue: r.u32(), minRate: 0xffff, maxRate: 0xffff };
  let len = r.u16();
  r.skip(6);
  if (len < 16 || len > r.remaining + 16 || len % 8) throw new OfpError("OFPBRC_BAD_LEN");
  len -= 16;
  const props = r.bytes(len);
  let offset = 0;
  while (offset < props.length) {
    const { prop, next } = pullProp(props, offset);
    offset = next;
    if (prop.type === 1n) q.minRate = propU16(prop);
    else if (prop.type === 2n) q.maxRate = propU16(prop);
    else unknownProp(log, true, "queue desc", prop.type);
  }
  return q;
}

/** Every queue of a queue config reply, in message order, or the error after some. */
export function decodeQueueGetConfigReply(
  msg: Uint8Array,
): { queues: QueueConfig[]; error?: OfpError } {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  const queues: QueueConfig[] = [];
  let port = 0;
  const name = raw.info.raw;
  if (name !== "OFPST14_QUEUE_DESC_REPLY") {
    const h = new WireReader(msg, raw.bodyOffset);
    r.skip(8);
    try {
      port = raw.version === OFP10 ? h.u16() : portFromOfp11(h.u32());
    } catch (e) {
      if (e instanceof OfpError && r.remaining) return { queues, error: e };
      if (!(e instanceof OfpError)) throw e;
    }
  }
  try {
    while (r.remaining > 0) {
      queues.push(
        name === "OFPST14_QUEUE_DESC_REPLY" ? pullQueue14(r) : pullQueue10(r, raw.version, port),
      );
    }
  } catch (e) {
    if (!(e instanceof OfpError)) throw e;
    return { queues, error: e };
  }
  return { queues };
}

function rateText(name: string, rate: number): string {
  if (rate <= 1000) return ` ${name}:${Math.floor(rate / 10)}.${rate % 10}%`;
  if (rate < 0xffff) return ` ${name}:(disabled)`;
  return "";
}

/** The text of a queue config reply; the error, if any, after the queues that decoded. */
export function formatQueueGetConfigReply(
  msg: Uint8Array,
  names?: PortNames,
): { text: string; error?: OfpError } {
  const { queues, error } = decodeQueueGetConfigReply(msg);
  queues.sort((a, b) => a.port !== b.port ? a.port - b.port : a.queue - b.queue);
  let s = " ";
  let port = 0;
  for (const q of queues) {
    if (q.port !== port) {
      port = q.port;
      s += "port=" + formatPort(port, names) + "\n";
    }
    s += `queue ${q.queue}:` + rateText("min_rate", q.minRate) + rateText("max_rate", q.maxRate) +
      "\n";
  }
  if (s.endsWith(" ")) s = s.slice(0, -1);
  return error ? { text: s, error } : { text: s };
}

// Queue statistics.

export interface QueueStatsRequest {
  port: number;
  queue: number;
}

export function encodeQueueStatsRequest(
  version: number,
  rq: QueueStatsRequest,
  xid: number,
): Uint8Array {
  if (version === OFP10) {
    const w = startMessage("OFPST10_QUEUE_REQUEST", version, xid);
    w.u16(rq.port === OFPP_ANY ? OFPP_ALL : rq.port).zeros(2).u32(rq.queue);
    return finishMessage(w);
  }
  const w = startMessage("OFPST11_QUEUE_REQUEST", version, xid);
  w.u32(portToOfp11(rq.port)).u32(rq.queue);
  return finishMessage(w);
}

export function decodeQueueStatsRequest(msg: Uint8Array): QueueStatsRequest {
  const raw = pullRaw(msg);
  const r = new WireReader(msg, raw.bodyOffset);
  if (raw.version === OFP10) {
    let port = r.u16();
    r.skip(2);
    const queue = r.u32();
    if (port === OFPP_ALL) port = OFPP_ANY;
    return { port, queue };
  }
  const p32 = r.u32();
  const queue = r.u32();
  return { port: portFromOfp11(p32), queue };
}

export function formatQueueStatsRequest(rq: QueueStatsRequest, names?: PortNames): string {
  return " port=" + formatPort(rq.port, names) + " queue=" + queueName(rq.queue);
}

export interface QueueStats {
  port: number;
  queue: number;
  txBytes: bigint;
  txPackets: bigint;
  txErrors: bigint;
  /** 0xffffffff when unknown. */
  durationSec: number;
  durationNsec: number;
}

/** One element of a queue stats reply at `r` (raw row name given); undefined at the end. */
export function pullQueueStats(raw: string, r: WireReader): QueueStats | undefined {
  if (r.remaining === 0) return undefined;
  const short = (n: number) => {
    if (r.remaining < n) {
      log.rateLimited(rl, "warn", `OFPST_QUEUE reply has ${r.remaining} leftover bytes at end`);
      throw new OfpError("OFPBRC_BAD_LEN");
    }
  };
  let withDuration = false;
  if (raw === "OFPST14_QUEUE_REPLY") {
    if (r.remaining < 48) throw new OfpError("OFPBRC_BAD_LEN");
    const len = r.peekU16();
    if (len < 48 || len - 48 > r.remaining - 48) throw new OfpError("OFPBRC_BAD_LEN");
    const e = r.sub(len);
    e.skip(8);
    return pull11(e, true);
  }
  if (raw === "OFPST10_QUEUE_REPLY") {
    short(32);
    const port = r.u16();
    r.skip(2);
    return {
      port,
      queue: r.u32(),
      txBytes: r.u64(),
      txPackets: r.u64(),
      txErrors: r.u64(),
      durationSec: 0xffffffff,
      durationNsec: 0xffffffff,
    };
  }
  withDuration = raw === "OFPST13_QUEUE_REPLY";
  short(withDuration ? 40 : 32);
  return pull11(r, withDuration);
}

function pull11(r: WireReader, withDuration: boolean): QueueStats {
  const port = portFromOfp11(r.u32());
  const qs: QueueStats = {
    port,
    queue: r.u32(),
    txBytes: r.u64(),
    txPackets: r.u64(),
    txErrors: r.u64(),
    durationSec: 0xffffffff,
    durationNsec: 0xffffffff,
  };
  if (withDuration) {
    qs.durationSec = r.u32();
    qs.durationNsec = r.u32();
  }
  return qs;
}

export function appendQueueStats(reply: MultipartReply, qs: QueueStats): void {
  const version = reply.version;
  reply.append((w) => {
    if (version === OFP10) {
      w.u16(qs.port).zeros(2).u32(qs.queue).u64(qs.txBytes).u64(qs.txPackets).u64(qs.txErrors);
      return;
    }
    if (version >= OFP14) w.u16(48).zeros(6);
    w.u32(portToOfp11(qs.port)).u32(qs.queue).u64(qs.txBytes).u64(qs.txPackets).u64(qs.txErrors);
    if (version >= OFP13) w.u32(qs.durationSec).u32(qs.durationNsec);
  });
}

function stat(leader: string, v: bigint): string {
  return leader + (v !== UINT64_MAX ? v.toString() : "?") + ", ";
}

export function formatQueueStats(qs: QueueStats, names?: PortNames): string {
  return "  port " + formatPort(qs.port, names) + " queue " + queueName(qs.queue) + ": " +
    stat("bytes=", qs.txBytes) + stat("pkts=", qs.txPackets) + stat("errors=", qs.txErrors) +
    "duration=" +
    (qs.durationSec !== 0xffffffff ? formatDuration(qs.durationSec, qs.durationNsec) : "?") +
    "\n";
}
