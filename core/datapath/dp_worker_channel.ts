// The channel between the main thread and the datapath Worker (dp_worker.ts / dpif_remote.ts),
// the analogue of the kernel datapath's netlink socket: one SharedArrayBuffer holding a control
// block, a command ring (main -> worker: port and flow operations, upcall replies, packet-outs),
// an event ring (worker -> main: upcalls, flow statistics, flows the worker did not keep) and a
// reply area for the few synchronous calls (port add, flow put, meter statistics).
//
// Rings are single-producer, single-consumer byte rings of length-prefixed records, 4-byte
// aligned, published with Atomics so a record is whole before the reader can see it. Command
// payloads are "plain data" (numbers, strings, booleans, bigints, Uint8Array, Uint32Array, arrays,
// plain objects) in a small tagged encoding written here; upcalls and statistics use fixed
// binary layouts (the callers own them). Measured against the alternatives (see the report in
// docs/performance.md): postMessage round trips cost about 4x a ring plus Atomics wake-up, and
// node:v8 serialization about 30x this codec. Must not: allocate per record on the packet path
// (upcall records are written in place with `reserve`/`commit`).

import type { Errno } from "./dp_errors.ts";

/** Control block words (Int32 indices). */
export const C_CMD_HEAD = 0;
export const C_CMD_TAIL = 1;
export const C_EVT_HEAD = 2;
export const C_EVT_TAIL = 3;
/** 1 while the worker sleeps in poll(2) and needs its eventfd signalled. */
export const C_WORKER_ASLEEP = 4;
/** Bumped by the worker after it wrote events; the main thread waits on it. */
export const C_DOORBELL = 5;
/** The sequence number of the last synchronous call answered, its errno index, its length. */
export const C_RPC_DONE = 6;
export const C_RPC_STATUS = 7;
export const C_RPC_LENGTH = 8;
/** Set by the worker once its datapath exists (1) or failed to start (-1). */
export const C_READY = 9;
const CONTROL_WORDS = 16;

export interface ChannelLayout {
  commandBytes: number;
  eventBytes: number;
  replyBytes: number;
}

export const DEFAULT_LAYOUT: ChannelLayout = {
  commandBytes: 4 << 20,
  eventBytes: 8 << 20,
  replyBytes: 1 << 20,
};

/** The shared memory of one channel, as both sides view it. */
export class Channel {
  readonly control: Int32Array;
  readonly commands: Ring;
  readonly events: Ring;
  readonly reply: Uint8Array;
  readonly replyView: DataView;

  constructor(readonly buffer: SharedArrayBuffer, readonly layout: ChannelLayout) {
    this.control = new Int32Array(buffer, 0, CONTROL_WORDS);
    let at = CONTROL_WORDS * 4;
    this.commands = new Ring(this.control, C_CMD_HEAD, C_CMD_TAIL, buffer, at, layout.commandBytes);
    at += layout.commandBytes;
    this.events = new Ring(this.control, C_EVT_HEAD, C_EVT_TAIL, buffer, at, layout.eventBytes);
    at += layout.eventBytes;
    this.reply = new Uint8Array(buffer, at, layout.replyBytes);
    this.replyView = new DataView(buffer, at, layout.replyBytes);
  }

  static create(layout: ChannelLayout = DEFAULT_LAYOUT): Channel {
    const size = CONTROL_WORDS * 4 + layout.commandBytes + layout.eventBytes + layout.replyBytes;
    return new Channel(new SharedArrayBuffer(size), layout);
  }
}

const WRAP = -1;

function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * A byte ring of records `[u32 length][payload]`. One writer and one reader; `head` and `tail`
 * live in the control block. The writer never lets head catch up with tail (one gap), so equal
 * means empty.
 */
export class Ring {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  /** The ring as 32-bit words (records are 4-byte aligned), for keys. */
  readonly words: Uint32Array;
  private reservedAt = -1;
  private reservedSize = 0;
  private readAt = -1;
  /** The payload length of the record `peek` returned. */
  recordLength = 0;

