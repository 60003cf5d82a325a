// The few OpenFlow messages a connection speaks on its own, whatever carries them: the header
// every message starts with, framing of a byte stream into messages by the header's length,
// OFPT_HELLO with its version bitmap, the OFPET_HELLO_FAILED error that ends a negotiation
// without a common version, the OFPBRC_BAD_VERSION reply, echo replies, barrier requests and the
// multipart "more" flag. Owns version bitmaps and their texts as upstream's logs print them.
// Promises: the framer never yields a message shorter than its header or cut short; everything
// else about messages (their bodies, their names) belongs to core/ofproto/msg. No I/O.

import { allocXid } from "./wire.ts";

export const OFP_HEADER_LEN = 8;
export const OFP_MAX_MSG_LEN = 0xffff;

export const OFP10_VERSION = 0x01;
export const OFP11_VERSION = 0x02;
export const OFP12_VERSION = 0x03;
export const OFP13_VERSION = 0x04;
export const OFP14_VERSION = 0x05;
export const OFP15_VERSION = 0x06;

export const OFPT_HELLO = 0;
export const OFPT_ERROR = 1;
export const OFPT_ECHO_REQUEST = 2;
export const OFPT_ECHO_REPLY = 3;
const OFPT10_STATS_REPLY = 17;
const OFPT11_MULTIPART_REPLY = 19;
const OFPT10_BARRIER_REQUEST = 18;
const OFPT11_BARRIER_REQUEST = 20;
const OFPT10_BARRIER_REPLY = 19;
const OFPT11_BARRIER_REPLY = 21;
const OFPHET_VERSIONBITMAP = 1;
const OFPET_HELLO_FAILED = 0;
const OFPHFC_INCOMPATIBLE = 0;
const OFPET_BAD_REQUEST = 1;
const OFPBRC_BAD_VERSION = 0;
const OFPSF_REPLY_MORE = 1;

/** Bitmap of the versions upstream speaks, 1.0 to 1.5 (OFPUTIL_SUPPORTED_VERSIONS). */
export const SUPPORTED_VERSIONS = 0x7e;
/** What a connection allows when told nothing (OFPUTIL_DEFAULT_VERSIONS). */
export const DEFAULT_VERSIONS = SUPPORTED_VERSIONS;

export interface OfpHeader {
  version: number;
  type: number;
  length: number;
  xid: number;
}

function view(message: Uint8Array): DataView {
  return new DataView(message.buffer, message.byteOffset, message.byteLength);
}

/** The header of `message`, which must hold at least OFP_HEADER_LEN bytes. */
export function readHeader(message: Uint8Array): OfpHeader {
  if (message.length < OFP_HEADER_LEN) throw new RangeError("message shorter than its header");
  const v = view(message);
  return {
    version: v.getUint8(0),
    type: v.getUint8(1),
    length: v.getUint16(2),
    xid: v.getUint32(4),
  };
}

export function messageXid(message: Uint8Array): number {
  return view(message).getUint32(4);
}

/** Writes `length` into the header, as upstream's ofpmsg_update_length. */
export function updateLength(message: Uint8Array): void {
  view(message).setUint16(2, Math.min(message.length, OFP_MAX_MSG_LEN));
}

/** A bare header with optional body (length filled in). */
export function buildMessage(
  version: number,
  type: number,
  xid: number,
  body: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const message = new Uint8Array(OFP_HEADER_LEN + body.length);
  const v = view(message);
  v.setUint8(0, version);
  v.setUint8(1, type);
  v.setUint16(2, message.length);
  v.setUint32(4, xid >>> 0);
  message.set(body, OFP_HEADER_LEN);
  return message;
}

/** One framing outcome: a whole message, or why the stream can no longer be trusted. */
export type Framed = { message: Uint8Array } | { error: string };

/**
 * Cuts a byte stream into OpenFlow messages by the header's length field. A length below the
 * header's size cannot be recovered from (the next header's place is unknown), so it is an error
 * that ends the stream, with upstream's text.
 */
export class OfpFramer {
  #buffer = new Uint8Array(0);
  #failed = false;

  /** Bytes of an incomplete message held back. */
  get pending(): number {
    return this.#buffer.length;
  }

  /** The first bytes ever held, for guessing what a misbehaving peer speaks. */
  get pendingBytes(): Uint8Array {
    return this.#buffer;
  }

