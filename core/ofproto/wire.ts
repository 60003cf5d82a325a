// Byte-level building blocks of every OpenFlow codec: a growable big-endian writer that owns
// lengths and padding (reserve a length field, fill it in when the body is known, pad to 8), and
// a bounds-checked reader over a slice of a message. Promises: the reader never reads past its
// end — a short body throws `OfpError` with the error name the caller chose (OFPBRC_BAD_LEN by
// default) instead of returning garbage; the writer's output is exactly the bytes written.

import { OfpError } from "./errors.ts";

export class WireWriter {
  #buffer: Uint8Array;
  #view: DataView;
  #length = 0;

  constructor(capacity = 256) {
    this.#buffer = new Uint8Array(capacity);
    this.#view = new DataView(this.#buffer.buffer);
  }

  get length(): number {
    return this.#length;
  }

  #ensure(extra: number): void {
    const need = this.#length + extra;
    if (need <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < need) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = bigger;
    this.#view = new DataView(bigger.buffer);
  }

  u8(value: number): this {
    this.#ensure(1);
    this.#view.setUint8(this.#length, value & 0xff);
    this.#length += 1;
    return this;
  }

  u16(value: number): this {
    this.#ensure(2);
    this.#view.setUint16(this.#length, value & 0xffff);
    this.#length += 2;
    return this;
  }

  u32(value: number): this {
    this.#ensure(4);
    this.#view.setUint32(this.#length, value >>> 0);
    this.#length += 4;
    return this;
  }

  u64(value: bigint): this {
    this.#ensure(8);
    this.#view.setBigUint64(this.#length, BigInt.asUintN(64, value));
    this.#length += 8;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.#ensure(data.length);
    this.#buffer.set(data, this.#length);
    this.#length += data.length;
    return this;
  }

  zeros(n: number): this {
    this.#ensure(n);
    this.#buffer.fill(0, this.#length, this.#length + n);
    this.#length += n;
    return this;
  }

  /** A fixed-width, NUL-padded string field (truncated to leave room for the NUL). */
  fixedString(text: string, width: number): this {
    const encoded = new TextEncoder().encode(text).subarray(0, width - 1);
    this.bytes(encoded);
    return this.zeros(width - encoded.length);
  }

  /** Pads with zeros to a multiple of `alignment` bytes, counted from `start`. */
  padTo(alignment: number, start = 0): this {
    const rem = (this.#length - start) % alignment;
    return rem === 0 ? this : this.zeros(alignment - rem);
  }

  /** Overwrites a 16-bit field written earlier (a length known only at the end). */
  setU16(offset: number, value: number): void {
    this.#view.setUint16(offset, value & 0xffff);
  }

  setU32(offset: number, value: number): void {
    this.#view.setUint32(offset, value >>> 0);
  }

  setU8(offset: number, value: number): void {
    this.#view.setUint8(offset, value & 0xff);
  }

  /** Inserts `data` at `offset`, moving what follows it (an entry known only at the end). */
  insertAt(offset: number, data: Uint8Array): void {
    this.#ensure(data.length);
    this.#buffer.copyWithin(offset + data.length, offset, this.#length);
    this.#buffer.set(data, offset);
    this.#length += data.length;
  }

  /** Drops everything written after the first `length` bytes (undoing a tentative append). */
  truncate(length: number): void {
    if (length < this.#length) this.#length = Math.max(0, length);
  }

  /** The bytes written so far (a copy, so the writer may go on). */
  finish(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

export class WireReader {
  readonly data: Uint8Array;
  readonly #view: DataView;
  #offset: number;
  readonly #end: number;
  /** The error name thrown on a short read. */
  readonly errorName: string;

  constructor(data: Uint8Array, offset = 0, end = data.length, errorName = "OFPBRC_BAD_LEN") {
    this.data = data;
    this.#view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.#offset = offset;
    this.#end = Math.min(end, data.length);
    this.errorName = errorName;
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#end - this.#offset;
  }

  get end(): number {
    return this.#end;
  }

  #need(n: number): void {
    if (n < 0 || this.#offset + n > this.#end) {
      throw new OfpError(
        this.errorName,
        `need ${n} bytes at offset ${this.#offset}, have ${this.#end - this.#offset}`,
      );
    }
  }

  u8(): number {
    this.#need(1);
    return this.#view.getUint8(this.#offset++);
  }

  u16(): number {
    this.#need(2);
    const v = this.#view.getUint16(this.#offset);
    this.#offset += 2;
    return v;
  }

  u32(): number {
    this.#need(4);
    const v = this.#view.getUint32(this.#offset);
    this.#offset += 4;
    return v;
  }

  u64(): bigint {
    this.#need(8);
    const v = this.#view.getBigUint64(this.#offset);
    this.#offset += 8;
    return v;
  }

  /** `n` bytes as a view into the message (no copy). */
  bytes(n: number): Uint8Array {
    this.#need(n);
    const out = this.data.subarray(this.#offset, this.#offset + n);
    this.#offset += n;
    return out;
  }

  skip(n: number): void {
    this.#need(n);
    this.#offset += n;
  }

  /** A fixed-width NUL-padded string field. */
  fixedString(width: number): string {
    const raw = this.bytes(width);
    const nul = raw.indexOf(0);
    return new TextDecoder().decode(nul < 0 ? raw : raw.subarray(0, nul));
  }

  /** A reader over the next `n` bytes, which this reader skips. */
  sub(n: number, errorName = this.errorName): WireReader {
    this.#need(n);
    const reader = new WireReader(this.data, this.#offset, this.#offset + n, errorName);
    this.#offset += n;
    return reader;
  }

  /** Peeks a 16-bit value `ahead` bytes on without consuming. */
  peekU16(ahead = 0): number {
    if (this.#offset + ahead + 2 > this.#end) {
      throw new OfpError(this.errorName, "truncated");
    }
    return this.#view.getUint16(this.#offset + ahead);
  }

  peekU32(ahead = 0): number {
    if (this.#offset + ahead + 4 > this.#end) {
      throw new OfpError(this.errorName, "truncated");
    }
    return this.#view.getUint32(this.#offset + ahead);
  }
}

// Transaction ids, as upstream's alloc_xid(): one counter for the whole process, starting at 1,
// shared by every message a process builds (hellos included), so the xids a tool prints are the
// ones upstream's tool prints for the same sequence of messages.
let nextXid = 1;

/** The next transaction id (wraps at 2^32). */
export function allocXid(): number {
  const xid = nextXid;
  nextXid = (nextXid + 1) >>> 0;
  return xid;
}