  constructor(
    private readonly control: Int32Array,
    private readonly headIndex: number,
    private readonly tailIndex: number,
    buffer: SharedArrayBuffer,
    offset: number,
    readonly capacity: number,
  ) {
    if (capacity % 4 !== 0 || offset % 4 !== 0) throw new RangeError("ring must be 4-aligned");
    this.bytes = new Uint8Array(buffer, offset, capacity);
    this.view = new DataView(buffer, offset, capacity);
    this.words = new Uint32Array(buffer, offset, capacity / 4);
  }

  /** Room for a payload of `length` bytes: its offset in `bytes`, or -1 when the ring is full. */
  reserve(length: number): number {
    const size = 4 + align4(length);
    const cap = this.capacity;
    if (size > cap / 2) return -1;
    const head = Atomics.load(this.control, this.headIndex);
    const tail = Atomics.load(this.control, this.tailIndex);
    let at: number;
    if (head >= tail) {
      if (cap - head > size || (cap - head === size && tail > 0)) {
        at = head;
      } else if (tail > size) {
        if (cap - head >= 4) this.view.setInt32(head, WRAP, true);
        at = 0;
      } else {
        return -1;
      }
    } else if (tail - head > size) {
      at = head;
    } else {
      return -1;
    }
    this.view.setUint32(at, length, true);
    this.reservedAt = at;
    this.reservedSize = size;
    return at + 4;
  }

  /** Publishes the record `reserve` made room for. */
  commit(): void {
    let next = this.reservedAt + this.reservedSize;
    if (next === this.capacity) next = 0;
    this.reservedAt = -1;
    Atomics.store(this.control, this.headIndex, next);
  }

  /** Writes `payload[0..length)` as one record; false when the ring is full. */
  write(payload: Uint8Array, length = payload.length): boolean {
    const at = this.reserve(length);
    if (at < 0) return false;
    this.bytes.set(payload.subarray(0, length), at);
    this.commit();
    return true;
  }

  get empty(): boolean {
    return Atomics.load(this.control, this.headIndex) ===
      Atomics.load(this.control, this.tailIndex);
  }

  /** The next record's payload offset (its length in `recordLength`), or -1 when empty. */
  peek(): number {
    const head = Atomics.load(this.control, this.headIndex);
    let tail = Atomics.load(this.control, this.tailIndex);
    if (head === tail) return -1;
    if (this.capacity - tail < 4 || this.view.getInt32(tail, true) === WRAP) tail = 0;
    this.readAt = tail;
    this.recordLength = this.view.getUint32(tail, true);
    return tail + 4;
  }

  /** Consumes the record `peek` returned. */
  advance(): void {
    let next = this.readAt + 4 + align4(this.recordLength);
    if (next === this.capacity) next = 0;
    Atomics.store(this.control, this.tailIndex, next);
  }
}

// ---------------------------------------------------------------------------------------------
// Plain data: a tagged encoding of what commands carry.

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_INT = 4;
const T_FLOAT = 5;
const T_STRING = 6;
const T_BYTES = 7;
const T_WORDS = 8;
const T_ARRAY = 9;
const T_OBJECT = 10;
const T_BIGINT = 11;

export type PlainData =
  | undefined
  | null
  | boolean
  | number
  | string
  | bigint
  | Uint8Array
  | Uint32Array
  | readonly PlainData[]
  | { readonly [key: string]: PlainData };

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** Encodes plain data into a buffer it grows as needed (one per thread, reused). */
export class PlainWriter {
  bytes = new Uint8Array(4096);
  view = new DataView(this.bytes.buffer);
  length = 0;