  feed(chunk: Uint8Array): Framed[] {
    if (this.#failed) return [];
    let data: Uint8Array;
    if (this.#buffer.length === 0) data = chunk;
    else {
      data = new Uint8Array(this.#buffer.length + chunk.length);
      data.set(this.#buffer);
      data.set(chunk, this.#buffer.length);
    }
    const out: Framed[] = [];
    let offset = 0;
    while (data.length - offset >= OFP_HEADER_LEN) {
      const length = (data[offset + 2]! << 8) | data[offset + 3]!;
      if (length < OFP_HEADER_LEN) {
        this.#failed = true;
        this.#buffer = data.slice(offset);
        out.push({ error: `received too-short ofp_header (${length} bytes)` });
        return out;
      }
      if (data.length - offset < length) break;
      out.push({ message: data.slice(offset, offset + length) });
      offset += length;
    }
    this.#buffer = offset === data.length ? new Uint8Array(0) : data.slice(offset);
    return out;
  }
}

/** The highest version in `bitmap` (upstream's leftmost_1bit_idx), or -1 for none. */
export function highestVersion(bitmap: number): number {
  return bitmap === 0 ? -1 : 31 - Math.clz32(bitmap);
}

/** The bitmap of every version from 1 up to `version`, as a hello without elements means. */
function versionsUpTo(version: number): number {
  return version >= 31 ? 0xfffffffe : ((1 << (version + 1)) - 2) >>> 0;
}

function isPow2(n: number): boolean {
  return n !== 0 && (n & (n - 1)) === 0;
}

export function formatVersion(version: number): string {
  return `0x${version.toString(16).padStart(2, "0")}`;
}

/** "0x01, 0x04" for a bitmap, lowest first (ofputil_format_version_bitmap). */
export function formatVersionBitmap(bitmap: number): string {
  const parts: string[] = [];
  for (let v = 0; v < 32; v++) if (bitmap & (1 << v)) parts.push(formatVersion(v));
  return parts.join(", ");
}

/** The wording of negotiation logs and errors: "version 0x06 and earlier" and the like. */
export function versionBitmapText(bitmap: number): string {
  if (!bitmap) return "no versions";
  const top = formatVersion(highestVersion(bitmap));
  if (isPow2(bitmap)) return `version ${top}`;
  if (isPow2(((bitmap >>> 1) + 1) >>> 0)) return `version ${top} and earlier`;
  return `versions ${formatVersionBitmap(bitmap)}`;
}

/** An OFPT_HELLO announcing `allowed`, with a bitmap element when the set has gaps. */
export function encodeHello(allowed: number, xid = allocXid()): Uint8Array {
  const version = highestVersion(allowed);
  if (isPow2(((allowed >>> 1) + 1) >>> 0)) return buildMessage(version, OFPT_HELLO, xid);
  const element = new Uint8Array(8);
  const v = view(element);
  v.setUint16(0, OFPHET_VERSIONBITMAP);
  v.setUint16(2, 8);
  v.setUint32(4, allowed >>> 0);
  return buildMessage(version, OFPT_HELLO, xid, element);
}

export interface DecodedHello {
  versions: number;
  /** False when the hello held elements we could not understand (versions is still usable). */
  ok: boolean;
  /** Warnings upstream logs while decoding the bitmap. */
  warnings: string[];
}

/** What a hello says the peer speaks (ofputil_decode_hello). */
export function decodeHello(message: Uint8Array): DecodedHello {
  const header = readHeader(message);
  const end = Math.min(header.length, message.length);
  const v = view(message);
  let versions = versionsUpTo(header.version);
  let ok = true;
  const warnings: string[] = [];
  let offset = OFP_HEADER_LEN;
  while (offset < end) {
    if (end - offset < 4) return { versions, ok: false, warnings };
    const type = v.getUint16(offset);
    const length = v.getUint16(offset + 2);
    const padded = (length + 7) & ~7;
    if (length < 4 || offset + padded > end) return { versions, ok: false, warnings };
    if (type !== OFPHET_VERSIONBITMAP) ok = false;
    else {
      const bitmapLength = length - 4;
      if (bitmapLength === 0 || bitmapLength % 4 !== 0) ok = false;
      else {
        let bitmap = v.getUint32(offset + 4);
        if (bitmap & 1) {
          warnings.push("peer claims to support invalid OpenFlow version 0x00");
          bitmap = (bitmap & ~1) >>> 0;
        }
        if (!bitmap) {
          warnings.push("peer does not support any OpenFlow version (between 0x01 and 0x1f)");
          ok = false;
        } else versions = bitmap;
      }
    }
    offset += padded;
  }
  return { versions, ok, warnings };
}

/**
 * The OFPET_HELLO_FAILED/OFPHFC_INCOMPATIBLE error sent when negotiation finds no common
 * version, with upstream's explanation as its data. Versions we cannot encode errors for get a
 * 1.0 error, as upstream falls back to.
 */
export function encodeHelloFailed(version: number, allowed: number, peer: number): Uint8Array {
  const text = `We support ${versionBitmapText(allowed)}, you support ${
    versionBitmapText(peer)
  }, no common versions.`;
  const ascii = new TextEncoder().encode(text.slice(0, 127));
  const body = new Uint8Array(4 + ascii.length);
  const v = view(body);
  v.setUint16(0, OFPET_HELLO_FAILED);
  v.setUint16(2, OFPHFC_INCOMPATIBLE);
  body.set(ascii, 4);
  const errorVersion = version >= OFP10_VERSION && version <= OFP15_VERSION
    ? version
    : OFP10_VERSION;
  return buildMessage(errorVersion, OFPT_ERROR, 0, body);
}

/** The OFPBRC_BAD_VERSION reply to `request`, quoting it, in the request's own version. */
export function encodeBadVersion(request: Uint8Array): Uint8Array {
  const header = readHeader(request);
  const quoted = request.subarray(0, Math.min(request.length, OFP_MAX_MSG_LEN - 12));
  const body = new Uint8Array(4 + quoted.length);
  const v = view(body);
  v.setUint16(0, OFPET_BAD_REQUEST);
  v.setUint16(2, OFPBRC_BAD_VERSION);
  body.set(quoted, 4);
  const version = header.version >= OFP10_VERSION && header.version <= OFP15_VERSION
    ? header.version
    : OFP10_VERSION;
  return buildMessage(version, OFPT_ERROR, header.xid, body);
}

export function encodeEchoRequest(version: number, xid = 0): Uint8Array {
  return buildMessage(version, OFPT_ECHO_REQUEST, xid);
}

/** The echo reply to `request`: same version, xid and payload. */
export function encodeEchoReply(request: Uint8Array): Uint8Array {
  const reply = request.slice(0, readHeader(request).length);
  reply[1] = OFPT_ECHO_REPLY;
  return reply;
}

export function encodeBarrierRequest(version: number, xid = allocXid()): Uint8Array {
  return buildMessage(
    version,
    version === OFP10_VERSION ? OFPT10_BARRIER_REQUEST : OFPT11_BARRIER_REQUEST,
    xid,
  );
}

export function isBarrierReply(message: Uint8Array): boolean {
  const { version, type } = readHeader(message);
  return type === (version === OFP10_VERSION ? OFPT10_BARRIER_REPLY : OFPT11_BARRIER_REPLY);
}

/** Whether `message` is a statistics (multipart) reply (ofpmsg_is_stat_reply). */
export function isMultipartReply(message: Uint8Array): boolean {
  const { version, type } = readHeader(message);
  return type === (version === OFP10_VERSION ? OFPT10_STATS_REPLY : OFPT11_MULTIPART_REPLY);
}

/** Whether a multipart message says more parts follow (ofpmp_more). */
export function multipartMore(message: Uint8Array): boolean {
  return message.length >= 12 && (view(message).getUint16(10) & OFPSF_REPLY_MORE) !== 0;
}

/** Whether a message of `type` is exempt from the negotiated-version check (any version). */
export function isVersionFree(type: number): boolean {
  return type === OFPT_HELLO || type === OFPT_ERROR || type === OFPT_ECHO_REQUEST ||
    type === OFPT_ECHO_REPLY;
}

/** upstream's ds_put_hex_dump with ASCII: "00000000  01 00 ...-... |....|" lines. */
export function hexDump(data: Uint8Array, offset = 0): string {
  let out = "";
  let pos = 0;
  let ofs = offset;
  while (pos < data.length) {
    const start = ofs % 16;
    const end = Math.min(16, start + data.length - pos);
    let line = ((ofs - start) >>> 0).toString(16).padStart(8, "0") + "  ";
    line += "   ".repeat(start);
    for (let i = start; i < end; i++) {
      line += data[pos + i - start]!.toString(16).padStart(2, "0") + (i === 7 ? "-" : " ");
    }
    line += "   ".repeat(16 - end) + "|" + " ".repeat(start);
    for (let i = start; i < end; i++) {
      const c = data[pos + i - start]!;
      line += c >= 32 && c < 127 ? String.fromCharCode(c) : ".";
    }
    line += " ".repeat(16 - end) + "|";
    out += line + "\n";
    pos += end - start;
    ofs += end - start;
  }
  return out;
}

/** What a peer that is not speaking OpenFlow seems to speak (stream_guess_content). */
export function guessContent(data: Uint8Array): "SSL" | "JSON-RPC" | "OpenFlow" | "unknown" {
  if (data.length < 2) return "unknown";
  const pair = (data[0]! << 8) | data[1]!;
  if (pair === 0x1603) return "SSL";
  if (pair === 0x7b22) return "JSON-RPC";
  if (pair === 0x0100) return "OpenFlow";
  return "unknown";
}
