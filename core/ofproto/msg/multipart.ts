// Multipart ("statistics") messages longer than one OpenFlow message (upstream's ofpmp_*):
// building a reply that splits into parts of at most 65535 bytes at element boundaries, with
// OFPSF_REPLY_MORE on every part but the last, and reassembling OpenFlow 1.3+ requests that
// arrive in several parts.
//
// Promises: replies keep the request's version and xid; an element is never split across
// parts; the assembler enforces upstream's limits (types must match, 4 MB total, 1 s between
// parts) and reports them with upstream's error names. No I/O; time comes from the caller.

import { OfpError } from "../errors.ts";
import { OFP13 } from "../fields.ts";
import { WireWriter } from "../wire.ts";
import {
  checkRawLength,
  decodeHdrs,
  decodeRawPartial,
  hdrsLen,
  isStatRequest,
  messageXid,
  multipartMore,
  OFP_MAX_MSG_LEN,
  OFPSF_REPLY_MORE,
  rawFromHdrs,
  type RawInfo,
  startMessage,
  statsReplyRaw,
} from "./raw.ts";

/** Builds the parts of a multipart reply. */
export class MultipartReply {
  readonly version: number;
  readonly xid: number;
  readonly raw: RawInfo;
  readonly #done: Uint8Array[] = [];
  #current: WireWriter;
  #headerLen: number;
  #elements = 0;

  /** A reply to `request` (a multipart request), or with an explicit reply row. */
  constructor(request: Uint8Array, replyRaw?: RawInfo) {
    this.version = request[0]!;
    this.xid = messageXid(request);
    this.raw = replyRaw ?? statsReplyRaw(decodeRawPartial(request), this.version);
    this.#current = startMessage(this.raw, this.version, this.xid);
    this.#headerLen = this.#current.length;
  }

  /** Number of elements appended so far. */
  get count(): number {
    return this.#elements;
  }

  /** Appends one element (already encoded), starting a new part when it would not fit. */
  appendBytes(element: Uint8Array): void {
    if (this.#current.length + element.length > OFP_MAX_MSG_LEN) {
      if (this.#headerLen + element.length > OFP_MAX_MSG_LEN) {
        throw new RangeError("multipart element larger than one message");
      }
      this.#done.push(this.#seal(true));
      this.#current = startMessage(this.raw, this.version, this.xid);
    }
    this.#current.bytes(element);
    this.#elements++;
  }

  /** Encodes one element with `encode` and appends it. */
  append(encode: (w: WireWriter) => void): void {
    const w = new WireWriter();
    encode(w);
    this.appendBytes(w.finish());
  }

  #seal(more: boolean): Uint8Array {
    const w = this.#current;
    w.setU16(2, w.length);
    if (more) w.setU16(10, OFPSF_REPLY_MORE);
    return w.finish();
  }

  /** The parts, in order. */
  finish(): Uint8Array[] {
    return [...this.#done, this.#seal(false)];
  }
}

interface Partial {
  raw: RawInfo;
  timeout: number;
  parts: Uint8Array[];
  size: number;
  hasBody: boolean;
}

/** Reassembles multipart requests (upstream's ofpmp_assembler). */
export class MultipartAssembler {
  readonly #partials = new Map<number, Partial>();

  clear(): void {
    this.#partials.clear();
  }

  /**
   * Submits `msg`. Returns the complete request's parts when `msg` completes one (or is not a
   * multipart request), an empty list while more parts are awaited; throws OfpError for a bad
   * part (the caller replies with it).
   */
  execute(msg: Uint8Array, now: number): Uint8Array[] {
    const version = msg[0] ?? 0;
    const type = msg[1] ?? 0;
    if (!isStatRequest(version, type)) return [msg];
    const hdrs = decodeHdrs(msg);
    const raw = rawFromHdrs(hdrs);
    const minLen = hdrsLen(hdrs);
    const hasBody = msg.length > minLen;
    if (hasBody) checkRawLength(raw, minLen, msg.length);
    const xid = messageXid(msg);
    let p = this.#partials.get(xid);
    if (!p) {
      p = { raw, timeout: 0, parts: [], size: 0, hasBody: false };
      this.#partials.set(xid, p);
    }
    p.timeout = now + 1000;
    if (p.raw !== raw) {
      this.#partials.delete(xid);
      throw new OfpError("OFPBRC_BAD_STAT");
    }
    p.size += msg.length;
    if (p.size > 4 * 1024 * 1024) {
      this.#partials.delete(xid);
      throw new OfpError("OFPBRC_MULTIPART_BUFFER_OVERFLOW");
    }
    const more = version >= OFP13 && multipartMore(msg);
    if (hasBody) p.hasBody = true;
    if (!more && !p.hasBody && raw.minBody) {
      this.#partials.delete(xid);
      throw new OfpError("OFPBRC_BAD_LEN");
    }
    p.parts.push(msg);
    if (more) return [];
    this.#partials.delete(xid);
    const parts = p.parts;
    const kept = parts.filter((b) => b.length > minLen);
    return kept.length ? kept : [parts[parts.length - 1]!];
  }

  /**
   * Times out stale requests: returns the first part of one that waited too long (the caller
   * answers it with OFPBRC_MULTIPART_REQUEST_TIMEOUT), or undefined.
   */
  run(now: number): Uint8Array | undefined {
    for (const [xid, p] of this.#partials) {
      if (now >= p.timeout) {
        this.#partials.delete(xid);
        return p.parts[p.parts.length - 1];
      }
    }
    return undefined;
  }

  /** When the next request times out (Infinity when none waits). */
  nextTimeout(): number {
    let t = Infinity;
    for (const p of this.#partials.values()) t = Math.min(t, p.timeout);
    return t;
  }
}