  reset(): this {
    this.length = 0;
    return this;
  }

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.bytes.subarray(0, this.length));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    this.room(1);
    this.bytes[this.length++] = v;
  }

  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.length, v >>> 0, true);
    this.length += 4;
  }

  f64(v: number): void {
    this.room(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  private text(s: string): void {
    // Short ASCII strings (object keys, ufids) skip TextEncoder.
    let ascii = s.length < 64;
    for (let i = 0; ascii && i < s.length; i++) if (s.charCodeAt(i) > 0x7f) ascii = false;
    if (ascii) {
      this.u32(s.length);
      this.room(s.length);
      for (let i = 0; i < s.length; i++) this.bytes[this.length++] = s.charCodeAt(i);
      return;
    }
    const encoded = textEncoder.encode(s);
    this.u32(encoded.length);
    this.room(encoded.length);
    this.bytes.set(encoded, this.length);
    this.length += encoded.length;
  }

  value(v: PlainData): void {
    switch (typeof v) {
      case "undefined":
        return this.u8(T_UNDEFINED);
      case "boolean":
        return this.u8(v ? T_TRUE : T_FALSE);
      case "number":
        if (Number.isInteger(v) && v >= 0 && v <= 0xffffffff) {
          this.u8(T_INT);
          return this.u32(v);
        }
        this.u8(T_FLOAT);
        return this.f64(v);
      case "string":
        this.u8(T_STRING);
        return this.text(v);
      case "bigint":
        this.u8(T_BIGINT);
        return this.text(v.toString(16));
    }
    if (v === null) return this.u8(T_NULL);
    if (v instanceof Uint8Array) {
      this.u8(T_BYTES);
      this.u32(v.length);
      this.room(v.length);
      this.bytes.set(v, this.length);
      this.length += v.length;
      return;
    }
    if (v instanceof Uint32Array) {
      this.u8(T_WORDS);
      this.u32(v.length);
      this.room(v.length * 4);
      for (let i = 0; i < v.length; i++) {
        this.view.setUint32(this.length, v[i]!, true);
        this.length += 4;
      }
      return;
    }
    if (Array.isArray(v)) {
      this.u8(T_ARRAY);
      this.u32(v.length);
      for (const item of v) this.value(item);
      return;
    }
    const entries = Object.entries(v as Record<string, PlainData>);
    this.u8(T_OBJECT);
    let count = 0;
    for (const [, item] of entries) if (item !== undefined) count++;
    this.u32(count);
    for (const [key, item] of entries) {
      if (item === undefined) continue;
      this.text(key);
      this.value(item);
    }
  }
}

/** Decodes plain data from `bytes[at..end)`; throws RangeError on a truncated or bad record. */
export class PlainReader {
  private at: number;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly view: DataView,
    at: number,
    private readonly end: number,
  ) {
    this.at = at;
  }

  private need(n: number): void {
    if (this.at + n > this.end) throw new RangeError("truncated record");
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.at++]!;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.at, true);
    this.at += 8;
    return v;
  }

  private text(): string {
    const n = this.u32();
    this.need(n);
    let ascii = n < 64;
    for (let i = 0; ascii && i < n; i++) if (this.bytes[this.at + i]! > 0x7f) ascii = false;
    let s: string;
    if (ascii) {
      s = "";
      for (let i = 0; i < n; i++) s += String.fromCharCode(this.bytes[this.at + i]!);
    } else {
      // TextDecoder refuses views of shared memory: copy first.
      s = textDecoder.decode(this.bytes.slice(this.at, this.at + n));
    }
    this.at += n;
    return s;
  }

  value(): PlainData {
    const tag = this.u8();
    switch (tag) {
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_INT:
        return this.u32();
      case T_FLOAT:
        return this.f64();
      case T_STRING:
        return this.text();
      case T_BIGINT: {
        const hex = this.text();
        return hex.startsWith("-") ? -BigInt(`0x${hex.slice(1)}`) : BigInt(`0x${hex}`);
      }
      case T_BYTES: {
        const n = this.u32();
        this.need(n);
        const out = this.bytes.slice(this.at, this.at + n);
        this.at += n;
        return out;
      }
      case T_WORDS: {
        const n = this.u32();
        this.need(n * 4);
        const out = new Uint32Array(n);
        for (let i = 0; i < n; i++) out[i] = this.view.getUint32(this.at + i * 4, true);
        this.at += n * 4;
        return out;
      }
      case T_ARRAY: {
        const n = this.u32();
        const out: PlainData[] = [];
        for (let i = 0; i < n; i++) out.push(this.value());
        return out;
      }
      case T_OBJECT: {
        const n = this.u32();
        const out: Record<string, PlainData> = {};
        for (let i = 0; i < n; i++) {
          const key = this.text();
          out[key] = this.value();
        }
        return out;
      }
      default:
        throw new RangeError(`bad plain-data tag ${tag}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Record kinds. Commands: [u32 kind][u32 rpc sequence (0: none)][plain data]. Events: [u32 kind]
// then a layout per kind (dp_worker.ts writes them, dpif_remote.ts reads them).

export const CMD_PORT_ADD = 1;
export const CMD_PORT_DEL = 2;
export const CMD_FLOW_PUT = 3;
export const CMD_FLOW_DEL = 4;
export const CMD_FLOW_FLUSH = 5;
export const CMD_UPCALL_REPLY = 6;
export const CMD_EXECUTE = 7;
export const CMD_METER_SET = 8;
export const CMD_METER_GET = 9;
export const CMD_METER_DEL = 10;
export const CMD_SYNC = 11;
export const CMD_STOP = 12;

/** CMD_UPCALL_REPLY flags: drop the packets; install (the mask follows); put actions follow. */
export const REPLY_DROP = 1;
export const REPLY_INSTALL = 2;
export const REPLY_PUT_ACTIONS = 4;

/** An upcall: kind, id, metadata, ufid parts, key words, userdata, packet. */
export const EVT_UPCALL = 1;
/** Counters and the statistics of flows hit since the last report. */
export const EVT_STATS = 2;
/** Flows the main thread believes installed that the worker does not hold. */
export const EVT_FLOWS_GONE = 3;

export const UPCALL_MISS = 0;
export const UPCALL_ACTION = 1;

/** Bytes of one flow's statistics in EVT_STATS: ufid (4 words), packets, bytes, used, flags. */
export const STATS_ENTRY_BYTES = 16 + 8 + 8 + 8 + 8;
/** Flows per EVT_STATS record. */
export const STATS_PER_RECORD = 512;

/** The four 32-bit parts of a ufid string (formatUfid's inverse). */
export function ufidParts(ufid: string, out: Uint32Array): void {
  const hex = ufid.replaceAll("-", "");
  for (let i = 0; i < 4; i++) out[i] = parseInt(hex.slice(i * 8, i * 8 + 8), 16) >>> 0;
}

/** Errno names in a fixed order, so a status word can carry one. */
export const STATUS_ERRNOS = [
  "OK",
  "EINVAL",
  "EEXIST",
  "ENOENT",
  "ENODEV",
  "EBUSY",
  "EFBIG",
  "E2BIG",
  "ENOSPC",
  "EOPNOTSUPP",
  "EAFNOSUPPORT",
  "EMSGSIZE",
  "EPFNOSUPPORT",
  "EAGAIN",
  "EBADF",
  "EPROTO",
  "EPERM",
  "ESRCH",
  "EACCES",
  "EIO",
  "ENXIO",
  "ENOMEM",
  "ENETDOWN",
  "ENOBUFS",
] as const satisfies readonly (Errno | "OK")[];

/** The status word for `errno` (0 is success). */
export function statusOf(errno: Errno): number {
  return Math.max(1, STATUS_ERRNOS.indexOf(errno as typeof STATUS_ERRNOS[number]));
}

/** The errno a nonzero status word names (EIO for one it does not know). */
export function errnoOfStatus(status: number): Errno {
  const name = STATUS_ERRNOS[status];
  return name === undefined || name === "OK" ? "EIO" : name;
}
