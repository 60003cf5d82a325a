// The messages that carry no model beyond their header or a payload: hello with its version
// bitmap elements (upstream's ofputil_decode_hello/encode_hello and its text), echo request and
// reply, barrier request and reply, and the other bodiless requests (features, get-config,
// port description, table stats ...) built from the message table.
//
// Promises: decoding a hello never fails (as upstream: unknown or malformed elements only mark
// it not fully understood); warnings go to the ofp_util log module as upstream's do.

import { OFP10 } from "../fields.ts";
import { WireReader } from "../wire.ts";
import { hexDump } from "./hexdump.ts";
import { formatVersionBitmap } from "./protocol.ts";
import { finishMessage, pullRaw, rawInfo, startMessage } from "./raw.ts";
import { RateLimit, vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ofp_util");
const badMsgLimit = new RateLimit(1, 5);

const OFPHET_VERSIONBITMAP = 1;

/** Every version up to and including `version` (what a hello without a bitmap implies). */
export function versionBitmapUpTo(version: number): number {
  return version < 31 ? (((1 << (version + 1)) >>> 0) - 2) >>> 0 : 0xfffffffe;
}

export interface Hello {
  /** Bitmap of versions the peer allows (bit v for version v). */
  versions: number;
  /** False when the hello held data that was not fully understood. */
  ok: boolean;
}

/** What a hello announces (upstream's ofputil_decode_hello). */
export function decodeHello(msg: Uint8Array): Hello {
  const length = Math.min(msg.length, (msg[2]! << 8) | msg[3]!);
  let versions = versionBitmapUpTo(msg[0]!);
  let ok = true;
  let offset = 8;
  while (offset < length) {
    if (length - offset < 4) return { versions, ok: false };
    const type = (msg[offset]! << 8) | msg[offset + 1]!;
    const len = (msg[offset + 2]! << 8) | msg[offset + 3]!;
    const padded = (len + 7) & ~7;
    if (len < 4 || offset + padded > length) return { versions, ok: false };
    if (type !== OFPHET_VERSIONBITMAP) {
      ok = false;
    } else {
      const bitmapLen = len - 4;
      if (!bitmapLen || bitmapLen % 4) {
        ok = false;
      } else {
        let bitmap = new WireReader(msg, offset + 4).u32();
        if (bitmap & 1) {
          log.rateLimited(
            badMsgLimit,
            "warn",
            "peer claims to support invalid OpenFlow version 0x00",
          );
          bitmap = (bitmap & ~1) >>> 0;
        }
        if (!bitmap) {
          log.rateLimited(
            badMsgLimit,
            "warn",
            "peer does not support any OpenFlow version (between 0x01 and 0x1f)",
          );
          ok = false;
        } else {
          versions = bitmap;
        }
      }
    }
    offset += padded;
  }
  return { versions, ok };
}

/** A hello for the versions in `allowed` (with a bitmap element unless they are 1..n). */
export function encodeHello(allowed: number, xid = 0): Uint8Array {
  const version = 31 - Math.clz32(allowed);
  const w = startMessage("OFPT_HELLO", version, xid);
  const contiguous = ((allowed >>> 1) + 1) & (allowed >>> 1);
  if (contiguous !== 0) {
    w.u16(OFPHET_VERSIONBITMAP).u16(8).u32(allowed);
  }
  return finishMessage(w);
}

/** A hello's text after its header line (upstream's ofputil_hello_format). */
export function formatHello(msg: Uint8Array): string {
  const { versions, ok } = decodeHello(msg);
  let s = "\n version bitmap: " + formatVersionBitmap(versions);
  if (!ok) {
    const length = Math.min(msg.length, (msg[2]! << 8) | msg[3]!);
    s += "\n unknown data in hello:\n" + hexDump(msg.subarray(0, length));
  }
  return s;
}

/** An echo request with `payload`. */
export function encodeEchoRequest(version: number, xid = 0, payload = new Uint8Array()) {
  const w = startMessage("OFPT_ECHO_REQUEST", version, xid);
  w.bytes(payload);
  return finishMessage(w);
}

/** The echo reply to `request`: same version, xid and payload. */
export function encodeEchoReply(request: Uint8Array): Uint8Array {
  const raw = pullRaw(request);
  const w = startMessage("OFPT_ECHO_REPLY", raw.version, raw.xid);
  w.bytes(request.subarray(raw.bodyOffset));
  return finishMessage(w);
}

/** The payload of an echo request or reply. */
export function echoPayload(msg: Uint8Array): Uint8Array {
  return msg.subarray(pullRaw(msg).bodyOffset);
}

export function encodeBarrierRequest(version: number, xid: number): Uint8Array {
  return encodeEmpty(
    version === OFP10 ? "OFPT10_BARRIER_REQUEST" : "OFPT11_BARRIER_REQUEST",
    version,
    xid,
  );
}

export function encodeBarrierReply(version: number, xid: number): Uint8Array {
  return encodeEmpty(
    version === OFP10 ? "OFPT10_BARRIER_REPLY" : "OFPT11_BARRIER_REPLY",
    version,
    xid,
  );
}

/** A message with no body, by row name ("OFPT_FEATURES_REQUEST", "OFPST_DESC_REQUEST" ...). */
export function encodeEmpty(raw: string, version: number, xid: number): Uint8Array {
  const info = rawInfo(raw);
  if (info.minBody !== 0 || info.extraMultiple > 1) {
    throw new TypeError(`${raw} has a body`);
  }
  return finishMessage(startMessage(info, version, xid));
}
